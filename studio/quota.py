"""What a visitor's workspace uses, the disk quota checked before anything is written, and
the expiry of workspaces left untouched (``studio.hosting`` says whether either applies).

The quota counts uploads, datasets, runs and the board (previews and download copies are the
studio's own, small and cleaned hourly). Each write that can grow a workspace asks
``check_room`` first with what it is about to write, so a refused upload, dataset or run
leaves nothing behind.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from gan_core.errors import UserError

from .hosting import Limits
from .workspace import VISITOR_ID, Visitor, Workspace

PARTS = ("uploads", "datasets", "runs", "board")
RUN_RESERVE_MB = 40      # room a new run needs: checkpoints (G, D, EMA, optimisers), grids, GIF
BOARD_RESERVE_MB = 2     # one saved design (its record and picture)
WARN_DAYS = 7            # the page warns this long before a workspace expires


def folder_bytes(folder: Path) -> int:
    total = 0
    for dirpath, _, files in os.walk(folder):
        for f in files:
            try:
                total += os.lstat(os.path.join(dirpath, f)).st_size
            except OSError:  # removed meanwhile
                pass
    return total


def usage(visitor: Visitor) -> dict[str, int]:
    """Bytes per part of the workspace, and "total"."""
    out = {part: folder_bytes(visitor.root / part) for part in PARTS}
    out["total"] = sum(out.values())
    return out


def mb(n: float) -> str:
    """Bytes as people read them: 310 MB, 2 GB, 1.5 GB."""
    if n >= 2**30:
        return f"{n / 2**30:.1f}".rstrip("0").rstrip(".") + " GB"
    if n < 2**20:
        return f"{n / 2**10:.0f} KB"
    return f"{n / 2**20:.0f} MB"


def check_room(visitor: Visitor, limits: Limits, need: int, what: str, replaces: str | None = None) -> None:
    """Refuse (UserError with the numbers) when ``need`` more bytes would pass the visitor's quota.
    ``replaces``: a part the write replaces (a new upload replaces the current one), not counted."""
    quota = limits.quota_bytes
    if quota is None:
        return
    used = usage(visitor)
    current = used["total"] - (used[replaces] if replaces else 0)
    left = max(0, quota - current)
    if need > left:
        biggest = max(("runs", "datasets", "uploads", "board"), key=lambda p: used[p])
        hint = {"runs": "delete a run or a dataset", "datasets": "delete a dataset or a run",
                "uploads": "clear the current upload or delete a run", "board": "delete designs from the board"}
        raise UserError(f"{what} needs {mb(need)}; you have {mb(left)} of your {mb(quota)} left "
                        f"(runs {mb(used['runs'])}, datasets {mb(used['datasets'])}, uploads "
                        f"{mb(used['uploads'])}, board {mb(used['board'])}); {hint[biggest]}. Nothing was saved.")


def dataset_bytes(count: int, resolution: int, channels: int) -> int:
    """At most what a saved dataset takes: its pictures uncompressed, plus each PNG's overhead."""
    return count * (resolution * resolution * channels + 4096) + 65536


def run_bytes(visitor: Visitor, dataset: str | None, resume: bool) -> int:
    """Room a run needs before it starts: RUN_RESERVE_MB for its checkpoints, grids and GIF, plus
    the copy of its training pictures a new run keeps (a resumed run has them already)."""
    if resume:
        return RUN_RESERVE_MB * 2**20 // 4
    pictures = folder_bytes(visitor.root / "datasets" / dataset) if dataset else 0
    return RUN_RESERVE_MB * 2**20 + pictures


def expires_at(visitor: Visitor, limits: Limits) -> float | None:
    """When this workspace will be deleted if nobody touches it again (None: never)."""
    if limits.expire_days is None:
        return None
    return visitor.last_seen() + limits.expire_days * 86400


def usage_markdown(visitor: Visitor, limits: Limits) -> str:
    """The page's line about what this visitor uses, and when their workspace expires."""
    used = usage(visitor)
    parts = ", ".join(f"{p} {mb(used[p])}" for p in PARTS if used[p])
    of = f" of your {mb(limits.quota_bytes)}" if limits.quota_bytes is not None else ""
    text = f"**Your workspace:** {mb(used['total'])}{of}" + (f" ({parts})" if parts else "") + "."
    when = expires_at(visitor, limits)
    if when is not None:
        days = limits.expire_days
        text += (f" Workspaces untouched for {days:g} days are deleted: yours on "
                 f"{time.strftime('%Y-%m-%d', time.gmtime(when))} (UTC) unless you come back. To keep your "
                 "work, export the board (Explore → Board → Export) or push a model to the Hub.")
        if when - time.time() < WARN_DAYS * 86400:
            text = "⚠️ " + text
    return text


def expire_workspaces(ws: Workspace, limits: Limits, keep: set[str] = frozenset(),
                      now: float | None = None) -> list[str]:
    """Delete whole workspaces untouched for ``limits.expire_days``, except those in ``keep``
    (visitors with a run waiting or training: a running run's folder is never deleted).
    Returns the ids deleted."""
    if limits.expire_days is None:
        return []
    root = ws.root / "visitors"
    if not root.is_dir():
        return []
    now = time.time() if now is None else now
    gone = []
    for d in root.iterdir():
        if d.name in keep or not VISITOR_ID.fullmatch(d.name) or not d.is_dir():
            continue
        if now - Visitor(ws, d.name).last_seen() <= limits.expire_days * 86400:
            continue
        shutil.rmtree(d, ignore_errors=True)
        shutil.rmtree(Path(tempfile.gettempdir()) / "design-studio-exports" / d.name, ignore_errors=True)
        gone.append(d.name)
    return gone

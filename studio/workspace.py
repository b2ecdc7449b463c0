"""Where the studio keeps files, and who they belong to.

    <workspace>/visitors/<visitor id>/uploads/    the photos of the current upload (or the sample set)
    <workspace>/visitors/<visitor id>/previews/   small thumbnails for the live cleanup preview
    <workspace>/visitors/<visitor id>/datasets/   saved datasets (gan_core.data.datasets.save_dataset)
    <workspace>/visitors/<visitor id>/runs/       training runs (gan_core.training.runfolder layout + studio.json)
    <workspace>/visitors/<visitor id>/board/      saved designs (gan_core.export.board.Board: board.json)

Files the page downloads (morphs, PNGs, zips) go to a per-visitor folder under the
system temp directory, which Gradio serves by default; the workspace itself is never
served. The visitor id is random (a capability): it becomes a folder name, so it is
validated on every request. Whoever sends an id gets that visitor's files, so ids are
secrets: the page makes random 192-bit ones and an id an API caller chooses must have at
least KEY_CHARS characters.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from gan_core.errors import UserError

from .accounts import ACCOUNT_PREFIX

REPO_ROOT = Path(__file__).resolve().parent.parent
ENV_WORKSPACE = "STUDIO_WORKSPACE"
ENV_WEIGHTS = "STUDIO_WEIGHTS_DIR"
VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")     # a safe folder name (session ids, older ids)
KEY_CHARS = 22                                         # a chosen id: >= 128 bits of [A-Za-z0-9_-]
VISITOR_KEY = re.compile(rf"^[A-Za-z0-9_-]{{{KEY_CHARS},64}}$")
NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
ENV_CLEANUP_HOURS = "STUDIO_CLEANUP_HOURS"
INACTIVE_SECONDS = 24 * 3600   # uploads/previews of visitors idle this long are removed (default)
JANITOR_EVERY = 3600           # seconds between cleanup passes
STUDIO_META = "studio.json"    # what the studio adds to a run folder (the dataset it used)


@dataclass(frozen=True)
class Workspace:
    root: Path
    kind: str  # "custom" (env), "persistent" (/data on Spaces), "temporary", "local"

    @classmethod
    def from_env(cls) -> "Workspace":
        if os.environ.get(ENV_WORKSPACE):
            return cls(Path(os.environ[ENV_WORKSPACE]).expanduser().resolve(), "custom")
        if os.environ.get("SPACE_ID"):
            data = Path("/data")
            if data.is_dir() and os.access(data, os.W_OK) and os.path.ismount(data):
                return cls(data / "design-studio", "persistent")
            return cls(Path(tempfile.gettempdir()) / "design-studio", "temporary")
        return cls(REPO_ROOT / "workspace", "local")

    def describe(self) -> str:
        """One line for the page footer."""
        if self.kind == "persistent":
            return f"Files are kept in `{self.root}` (persistent storage)."
        if self.kind == "temporary":
            return f"Files are kept in `{self.root}` (temporary: lost when the Space restarts)."
        return f"Files are kept in `{self.root}`."

    def visitor(self, visitor_id: str) -> "Visitor":
        return Visitor(self, visitor_id)

    def browser_secret(self) -> str:
        """Key for the encrypted visitor id in the browser; stable across restarts so a
        visitor keeps their runs after the server comes back."""
        if os.environ.get("STUDIO_SECRET"):
            return os.environ["STUDIO_SECRET"]
        path = self.root / ".browser-secret"
        try:
            return path.read_text().strip()
        except OSError:
            pass
        self.root.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(24)
        tmp = path.with_suffix(f".{uuid.uuid4().hex[:6]}")
        tmp.write_text(value)
        os.chmod(tmp, 0o600)
        try:  # two processes racing: the first one wins
            os.link(tmp, path)
        except FileExistsError:
            value = path.read_text().strip()
        finally:
            tmp.unlink(missing_ok=True)
        return value


def bundled_weights_dir() -> Path:
    return Path(os.environ.get(ENV_WEIGHTS) or REPO_ROOT / "weights").expanduser().resolve()


def new_visitor_id() -> str:
    """A fresh visitor id for a page: 192 random bits (32 characters), never an account's prefix."""
    while (vid := secrets.token_urlsafe(24)).startswith(ACCOUNT_PREFIX):
        pass
    return vid


def _check_folder_id(visitor_id: str) -> str:
    if not isinstance(visitor_id, str) or not VISITOR_ID.fullmatch(visitor_id):
        raise UserError("visitor id must be 22-64 letters, digits, '-' or '_'; leave it empty to use "
                        "this connection's session")
    return visitor_id


def check_visitor_id(visitor_id: str) -> str:
    """A visitor id a caller chose: it is the key to that visitor's files (whoever sends it gets
    them), so it must be long enough not to be guessed."""
    if not isinstance(visitor_id, str) or not VISITOR_KEY.fullmatch(visitor_id):
        raise UserError(f"visitor id must be {KEY_CHARS}-64 letters, digits, '-' or '_' (it is the secret key "
                        "to your files: use a long random one, e.g. Python's secrets.token_urlsafe(24)); "
                        "leave it empty to use this connection's session")
    return visitor_id


def visitor_id_for(visitor_id: str | None, request=None) -> str:
    """The given id (validated), or one derived from the connection's session hash
    (API clients have no browser storage). A request (a call from outside) may not name an
    account's workspace (``studio.accounts``): only signing in reaches it; the studio's own
    calls (no request) may."""
    if visitor_id:
        visitor_id = visitor_id.strip()
        if request is not None and visitor_id.startswith(ACCOUNT_PREFIX):
            raise UserError(f"visitor ids starting with {ACCOUNT_PREFIX!r} belong to signed-in accounts: sign in "
                            "to reach your account's workspace (a signed-in page needs no visitor_id)")
        return check_visitor_id(visitor_id)
    session = getattr(request, "session_hash", None) or ""
    cleaned = re.sub(r"[^A-Za-z0-9]", "", session)[:40]
    if len(cleaned) < 6:
        raise UserError(f"no visitor id and no session: pass visitor_id ({KEY_CHARS}-64 letters or digits)")
    return "s-" + cleaned


def page_visitor_id(ws: "Workspace", stored, session_id: str) -> str:
    """The id a page keeps in its browser storage: the stored one when it is a key (long enough),
    else a new random one. Files made under an older, short stored id, or under this session
    before the page had its id (an upload in its first second), move to the new id."""
    if isinstance(stored, str) and VISITOR_KEY.fullmatch(stored) and not stored.startswith(ACCOUNT_PREFIX):
        return stored
    new = new_visitor_id()
    visitors = ws.root / "visitors"
    for old in (stored, session_id):
        if isinstance(old, str) and VISITOR_ID.fullmatch(old) and (visitors / old).is_dir() \
                and not (visitors / new).exists():
            os.replace(visitors / old, visitors / new)
    return new


def unique_name(name: str, exists: Callable[[str], bool], sep: str = "-") -> str:
    """``name``, or ``<stem><sep><k><suffix>`` with the smallest k >= 2 for which ``exists``
    is false (file names keep their suffix: photo.jpg -> photo~2.jpg)."""
    stem, suffix = Path(name).stem, Path(name).suffix
    candidate, k = name, 1
    while exists(candidate):
        k += 1
        candidate = f"{stem}{sep}{k}{suffix}"
    return candidate


def check_name(name: str, what: str = "name") -> str:
    name = (name or "").strip()
    if not name:
        raise UserError(f"Give the {what} a name (letters, digits, '-' or '_').")
    if not NAME.fullmatch(name):
        raise UserError(f"{what.capitalize()} name {name!r}: use only letters, digits, '-' and '_' "
                        "(at most 64), no spaces.")
    return name


class Visitor:
    """One visitor's folders; created on first use."""

    def __init__(self, ws: Workspace, visitor_id: str):
        self.id = _check_folder_id(visitor_id)
        self.ws = ws
        self.root = ws.root / "visitors" / self.id

    def _dir(self, name: str) -> Path:
        p = self.root / name
        p.mkdir(parents=True, exist_ok=True)
        return p

    uploads = property(lambda self: self._dir("uploads"))
    previews = property(lambda self: self._dir("previews"))
    datasets = property(lambda self: self._dir("datasets"))
    runs = property(lambda self: self._dir("runs"))

    @property
    def board(self) -> Path:
        """The design board's folder (gan_core.export.board.Board; created on the first save)."""
        return self.root / "board"

    @property
    def exports(self) -> Path:
        """Files handed to the page for download (the system temp dir is served by Gradio)."""
        p = Path(tempfile.gettempdir()) / "design-studio-exports" / self.id
        p.mkdir(parents=True, exist_ok=True)
        return p

    def export_path(self, name: str) -> Path:
        """A fresh path for a download: one folder per file keeps the visible name clean."""
        folder = self.exports / uuid.uuid4().hex[:12]
        folder.mkdir()
        return folder / name

    def touch(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / ".last_seen").write_text(str(time.time()))

    def last_seen(self) -> float:
        try:
            return (self.root / ".last_seen").stat().st_mtime
        except OSError:
            return self.root.stat().st_mtime if self.root.exists() else 0.0

    # ---- datasets and runs -----------------------------------------------------------
    def dataset_dir(self, name: str) -> Path:
        return self.datasets / check_name(name, "dataset")

    def list_datasets(self) -> list[dict]:
        """Saved datasets, newest first: name, count, resolution, channels."""
        out = []
        for d in self.datasets.iterdir():
            meta = d / "dataset.json"
            if d.name.startswith(".") or not meta.is_file():
                continue
            try:
                info = json.loads(meta.read_text())
            except (OSError, ValueError):
                continue
            out.append({"name": d.name, "count": info.get("count", 0), "resolution": info.get("resolution"),
                        "channels": info.get("channels", 1), "mtime": meta.stat().st_mtime})
        return sorted(out, key=lambda r: -r["mtime"])

    def dataset_info(self, name: str) -> dict:
        d = self.dataset_dir(name)
        for info in self.list_datasets():
            if info["name"] == d.name:
                return info
        raise UserError(f"There is no dataset called {name!r}. Save one in the Data tab first.")

    def run_dir(self, name: str) -> Path:
        return self.runs / check_name(name, "run")

    def run_names(self) -> list[str]:
        """Run folders, newest first."""
        dirs = [d for d in self.runs.iterdir() if d.is_dir() and not d.name.startswith(".")
                and NAME.fullmatch(d.name)]
        return [d.name for d in sorted(dirs, key=lambda d: -d.stat().st_mtime)]

    def new_run_name(self, dataset: str) -> str:
        base = f"{dataset}-{time.strftime('%Y%m%d-%H%M%S')}"[:60]
        return unique_name(base, lambda n: (self.runs / n).exists())


_janitor_lock = threading.Lock()
_janitor_last = 0.0


def env_number(name: str, unit: str, lo: float, hi: float, low_inclusive: bool = True) -> float | None:
    """A number of ``unit`` from environment variable ``name`` (None when unset), checked
    against [lo, hi] (or (lo, hi] when ``low_inclusive`` is False)."""
    text = os.environ.get(name, "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise UserError(f"{name}={text!r} is not a number of {unit}") from None
    if not ((lo <= value) if low_inclusive else (lo < value)) or value > hi:
        bound = f"between {lo:g} and {hi:g}" if low_inclusive else f"more than {lo:g} (and at most {hi:g})"
        raise UserError(f"{name} must be {bound} {unit}; got {text}")
    return value


def inactive_seconds() -> float:
    """How long a visitor may be idle before their uploads and previews go:
    ``STUDIO_CLEANUP_HOURS`` (default 24)."""
    hours = env_number(ENV_CLEANUP_HOURS, "hours", 0, 24 * 365, low_inclusive=False)
    return INACTIVE_SECONDS if hours is None else hours * 3600


def cleanup_inactive(ws: Workspace, keep: set[str] = frozenset(), max_age: float | None = None,
                     force: bool = False) -> int:
    """Remove uploads/previews (and download copies) of visitors idle longer than ``max_age``
    seconds (default: ``inactive_seconds()``), and the folders of such visitors that kept nothing.

    Datasets and runs are kept. Runs at most once per JANITOR_EVERY unless ``force``.
    Returns the number of visitors cleaned.
    """
    global _janitor_last
    with _janitor_lock:
        if not force and time.time() - _janitor_last < JANITOR_EVERY:
            return 0
        _janitor_last = time.time()
    max_age = inactive_seconds() if max_age is None else max_age
    cleaned = 0
    root = ws.root / "visitors"
    if not root.is_dir():
        return 0
    now = time.time()
    for d in root.iterdir():
        if d.name in keep or not VISITOR_ID.fullmatch(d.name) or not d.is_dir():
            continue
        v = Visitor(ws, d.name)
        if now - v.last_seen() <= max_age:
            continue
        for sub in ("uploads", "previews"):
            shutil.rmtree(d / sub, ignore_errors=True)
        shutil.rmtree(Path(tempfile.gettempdir()) / "design-studio-exports" / d.name, ignore_errors=True)
        for sub in ("datasets", "runs"):  # empty ones only (an API session that saved nothing)
            try:
                (d / sub).rmdir()
            except OSError:
                pass
        if not any(p.name != ".last_seen" for p in d.iterdir()):
            shutil.rmtree(d, ignore_errors=True)
        cleaned += 1
    return cleaned


def start_janitor(ws: Workspace, active_visitors, also: Callable[[set], object] | None = None) -> threading.Thread:
    """A daemon thread that runs ``cleanup_inactive`` every JANITOR_EVERY seconds (API-only
    visitors never load the page, which also triggers it). ``active_visitors()`` -> ids to keep;
    ``also(keep)`` runs after each pass (the expiry of whole workspaces, studio.quota)."""
    def loop():
        while True:
            time.sleep(JANITOR_EVERY)
            try:
                keep = set(active_visitors())
                cleanup_inactive(ws, keep=keep, force=True)
                if also is not None:
                    also(keep)
            except Exception:  # never let the janitor die: a bad pass is retried next hour
                import logging
                logging.getLogger("studio").exception("cleanup of idle visitors failed")

    t = threading.Thread(target=loop, name="studio-janitor", daemon=True)
    t.start()
    return t

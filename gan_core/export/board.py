"""The design board: a visitor's saved designs, kept on disk so they outlive a reload or a restart.

One file, ``<folder>/board.json`` (``{"format": 1, "kind": "design-studio board",
"designs": [Design.to_dict(), ...]}``, in the order the designs were saved). Every change is
a read-modify-write under two locks: a ``threading.Lock`` per board file (two requests of
one server) and an ``fcntl.flock`` on ``<folder>/.board.lock`` (two server processes, or the
CLI beside the studio), so two tabs saving at once lose nothing. The file is replaced
atomically (temp + fsync + rename), so a full disk or a crash leaves the earlier board as it was.

:func:`export_board` and :func:`import_designs` carry designs out (zip of PNG, SVG,
designs.json, designs.csv and a contact sheet) and back in (from designs.json).
"""
from __future__ import annotations

import contextlib
import csv
import fcntl
import io
import json
import re
import threading
import time
import zipfile
from pathlib import Path
from typing import Callable

from ..checkpoint import atomic_write_bytes
from ..design.record import Design
from ..design.render import render_many
from ..errors import UserError

BOARD_FORMAT = 1
BOARD_KIND = "design-studio board"
EXPORT_KIND = "design-studio designs"
MAX_DESIGNS = 5000            # a board holds at most this many designs (about 3 KB each)
MAX_FILE_BYTES = 64 * 2**20   # refuse absurd board / import files before parsing them

_locks: dict[Path, threading.Lock] = {}
_locks_guard = threading.Lock()


def _thread_lock(path: Path) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(path, threading.Lock())


class Board:
    """Saved designs in ``folder`` (created on first save)."""

    FILE, LOCK = "board.json", ".board.lock"

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.path = self.folder / self.FILE

    # ---- reading -----------------------------------------------------------------------
    def list(self, model: str | None = None, starred: bool | None = None) -> list[Design]:
        """The designs in the order they were saved; ``model``/``starred`` filter when given."""
        designs = self._read()
        if model:
            designs = [d for d in designs if d.model == model]
        if starred is not None:
            designs = [d for d in designs if d.star == bool(starred)]
        return designs

    def get(self, design_id: str) -> Design:
        return self._find(self._read(), design_id)

    def models(self) -> list[str]:
        """The models the board's designs were made with, in first-saved order (for a filter)."""
        return list(dict.fromkeys(d.model for d in self._read()))

    # ---- changing ----------------------------------------------------------------------
    def add(self, design: Design) -> Design:
        """Save a design; a design whose id is already on the board is saved as a new entry."""
        return self.add_many([design])[0]

    def add_many(self, designs: list[Design], keep_duplicates: bool = True) -> list[Design]:
        """Save several designs in one write. With ``keep_duplicates=False`` designs whose id is
        already on the board are left out (import); otherwise they get a fresh id."""
        added = []
        with self._locked():
            current = self._read()
            ids = {d.id for d in current}
            for d in designs:
                if not isinstance(d, Design):
                    raise UserError(f"only designs can be saved on the board; got {type(d).__name__}")
                if d.id in ids:
                    if not keep_duplicates:
                        continue
                    d = d.replace(id=Design(model=d.model, latent=d.latent).id)
                ids.add(d.id)
                added.append(d)
            if len(current) + len(added) > MAX_DESIGNS:
                raise UserError(f"the board is full ({MAX_DESIGNS} designs); delete or export some first")
            self._write(current + added)
        return added

    def update(self, design_id: str, name: str | None = None, note: str | None = None,
               star: bool | None = None) -> Design:
        """Rename, annotate or (un)star a design; fields left as None keep their value."""
        changes = {k: v for k, v in (("name", name), ("note", note), ("star", star)) if v is not None}
        with self._locked():
            current = self._read()
            old = self._find(current, design_id)
            new = old.replace(**changes)
            self._write([new if d.id == old.id else d for d in current])
        return new

    def delete(self, design_id: str) -> Design:
        """Remove a design from the board; returns it."""
        with self._locked():
            current = self._read()
            gone = self._find(current, design_id)
            self._write([d for d in current if d.id != gone.id])
        return gone

    # ---- storage -----------------------------------------------------------------------
    @staticmethod
    def _find(designs: list[Design], design_id) -> Design:
        for d in designs:
            if d.id == str(design_id):
                return d
        raise UserError(f"no design with id {design_id!r} on this board")

    @contextlib.contextmanager
    def _locked(self):
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = open(self.folder / self.LOCK, "a+")
        except OSError as e:
            raise UserError(f"cannot save the board in {self.folder}: {e.strerror or e}") from None
        with _thread_lock(self.path.resolve()), fd:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def _read(self) -> list[Design]:
        if not self.path.is_file():
            return []
        damaged = (f"{self.path} is damaged, so it was left untouched; move it aside to start a new board "
                   f"(or import its designs.json)")
        if self.path.stat().st_size > MAX_FILE_BYTES:
            raise UserError(damaged)
        try:
            obj = json.loads(self.path.read_bytes())
            rows = obj["designs"] if isinstance(obj, dict) and obj.get("kind") == BOARD_KIND else None
            if not isinstance(rows, list):
                raise UserError(damaged)
            if obj.get("format", BOARD_FORMAT) > BOARD_FORMAT:
                raise UserError(f"{self.path} was written by a newer Design Studio; update to open it")
            return [Design.from_dict(r) for r in rows]
        except (ValueError, KeyError, TypeError) as e:
            if isinstance(e, UserError) and not str(e).startswith("design:"):
                raise
            raise UserError(damaged) from None

    def _write(self, designs: list[Design]) -> None:
        data = json.dumps({"format": BOARD_FORMAT, "kind": BOARD_KIND,
                           "designs": [d.to_dict() for d in designs]}, indent=1).encode()
        try:
            atomic_write_bytes(self.path, data + b"\n")
        except OSError as e:
            raise UserError(f"could not save the board ({e.strerror or e}; is the disk full?); "
                            f"the earlier board is unchanged") from None


# ---- export and import ---------------------------------------------------------------------
def designs_json(designs: list[Design]) -> bytes:
    """designs.json: the designs' records, exactly as the board holds them."""
    return (json.dumps({"format": BOARD_FORMAT, "kind": EXPORT_KIND,
                        "designs": [d.to_dict() for d in designs]}, indent=1) + "\n").encode()


CSV_COLUMNS = ("file", "id", "name", "model", "seed", "origin", "truncation", "symmetry", "edits",
               "directions", "star", "note", "created")


def _designs_csv(designs: list[Design], stems: list[str]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_COLUMNS)
    for d, stem in zip(designs, stems):
        w.writerow([stem, d.id, d.name, d.model, "" if d.seed is None else d.seed, d.origin, d.truncation,
                    d.symmetry, json.dumps({str(k): v for k, v in sorted(d.edits.items())}), d.directions,
                    int(d.star), d.note, time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(d.created))])
    return buf.getvalue().encode("utf-8")


def _stems(designs: list[Design]) -> list[str]:
    """File names without suffix: 001_<name or seed or id>, unique and safe everywhere."""
    out = []
    for i, d in enumerate(designs, 1):
        label = d.name or (f"seed{d.seed}" if d.seed is not None else d.id)
        slug = re.sub(r"[^A-Za-z0-9._-]+", "-", label).strip("-.")[:40] or d.id
        out.append(f"{i:03d}_{slug}")
    return out


def export_board(designs: list[Design], load_model: Callable[[str], object], out_zip: str | Path,
                 png_size: int = 512, svg: bool = True, sheet: bool = True,
                 transparent: bool = False) -> Path:
    """Write ``out_zip`` with, for the designs in order: ``png/NNN_<name>.png`` (``png_size`` px,
    print quality), ``svg/NNN_<name>.svg`` (when ``svg``), ``designs.json``, ``designs.csv`` and
    ``contact_sheet.pdf`` + ``contact_sheet.png`` (when ``sheet``). ``load_model(ref)`` gives the
    DesignModel of a design's model reference. Written atomically; returns the path."""
    from .printpng import check_print_size, print_png
    png_size = check_print_size(png_size)
    designs = list(designs)
    if not designs:
        raise UserError("no designs to export; save or select some first")
    pictures = render_by_model(designs, load_model)
    stems = _stems(designs)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for stem, pic in zip(stems, pictures):
            png = io.BytesIO()
            print_png(pic, png_size, transparent=transparent).save(png, format="PNG")
            z.writestr(f"png/{stem}.png", png.getvalue())
            if svg:
                from .vector import to_svg
                z.writestr(f"svg/{stem}.svg", to_svg(pic))
        z.writestr("designs.json", designs_json(designs))
        z.writestr("designs.csv", _designs_csv(designs, stems))
        if sheet:
            from .contactsheet import contact_sheet, sheet_pdf, sheet_png
            page = contact_sheet(designs, pictures)
            z.writestr("contact_sheet.pdf", sheet_pdf(page))
            z.writestr("contact_sheet.png", sheet_png(page))
    out = Path(out_zip)
    atomic_write_bytes(out, buf.getvalue())
    return out


def render_by_model(designs: list[Design], load_model: Callable[[str], object]) -> list:
    """Each design's picture, in order; designs of one model are drawn in one batch."""
    by_model: dict[str, list[int]] = {}
    for i, d in enumerate(designs):
        by_model.setdefault(d.model, []).append(i)
    pictures: list = [None] * len(designs)
    for ref, idx in by_model.items():
        for i, pic in zip(idx, render_many([designs[i] for i in idx], load_model(ref))):
            pictures[i] = pic
    return pictures


def read_designs_json(source: bytes | str | Path) -> list:
    """The raw entries of a designs.json (bytes, or a path); anything else is a UserError."""
    if isinstance(source, (bytes, bytearray)):
        data, name = bytes(source), "the file"
    else:
        p = Path(source)
        if not p.is_file():
            raise UserError(f"{p}: file not found")
        if p.stat().st_size > MAX_FILE_BYTES:
            raise UserError(f"{p.name} is too large to be a designs.json")
        data, name = p.read_bytes(), p.name
    not_it = f"{name} is not a designs.json (export one from the board, or pick the designs.json inside an export zip)"
    if len(data) > MAX_FILE_BYTES:
        raise UserError(not_it)
    try:
        obj = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise UserError(not_it) from None
    rows = obj.get("designs") if isinstance(obj, dict) and obj.get("kind") in (EXPORT_KIND, BOARD_KIND) else None
    if not isinstance(rows, list):
        raise UserError(not_it)
    return rows


def import_designs(source: bytes | str | Path, board: Board,
                   model_available: Callable[[str], bool]) -> tuple[list[Design], list[tuple[object, str]]]:
    """Restore designs from a designs.json onto ``board``.

    Returns (added designs, skipped [(entry, reason)]): an entry is skipped when it is not a
    valid design, when its model is not available (``model_available(ref)`` is False), or when
    a design with its id is already on the board (importing twice adds nothing twice).
    """
    added_ok, skipped = [], []
    for entry in read_designs_json(source):
        try:
            d = Design.from_dict(entry)
        except UserError as e:
            skipped.append((entry, str(e)))
            continue
        if not model_available(d.model):
            skipped.append((entry, f"model {d.model} is not available"))
            continue
        added_ok.append(d)
    added = board.add_many(added_ok, keep_duplicates=False)
    saved = {id(d) for d in added}  # add_many keeps the very objects it saved
    skipped += [(d.to_dict(), f"design {d.id} is already on the board") for d in added_ok if id(d) not in saved]
    return added, skipped

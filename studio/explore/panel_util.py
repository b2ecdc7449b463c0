"""Small helpers the steer, projection and breeding panels share (page side only)."""
from __future__ import annotations

import json
import re

from gan_core.design.record import Design
from gan_core.errors import UserError
from gan_core.export.board import Board

TILE = 96       # gallery tiles of the panels (children, training pictures)
BOARD_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what a board id looks like (gan_core.design.record: 12 hex digits)


def whole(value, name: str, lo: int, hi: int) -> int:
    """A whole number from a slider, a number box or an API call (12, 12.0, "12"), in [lo, hi]."""
    try:
        f = float(value)
    except (TypeError, ValueError):
        f = float("nan")
    if not (f.is_integer() and lo <= f <= hi):
        raise UserError(f"{name} must be a whole number between {lo} and {hi}; got {value!r}.")
    return int(f)


def design_of(value, what: str = "design") -> Design | None:
    """A Design from the Explore state (a dict), an API argument (JSON text) or None.
    Empty -> None; anything else that is not a design -> UserError naming ``what``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise UserError(f"{what} is not JSON; pass a design as saved (its design.json).") from None
    if isinstance(value, Design):
        return value
    try:
        return Design.from_dict(value)
    except UserError as e:
        raise UserError(f"{what}: {str(e).removeprefix('design: ')}") from None


def api_design(tab, value, what: str, visitor_id, request) -> Design:
    """A design an API caller passed: a record as /board_list gives it (JSON text or object), a
    short one by seed ({"model": ..., "seed": ...}), or the id of a design on the board.
    Errors name ``what`` (the argument)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise UserError(f"{what} is empty; pass a design record (as /board_list gives) or a board id.")
    try:
        if isinstance(value, str) and BOARD_ID.fullmatch(value.strip()):
            return saved_design(tab, value.strip(), visitor_id, request)
        return tab.design_from(value, visitor_id, request)
    except UserError as e:
        raise UserError(f"{what}: {str(e).removeprefix('design: ')}") from None


def board_designs(tab, visitor_id, request) -> list[Design]:
    """The visitor's saved designs (the board on disk), oldest first."""
    return Board(tab.studio.visitor(visitor_id, request).board).list()


def saved_design(tab, design_id, visitor_id, request) -> Design:
    """One saved design by id (a UserError when it is no longer on the board)."""
    if not design_id:
        raise UserError("Pick a saved design first (save one with ☆ Save design).")
    try:
        return Board(tab.studio.visitor(visitor_id, request).board).get(design_id)
    except UserError:
        raise UserError("That design is no longer on your board; pick another one.") from None


def board_view(tab):
    """The board's gallery: its change means the saved designs may have changed (a State's own
    change event does not fire for the tab's queue=False events; a shown component's does)."""
    from .board import BoardPanel
    return next(p for p in tab.panels if isinstance(p, BoardPanel)).gallery


def design_choices(designs: list[Design]) -> list[tuple[str, str]]:
    """(label, id) for each saved design: its name, or its seed, or how it was made."""
    out = []
    for d in designs:
        label = d.name or (f"seed {d.seed}" if d.seed is not None else d.origin)
        out.append((f"{label}{' · edited' if d.edits else ''} · {d.model} · {d.id[:6]}", d.id))
    return out

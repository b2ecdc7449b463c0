"""Small helpers the steer, projection and breeding panels share (page side only)."""
from __future__ import annotations

import json

from gan_core.design import Design
from gan_core.errors import UserError

TILE = 96       # gallery tiles of the panels (children, training pictures)


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


def _board(tab):
    return next(p for p in tab.panels if hasattr(p, "saved"))


def saved_designs(tab):
    """The gr.State holding the saved designs (a list of Design.to_dict()) of the Explore tab."""
    return _board(tab).saved


def saved_view(tab):
    """The component that shows the saved designs: its change means the list changed (the State's
    own change event does not fire for queue=False events)."""
    return _board(tab).saved_table


def design_choices(designs) -> list[tuple[str, str]]:
    """(label, id) for each saved design: its name, or its seed, or how it was made."""
    out = []
    for d in designs or []:
        if isinstance(d, dict) and d.get("id"):
            label = d.get("name") or (f"seed {d['seed']}" if d.get("seed") is not None else d.get("origin") or "design")
            edits = " · edited" if d.get("edits") else ""
            out.append((f"{label}{edits} · {d.get('model', '')} · {str(d['id'])[:6]}", str(d["id"])))
    return out


def saved_design(designs, design_id) -> Design | None:
    """The saved design with this id, or None."""
    found = next((d for d in designs or [] if isinstance(d, dict) and str(d.get("id")) == str(design_id)), None)
    return design_of(found) if found is not None else None

"""The design record: one owner for what a design *is*, and its file (``design.json``).

A design is (model, latent, truncation, edits, symmetry) plus the designer's own
fields (name, note, star, time). The latent is stored exactly (float32 values),
so re-opening a design, exporting it or sending it through the API gives the same
pixels, whether it came from a seed, a projection or a breeding. How a design becomes
pixels is ``gan_core.design.render``.

``design.json`` (CLI) and the board (gan_core.export.board) hold ``Design.to_dict()``.
"""
from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..checkpoint import read_json, write_json
from ..errors import UserError
from .directions import EDIT_RANGE
from .latent import check_seed, z_from_seed
from .symmetry import parse_symmetry

DESIGN_FORMAT = 1
MAX_EDITS = 32            # directions a design may carry edits for
DIRECTION_METHODS = ("sefa", "ganspace")
MAX_NAME, MAX_NOTE = 120, 2000


@dataclass
class Design:
    """A design: everything needed to draw it again, exactly."""
    model: str                              # model reference: bundled/<name>, run/<name>, a folder, a Hub id
    latent: np.ndarray                      # float32 (z_dim,): the exact z before truncation and edits
    truncation: float = 1.0                 # 0..2, applied to ``latent`` first
    edits: dict[int, float] = field(default_factory=dict)  # direction index -> amount in [-3, 3]; 0s dropped
    directions: str = "sefa"                # which directions the edit indices refer to
    symmetry: str = "none"                  # gan_core.design.symmetry spec: none, rot4, mirror-lr, ...
    seed: int | None = None                 # where the latent came from, when it was a seed
    origin: str = "seed"                    # seed | projection | breed | edit: how it was made
    name: str = ""
    note: str = ""
    star: bool = False
    created: float = field(default_factory=time.time)
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    def __post_init__(self):
        if not isinstance(self.model, str) or not self.model.strip():
            raise UserError("design: model must name a model (bundled/<name>, run/<name>, a folder or a Hub id)")
        z = np.asarray(self.latent, dtype=np.float32)
        if z.ndim != 1 or not 2 <= z.shape[0] <= 1024:
            raise UserError(f"design: latent must be a list of 2-1024 numbers; got shape {z.shape}")
        if not np.isfinite(z).all():
            raise UserError("design: latent holds NaN or infinite values")
        self.latent = z
        self.truncation = check_truncation(self.truncation)
        self.edits = check_edits(self.edits)
        if self.directions not in DIRECTION_METHODS:
            raise UserError(f"design: directions must be one of {', '.join(DIRECTION_METHODS)}; "
                            f"got {self.directions!r}")
        self.symmetry = parse_symmetry(self.symmetry).spec
        if self.seed is not None:
            self.seed = check_seed(self.seed)
        self.name, self.note = str(self.name)[:MAX_NAME], str(self.note)[:MAX_NOTE]
        self.star = bool(self.star)
        self.created = float(self.created)

    # ---- construction ------------------------------------------------------------------
    @classmethod
    def from_seed(cls, model: str, seed: int, z_dim: int, truncation: float = 1.0, **kw) -> "Design":
        seed = check_seed(seed)
        return cls(model=model, latent=z_from_seed(seed, z_dim).numpy(), truncation=truncation,
                   seed=seed, origin="seed", **kw)

    def replace(self, **changes) -> "Design":
        """A copy with fields changed (validated again); the copy keeps this design's id unless given."""
        d = self.to_dict()
        d.update(changes)
        return Design.from_dict(d)

    # ---- JSON --------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"format": DESIGN_FORMAT, "id": self.id, "model": self.model,
                "latent": [float(v) for v in self.latent],  # float32 -> float64 -> JSON: exact
                "truncation": self.truncation, "edits": {str(k): v for k, v in sorted(self.edits.items())},
                "directions": self.directions, "symmetry": self.symmetry, "seed": self.seed,
                "origin": self.origin, "name": self.name, "note": self.note, "star": self.star,
                "created": self.created}

    @classmethod
    def from_dict(cls, d: dict) -> "Design":
        if not isinstance(d, dict):
            raise UserError("design: expected a JSON object")
        fmt = d.get("format", DESIGN_FORMAT)
        if not isinstance(fmt, int) or fmt > DESIGN_FORMAT:
            raise UserError(f"design: format {fmt!r} is newer than this studio understands; update Design Studio")
        known = {"id", "model", "latent", "truncation", "edits", "directions", "symmetry", "seed", "origin",
                 "name", "note", "star", "created"}
        missing = [k for k in ("model", "latent") if k not in d]
        if missing:
            raise UserError(f"design: missing {', '.join(missing)}")
        try:
            return cls(**{k: v for k, v in d.items() if k in known})
        except (TypeError, ValueError) as e:
            raise UserError(f"design: {e}") from None

    def save(self, path: str | Path) -> Path:
        write_json(self.to_dict(), Path(path))
        return Path(path)

    @classmethod
    def load(cls, path: str | Path) -> "Design":
        return cls.from_dict(read_json(Path(path), "design file"))


def check_truncation(value) -> float:
    try:
        t = float(value)
    except (TypeError, ValueError):
        raise UserError(f"truncation must be a number between 0 and 2; got {value!r}") from None
    if not (math.isfinite(t) and 0.0 <= t <= 2.0):
        raise UserError(f"truncation must be between 0 and 2; got {value!r}")
    return t


def check_edits(edits) -> dict[int, float]:
    """{direction index: amount} with indices 0..MAX_EDITS-1 and amounts in [-3, 3]; zeros dropped.
    Also takes a list of amounts (index = position), as sliders send them."""
    if edits is None:
        return {}
    if isinstance(edits, (list, tuple)):
        edits = dict(enumerate(edits))
    if not isinstance(edits, dict):
        raise UserError("edits must map direction numbers to amounts, e.g. {\"0\": 1.5}")
    out = {}
    for k, v in edits.items():
        whole = (isinstance(k, int) and not isinstance(k, bool)) or (isinstance(k, str) and k.strip().isdigit())
        if not whole or not 0 <= int(k) < MAX_EDITS:
            raise UserError(f"edits: direction {k!r} must be a whole number from 0 to {MAX_EDITS - 1}")
        i = int(k)
        try:
            a = float(v)
        except (TypeError, ValueError):
            raise UserError(f"edits: direction {i}: {v!r} is not a number") from None
        if not (math.isfinite(a) and -EDIT_RANGE <= a <= EDIT_RANGE):
            raise UserError(f"edits: direction {i} amount must be between -{EDIT_RANGE:g} and "
                            f"{EDIT_RANGE:g}; got {v!r}")
        if a != 0.0:
            out[i] = a
    return out

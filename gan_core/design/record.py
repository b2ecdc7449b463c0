"""The design record: one owner for what a design *is* and how it becomes pixels.

A design is (model, latent, truncation, edits, symmetry) plus the designer's own
fields (name, note, star, time). The latent is stored exactly (float32 values),
so re-opening a design, exporting it or sending it through the API gives the same
pixels, whether it came from a seed, a projection or a breeding.

Rendering, the one pipeline every caller uses::

    z  = truncate(latent, truncation)                  # pull towards the mean
    z += sum(amount * step[k] * direction[k] for k, amount in edits)   # steer (gan_core.design.directions)
    picture = G(z)                                     # uint8 (H, W[, 3])
    picture = symmetrize(picture, symmetry)            # gan_core.design.symmetry

``design.json`` (CLI) and the board (gan_core.export.board) hold ``Design.to_dict()``.
"""
from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..checkpoint import read_json, write_json
from ..errors import UserError
from .latent import check_seed, truncate, z_from_seed

DESIGN_FORMAT = 1
EDIT_RANGE = 3.0          # a direction slider runs from -EDIT_RANGE to +EDIT_RANGE
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
        from .symmetry import parse_symmetry
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


# ---- rendering ---------------------------------------------------------------------------
def effective_latent(design: Design, model) -> torch.Tensor:
    """The z (z_dim,) that ``model`` (a gan_core.design.generate.DesignModel) draws for ``design``."""
    if design.latent.shape[0] != model.z_dim:
        raise UserError(f"this design has a latent of {design.latent.shape[0]} numbers but the model "
                        f"expects {model.z_dim}; it was made with another model")
    z = truncate(torch.from_numpy(design.latent.copy()), design.truncation)
    if design.edits:
        from .directions import directions_for, edit_steps
        dirs = directions_for(model, design.directions)  # (K, z_dim) orthonormal rows, cached per model
        steps = edit_steps(model, design.directions)     # latent distance per slider unit, per direction
        for i, amount in design.edits.items():
            if i >= dirs.shape[0]:
                raise UserError(f"edits: direction {i} does not exist; this model has {dirs.shape[0]}")
            z = z + (amount * float(steps[i])) * dirs[i]
    return z


def render(design: Design, model) -> np.ndarray:
    """The design's picture (H, W[, 3]) uint8: the same pixels every time."""
    return render_many([design], model)[0]


def render_many(designs: list[Design], model) -> np.ndarray:
    """Pictures of several designs of one model, generated in one batch."""
    if not designs:
        raise UserError("no designs to draw")
    z = torch.stack([effective_latent(d, model) for d in designs])
    pictures = model.from_latents(z)
    return apply_symmetries(pictures, [d.symmetry for d in designs])


def apply_symmetries(pictures: np.ndarray, specs) -> np.ndarray:
    from .symmetry import symmetrize
    return np.stack([symmetrize(p, s) if s != "none" else p for p, s in zip(pictures, specs)])


def morph_designs(designs: list[Design], model, frames: int = 48, loop: bool = False,
                  easing: str = "linear") -> np.ndarray:
    """(frames, H, W[, 3]): a slerp morph through the designs' effective (edited) latents.
    The first design's symmetry applies to every frame."""
    from .latent import morph_path
    if len(designs) < 2:
        raise UserError("a morph needs at least two designs")
    keys = torch.stack([effective_latent(d, model) for d in designs])
    pictures = model.from_latents(morph_path(keys, frames, loop=loop, easing=easing))
    return apply_symmetries(pictures, [designs[0].symmetry] * len(pictures))

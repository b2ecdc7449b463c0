"""How a design becomes pixels: the one pipeline every caller uses, and what is drawn with it.

    z  = truncate(latent, truncation)                  # pull towards the mean
    z += sum(amount * step[k] * direction[k] for k, amount in edits)   # steer (gan_core.design.directions)
    picture = G(z)                                     # uint8 (H, W[, 3])
    picture = symmetrize(picture, symmetry)            # gan_core.design.symmetry

``render`` / ``render_many`` draw designs (gan_core.design.record), ``morph_designs`` a morph
through them, ``direction_strips`` a design moved along each direction (the sliders' previews).
"""
from __future__ import annotations

import numpy as np
import torch

from ..data.images import make_grid
from ..errors import UserError
from .directions import check_count, directions_for, edit_steps
from .latent import morph_path, truncate
from .record import Design
from .symmetry import symmetrize

AMOUNTS = (-3.0, 0.0, 3.0)  # a preview strip: the design at -3, 0, +3 along one direction


def effective_latent(design: Design, model) -> torch.Tensor:
    """The z (z_dim,) that ``model`` (a gan_core.design.generate.DesignModel) draws for ``design``."""
    if design.latent.shape[0] != model.z_dim:
        raise UserError(f"this design has a latent of {design.latent.shape[0]} numbers but the model "
                        f"expects {model.z_dim}; it was made with another model")
    z = truncate(torch.from_numpy(design.latent.copy()), design.truncation)
    if design.edits:
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
    return np.stack([symmetrize(p, s) if s != "none" else p for p, s in zip(pictures, specs)])


def morph_designs(designs: list[Design], model, frames: int = 48, loop: bool = False,
                  easing: str = "linear") -> np.ndarray:
    """(frames, H, W[, 3]): a slerp morph through the designs' effective (edited) latents. Any
    designs of one model are keyframes (seeds, saved, projected, sketched, bred); designs of
    two models are refused, naming both. The first design's symmetry applies to every frame."""
    if len(designs) < 2:
        raise UserError("a morph needs at least two designs")
    check_one_model(designs)
    keys = torch.stack([effective_latent(d, model) for d in designs])
    pictures = model.from_latents(morph_path(keys, frames, loop=loop, easing=easing))
    return apply_symmetries(pictures, [designs[0].symmetry] * len(pictures))


def check_one_model(designs: list[Design]) -> None:
    """Keyframes (seeds, saved, projected, sketched or bred designs) must all be of one model: a
    latent means nothing to another generator."""
    for d in designs[1:]:
        if d.model != designs[0].model:
            raise UserError(f"these keyframes come from two models, {designs[0].model!r} and {d.model!r}; "
                            f"a morph runs through the designs of one model")


def direction_strips(model, base, count: int = 10, amounts=AMOUNTS) -> np.ndarray:
    """Preview strips: (count, len(amounts), H, W[, 3]) uint8, row k = ``base`` with direction k
    set to each amount (the slider's position; the base's other edits stay)."""
    if not isinstance(base, Design):
        raise UserError("direction strips need a design to start from")
    dirs = directions_for(model, base.directions)
    count = min(check_count(count, model.z_dim), dirs.shape[0])
    amounts = [float(a) for a in amounts]
    if not amounts:
        raise UserError("direction strips need at least one amount")
    designs = [base.replace(edits={**base.edits, k: a}) for k in range(count) for a in amounts]
    pictures = render_many(designs, model)
    return pictures.reshape(count, len(amounts), *pictures.shape[1:])


def strips_picture(strips: np.ndarray, gap: int = 6) -> np.ndarray:
    """One picture of the strips: a row per direction, ``gap`` white pixels between rows."""
    rows = [make_grid(row, nrow=len(row), padding=2) for row in strips]
    spacer = np.full((gap, *rows[0].shape[1:]), 255, np.uint8)
    parts = []
    for r in rows:
        parts += [r, spacer]
    return np.concatenate(parts[:-1])

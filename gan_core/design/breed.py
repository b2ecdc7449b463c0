"""Breeding: children of two or more saved designs (Artbreeder's idea on the designer's own model).

Each child takes two different parents at random and crosses their *effective* latents
(truncation and edits applied, so a child inherits what the designer saw):

- ``slerp``: a point on the great-circle arc between them at a random t in [0.15, 0.85]
  (the ends are copies of a parent, not children);
- ``mask``: each latent number from one parent or the other, at random.

Then a Gaussian mutation: ``z = sqrt(1 - m^2) * cross + m * eps`` with eps ~ N(0, I) and
m = ``mutation`` (0..1). The mix keeps a typical latent's length (what G was trained on);
m = 0 is pure crossover, m = 1 a fresh random design. Everything is drawn from one
generator seeded by ``seed``: the same parents and seed give the same children.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from ..errors import UserError
from .latent import check_seed, slerp
from .record import Design
from .render import effective_latent

CROSSOVERS = ("slerp", "mask")
MAX_CHILDREN = 64
T_RANGE = (0.15, 0.85)  # slerp t: children, not copies of a parent


def _check(parents, children, mutation, crossover) -> None:
    if not isinstance(parents, (list, tuple)) or len(parents) < 2:
        n = len(parents) if isinstance(parents, (list, tuple)) else 0
        raise UserError(f"breeding needs at least two parent designs; got {n}. Save or pick another design")
    if not all(isinstance(p, Design) for p in parents):
        raise UserError("breeding parents must be designs")
    models = sorted({p.model for p in parents})
    if len(models) > 1:
        raise UserError(f"the parents come from different models ({', '.join(models)}); "
                        f"breed designs of one model")
    if isinstance(children, bool) or not isinstance(children, int) or not 1 <= children <= MAX_CHILDREN:
        raise UserError(f"children must be a whole number between 1 and {MAX_CHILDREN}; got {children!r}")
    if isinstance(mutation, bool) or not isinstance(mutation, (int, float)) \
            or not (math.isfinite(mutation) and 0.0 <= mutation <= 1.0):
        raise UserError(f"mutation must be a number between 0 and 1; got {mutation!r}")
    if crossover not in CROSSOVERS:
        raise UserError(f"crossover must be one of {', '.join(CROSSOVERS)}; got {crossover!r}")


def breed(parents: list[Design], model, children: int = 8, mutation: float = 0.3, seed: int = 0,
          crossover: str = "slerp") -> list[Design]:
    """``children`` new designs (origin "breed") crossing ``parents`` of ``model``.

    The children carry their full latent (truncation 1, no edits) and the first parent's
    symmetry; their note names the two parents they came from.
    """
    _check(parents, children, mutation, crossover)
    seed = check_seed(seed)
    keys = torch.stack([effective_latent(p, model).cpu().float() for p in parents])  # (P, z_dim)
    gen = torch.Generator().manual_seed(seed)
    m = float(mutation)
    out = []
    for _ in range(children):
        a, b = torch.randperm(len(parents), generator=gen)[:2].tolist()
        if crossover == "slerp":
            t = T_RANGE[0] + (T_RANGE[1] - T_RANGE[0]) * float(torch.rand((), generator=gen))
            cross = slerp(keys[a], keys[b], t)
        else:
            mask = torch.rand(keys.shape[1], generator=gen) < 0.5
            cross = torch.where(mask, keys[a], keys[b])
        eps = torch.randn(keys.shape[1], generator=gen)
        z = math.sqrt(1.0 - m * m) * cross + m * eps
        pa, pb = parents[a], parents[b]
        out.append(Design(model=pa.model, latent=z.numpy().astype(np.float32), truncation=1.0,
                          directions=pa.directions, symmetry=parents[0].symmetry, origin="breed",
                          note=f"child of {pa.name or pa.id} and {pb.name or pb.id} "
                               f"({crossover}, mutation {m:g}, seed {seed})"))
    return out

"""Principal latent directions of a generator: what the Explore sliders steer along.

``sefa``: closed form from G's first layer (Shen & Zhou, "Closed-Form Factorization of
Latent Semantics in GANs", 2021): the first layer's weight reshaped to [z_dim, rest],
each column normalised, and the eigenvectors of W·Wᵀ sorted by eigenvalue. Milliseconds,
no sampling. Cached per loaded model.
"""
from __future__ import annotations

import threading

import torch

from .errors import UserError

MAX_DIRECTIONS = 32
_lock = threading.Lock()


@torch.no_grad()
def sefa_directions(G, count: int = MAX_DIRECTIONS) -> tuple[torch.Tensor, torch.Tensor]:
    """(directions (count, z_dim) orthonormal rows, eigenvalues (count,)), largest first."""
    first = G.net[0]  # ConvTranspose2d(z_dim, C, 4): weight [z_dim, C, 4, 4]
    w = first.weight.detach().float().cpu().reshape(first.weight.shape[0], -1)  # [z_dim, rest]
    w = w / w.norm(dim=0, keepdim=True).clamp_min(1e-12)   # normalise each column
    values, vectors = torch.linalg.eigh(w @ w.T)           # ascending
    order = values.argsort(descending=True)[:count]
    return vectors[:, order].T.contiguous(), values[order]


def directions_for(model, method: str = "sefa") -> torch.Tensor:
    """(K, z_dim) directions of a loaded DesignModel, computed once per model object."""
    cache = model.__dict__.setdefault("_directions", {})
    with _lock:
        if method not in cache:
            if method == "sefa":
                cache[method] = sefa_directions(model.G)[0]
            else:
                raise UserError(f"directions: unknown method {method!r}")
        return cache[method]

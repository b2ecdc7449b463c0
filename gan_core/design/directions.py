"""Principal latent directions of a generator: what the Explore sliders steer along.

``sefa`` (the default): closed form from G's first layer (Shen & Zhou, "Closed-Form
Factorization of Latent Semantics in GANs", 2021): the first layer's weight reshaped to
[z_dim, rest], each column normalised, and the eigenvectors of W·Wᵀ sorted by eigenvalue.
Milliseconds, no sampling.

``ganspace`` (Härkönen et al. 2020, the BigGAN variant): PCA of G's first-block activations
over ``GANSPACE_SAMPLES`` latents of a fixed seed, each component regressed back to z by
least squares, then orthonormalised in order. About a second; measured against SeFa in
``benchmarks/bench_directions.py``.

Both give orthonormal rows sorted by importance, with a fixed sign (each direction's largest
component is positive): ``eigh`` may return either sign, and an edit must give the same
pixels on every machine. Cached per loaded model.

Slider units are calibrated per direction (``edit_steps``): the directions' effects differ by
an order of magnitude (on the bundled rims SeFa's first eigenvalue is 10x the next ones, so a
unit step along it redraws the rim while ±9 along the fifth barely shows). A slider at its
end (±3) moves the latent by whatever distance changes the picture by ``FULL_SLIDER_CHANGE``
grey levels on average over a few fixed seeds, so every slider does something visible and
none destroys the design. The steps depend on the weights only (fixed seeds, rounded), so a
saved edit draws the same pixels again. The sliders' preview strips are drawn by
``gan_core.design.render.direction_strips``.
"""
from __future__ import annotations

import threading

import numpy as np
import torch

from ..errors import UserError
from .latent import z_from_seeds

EDIT_RANGE = 3.0            # a direction slider runs from -EDIT_RANGE to +EDIT_RANGE (slider units)
MAX_DIRECTIONS = 32
GANSPACE_SAMPLES = 2000
FULL_SLIDER_CHANGE = 22.0   # mean |pixel change| (of 255) at a slider's end, per direction
CALIBRATION_SEEDS = 4       # latents the change is averaged over
MAX_STEP = 4.0              # z units per slider unit at most (±12 at the ends: far, but on the prior)
CALIBRATED = 12             # directions calibrated one by one; later ones take the median step of 1..11
_lock = threading.Lock()


def _first_layer(G) -> torch.nn.Module:
    first = G.net[0] if hasattr(G, "net") and len(G.net) else None
    if not isinstance(first, torch.nn.ConvTranspose2d) or first.weight.shape[0] != G.cfg.z_dim:
        raise UserError("directions: this generator does not start with a z_dim-input layer; "
                        "SeFa needs one")
    return first


def _fix_signs(vectors: torch.Tensor) -> torch.Tensor:
    """Rows with their largest-magnitude component made positive (a deterministic sign)."""
    idx = vectors.abs().argmax(dim=1, keepdim=True)
    return vectors * torch.sign(vectors.gather(1, idx)).clamp_min(0).mul(2).sub(1)


def check_count(count, z_dim: int) -> int:
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or not 1 <= count <= MAX_DIRECTIONS:
        raise UserError(f"directions: count must be a whole number from 1 to {MAX_DIRECTIONS}; got {count!r}")
    return min(int(count), z_dim)


@torch.no_grad()
def sefa_directions(G, count: int = MAX_DIRECTIONS) -> tuple[torch.Tensor, torch.Tensor]:
    """(directions (count, z_dim) orthonormal rows, eigenvalues (count,)), largest first."""
    first = _first_layer(G)  # ConvTranspose2d(z_dim, C, 4): weight [z_dim, C, 4, 4]
    count = check_count(count, G.cfg.z_dim)
    w = first.weight.detach().double().cpu().reshape(first.weight.shape[0], -1)  # [z_dim, rest]
    w = w / w.norm(dim=0, keepdim=True).clamp_min(1e-12)   # normalise each column
    values, vectors = torch.linalg.eigh(w @ w.T)           # ascending; float64 for stable order
    order = values.argsort(descending=True)[:count]
    return _fix_signs(vectors[:, order].T).float().contiguous(), values[order].float()


@torch.no_grad()
def ganspace_directions(G, count: int = MAX_DIRECTIONS, samples: int = GANSPACE_SAMPLES,
                        seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(directions (count, z_dim) orthonormal rows, explained variances (count,)), largest first."""
    _first_layer(G)
    count = check_count(count, G.cfg.z_dim)
    device = next(G.parameters()).device
    z = torch.randn(samples, G.cfg.z_dim, generator=torch.Generator().manual_seed(seed))
    head = G.net[:3]  # first block: ConvTranspose2d, BatchNorm, activation -> (N, C, 4, 4)
    acts = torch.cat([head(z[i:i + 500, :, None, None].to(device)).flatten(1).double().cpu()
                      for i in range(0, samples, 500)])
    acts = acts - acts.mean(0)
    # randomized PCA of the top components only: a full SVD of (N, C*16) takes minutes on a CPU
    with torch.random.fork_rng(devices=[]):  # svd_lowrank draws from the global RNG: keep it fixed, untouched
        torch.manual_seed(seed)
        _, s, v = torch.svd_lowrank(acts, q=min(count + 16, *acts.shape), niter=6)
    s, v = s[:count], v[:, :count]
    coords = acts @ v                                     # (N, count) PCA coordinates
    basis = torch.linalg.lstsq(coords, z.double()).solution  # (count, z_dim): z ~ coords @ basis
    q, _ = torch.linalg.qr(basis.T)                        # orthonormal, in PCA order
    variances = s ** 2 / (samples - 1)
    return _fix_signs(q.T).float().contiguous(), variances.float()


def directions_for(model, method: str = "sefa") -> torch.Tensor:
    """(K, z_dim) directions of a loaded DesignModel, computed once per model object."""
    cache = model.__dict__.setdefault("_directions", {})
    with _lock:
        if method not in cache:
            if method == "sefa":
                cache[method] = sefa_directions(model.G)[0]
            elif method == "ganspace":
                cache[method] = ganspace_directions(model.G)[0]
            else:
                raise UserError(f"directions: unknown method {method!r}; use sefa or ganspace")
        return cache[method]


def edit_steps(model, method: str = "sefa") -> torch.Tensor:
    """(K,) latent distance per slider unit for each direction of ``directions_for(model, method)``."""
    cache = model.__dict__.setdefault("_edit_steps", {})
    dirs = directions_for(model, method)
    with _lock:
        if method not in cache:
            cache[method] = _calibrate(model, dirs)
        return cache[method]


@torch.no_grad()
def _calibrate(model, all_dirs: torch.Tensor, iterations: int = 7) -> torch.Tensor:
    """Bisection per direction (all directions in one batch per iteration) for the distance whose
    mean pixel change is FULL_SLIDER_CHANGE, divided by the slider's end (3). Only the first
    CALIBRATED directions are measured (sliders show at most 10); the rest, whose eigenvalues are
    close together, take the median of the measured ones after the first."""
    z = z_from_seeds(range(CALIBRATION_SEEDS), model.z_dim)
    base = model.from_latents(z).astype(np.float32)
    dirs = all_dirs[:CALIBRATED]
    k = dirs.shape[0]
    lo, hi = torch.zeros(k), torch.full((k,), MAX_STEP * EDIT_RANGE)
    for _ in range(iterations):
        mid = (lo + hi) / 2
        moved = z[None] + (mid[:, None] * dirs)[:, None, :]          # (K, seeds, z_dim)
        pics = model.from_latents(moved.reshape(-1, model.z_dim)).astype(np.float32)
        change = np.abs(pics.reshape(k, CALIBRATION_SEEDS, -1) - base.reshape(1, CALIBRATION_SEEDS, -1))
        too_far = torch.from_numpy(change.mean(axis=(1, 2)) > FULL_SLIDER_CHANGE)
        hi = torch.where(too_far, mid, hi)
        lo = torch.where(too_far, lo, mid)
    steps = ((lo + hi) / 2) / EDIT_RANGE
    if all_dirs.shape[0] > k:
        rest = steps[1:].median() if k > 1 else steps[0]
        steps = torch.cat([steps, rest.repeat(all_dirs.shape[0] - k)])
    return (steps * 100).round().clamp_min(1) / 100  # rounded: float noise never changes a saved edit

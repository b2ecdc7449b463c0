"""Latent tools: a seed is the latent API.

``z_from_seed`` draws on the CPU with its own generator and only then moves
the latent, so a seed gives the same design on CPU, CUDA and MPS.
"""
from __future__ import annotations

import math

import torch

from ..errors import UserError

MAX_SEED = 2**31 - 1
EASINGS = ("linear", "ease")


def check_seed(seed) -> int:
    """A valid seed as int (accepts "12" and 12.0 from text boxes and sliders)."""
    if isinstance(seed, bool):
        raise UserError(f"seed must be a whole number between 0 and {MAX_SEED}; got {seed!r}")
    if not isinstance(seed, int):
        try:
            f = float(seed)
        except (TypeError, ValueError):
            raise UserError(f"seed must be a whole number between 0 and {MAX_SEED}; got {seed!r}") from None
        if not f.is_integer():
            raise UserError(f"seed must be a whole number between 0 and {MAX_SEED}; got {seed!r}")
        seed = int(f)
    if not 0 <= seed <= MAX_SEED:
        raise UserError(f"seed must be between 0 and {MAX_SEED}; got {seed}")
    return seed


def z_from_seed(seed: int, z_dim: int, device: str | torch.device = "cpu") -> torch.Tensor:
    """The latent (z_dim,) for a seed: N(0, I), identical on every device."""
    g = torch.Generator(device="cpu").manual_seed(check_seed(seed))
    return torch.randn(z_dim, generator=g).to(device)


def z_from_seeds(seeds, z_dim: int, device: str | torch.device = "cpu") -> torch.Tensor:
    return torch.stack([z_from_seed(s, z_dim) for s in seeds]).to(device)


def truncate(z: torch.Tensor, psi: float) -> torch.Tensor:
    """Truncation trick: pull latents towards the mean (0) of N(0, I). psi=1 is no change."""
    if not 0.0 <= float(psi) <= 2.0:
        raise UserError(f"truncation must be between 0 and 2; got {psi}")
    return z * float(psi)


def slerp(a: torch.Tensor, b: torch.Tensor, t, eps: float = 1e-6) -> torch.Tensor:
    """Spherical interpolation along the last dim; t may be a float or a tensor of shape (..., 1).

    Falls back to linear interpolation when a and b are (nearly) parallel,
    where sin(omega) -> 0 would divide by zero.
    """
    t = torch.as_tensor(t, dtype=a.dtype, device=a.device)
    an = a / a.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    bn = b / b.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    dot = (an * bn).sum(-1, keepdim=True).clamp(-1.0, 1.0)
    omega = torch.acos(dot)
    so = torch.sin(omega)
    safe = so.abs() > eps
    so_safe = torch.where(safe, so, torch.ones_like(so))
    s_a = torch.where(safe, torch.sin((1 - t) * omega) / so_safe, 1 - t)
    s_b = torch.where(safe, torch.sin(t * omega) / so_safe, t)
    return s_a * a + s_b * b


def ease(t: torch.Tensor, easing: str) -> torch.Tensor:
    if easing == "linear":
        return t
    if easing == "ease":  # cosine ease-in-out: lingers on each keyframe
        return 0.5 - 0.5 * torch.cos(math.pi * t)
    raise UserError(f"easing must be one of {', '.join(EASINGS)}; got {easing!r}")


def morph_path(keyframes: torch.Tensor, frames: int, loop: bool = False, easing: str = "linear") -> torch.Tensor:
    """Latents (frames, z_dim) visiting keyframes (K, z_dim) in order by slerp.

    Without ``loop`` the first frame is keyframe 0 and the last is keyframe K-1;
    with ``loop`` the path returns towards keyframe 0 so the animation repeats seamlessly.
    """
    k = keyframes.shape[0]
    if k < 2:
        raise UserError("a morph needs at least two keyframe seeds")
    if isinstance(frames, bool) or not isinstance(frames, int) or not 2 <= frames <= 1000:
        raise UserError(f"frames must be a whole number between 2 and 1000; got {frames!r}")
    segments = k if loop else k - 1
    denom = frames if loop else frames - 1
    u = torch.arange(frames, dtype=torch.float64) * segments / denom
    seg = u.floor().long().clamp(max=segments - 1)
    t = ease((u - seg).float(), easing).to(keyframes.dtype).unsqueeze(-1).to(keyframes.device)
    a = keyframes[seg % k]
    b = keyframes[(seg + 1) % k]
    return slerp(a, b, t)

"""Differentiable augmentation (DiffAugment, Zhao et al. 2020) for 100-image GANs.

The same random transform family is applied to real and fake images before the
critic sees them, so D cannot memorise the few real images and G still gets
gradients through the transform. All ops are batched tensor ops (no host sync).
"flip" and "rot2".."rot12" are symmetric augmentations: only for data that has that symmetry.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def _brightness(x, g):
    return x + (torch.rand(x.shape[0], 1, 1, 1, device=x.device, generator=g, dtype=x.dtype) - 0.5)


def _saturation(x, g):
    if x.shape[1] == 1:
        return x
    mean = x.mean(dim=1, keepdim=True)
    return (x - mean) * (torch.rand(x.shape[0], 1, 1, 1, device=x.device, generator=g, dtype=x.dtype) * 2) + mean


def _contrast(x, g):
    mean = x.mean(dim=[1, 2, 3], keepdim=True)
    return (x - mean) * (torch.rand(x.shape[0], 1, 1, 1, device=x.device, generator=g, dtype=x.dtype) + 0.5) + mean


def translation(x, g, ratio: float = 0.125):
    """Shift by up to ``ratio`` of the size; pixels shifted in repeat the edge (the background)."""
    n, _, h, w = x.shape
    sy, sx = int(h * ratio + 0.5), int(w * ratio + 0.5)
    ty = torch.randint(-sy, sy + 1, (n, 1, 1), device=x.device, generator=g)
    tx = torch.randint(-sx, sx + 1, (n, 1, 1), device=x.device, generator=g)
    rows, cols = torch.meshgrid(torch.arange(h, device=x.device), torch.arange(w, device=x.device), indexing="ij")
    r = torch.clamp(rows[None] + ty + 1, 0, h + 1)
    c = torch.clamp(cols[None] + tx + 1, 0, w + 1)
    xp = F.pad(x, [1, 1, 1, 1], mode="replicate").flatten(2)  # (n, c, (h+2)*(w+2))
    idx = (r * (w + 2) + c).flatten(1)[:, None, :].expand(-1, x.shape[1], -1)
    return xp.gather(2, idx).view_as(x)


def cutout(x, g, ratio: float = 0.5):
    """Blank one random square of ``ratio`` of the size per image (to 0, mid-grey)."""
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    oy = torch.randint(0, h + (1 - ch % 2), (n, 1, 1), device=x.device, generator=g) - ch // 2
    ox = torch.randint(0, w + (1 - cw % 2), (n, 1, 1), device=x.device, generator=g) - cw // 2
    rows, cols = torch.meshgrid(torch.arange(h, device=x.device), torch.arange(w, device=x.device), indexing="ij")
    inside = (rows[None] >= oy) & (rows[None] < oy + ch) & (cols[None] >= ox) & (cols[None] < ox + cw)
    return x * (~inside).unsqueeze(1).to(x.dtype)


def flip(x, g):
    """Mirror left-right with probability 1/2: for mirror-symmetric data (logos, front views)."""
    mirror = torch.rand(x.shape[0], 1, 1, 1, device=x.device, generator=g) < 0.5
    return torch.where(mirror, x.flip(3), x)


def rotation(x, g, fold: int):
    """Rotate each image by a random multiple of 360/``fold`` about its centre: for data that is
    ``fold``-fold symmetric (rims, knobs, rosettes), so every rotated real image is still a real
    one. Bilinear and differentiable; corners rotated in repeat the edge (the background).
    Multiples of 90 degrees land on pixel centres, so rot2 and rot4 move pixels exactly."""
    n = x.shape[0]
    k = torch.randint(0, fold, (n,), device=x.device, generator=g)
    angle = k.to(x.dtype) * (2 * math.pi / fold)
    cos, sin = torch.cos(angle), torch.sin(angle)
    zero = torch.zeros_like(cos)
    theta = torch.stack([torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


POLICIES = {
    "color": (_brightness, _saturation, _contrast),
    "translation": (translation,),
    "cutout": (cutout,),
    "flip": (flip,),
    # symmetric augmentation: rot2..rot12 (the names gan_core.config.AUGMENT_ROTATIONS accepts)
    **{f"rot{n}": (lambda x, g, n=n: rotation(x, g, n),) for n in range(2, 13)},
}


def diff_augment(x: torch.Tensor, policies: list[str], generator: torch.Generator | None = None) -> torch.Tensor:
    """Apply each policy's transforms in order; ``[]`` returns x unchanged."""
    for p in policies:
        for fn in POLICIES[p]:
            x = fn(x, generator)
    return x

"""Differentiable augmentation (DiffAugment, Zhao et al. 2020) for 100-image GANs.

The same random transform family is applied to real and fake images before the
critic sees them, so D cannot memorise the few real images and G still gets
gradients through the transform. All ops are batched tensor ops (no host sync).
"""
from __future__ import annotations

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


POLICIES = {
    "color": (_brightness, _saturation, _contrast),
    "translation": (translation,),
    "cutout": (cutout,),
}


def diff_augment(x: torch.Tensor, policies: list[str], generator: torch.Generator | None = None) -> torch.Tensor:
    """Apply each policy's transforms in order; ``[]`` returns x unchanged."""
    for p in policies:
        for fn in POLICIES[p]:
            x = fn(x, generator)
    return x

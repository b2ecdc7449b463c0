"""The one place that converts between the core's tensors and pictures.

Tensors are float in [-1, 1], shaped (C, H, W) or (N, C, H, W).
Pictures are uint8 numpy arrays shaped (H, W) for grayscale or (H, W, 3) for
colour, stacked as (N, H, W[, 3]).
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image


def resize_tensor(x: torch.Tensor, size: int) -> torch.Tensor:
    """(N, C, H, H) tensor -> (N, C, size, size): area averaging when shrinking, bilinear when
    growing, unchanged at its size."""
    if x.shape[-1] == size:
        return x
    return F.interpolate(x, size=(size, size), mode="area" if x.shape[-1] > size else "bilinear")


def to_uint8(t: torch.Tensor) -> np.ndarray:
    """(C,H,W) or (N,C,H,W) in [-1,1] -> (H,W[,3]) or (N,H,W[,3]) uint8."""
    if t.dim() not in (3, 4):
        raise ValueError(f"expected (C,H,W) or (N,C,H,W), got shape {tuple(t.shape)}")
    x = ((t.detach().float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).cpu()
    x = x.movedim(-3, -1)  # channels last
    if x.shape[-1] == 1:
        x = x[..., 0]
    return x.numpy()


def from_uint8(a: np.ndarray, channels: int | None = None) -> torch.Tensor:
    """(H,W[,C]) or (N,H,W[,C]) uint8 -> float (C,H,W)/(N,C,H,W) in [-1,1].

    A 2-D picture (or a 3-D stack when ``channels == 1``) is grayscale.
    """
    a = np.asarray(a)
    if a.dtype != np.uint8:
        raise ValueError(f"expected uint8 pictures, got {a.dtype}")
    t = torch.from_numpy(np.ascontiguousarray(a)).float() / 127.5 - 1
    grayscale = a.ndim == 2 or (a.ndim == 3 and (channels == 1 or a.shape[-1] not in (1, 3)))
    if grayscale:
        t = t.unsqueeze(-1)
    t = t.movedim(-1, -3)
    if channels == 3 and t.shape[-3] == 1:
        t = t.expand(*t.shape[:-3], 3, *t.shape[-2:]).clone()
    elif channels == 1 and t.shape[-3] == 3:
        w = torch.tensor([0.299, 0.587, 0.114]).view(3, 1, 1)
        t = (t * w).sum(-3, keepdim=True)
    return t.contiguous()


def make_grid(pictures: np.ndarray, nrow: int | None = None, padding: int = 2,
              pad_value: int = 255) -> np.ndarray:
    """Tile (N,H,W[,3]) uint8 pictures into one picture, ``nrow`` per row (torchvision's tiling)."""
    from torchvision.utils import make_grid as tile
    pictures = np.asarray(pictures)
    n = pictures.shape[0]
    if n == 0:
        raise ValueError("no pictures to tile")
    nrow = nrow or max(1, math.ceil(math.sqrt(n)))
    t = torch.from_numpy(np.ascontiguousarray(pictures))
    t = t.unsqueeze(1) if t.dim() == 3 else t.permute(0, 3, 1, 2)  # (N, C, H, W)
    # torchvision narrows the grid to N columns and returns a lone picture unpadded; blank
    # cells keep every grid nrow wide and padded, and the extra row they may add is cut off
    blanks = max(nrow, 2) - n
    if blanks > 0:
        t = torch.cat([t, t.new_full((blanks, *t.shape[1:]), pad_value)])
    grid = tile(t, nrow=nrow, padding=padding, pad_value=pad_value)
    rows = math.ceil(n / nrow)
    grid = grid[:, :rows * (pictures.shape[1] + padding) + padding].permute(1, 2, 0).numpy()
    return np.ascontiguousarray(grid[..., 0] if pictures.ndim == 3 else grid)


def to_pil(picture: np.ndarray) -> Image.Image:
    picture = np.asarray(picture)
    return Image.fromarray(picture, mode="L" if picture.ndim == 2 else "RGB")


def upscale(picture: np.ndarray, factor: int = 1, smooth: bool = True) -> Image.Image:
    """A PIL image ``factor`` times larger (Lanczos when smooth, else nearest)."""
    if not 1 <= int(factor) <= 32:
        raise ValueError(f"upscale factor must be between 1 and 32, got {factor}")
    img = to_pil(picture)
    if factor == 1:
        return img
    resample = Image.LANCZOS if smooth else Image.NEAREST
    return img.resize((img.width * factor, img.height * factor), resample)


def save_png(picture: np.ndarray, path: str | Path, upscale_factor: int = 1) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    upscale(picture, upscale_factor).save(path, format="PNG")
    return path

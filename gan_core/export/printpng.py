"""Print-size PNG: a 64 px design drawn again at up to 2048 px without a blocky staircase.

* Two-tone designs: a light blur at the design's own size (sigma 0.6 px takes off the pixel
  grid), a bicubic upsample, then a re-threshold halfway between the tones with a one-pixel
  anti-aliased edge (:func:`gan_core.design.tones.crisp_coverage`): crisp like a vector.
* Grey and colour designs: a Lanczos resample (keeps shading; no re-threshold).
* ``transparent``: the background becomes alpha. Two-tone designs take the edge coverage as
  alpha; grey/colour take the distance of each pixel from the background colour
  ("colour to alpha": the colour is un-mixed from the background so edges show no halo).
"""
from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from ..design.tones import Tones, analyse, check_picture, crisp_coverage, ink
from ..errors import UserError

MIN_SIZE, MAX_SIZE = 64, 2048
_FULL_INK = 0.5   # ink distance (0..1) from which a pixel is fully opaque in a transparent export
_NO_INK = 0.02    # below this distance a pixel is background (generator noise stays fully transparent)


def check_print_size(size) -> int:
    """A print size in px (longest side), 64..2048."""
    if isinstance(size, float) and size.is_integer():
        size = int(size)
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not MIN_SIZE <= size <= MAX_SIZE:
        raise UserError(f"print size must be a whole number of pixels from {MIN_SIZE} to {MAX_SIZE}; got {size!r}")
    return int(size)


def two_tones(info: Tones) -> tuple[float, float]:
    """(ink tone, background tone) of a two-tone design."""
    dark_ground = float(info.background.mean()) < info.threshold
    return (info.high, info.low) if dark_ground else (info.low, info.high)


def ink_coverage(picture: np.ndarray, info: Tones, out_w: int, out_h: int) -> np.ndarray:
    """float32 (out_h, out_w) in 0..1: the share of ink in each pixel of a two-tone design drawn
    at a larger size. The print PNG and the SVG trace (``>= 0.5``) both use it, so they agree."""
    gray = picture if picture.ndim == 2 else picture[..., 0]
    # sigma 0.6 px at the design's size takes off the pixel grid before the bicubic upsample
    soft = cv2.GaussianBlur(gray.astype(np.float32), (0, 0), 0.6, borderType=cv2.BORDER_REPLICATE)
    big = cv2.resize(soft, (out_w, out_h), interpolation=cv2.INTER_CUBIC)
    above = crisp_coverage(big, info.threshold)
    return above if float(info.background.mean()) < info.threshold else 1.0 - above


def print_png(picture, size: int = 1024, transparent: bool = False) -> Image.Image:
    """The design picture (H, W[, 3]) uint8 as a PIL image ``size`` px on its longest side.

    Mode L/RGB, or LA/RGBA when ``transparent``. Save it with ``img.save(path, "PNG")``.
    """
    picture = check_picture(picture)
    size = check_print_size(size)
    h, w = picture.shape[:2]
    out_w, out_h = (size, max(1, round(size * h / w))) if w >= h else (max(1, round(size * w / h)), size)
    info = analyse(picture)
    if info.binary:
        ink_tone, bg_tone = two_tones(info)
        cover = ink_coverage(picture, info, out_w, out_h)
        if transparent:
            alpha = np.rint(cover * 255).astype(np.uint8)
            return Image.fromarray(np.stack([np.full_like(alpha, round(ink_tone)), alpha], axis=2), "LA")
        tone = np.clip(np.rint(bg_tone + cover * (ink_tone - bg_tone)), 0, 255).astype(np.uint8)
        return Image.fromarray(tone, "L") if picture.ndim == 2 else Image.fromarray(np.repeat(
            tone[..., None], 3, axis=2), "RGB")
    img = Image.fromarray(picture, "L" if picture.ndim == 2 else "RGB").resize((out_w, out_h), Image.LANCZOS)
    if not transparent:
        return img
    a = np.asarray(img).astype(np.float32)
    bg = info.background if picture.ndim == 3 else info.background[:1]
    alpha = np.clip((ink(np.asarray(img), bg) - _NO_INK) / (_FULL_INK - _NO_INK), 0.0, 1.0)
    a3 = a if a.ndim == 3 else a[..., None]
    unmixed = bg + (a3 - bg) / np.maximum(alpha, 1e-3)[..., None]  # p = alpha*colour + (1-alpha)*bg
    colour = np.clip(np.rint(unmixed), 0, 255).astype(np.uint8)
    a8 = np.rint(alpha * 255).astype(np.uint8)
    if picture.ndim == 2:
        return Image.fromarray(np.stack([colour[..., 0], a8], axis=2), "LA")
    return Image.fromarray(np.concatenate([colour, a8[..., None]], axis=2), "RGBA")

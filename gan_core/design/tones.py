"""What a design picture is made of: its background colour, its ink, and whether it is two-tone.

Symmetry, SVG tracing and print-size PNGs all need the same three answers, so they
live here once:

* the background is the median colour of the picture's border (designs are drawn
  on a plain ground, and the border is where the design is not);
* the ink is how far each pixel is from that background (0 = background);
* a design is *binary* (two-tone) when most pixels of each of its two Otsu classes sit
  close to that class's grey level; a GAN draws such designs with a thin anti-aliased
  edge, so "most" leaves room for the edge pixels.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..errors import UserError

# a pixel "sits on a tone" when it is within this fraction of the two tones' gap
_NEAR_TONE = 0.15
# share of each tone's pixels (dark class, light class) that must sit on it for a two-tone
# design: GAN rims and icons at 64 px score 0.7-0.95 (the rest is their anti-aliased edge),
# a shaded or graded design far less (a grey ramp on white: ~0.5)
_BINARY_SHARE = 0.65
_MIN_GAP = 64  # two tones closer than this (of 255) are shading, not a two-tone design


@dataclass(frozen=True)
class Tones:
    """The tones of a picture, from :func:`analyse`."""
    background: np.ndarray   # float32 (C,) background colour (C = 1 grey, 3 colour)
    binary: bool             # two-tone (grey) design
    low: float = 0.0         # binary only: the darker tone (0..255)
    high: float = 255.0      # binary only: the lighter tone
    exact: bool = False      # binary only: the picture holds exactly two values (no anti-aliasing)

    @property
    def threshold(self) -> float:
        """Grey level halfway between the two tones (binary designs)."""
        return (self.low + self.high) / 2

    @property
    def ink_tone(self) -> float:
        """The tone that is not the background (binary designs)."""
        bg = float(self.background.mean())
        return self.low if abs(self.low - bg) > abs(self.high - bg) else self.high


def check_picture(picture) -> np.ndarray:
    """A design picture: uint8 (H, W) grey or (H, W, 3) colour, at least 4x4 px."""
    a = np.asarray(picture)
    if a.dtype != np.uint8 or not (a.ndim == 2 or (a.ndim == 3 and a.shape[2] == 3)):
        raise UserError(f"a design picture must be uint8 (H, W) or (H, W, 3); got {a.dtype} {a.shape}")
    if min(a.shape[:2]) < 4:
        raise UserError(f"a design picture must be at least 4x4 pixels; got {a.shape[1]}x{a.shape[0]}")
    return a


def gray_of(picture: np.ndarray) -> np.ndarray | None:
    """The picture as (H, W) grey when it has no colour (grey, or RGB with equal channels), else None."""
    if picture.ndim == 2:
        return picture
    spread = picture.max(axis=2).astype(np.int16) - picture.min(axis=2)
    return picture[..., 0] if int(spread.max()) <= 8 else None


def background_colour(picture: np.ndarray) -> np.ndarray:
    """float32 (C,): median colour of the border pixels."""
    a = picture if picture.ndim == 3 else picture[..., None]
    border = np.concatenate([a[0], a[-1], a[1:-1, 0], a[1:-1, -1]])
    return np.median(border, axis=0).astype(np.float32)


def ink(picture: np.ndarray, background: np.ndarray | None = None) -> np.ndarray:
    """float32 (H, W) in 0..1: distance of each pixel from the background colour."""
    bg = background_colour(picture) if background is None else background
    a = picture.astype(np.float32)
    if a.ndim == 2:
        return np.abs(a - bg[0]) / 255.0
    return np.sqrt(((a - bg) ** 2).sum(axis=2) / 3.0) / 255.0


def analyse(picture) -> Tones:
    """Background colour and two-tone test of a design picture (from its grey histogram: fast)."""
    picture = check_picture(picture)
    bg = background_colour(picture)
    gray = gray_of(picture)
    if gray is None:
        return Tones(background=bg, binary=False)
    hist = np.bincount(gray.ravel(), minlength=256).astype(np.float64)
    values = np.flatnonzero(hist)
    if values.size <= 2:
        return Tones(background=bg, binary=values.size == 2, low=float(values[0]), high=float(values[-1]),
                     exact=True)
    t = _otsu(hist)
    lo, hi = _median(hist[:t + 1], 0), _median(hist[t + 1:], t + 1)
    gap = hi - lo
    if gap < _MIN_GAP:
        return Tones(background=bg, binary=False)
    levels = np.arange(256)
    on_lo = hist[np.abs(levels - lo) <= _NEAR_TONE * gap].sum() / hist[:t + 1].sum()
    on_hi = hist[np.abs(levels - hi) <= _NEAR_TONE * gap].sum() / hist[t + 1:].sum()
    return Tones(background=bg, binary=bool(min(on_lo, on_hi) >= _BINARY_SHARE), low=lo, high=hi)


def _otsu(hist: np.ndarray) -> int:
    """Otsu's threshold t of a 256-bin histogram: values <= t are the dark class."""
    p = hist / hist.sum()
    w0 = np.cumsum(p)
    mu = np.cumsum(p * np.arange(256))
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mu[-1] * w0 - mu) ** 2 / (w0 * (1 - w0))
    return int(np.nanargmax(np.where(np.isfinite(between), between, np.nan)))


def _median(hist: np.ndarray, offset: int) -> float:
    """Median level of a histogram slice; the classes' typical tone (edge pixels do not pull it)."""
    c = np.cumsum(hist)
    return float(offset + np.searchsorted(c, c[-1] / 2))


def crisp_coverage(field: np.ndarray, threshold: float) -> np.ndarray:
    """float32 (H, W) in 0..1: where the smooth ``field`` is above ``threshold``, with a one-pixel edge.

    A hard threshold of a smooth field gives a staircase; dividing the distance to the
    threshold by the field's local slope gives each edge pixel its share of the shape
    (the signed-distance trick font renderers use), so edges are crisp and anti-aliased.
    """
    f = field.astype(np.float32)
    gx = cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3, scale=0.125)
    gy = cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3, scale=0.125)
    slope = np.sqrt(gx * gx + gy * gy)
    cover = (f - threshold) / np.maximum(slope, 1e-3) + 0.5
    return np.clip(cover, 0.0, 1.0)

"""Symmetry for designs: N-fold rotation (rot2..rot12) or mirrors (mirror-lr, mirror-tb, mirror-both).

Specs are short strings so they travel in design records and API calls:
``none``, ``rotN`` (N = 2..12), ``mirror-lr`` (left-right), ``mirror-tb`` (top-bottom),
``mirror-both``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import cv2
import numpy as np

from ..errors import UserError
from .tones import Tones, analyse, background_colour, check_picture, crisp_coverage, ink

MIRRORS = ("mirror-lr", "mirror-tb", "mirror-both")
MIN_FOLD, MAX_FOLD = 2, 12


@dataclass(frozen=True)
class Symmetry:
    spec: str
    fold: int = 0          # N for rotN, else 0
    mirror: str = ""       # lr | tb | both | ""


def parse_symmetry(spec) -> Symmetry:
    """A symmetry spec string (none, rot2..rot12, mirror-lr/tb/both) checked and normalised."""
    s = str(spec if spec is not None else "none").strip().lower()
    if s in ("", "none", "off"):
        return Symmetry("none")
    if s in MIRRORS:
        return Symmetry(s, mirror=s.split("-")[1])
    m = re.fullmatch(r"rot(?:ation)?[-_ ]?(\d+)", s)
    if m and MIN_FOLD <= int(m.group(1)) <= MAX_FOLD:
        return Symmetry(f"rot{int(m.group(1))}", fold=int(m.group(1)))
    raise UserError(f"symmetry must be none, rot{MIN_FOLD}..rot{MAX_FOLD} (N-fold rotation), "
                    f"{', '.join(MIRRORS)}; got {spec!r}")


def design_centre(picture) -> tuple[float, float]:
    """(x, y) in pixels: the centroid of the design's ink against its background.

    A design drawn off the picture's centre is made symmetric about *its own* centre,
    not the canvas's; a blank picture falls back to the canvas centre.
    """
    picture = check_picture(picture)
    return _centre(picture, ink(picture, background_colour(picture)))


def _centre(picture: np.ndarray, weight: np.ndarray) -> tuple[float, float]:
    h, w = picture.shape[:2]
    m = cv2.moments(weight)
    if m["m00"] < 1e-3 * h * w:
        return (w - 1) / 2, (h - 1) / 2
    return m["m10"] / m["m00"], m["m01"] / m["m00"]


def _transforms(sym: Symmetry, cx: float, cy: float) -> list[np.ndarray]:
    """The 2x3 affine maps of the symmetry group about (cx, cy), identity first."""
    if sym.fold:
        return [cv2.getRotationMatrix2D((cx, cy), 360.0 * k / sym.fold, 1.0) for k in range(sym.fold)]
    lr = np.array([[-1, 0, 2 * cx], [0, 1, 0]], np.float64)   # x -> 2cx - x
    tb = np.array([[1, 0, 0], [0, -1, 2 * cy]], np.float64)   # y -> 2cy - y
    both = np.array([[-1, 0, 2 * cx], [0, -1, 2 * cy]], np.float64)
    eye = np.array([[1, 0, 0], [0, 1, 0]], np.float64)
    return {"lr": [eye, lr], "tb": [eye, tb], "both": [eye, lr, tb, both]}[sym.mirror]


def symmetrize(picture: np.ndarray, spec) -> np.ndarray:
    """The picture (H, W[, 3]) uint8 made symmetric under ``spec``, same size and dtype.

    The copies of the picture under every rotation by 360/N (or every mirror) about the
    design's own centre are averaged, so sectors meet without a seam; bicubic
    interpolation keeps curves smooth. A two-tone design is thresholded again so it
    stays two-tone (exactly two values if it had exactly two; otherwise with a one-pixel
    anti-aliased edge, :func:`gan_core.design.tones.crisp_coverage`); grey and colour keep their tones.
    """
    sym = parse_symmetry(spec)
    picture = check_picture(picture)
    if sym.spec == "none":
        return picture
    tones = analyse(picture)
    bg = tones.background if picture.ndim == 3 else tones.background[:1]
    cx, cy = _centre(picture, ink(picture, bg))
    h, w = picture.shape[:2]
    src = picture.astype(np.float32)
    fill = tuple(float(v) for v in (bg if picture.ndim == 3 else bg.repeat(3)))  # cv2 wants a 3/4-tuple
    acc = np.zeros_like(src)
    maps = _transforms(sym, cx, cy)
    for m in maps:
        acc += cv2.warpAffine(src, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT,
                              borderValue=fill)
    avg = acc / len(maps)
    if tones.binary:
        return _rethreshold(avg if avg.ndim == 2 else avg.mean(axis=2), tones, picture.ndim)
    return np.clip(np.rint(avg), 0, 255).astype(np.uint8)


def _rethreshold(gray: np.ndarray, tones: Tones, ndim: int) -> np.ndarray:
    """Two-tone again: where the average crosses halfway between the tones is the edge."""
    lo, hi = tones.low, tones.high
    # where exactly half the copies have ink (common for even N) the average sits on the
    # midpoint and rounding noise would pick ink or not at random; lean to ink, so the
    # result is itself symmetric and thin strokes do not vanish
    lean = 0.05 * (hi - lo) * (1 if float(tones.background.mean()) >= tones.threshold else -1)
    if tones.exact:
        out = np.where(gray > tones.threshold + lean, hi, lo)
    else:  # keep a one-pixel anti-aliased edge, as the generator draws it
        out = lo + crisp_coverage(gray, tones.threshold + lean) * (hi - lo)
    out = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    return out if ndim == 2 else np.repeat(out[..., None], 3, axis=2)

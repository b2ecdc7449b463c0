"""Colour product photos -> the object on white: a smooth backdrop model and a soft matte.

Photos of coloured objects rarely sit on an even backdrop: a studio sweep is lit from
one side, tinted by the room, and noisy. A single "background colour" (the grayscale
modes' border median) then leaves a shaded band or eats into the object. Here:

1. the backdrop is modelled per channel as a low-order polynomial in (x, y), fitted by
   robust least squares to a band of border pixels (object parts that touch the border
   are rejected as outliers), so a gradient or vignette is followed across the picture;
2. a pixel's distance from the *local* backdrop colour, in units of the border's own
   noise, says how likely it belongs to the object; a ramp between two multiples of the
   noise gives a soft matte (alpha), so blurred, anti-aliased edges blend rather than
   fringe;
3. small holes inside the object whose colour is near the backdrop's but not the backdrop
   itself (a dark part on a dark backdrop) are kept as object; holes that match the local
   backdrop within its noise are see-through (the gaps between a wheel's spokes, a
   handle's eye) and, with the rest of the backdrop, become white (black with ``invert``);
4. at the edge, alpha is refined by where a pixel lies between the local backdrop and
   the colour of the object's nearby interior (``refine_edges``);
5. the object's colour under a partly transparent edge pixel is recovered as
   (I - (1 - alpha) B) / alpha before it is composited, so no backdrop tint bleeds in.

``clean_colour`` returns the cleaned RGB picture and the matte; ``preprocess.clean_image``
calls it for ``CleanupConfig(mode="color")``. Measured on ../shared/data/twemoji-objects-raw
against its clean ground truth by ``benchmarks/bench_colour_cleanup.py``.
"""
from __future__ import annotations

import cv2
import numpy as np

BORDER = 0.06        # width of the border band the backdrop is fitted on, as a fraction of the side
ORDER = 2            # polynomial order of the backdrop model (2: gradients and a centred vignette)
FIT_SIDE = 96        # the model is fitted on a copy this small (smooth, so nothing is lost)
LOW, HIGH = 4.0, 8.0  # matte ramp: alpha 0 below LOW x noise, 1 above HIGH x noise
HOLE_SHARE = 0.15   # backdrop-coloured holes smaller than this share of the object stay object ...
SEE_THROUGH = 2.0   # ... unless their mean distance from the backdrop model is below this x noise


def _design(xs: np.ndarray, ys: np.ndarray, order: int) -> np.ndarray:
    """Polynomial terms x^i y^j (i + j <= order) of coordinates in [-1, 1], (N, terms)."""
    return np.stack([xs ** i * ys ** j for i in range(order + 1) for j in range(order + 1 - i)], 1)


def _smooth(rgb: np.ndarray) -> np.ndarray:
    """Light denoising before colour distances; tiny pictures (icons, tests) are left sharp."""
    return cv2.GaussianBlur(rgb, (0, 0), 1.0) if min(rgb.shape[:2]) >= 32 else rgb


def backdrop(rgb: np.ndarray, border: float = BORDER, order: int = ORDER) -> tuple[np.ndarray, float]:
    """(H, W, 3) float32 0..255 -> (the backdrop model (H, W, 3), the border's noise level).

    The noise level is a robust standard deviation (1.4826 x MAD) of the distance of the
    border pixels from the model, in grey levels; at least 1.
    """
    h, w = rgb.shape[:2]
    f = min(1.0, FIT_SIDE / max(h, w))
    small = cv2.resize(rgb, (max(4, round(w * f)), max(4, round(h * f))), interpolation=cv2.INTER_AREA) \
        if f < 1 else rgb
    sh, sw = small.shape[:2]
    band = max(1, round(border * min(sh, sw)))
    yy, xx = np.mgrid[:sh, :sw]
    on_border = (yy < band) | (yy >= sh - band) | (xx < band) | (xx >= sw - band)
    ys = (yy[on_border] + 0.5) / sh * 2 - 1
    xs = (xx[on_border] + 0.5) / sw * 2 - 1
    values = small[on_border].astype(np.float64)               # (N, 3)
    if len(values) < 20 * (order + 1) * (order + 2) // 2:
        order = 0  # too few border pixels (tiny pictures) to fit a gradient: one colour
    A = _design(xs, ys, order)
    keep = np.ones(len(values), bool)
    for _ in range(3):  # refit without the pixels far from the model (object touching the border)
        coef, *_ = np.linalg.lstsq(A[keep], values[keep], rcond=None)
        dist = np.linalg.norm(values - A @ coef, axis=1)
        scale = 1.4826 * np.median(np.abs(dist[keep] - np.median(dist[keep]))) + np.median(dist[keep])
        keep = dist <= max(3.0 * scale, 3.0)
    gy, gx = np.mgrid[:h, :w]
    grid = _design(((gx + 0.5) / w * 2 - 1).ravel(), ((gy + 0.5) / h * 2 - 1).ravel(), order)
    model = (grid @ coef).reshape(h, w, 3).astype(np.float32)
    # the noise of the full-size picture (blurred as the distance below is), on its own border
    blurred = _smooth(rgb)
    fb = max(1, round(border * min(h, w)))
    ring = np.ones((h, w), bool)
    ring[fb:h - fb, fb:w - fb] = False
    d = np.linalg.norm(blurred[ring] - model[ring], axis=1)
    d = d[d <= np.percentile(d, 80)]  # the object touching the border is not noise
    noise = float(np.sqrt(np.mean(d ** 2))) if d.size else 1.0
    return model, max(noise, 1.0)


def matte(rgb: np.ndarray, model: np.ndarray, noise: float, tolerance: int = 0
          ) -> tuple[np.ndarray, np.ndarray]:
    """Soft object matte (H, W) float32 in [0, 1] from the distance to the backdrop model,
    and the object's opaque interior (H, W) bool (more than 2 px from the backdrop).

    ``tolerance`` > 0 replaces the noise-based lower threshold by that many grey levels.
    """
    d = np.linalg.norm(_smooth(rgb) - model, axis=2)
    lo = float(tolerance) if tolerance > 0 else LOW * noise
    hi = lo * HIGH / LOW
    alpha = np.clip((d - lo) / max(hi - lo, 1e-6), 0.0, 1.0).astype(np.float32)
    solid = _fill_holes(alpha >= 0.5, d <= SEE_THROUGH * noise)
    # away from the backdrop (2 px), the object is opaque, even where its colour is close
    # to the backdrop's (a dark part on a dark sweep); only the edge keeps a soft matte
    edge = cv2.dilate((~solid).view(np.uint8), np.ones((5, 5), np.uint8)).view(bool)
    interior = solid & ~edge
    return np.where(interior, np.float32(1.0), alpha), interior


def _fill_holes(solid: np.ndarray, backdrop_like: np.ndarray) -> np.ndarray:
    """Backdrop-coloured regions enclosed by the object and small next to it become object,
    unless most of their pixels are ``backdrop_like`` (within the backdrop's noise): those
    are see-through holes."""
    area = int(solid.sum())
    if area == 0:
        return solid
    count, labels, stats, _ = cv2.connectedComponentsWithStats((~solid).view(np.uint8), connectivity=4)
    h, w = solid.shape
    x, y, bw, bh, a = stats.T
    like = np.bincount(labels.ravel(), weights=backdrop_like.ravel(), minlength=count) / np.maximum(a, 1)
    fill = (x > 0) & (y > 0) & (x + bw < w) & (y + bh < h) & (a < HOLE_SHARE * area) & (like < 0.5)
    fill[0] = False  # label 0 is the object itself
    return solid | fill[labels]


def refine_edges(rgb: np.ndarray, model: np.ndarray, alpha: np.ndarray, interior: np.ndarray) -> np.ndarray:
    """A sharper matte at the object's edge: alpha from the pixel's position between the
    local backdrop colour B and the colour F of the object's nearby interior.

    A blurred edge pixel is I = a F + (1 - a) B; projecting I - B on F - B gives a. The
    distance ramp alone calls a pixel 'object' as soon as it leaves the noise, so the
    half-backdrop rim of a blurred edge would otherwise keep the backdrop's colour (a dark
    halo on dark backdrops).
    """
    core = cv2.erode(interior.view(np.uint8), np.ones((3, 3), np.uint8)).astype(np.float32)
    if core.sum() == 0:
        return alpha
    # F: the mean colour of interior pixels nearby (normalised convolution)
    weight = cv2.GaussianBlur(core, (0, 0), 3.0)
    F = cv2.GaussianBlur(rgb * core[..., None], (0, 0), 3.0) / np.maximum(weight, 1e-6)[..., None]
    diff = F - model
    contrast = (diff ** 2).sum(2)
    proj = ((rgb - model) * diff).sum(2) / np.maximum(contrast, 1e-6)
    band = (alpha > 0) & ~interior & (weight > 1e-3) & (contrast > 400.0)  # F differs from B by > 20
    out = alpha.copy()
    out[band] = np.clip(proj[band], 0.0, 1.0)
    return out


def clean_colour(rgb: np.ndarray, tolerance: int = 0, invert: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(H, W, 3) uint8 photo -> (the object composited on white (black with ``invert``),
    the matte (H, W) float32 in [0, 1])."""
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected a (H, W, 3) uint8 array, got {rgb.dtype} {rgb.shape}")
    x = rgb.astype(np.float32)
    model, noise = backdrop(x)
    alpha = refine_edges(x, model, *matte(x, model, noise, tolerance))
    a = alpha[..., None]
    # un-mix the backdrop from partly covered pixels: I = a F + (1 - a) B
    fg = np.clip((x - (1 - a) * model) / np.maximum(a, 1e-3), 0, 255)
    fill = 0.0 if invert else 255.0
    out = a * fg + (1 - a) * fill
    return np.round(out).astype(np.uint8), alpha

"""Vector export: a design picture traced to a clean SVG with vtracer (MIT).

Pipeline (one function, :func:`to_svg`, used by the studio, the CLI, the API and the zip export):

1. upsample the picture ``upsample`` times (two-tone: blur + bicubic; else Lanczos), so the
   tracer sees smooth edges instead of 64 px stairs;
2. two-tone (binary) designs: threshold halfway between the two tones (the same smoothed
   field as the print PNG, :func:`gan_core.export.printpng.ink_coverage`), then trace the ink
   in vtracer's *binary* mode: each shape is one compound path whose holes (a rim's spokes,
   the inside of an "o") are sub-paths, so a hole stays a hole on any background;
   grey and colour designs: quantise to a few tones by **median cut** (PIL's
   ``Image.quantize(method=MEDIANCUT)`` on the original pixels: deterministic, no random
   k-means start), map each upsampled pixel to its nearest tone, and trace in colour mode with
   ``hierarchical="stacked"`` (each region drawn over the one around it, so holes show the
   colour beneath);
3. spline curves, speckles smaller than ~2 design pixels dropped;
4. the SVG's ``viewBox`` is the design's own pixel size (0 0 64 64 for a 64 px design) and its
   ``width``/``height`` the chosen display width.
"""
from __future__ import annotations

import io
import re

import numpy as np
from PIL import Image

from ..design.tones import analyse, check_picture, gray_of
from ..errors import UserError

MAX_TONES = 16
DEFAULT_TONES_GREY, DEFAULT_TONES_COLOUR = 4, 6
MIN_WIDTH, MAX_WIDTH = 16, 8192


def _hex(colour) -> str:
    c = np.clip(np.rint(np.broadcast_to(np.asarray(colour, np.float32), (3,))), 0, 255).astype(int)
    return "#%02x%02x%02x" % tuple(c)


def _png_bytes(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def _upsampled(picture: np.ndarray, k: int) -> np.ndarray:
    img = Image.fromarray(picture, "L" if picture.ndim == 2 else "RGB")
    return np.asarray(img.resize((img.width * k, img.height * k), Image.LANCZOS))


def quantise(picture: np.ndarray, tones: int) -> np.ndarray:
    """(k, 3) uint8 palette of ``tones`` colours for the picture, by median cut."""
    rgb = picture if picture.ndim == 3 else np.repeat(picture[..., None], 3, axis=2)
    q = Image.fromarray(np.ascontiguousarray(rgb), "RGB").quantize(colors=tones, method=Image.MEDIANCUT)
    used = sorted(set(np.asarray(q).ravel().tolist()))
    pal = np.asarray(q.getpalette()[:3 * (max(used) + 1)], np.uint8).reshape(-1, 3)
    return pal[used]


def _nearest(pixels: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Each pixel (H, W, 3) replaced by its nearest palette colour."""
    p = pixels.reshape(-1, 3).astype(np.int32)
    d = ((p[:, None, :] - palette[None].astype(np.int32)) ** 2).sum(axis=2)
    return palette[d.argmin(axis=1)].reshape(pixels.shape)


def check_tones(tones) -> int | None:
    if tones is None:
        return None
    if isinstance(tones, bool) or not isinstance(tones, (int, np.integer)) or not 2 <= tones <= MAX_TONES:
        raise UserError(f"tones must be a whole number from 2 to {MAX_TONES} (or empty for automatic); "
                        f"got {tones!r}")
    return int(tones)


def to_svg(picture, tones: int | None = None, width: int | None = None, upsample: int = 8,
           filter_speckle: float = 2.0, background: bool = True) -> str:
    """The design picture (H, W[, 3]) uint8 as SVG text.

    ``tones``: None = automatic (two for a two-tone design, else 4 grey / 6 colour tones);
    a two-tone design is always traced in its two tones. ``width``: displayed width in px (default 8x the picture's).
    ``upsample``: factor before tracing (8: traced edges within ~1/8 px of the print PNG's;
    4 is ~2x faster and a little coarser).
    ``filter_speckle``: drop patches smaller than this many design pixels across.
    ``background``: two-tone designs only: add a background rectangle (off = ink on transparent;
    grey and colour traces always cover the canvas).
    """
    picture = check_picture(picture)
    tones = check_tones(tones)
    if isinstance(upsample, bool) or not isinstance(upsample, int) or not 1 <= upsample <= 8:
        raise UserError(f"upsample must be a whole number from 1 to 8; got {upsample!r}")
    h, w = picture.shape[:2]
    width = 8 * w if width is None else width
    if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or not MIN_WIDTH <= width <= MAX_WIDTH:
        raise UserError(f"SVG width must be a whole number of pixels from {MIN_WIDTH} to {MAX_WIDTH}; got {width!r}")
    import vtracer
    info = analyse(picture)
    speckle = max(1, int(round(filter_speckle * upsample)))
    common = dict(img_format="png", mode="spline", corner_threshold=60,
                  length_threshold=4.0, splice_threshold=45, path_precision=1)
    if info.binary and tones in (None, 2):
        from .printpng import ink_coverage, two_tones
        ink_tone, bg_tone = two_tones(info)
        is_ink = ink_coverage(picture, info, w * upsample, h * upsample) >= 0.5
        mask = np.where(is_ink, 0, 255).astype(np.uint8)          # vtracer's binary mode traces black
        raw = vtracer.convert_raw_image_to_svg(_png_bytes(np.repeat(mask[..., None], 3, axis=2)),
                                               colormode="binary", filter_speckle=speckle, **common)
        body = _paths(raw).replace('fill="#000000"', f'fill="{_hex(ink_tone)}"')
        rect = f'<rect width="{w}" height="{h}" fill="{_hex(bg_tone)}"/>\n' if background else ""
    else:
        n = tones or (DEFAULT_TONES_GREY if gray_of(picture) is not None else DEFAULT_TONES_COLOUR)
        palette = quantise(picture, n)
        # colour regions have many more edges than a two-tone shape: 4x keeps the file small
        upsample = min(upsample, 4)
        speckle = max(1, int(round(filter_speckle * upsample)))
        big = _upsampled(picture, upsample)
        rgb = big if big.ndim == 3 else np.repeat(big[..., None], 3, axis=2)
        flat = _nearest(rgb, palette).astype(np.uint8)
        raw = vtracer.convert_raw_image_to_svg(_png_bytes(flat), colormode="color", hierarchical="stacked",
                                               color_precision=8, layer_difference=4,
                                               filter_speckle=speckle, **common)
        body, rect = _paths(raw), ""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{width}" '
            f'height="{round(width * h / w)}" viewBox="0 0 {w} {h}">\n'
            f'<!-- Design Studio: traced with vtracer at {upsample}x -->\n'
            f'{rect}<g transform="scale({1 / upsample:g})">\n{body}</g>\n</svg>\n')


def _paths(svg: str) -> str:
    """The drawing elements of vtracer's output, without its <svg> header."""
    m = re.search(r"<svg[^>]*>(.*)</svg>", svg, re.S)
    if m is None:
        raise RuntimeError("vtracer returned no SVG")
    return m.group(1).strip() + "\n"

"""Reproducible synthetic "photos" of car rims: the sample data sets.

Each rim is a wheel of a random design (spoke count and shape, twist, hub, lug
holes, rim width). The gray set is light metal photographed on a dark, uneven,
noisy background, like the photos the classic cleanup recipe was made for;
``SAMPLE_CLEANUP`` turns them into black rims on white. The colour set
(``colour=True``) is painted and two-tone wheels (a polished lip, a coloured face,
a coloured centre cap) on a light, tinted, unevenly lit studio backdrop;
``SAMPLE_COLOUR_CLEANUP`` keeps their colours on white. Everything is driven by one
``numpy.random.default_rng(seed)``: the same seed gives the same pixels.
"""
from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from .preprocess import CleanupConfig

SPOKE_STYLES = ("bar", "tapered", "split", "double", "disc")

# Recommended cleanup for the samples (and for light-on-dark photos such as
# fa-icons-raw): the border median survives the uneven background, Otsu picks the
# threshold per photo, the crop frames the wheel.
SAMPLE_CLEANUP = CleanupConfig(background="border", tolerance=10, auto_threshold=True,
                               crop=True, margin=0.1, size=64, mode="binary")
# The colour set: the smooth backdrop model of gan_core.data.colour_cleanup, the object's own colours.
SAMPLE_COLOUR_CLEANUP = CleanupConfig(background="border", crop=True, margin=0.1, size=64, mode="color")

# Wheel finishes of the colour set (RGB, before shading): painted, anodised and plated faces.
FINISHES = {
    "gold": (205, 160, 45), "bronze": (150, 100, 50), "copper": (185, 100, 55), "red": (190, 30, 35),
    "blue": (35, 75, 175), "green": (35, 115, 65), "gunmetal": (70, 75, 85), "black": (35, 35, 40),
    "orange": (225, 110, 20), "purple": (105, 50, 150),
}
LIPS = {"chrome": (200, 202, 208), "black": (40, 40, 45), "same": None}  # the outer lip's finish
CAPS = ((200, 30, 30), (30, 60, 170), (230, 230, 235), (30, 30, 30), (220, 180, 40))  # centre caps

_SUPERSAMPLE = 2  # draw at 2x and downsample: anti-aliased edges


def _polar(cx, cy, r, a):
    return cx + r * math.cos(a), cy + r * math.sin(a)


def _band(cx, cy, r0, r1, angle, half0, half1, twist, steps=24):
    """Polygon of a spoke from radius r0 to r1 whose centre line turns by ``twist`` radians."""
    left, right = [], []
    for i in range(steps + 1):
        t = i / steps
        r = r0 + (r1 - r0) * t
        a = angle + twist * t * t  # curving more towards the rim, like a swept spoke
        half = (half0 + (half1 - half0) * t) / max(r, 1e-6)  # width as an angle at this radius
        left.append(_polar(cx, cy, r, a + half))
        right.append(_polar(cx, cy, r, a - half))
    return left + right[::-1]


def _sector(cx, cy, r0, r1, a0, a1, steps=24):
    """Polygon of the ring sector between radii r0..r1 and angles a0..a1 (a disc 'window')."""
    outer = [_polar(cx, cy, r1, a0 + (a1 - a0) * i / steps) for i in range(steps + 1)]
    inner = [_polar(cx, cy, r0, a1 - (a1 - a0) * i / steps) for i in range(steps + 1)]
    return outer + inner


def _circle(draw, cx, cy, r, fill):
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)


def _draw_wheel(draw: ImageDraw.ImageDraw, rng: np.random.Generator, cx: float, cy: float, R: float) -> dict:
    """Draw the wheel's silhouette (255 metal, 0 gap) centred at (cx, cy) with outer radius R.

    Returns the radii the colour set paints separately: the lip's inner edge and the hub."""
    rim_inner = R * (1 - rng.uniform(0.07, 0.15))
    hub = R * rng.uniform(0.16, 0.28)
    spokes = int(rng.integers(3, 11))
    style = SPOKE_STYLES[int(rng.integers(len(SPOKE_STYLES)))]
    twist = rng.uniform(-0.6, 0.6) if rng.random() < 0.5 else 0.0
    phase = rng.uniform(0, 2 * math.pi)
    gap = 2 * math.pi / spokes
    # Spokes get thinner as their number grows so the wheel keeps visible gaps.
    width = R * rng.uniform(0.35, 0.6) / spokes

    _circle(draw, cx, cy, R, 255)
    _circle(draw, cx, cy, rim_inner, 0)
    r0, r1 = hub * 0.8, rim_inner + R * 0.02  # overlap hub and rim so nothing floats
    if style == "disc":  # a solid face with one window (round or sector) per "spoke"
        _circle(draw, cx, cy, rim_inner + 1, 255)
        win0, win1 = hub + R * rng.uniform(0.05, 0.1), rim_inner - R * rng.uniform(0.04, 0.1)
        round_holes = spokes <= 6 and rng.random() < 0.5
        open_frac = rng.uniform(0.45, 0.7)
        for k in range(spokes):
            a = phase + k * gap
            if round_holes:
                mid_r = (win0 + win1) / 2
                hole = min((win1 - win0) / 2, mid_r * math.sin(gap / 2) * 0.8)
                _circle(draw, *_polar(cx, cy, mid_r, a), hole, 0)
            else:
                half = gap * open_frac / 2
                draw.polygon(_sector(cx, cy, win0, win1, a - half, a + half), fill=0)
    mid = r0 + (r1 - r0) * rng.uniform(0.35, 0.55)  # where split spokes fork
    spread = gap * rng.uniform(0.12, 0.22)           # how far the fork's branches part
    for k in range(0 if style == "disc" else spokes):
        a = phase + k * gap
        if style == "bar":
            draw.polygon(_band(cx, cy, r0, r1, a, width, width, twist), fill=255)
        elif style == "tapered":
            draw.polygon(_band(cx, cy, r0, r1, a, width * 1.7, width * 0.55, twist), fill=255)
        elif style == "split":
            draw.polygon(_band(cx, cy, r0, mid + width * 0.5, a, width * 1.2, width * 0.85, 0), fill=255)
            for side in (-1, 1):
                draw.polygon(_band(cx, cy, mid, r1, a, width * 0.75, width * 0.6,
                                   side * spread + twist), fill=255)
        else:  # double: two thin parallel spokes, crossing into a mesh when twisted
            sep = gap * 0.14
            for side in (-1, 1):
                draw.polygon(_band(cx, cy, r0, r1, a + side * sep, width * 0.45, width * 0.4,
                                   twist - side * sep * 1.6), fill=255)
    _circle(draw, cx, cy, hub, 255)
    lugs = int(rng.integers(4, 7))
    lug_r, lug_ring = hub * rng.uniform(0.1, 0.15), hub * rng.uniform(0.55, 0.68)
    lug_phase = rng.uniform(0, 2 * math.pi)
    for k in range(lugs):
        _circle(draw, *_polar(cx, cy, lug_ring, lug_phase + k * 2 * math.pi / lugs), lug_r, 0)
    # Centre bore with its cap: a thin dark ring around a metal cap.
    _circle(draw, cx, cy, hub * 0.34, 0)
    _circle(draw, cx, cy, hub * 0.26, 255)
    return {"rim_inner": rim_inner, "hub": hub}


def _frame(seed: int, size: int):
    """The photo's RNG and the wheel's place: (rng, supersampled side S, outer radius R, centre)."""
    if not 32 <= int(size) <= 2048:
        raise ValueError(f"size must be between 32 and 2048, got {size}")
    rng = np.random.default_rng(seed)
    S = size * _SUPERSAMPLE
    R = S * rng.uniform(0.36, 0.44)
    cx, cy = S / 2 + rng.uniform(-0.05, 0.05) * S, S / 2 + rng.uniform(-0.05, 0.05) * S
    return rng, S, R, cx, cy


def _backdrop(rng: np.random.Generator, size: int, base: tuple, vignette: tuple, tint: tuple):
    """An unevenly lit backdrop: (yy, xx coordinates in [-0.5, 0.5), light angle, (size, size, 3))."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size - 0.5
    light = rng.uniform(0, 2 * math.pi)
    level = rng.uniform(*base)
    grad = rng.uniform(8, 22) * (xx * math.cos(light) + yy * math.sin(light)) * 2
    dark = rng.uniform(*vignette) * (xx ** 2 + yy ** 2) * 2
    colour = rng.uniform(*tint, size=3).astype(np.float32)
    return yy, xx, light, (level + grad - dark)[..., None] * colour


def _photograph(scene: np.ndarray, rng: np.random.Generator, noise: tuple) -> Image.Image:
    """The camera: a slight blur, then sensor noise."""
    photo = Image.fromarray(np.clip(scene, 0, 255).astype(np.uint8))
    photo = photo.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 1.0)))
    grain = rng.normal(0, rng.uniform(*noise), size=(*scene.shape[:2], 3))
    return Image.fromarray(np.clip(np.asarray(photo) + grain, 0, 255).astype(np.uint8))


def render_rim(seed: int, size: int = 256) -> Image.Image:
    """One synthetic rim photo, ``size`` x ``size`` RGB; the same seed gives the same pixels."""
    rng, S, R, cx, cy = _frame(seed, size)
    silhouette = Image.new("L", (S, S), 0)
    _draw_wheel(ImageDraw.Draw(silhouette), rng, cx, cy, R)
    silhouette = silhouette.resize((size, size), Image.BOX)
    alpha = np.asarray(silhouette, dtype=np.float32) / 255

    # Background: dark, lit from one side, darker towards the corners.
    yy, xx, light, background = _backdrop(rng, size, (25, 60), (10, 25), (0.92, 1.08))

    # Metal: bright, with a soft highlight facing the light and darker near the hub.
    ox, oy = (cx / _SUPERSAMPLE) / size - 0.5, (cy / _SUPERSAMPLE) / size - 0.5
    r = np.hypot(xx - ox, yy - oy) / (R / _SUPERSAMPLE / size)
    facing = np.cos(np.arctan2(yy - oy, xx - ox) - light)
    metal_level = rng.uniform(185, 225)
    metal = metal_level + 18 * facing * np.clip(r, 0, 1) - 12 * (1 - np.clip(r, 0, 1))
    metal_tint = np.array([1.0, 1.0, rng.uniform(1.0, 1.06)], dtype=np.float32)
    metal = np.clip(metal[..., None] * metal_tint, 0, 255)

    return _photograph(background * (1 - alpha[..., None]) + metal * alpha[..., None], rng, (2.5, 6.0))


def render_colour_rim(seed: int, size: int = 256) -> Image.Image:
    """One synthetic colour rim photo, ``size`` x ``size`` RGB: a painted or two-tone wheel (lip,
    face, centre cap) on a light, tinted, unevenly lit backdrop; the same seed gives the same pixels."""
    rng, S, R, cx, cy = _frame(seed, size)
    silhouette = Image.new("L", (S, S), 0)
    geo = _draw_wheel(ImageDraw.Draw(silhouette), rng, cx, cy, R)
    # the painted regions: the lip (outside rim_inner) and the centre cap (inside the bore ring)
    lip, cap = Image.new("L", (S, S), 0), Image.new("L", (S, S), 0)
    _circle(ImageDraw.Draw(lip), cx, cy, R, 255)
    _circle(ImageDraw.Draw(lip), cx, cy, geo["rim_inner"], 0)
    _circle(ImageDraw.Draw(cap), cx, cy, geo["hub"] * 0.26, 255)
    alpha, lip, cap = (np.asarray(m.resize((size, size), Image.BOX), dtype=np.float32)[..., None] / 255
                       for m in (silhouette, lip, cap))

    names = list(FINISHES)
    face = np.array(FINISHES[names[int(rng.integers(len(names)))]], dtype=np.float32)
    face = face * rng.uniform(0.9, 1.1, size=3).astype(np.float32)
    lip_name = list(LIPS)[int(rng.integers(len(LIPS)))]
    lip_colour = face if LIPS[lip_name] is None else np.array(LIPS[lip_name], dtype=np.float32)
    cap_colour = np.array(CAPS[int(rng.integers(len(CAPS)))], dtype=np.float32)

    # Backdrop: light, tinted (warm, cool or neutral paper), lit from one side, darker towards the corners.
    yy, xx, light, background = _backdrop(rng, size, (200, 238), (10, 30), (0.9, 1.04))

    # Shading: brighter where the surface faces the light, a soft falloff towards the hub.
    ox, oy = (cx / _SUPERSAMPLE) / size - 0.5, (cy / _SUPERSAMPLE) / size - 0.5
    r = np.clip(np.hypot(xx - ox, yy - oy) / (R / _SUPERSAMPLE / size), 0, 1)
    facing = np.cos(np.arctan2(yy - oy, xx - ox) - light)
    shade = (1.0 + 0.12 * facing * r - 0.08 * (1 - r))[..., None]
    paint = face * (1 - lip) + lip_colour * lip
    paint = paint * (1 - cap) + cap_colour * cap
    metal = np.clip(paint * shade, 0, 255)

    return _photograph(background * (1 - alpha) + metal * alpha, rng, (2.0, 4.5))


def make_sample_rims(count: int = 100, seed: int = 0, size: int = 256,
                     colour: bool = False) -> list[tuple[str, Image.Image]]:
    """``count`` rims named ``rim_000.jpg`` ...; rim ``i`` uses seed ``seed * 100003 + i``;
    ``colour``: the colour set (``render_colour_rim``)."""
    render = render_colour_rim if colour else render_rim
    return [(f"rim_{i:03d}.jpg", render(seed * 100_003 + i, size)) for i in range(count)]


def encode_sample_rims(count: int = 100, seed: int = 0, size: int = 256,
                       colour: bool = False) -> list[tuple[str, bytes]]:
    """The sample rims as JPEG files in memory: (name, bytes). A caller can weigh them (a disk
    quota) before anything is written."""
    out = []
    for name, image in make_sample_rims(count, seed, size, colour):
        buf = io.BytesIO()
        image.save(buf, format="JPEG", quality=92)
        out.append((name, buf.getvalue()))
    return out


def write_sample_files(folder: str | Path, files: list[tuple[str, bytes]]) -> list[Path]:
    """Write ``encode_sample_rims``'s files into ``folder`` (created if missing)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in files:
        path = folder / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def write_sample_rims(folder: str | Path, count: int = 100, seed: int = 0, size: int = 256,
                      colour: bool = False) -> list[Path]:
    """Write the sample rims (the colour set with ``colour``) as JPEG files into ``folder``
    (created if missing)."""
    return write_sample_files(folder, encode_sample_rims(count, seed, size, colour))

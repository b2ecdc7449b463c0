"""Pure rendering helpers of the Explore page: design records in, pictures and text out.

Nothing here touches Gradio, so each piece is testable on its own. The one pipeline that
turns a design into pixels is ``gan_core.design.record.render``; these helpers only size the
result for the page, lay out the variations and word the nearest-training-image line.
"""
from __future__ import annotations

import math
import re

import numpy as np
import torch
from PIL import Image

from gan_core.data.images import upscale
from gan_core.design.latent import MAX_SEED, check_seed, z_from_seed
from gan_core.design.record import Design, check_truncation
from gan_core.design.symmetry import MAX_FOLD, MIN_FOLD
from gan_core.errors import UserError
from gan_core.metrics import quality as metrics

DISPLAY = 256            # the current design is shown about this big
TILE = 128               # variation tiles
VARIATIONS = 9           # a 3x3 grid around the current design
NEAREST_DISPLAY = 160    # the nearest training image is shown about this big
UPSCALES = (1, 2, 4, 8)  # PNG sizes offered, times the model's resolution
SYMMETRIES = [("none", "none"), *[(f"{n}-fold rotation", f"rot{n}") for n in range(MIN_FOLD, MAX_FOLD + 1)],
              ("mirror left-right", "mirror-lr"), ("mirror top-bottom", "mirror-tb"), ("mirror both", "mirror-both")]
JITTER = 0.35            # radians a seedless design's variations turn away from it (slerp towards noise)


def seed_value(value) -> int:
    """A seed from a slider, a text box or an API call, with the page's wording on error."""
    try:
        return check_seed(value)
    except UserError:
        raise UserError(f"Seed must be a whole number between 0 and {MAX_SEED}; got {value!r}.") from None


def truncation_value(value) -> float:
    try:
        return check_truncation(value)
    except UserError:
        raise UserError(f"Truncation must be a number between 0 and 2; got {value!r}.") from None


def scale_value(value, what: str = "PNG size") -> int:
    """One of UPSCALES (1x, 2x, 4x, 8x the model's resolution)."""
    try:
        f = float(value)
    except (TypeError, ValueError):
        f = math.nan
    if not (f.is_integer() and int(f) in UPSCALES):
        raise UserError(f"{what} must be one of {', '.join(map(str, UPSCALES))} (× the model's resolution); "
                        f"got {value!r}.")
    return int(f)


def factor(resolution: int, target: int) -> int:
    """The whole upscale factor that shows a ``resolution`` px picture about ``target`` px wide."""
    return max(1, min(32, target // resolution))


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_")[-40:] or "model"


def shown(picture: np.ndarray, target: int = DISPLAY, smooth: bool = True) -> Image.Image:
    """A model picture upscaled for the page (a PIL image: nothing is written to disk)."""
    return upscale(picture, factor(picture.shape[0], target), smooth=smooth)


def data_url(image: Image.Image) -> str:
    """A picture as a data: URL (PNG, fast compression: it is shown once, at once)."""
    import base64
    import io
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def stem(design: Design) -> str:
    """A download's file name without suffix: design-seed7, design-<id>, or the design's name."""
    if design.name:
        return slug(design.name)
    return f"design-seed{design.seed}" if design.seed is not None else f"design-{design.id}"


def label(design: Design) -> str:
    """How a design is named in a line of text: its name, its seed, or 'This design'."""
    if design.name:
        return design.name
    return f"Seed {design.seed}" if design.seed is not None else "This design"


# ---- variations --------------------------------------------------------------------------
def reseeded(design: Design, seed: int, z_dim: int) -> Design:
    """The design of another seed that keeps ``design``'s truncation, edits, directions and symmetry
    (a seed move, a neighbouring variation)."""
    return Design.from_seed(design.model, seed, z_dim, truncation=design.truncation, edits=design.edits,
                            directions=design.directions, symmetry=design.symmetry)


def neighbours(design: Design, z_dim: int) -> tuple[list[Design], int]:
    """Nine designs around ``design`` and the index of ``design`` itself among them.

    A seeded design gets the neighbouring seeds (same truncation, edits and symmetry); a design
    without a seed (projected, bred) gets its latent turned a little towards eight fixed noise
    vectors, so the same design always shows the same variations."""
    if design.seed is not None:
        lo = min(max(0, design.seed - VARIATIONS // 2), MAX_SEED - VARIATIONS + 1)
        seeds = list(range(lo, lo + VARIATIONS))
        out = [design if s == design.seed else reseeded(design, s, z_dim) for s in seeds]
        return out, seeds.index(design.seed)
    z = torch.from_numpy(design.latent.copy())
    out, centre = [], VARIATIONS // 2
    for k in range(VARIATIONS):
        if k == centre:
            out.append(design)
            continue
        noise = z_from_seed(k + 1, z_dim)
        turned = math.cos(JITTER) * z + math.sin(JITTER) * noise  # stays N(0, I)-like
        out.append(Design(model=design.model, latent=turned.numpy(), origin=design.origin, truncation=design.truncation,
                          edits=design.edits, directions=design.directions, symmetry=design.symmetry))
    return out, centre


def caption(design: Design, index: int, centre: int) -> str:
    if design.seed is not None:
        return f"● {design.seed}" if index == centre else str(design.seed)
    return "●" if index == centre else f"~{index + 1 if index < centre else index}"


def variation_tiles(designs: list[Design], pictures: np.ndarray, centre: int) -> list[tuple[Image.Image, str]]:
    return [(shown(p, TILE), caption(d, i, centre)) for i, (d, p) in enumerate(zip(designs, pictures))]


# ---- nearest training image -----------------------------------------------------------------
def nearest_view(design: Design, picture: np.ndarray, training: np.ndarray | None, channels: int):
    """(picture of the nearest training image or None, a line of Markdown) for a design."""
    if training is None:
        return None, ""
    if training.shape[1:3] != picture.shape[:2] or (training.ndim == 4) != (channels == 3):
        return None, "The training pictures kept with this model do not match its size; no comparison."
    near = metrics.nearest_training([picture], training)[0]
    if near["memorised"]:
        verdict = "**⚠ near-copy of a training image**: the generator may have memorised it."
    elif near["memorised"] is None:
        verdict = "(one training image only: no near-copy check)"
    else:
        verdict = "a new design, not a near-copy of a training image."
    text = (f"{label(design)}: nearest of the {len(training)} training images is **#{near['index']}**, "
            f"distance {near['distance']:.2f}: {verdict}")
    # pixel for pixel (no smoothing): this is what the model was trained on
    return shown(training[near["index"]], NEAREST_DISPLAY, smooth=False), text


# ---- SVG preview ---------------------------------------------------------------------------
SVG_NS = "http://www.w3.org/2000/svg"
SVG_TAGS = {"svg", "g", "path", "rect"}
SVG_ATTRIBUTES = {"xmlns", "version", "width", "height", "viewBox", "transform", "d", "fill", "fill-rule",
                  "stroke", "stroke-width", "x", "y", "opacity", "fill-opacity"}


def inline_svg(svg: str, width: int = DISPLAY) -> str:
    """Our own traced SVG (gan_core.export.vector.to_svg), made safe to put inside the page: parsed, and
    rebuilt from drawing elements and attributes only (no script, style, link or event handler
    can pass even if the tracer changed), shown ``width`` px wide."""
    import xml.etree.ElementTree as ET
    root = ET.fromstring(svg.encode())

    def build(el) -> str:
        tag = el.tag.split("}", 1)[-1]
        if tag not in SVG_TAGS:
            return ""
        attrs = {k: v for k, v in el.attrib.items() if k in SVG_ATTRIBUTES and not v.lstrip().lower().startswith(
            ("javascript:", "data:", "url("))}
        if tag == "svg":
            attrs.update(xmlns=SVG_NS, width=str(width), height=str(width))
            attrs.pop("version", None)
        text = " ".join(f'{k}="{_escape(v)}"' for k, v in attrs.items())
        return f"<{tag} {text}>{''.join(build(c) for c in el)}</{tag}>"

    return build(root)


def _escape(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")

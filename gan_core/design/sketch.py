"""Sketch to design: a drawing on the sketch pad, cleaned like the model's training data, read by
the model's encoder (milliseconds) or, without one, matched by a short optimiser run.

The pad gives ink on white (or on transparency); the page's own pad sends its canvas as a PNG data
URL (``data:image/png;base64,...``), decoded and checked here (``sketch_from_data_url``). "Cleaned like the training data" means what the
model's stored cleanup (config.json "dataset" "cleanup") did to its pictures: the drawing is cut
to its ink with the same margin and centred (``crop``), made black on white (``binary``) or kept
in its colours on white (``color``), padded to a square and resized to the model's size. The photo
recipes themselves (thresholds, backdrop models) are for photos: on a clean drawing they only
wipe thin strokes, so they are not run.
"""
from __future__ import annotations

import base64
import binascii
import io

import numpy as np

from ..errors import UserError

INK_LEVEL = 24           # a pixel is ink when some channel is this far from white (or alpha is this high)
MIN_PAD, MAX_PAD = 16, 4096
SKETCH_STEPS, SKETCH_SECONDS = 60, 3.0   # the optimiser's budget when the model has no encoder
DARK_INKS = "#1f3a93"    # the brush on colour models: a dark blue (models' colour rims are dark on white)
MAX_SKETCH_BYTES = 2 * 1024 * 1024   # a pad's PNG (the page's 256 px pad sends ~5-40 KB)
PNG_URL = "data:image/png;base64"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def sketch_ink(model) -> str:
    """The brush colour for ``model``'s sketch pad: black for gray models, a dark colour for colour ones."""
    return "#000000" if model.config.channels == 1 else DARK_INKS


def sketch_from_data_url(url: str):
    """The PIL image of a pad's PNG data URL (``data:image/png;base64,...``), checked: a PNG, at
    most MAX_SKETCH_BYTES, MIN_PAD..MAX_PAD pixels a side (read from its header before its pixels)."""
    from PIL import Image
    if not isinstance(url, str):
        raise UserError(f"the sketch must be a PNG data URL (data:image/png;base64,...); got a {type(url).__name__}")
    url = url.strip()
    if not url:
        raise UserError("the sketch is empty: draw something on the pad first")
    head, comma, body = url.partition(",")
    if not comma or not head.lower().startswith("data:"):
        raise UserError("the sketch must be a PNG data URL (data:image/png;base64,...); got text that is not a data URL")
    if head.lower().replace(" ", "") != PNG_URL:
        raise UserError(f"the sketch must be a PNG picture (data:image/png;base64,...); got {head[:40]!r}")
    if len(body) > (MAX_SKETCH_BYTES * 4) // 3 + 4:
        raise UserError(f"the sketch is too large ({len(body) * 3 / 4 / 1e6:.1f} MB); a pad's picture is at most "
                        f"{MAX_SKETCH_BYTES / 1e6:.1f} MB")
    try:
        raw = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise UserError("the sketch's data URL is not valid base64") from None
    if not raw.startswith(PNG_SIGNATURE):
        raise UserError("the sketch's data is not a PNG picture (it says image/png but is something else)")
    try:
        image = Image.open(io.BytesIO(raw))
        w, h = image.size
        if not (MIN_PAD <= h <= MAX_PAD and MIN_PAD <= w <= MAX_PAD):
            raise UserError(f"the sketch pad must be between {MIN_PAD} and {MAX_PAD} pixels on a side; got {w}x{h}")
        image.load()
    except UserError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as e:
        why = str(e).splitlines()[0][:80] if str(e) else type(e).__name__
        raise UserError(f"the sketch's PNG is damaged ({why})") from None
    return image


def _pad_array(image) -> np.ndarray:
    """The pad's picture as uint8 (H, W, 3) on white (transparency composited), checked."""
    from PIL import Image
    if isinstance(image, str):  # the page's pad: its canvas as a PNG data URL
        image = sketch_from_data_url(image)
    if isinstance(image, dict):  # Gradio's ImageEditor value: what the designer sees is the composite
        image = image.get("composite")
    if image is None:
        raise UserError("the sketch is empty: draw something on the pad first")
    if isinstance(image, Image.Image):
        if image.mode not in ("1", "L", "LA", "RGB", "RGBA", "P", "PA"):
            raise UserError(f"the sketch pad gave a {image.mode} image; expected an RGB or RGBA picture")
        image = np.asarray(image.convert("RGBA"))
    if not isinstance(image, np.ndarray):
        raise UserError(f"the sketch must be a picture (an image array); got a {type(image).__name__}")
    if image.size == 0:
        raise UserError("the sketch is empty: draw something on the pad first")
    if image.dtype != np.uint8:
        raise UserError(f"the sketch must be a uint8 picture (0-255); got {image.dtype} values")
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[2] not in (1, 2, 3, 4):
        raise UserError(f"the sketch must be an H x W picture with 1-4 channels (gray, RGB or RGBA); "
                        f"got shape {image.shape}")
    h, w = image.shape[:2]
    if not (MIN_PAD <= h <= MAX_PAD and MIN_PAD <= w <= MAX_PAD):
        raise UserError(f"the sketch pad must be between {MIN_PAD} and {MAX_PAD} pixels on a side; got {w}x{h}")
    c = image.shape[2]
    colour = image[..., :3] if c >= 3 else np.repeat(image[..., :1], 3, axis=2)
    if c in (2, 4):  # alpha: transparent is the pad's background, composited on white
        a = image[..., -1:].astype(np.float32) / 255.0
        if not (image[..., -1] >= INK_LEVEL).any():
            raise UserError("the sketch is empty (all transparent): draw something on the pad first")
        colour = (colour.astype(np.float32) * a + 255.0 * (1 - a)).round().astype(np.uint8)
    return colour


def sketch_target(image, model) -> np.ndarray:
    """The pad's ``image`` (uint8 H x W x 1-4 array, PIL image, PNG data URL, or Gradio's ImageEditor dict) cleaned
    like ``model``'s training data: uint8 (R, R) for gray models, (R, R, 3) for colour ones."""
    from ..data.preprocess import crop_centred, object_box, pad_to_square, resize_square
    from .project import _stored_cleanup
    rgb = _pad_array(image)
    ink = (255 - rgb.min(axis=2).astype(np.int16)) >= INK_LEVEL  # darker than white in some channel
    if not ink.any():
        raise UserError("the sketch holds only the background colour: draw with the brush (a darker colour)")
    cfg = _stored_cleanup(model)
    binary = cfg is None or cfg.mode == "binary"
    gray = model.config.channels == 1
    if gray:  # binary training data: every ink pixel black; grayscale: the ink keeps its grey
        luma = (rgb.astype(np.float32) @ np.float32([0.299, 0.587, 0.114])).round().astype(np.uint8)
        pic = np.where(ink, 0 if binary else luma, 255).astype(np.uint8)
    else:
        pic = np.where(ink[..., None], rgb, 255).astype(np.uint8)
    if cfg is None or cfg.crop:  # the training pictures were cut to their object and centred
        box = object_box(ink, min_fraction=0.0)
        pic = crop_centred(pic, box, cfg.margin if cfg is not None else 0.1, 255)
    pic = pad_to_square(pic, 255)
    return np.ascontiguousarray(resize_square(np.ascontiguousarray(pic), model.config.resolution))


def design_from_sketch(model, encoder, image, model_ref: str | None = None):
    """The design for a sketch: ``encoder`` (gan_core.design.encoder) reads it in milliseconds;
    with ``encoder=None`` a short optimiser run matches it instead. Returns a
    ``Design(origin="sketch")`` of ``model_ref`` (default: the model's folder)."""
    from .encoder import encode
    from .project import project
    from .record import Design
    target = sketch_target(image, model)
    if encoder is not None:
        z = encode(model, encoder, target).numpy()
        note = "from a sketch (encoder)"
    else:
        z = project(model, target, steps=SKETCH_STEPS, seconds=SKETCH_SECONDS).latent
        note = "from a sketch (optimiser: this model has no encoder)"
    return Design(model=model_ref or model.source or "model", latent=z, truncation=1.0, origin="sketch", note=note)

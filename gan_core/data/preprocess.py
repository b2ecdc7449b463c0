"""Cleanup of raw design photos into clean training pictures.

The classic recipe (kept bit for bit by ``CleanupConfig.classic()``) was made
for light car rims photographed on a dark background: grayscale the photo, call
the colour of the top-left pixel and everything darker than a threshold
"background", and paint the rest black on white. The other options make the same
idea robust to uneven backgrounds (border median, tolerance, Otsu), frame the
object (crop, margin) and give a fixed square size.

Everything here works on numpy arrays with cv2, so one 1024 px photo takes a
few milliseconds (see ``benchmarks/bench_preprocess.py``).
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageOps

from ..errors import UserError

BACKGROUNDS = ("corner", "border")
MODES = ("binary", "grayscale", "color")


def _whole(name: str, value, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not lo <= value <= hi:
        raise UserError(f"{name} must be a whole number between {lo} and {hi}; got {value!r}")


@dataclass
class CleanupConfig:
    """How a raw photo becomes a clean picture. ``classic()`` is the original recipe."""
    background: str = "corner"    # "corner": grey of the top-left pixel; "border": median of the edge
    tolerance: int = 0            # grey levels around the background value that still count as background
    threshold: int = 50           # 0..255; pixels darker than this are background
    auto_threshold: bool = False  # Otsu's threshold per image instead of `threshold`
    invert: bool = False          # black background instead of white (binary detail becomes white)
    crop: bool = False            # crop to the object (contours of the detail mask), centred
    margin: float = 0.1           # with crop: space on each side, as a fraction of the object's longer side
    size: int | None = None       # pad to a square and resize to size x size; None keeps the size
    mode: str = "binary"          # "binary": black on white; "grayscale": detail keeps its grey,
    #                               inverted so light-on-dark photos become dark-on-white; "color": RGB
    #                               object on white from a smooth backdrop model (colour_cleanup.py)

    def __post_init__(self):
        if self.background not in BACKGROUNDS:
            raise UserError(f"background must be one of {', '.join(BACKGROUNDS)}; got {self.background!r}")
        if self.mode not in MODES:
            raise UserError(f"mode must be one of {', '.join(MODES)}; got {self.mode!r}")
        _whole("tolerance", self.tolerance, 0, 255)
        _whole("threshold", self.threshold, 0, 255)
        for name in ("auto_threshold", "invert", "crop"):
            if not isinstance(getattr(self, name), bool):
                raise UserError(f"{name} must be true or false; got {getattr(self, name)!r}")
        if isinstance(self.margin, bool) or not isinstance(self.margin, (int, float)) \
                or not 0 <= self.margin <= 1:
            raise UserError(f"margin must be a number between 0 and 1; got {self.margin!r}")
        if self.size is not None:
            _whole("size", self.size, 8, 4096)

    @classmethod
    def classic(cls, threshold: int = 50) -> "CleanupConfig":
        """The original car-rim recipe: corner colour and pixels below ``threshold`` are background."""
        return cls(background="corner", tolerance=0, threshold=threshold, auto_threshold=False,
                   invert=False, crop=False, size=None, mode="binary")


def border_median(a: np.ndarray) -> np.ndarray:
    """Median of the outermost pixels of an (H, W) or (H, W, C) picture, per channel (float)."""
    border = np.concatenate([a[0], a[-1], a[1:-1, 0], a[1:-1, -1]])
    return np.median(border, axis=0)


def background_value(gray: np.ndarray, config: CleanupConfig) -> int:
    if config.background == "corner":
        return int(gray[0, 0])
    return int(border_median(gray))


def effective_threshold(gray: np.ndarray, config: CleanupConfig) -> int:
    """Pixels strictly below the returned value are background."""
    if not config.auto_threshold:
        return config.threshold
    # cv2's Otsu puts pixels > t in the foreground, so "< t + 1" is background.
    t, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return int(t) + 1


def detail_mask(gray: np.ndarray, config: CleanupConfig) -> np.ndarray:
    """(H, W) uint8 grey -> (H, W) bool, True where the design is."""
    if gray.dtype != np.uint8 or gray.ndim != 2:
        raise ValueError(f"expected a (H, W) uint8 array, got {gray.dtype} {gray.shape}")
    bg = background_value(gray, config)
    if config.tolerance == 0:
        background = gray == bg
    else:
        background = cv2.absdiff(gray, np.full_like(gray, bg)) <= config.tolerance
    background |= gray < effective_threshold(gray, config)
    return ~background


def object_box(mask: np.ndarray, min_fraction: float = 0.02) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) around the object's outer contours, or None when there is none.

    Contours smaller than ``min_fraction`` of the largest one are noise specks and
    would otherwise stretch the box; the parts of a multi-part design are kept.
    """
    contours, _ = cv2.findContours(mask.view(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    areas = [max(cv2.contourArea(c), 1.0) for c in contours]
    keep = [c for c, a in zip(contours, areas) if a >= min_fraction * max(areas)]
    x, y, w, h = cv2.boundingRect(np.concatenate(keep))
    return x, y, x + w, y + h


def crop_centred(picture: np.ndarray, box: tuple[int, int, int, int], margin: float,
                 fill: int) -> np.ndarray:
    """Cut ``box`` plus ``margin`` from ``picture``; what lies outside it is ``fill``,
    so the box stays centred even at the picture's edge."""
    x0, y0, x1, y1 = box
    pad = int(round(margin * max(x1 - x0, y1 - y0)))
    x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    h, w = picture.shape[:2]
    out = np.full((y1 - y0, x1 - x0, *picture.shape[2:]), fill, dtype=picture.dtype)
    sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    out[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = picture[sy0:sy1, sx0:sx1]
    return out


def pad_to_square(picture: np.ndarray, fill) -> np.ndarray:
    """Centre ``picture`` (H, W[, C]) on a square of colour ``fill`` (a number or one per channel)."""
    h, w = picture.shape[:2]
    side = max(h, w)
    if h == w:
        return picture
    top, left = (side - h) // 2, (side - w) // 2
    out = np.empty((side, side, *picture.shape[2:]), dtype=picture.dtype)
    out[...] = np.asarray(fill, dtype=picture.dtype)
    out[top:top + h, left:left + w] = picture
    return out


def resize_square(picture: np.ndarray, size: int) -> np.ndarray:
    """Resize a square uint8 picture to size x size: area averaging down, bicubic up."""
    if picture.shape[0] == size and picture.shape[1] == size:
        return picture
    interp = cv2.INTER_AREA if picture.shape[0] > size else cv2.INTER_CUBIC
    return cv2.resize(picture, (size, size), interpolation=interp)


def clean_image(image: Image.Image, config: CleanupConfig) -> Image.Image:
    """A cleaned copy of ``image``: mode "L" (binary, grayscale) or "RGB" (color).

    Resizing (``size``) anti-aliases edges, so binary output then has grey edge pixels.
    """
    image = ImageOps.exif_transpose(image)
    bg, fg = (0, 255) if config.invert else (255, 0)
    if config.mode == "color":
        # colour photos: a smooth backdrop model and a soft matte (threshold and background
        # do not apply; tolerance > 0 overrides the noise-based distance threshold)
        from .colour_cleanup import clean_colour
        out, alpha = clean_colour(np.asarray(image.convert("RGB")), config.tolerance, config.invert)
        mask = alpha >= 0.5
    else:
        gray = np.asarray(image.convert("L"))
        mask = detail_mask(gray, config)
        if config.mode == "binary":
            out = np.where(mask, np.uint8(fg), np.uint8(bg))
        else:
            # Light-on-dark photos become dark-on-white; inverted output keeps the photo's grey.
            detail = gray if config.invert else 255 - gray
            out = np.where(mask, detail, np.uint8(bg))
    if config.crop:
        box = object_box(mask)
        if box is not None:  # nothing found: keep the whole picture
            out = crop_centred(out, box, config.margin, bg)
    if config.size is not None:
        out = resize_square(pad_to_square(out, bg), config.size)
    return Image.fromarray(np.ascontiguousarray(out))  # uint8 (H, W) -> "L", (H, W, 3) -> "RGB"

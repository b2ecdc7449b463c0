"""One image file, read defensively: size checked before decoding, odd pixel formats converted.

``read_image`` turns a file into an upright "RGB" or "L" Pillow image, or raises
``ImageReadError`` with a reason the user can act on (empty, too small, a decompression bomb,
truncated, not an image at all). Everything that reads a user's picture goes through it.
"""
from __future__ import annotations

import functools
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import UserError

MAX_PIXELS = 40_000_000  # larger images are refused before decoding (decompression bombs)
MIN_SIDE = 8             # smaller images carry no design
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff")
_FORMATS = ("PNG", "JPEG", "MPO", "WEBP", "GIF", "BMP", "TIFF")  # decoders we expose to uploads


class ImageReadError(UserError):
    """One file could not be used; ``reason`` says why without the file name."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"{Path(path).name}: {reason}")
        self.reason = reason


def _grey_to_uint8(im: Image.Image) -> Image.Image:
    """16-bit, 32-bit and float grey -> "L": 16-bit by its full range, floats in [0, 1]
    by 255, anything else outside 0..255 stretched from its min..max."""
    a = np.nan_to_num(np.asarray(im).astype(np.float64))
    if im.mode.startswith("I;16"):
        a = a / 257
    elif im.mode == "F" and a.min() >= 0 and a.max() <= 1:
        a = a * 255
    elif a.min() < 0 or a.max() > 255:
        a = (a - a.min()) / max(np.ptp(a), 1e-12) * 255
    return Image.fromarray(np.clip(np.round(a), 0, 255).astype(np.uint8))


def _to_rgb_or_l(im: Image.Image) -> Image.Image:
    """Any Pillow mode -> "RGB" or "L". Transparency is composited on white, the
    background every cleaned picture has, so a transparent logo looks like a clean one."""
    if im.mode in ("P", "PA", "L", "RGB") and ("transparency" in im.info or im.mode == "PA"):
        im = im.convert("RGBA")
    if im.mode.startswith("I") or im.mode == "F":
        return _grey_to_uint8(im)
    if im.mode in ("LA", "La", "RGBA", "RGBa"):
        white = Image.new("RGBA", im.size, (255, 255, 255, 255))
        flat = Image.alpha_composite(white, im.convert("RGBA"))
        return flat.convert("L" if im.mode.startswith("L") else "RGB")
    if im.mode in ("1", "L"):
        return im.convert("L")
    return im if im.mode == "RGB" else im.convert("RGB")


@functools.lru_cache(maxsize=None)
def _decoders() -> tuple[str, ...]:
    Image.init()  # registers MPO and WebP, which Image.open only loads for unrestricted formats
    return tuple(f for f in _FORMATS if f in Image.OPEN)


_SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF87a", "GIF"), (b"GIF89a", "GIF"),
               (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"))


def _signature(path: Path) -> str | None:
    """The image format a file's first bytes announce, if any."""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError:
        return None
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    return next((kind for magic, kind in _SIGNATURES if head.startswith(magic)), None)


def read_image(path: str | Path, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Decode one file into an upright "RGB" or "L" image, or raise ``ImageReadError``."""
    path = Path(path)
    try:
        if path.stat().st_size == 0:
            raise ImageReadError(path, "empty file (0 bytes)")
    except FileNotFoundError:
        raise ImageReadError(path, "file not found") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=_decoders()) as im:
                w, h = im.size
                if w * h > max_pixels:
                    raise ImageReadError(path, f"too many pixels: {w}x{h} is over the {max_pixels:,} "
                                         "pixel limit (a decompression bomb?); shrink the image")
                if min(w, h) < MIN_SIDE:
                    raise ImageReadError(path, f"too small: {w}x{h} pixels; each side needs at "
                                         f"least {MIN_SIDE} pixels")
                try:
                    im.load()
                except Exception as e:  # decoders raise OSError, SyntaxError, ValueError, ...
                    raise ImageReadError(path, f"truncated or corrupt image data ({e}); "
                                         "export or download it again") from None
                try:
                    im = ImageOps.exif_transpose(im)
                except Exception:  # a broken EXIF block should not cost the picture
                    pass
                return _to_rgb_or_l(im)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageReadError(path, f"too many pixels: over the {max_pixels:,} pixel limit "
                             "(a decompression bomb?); shrink the image") from None
    except UnidentifiedImageError:
        kind = _signature(path)
        if kind:  # the right kind of file, but its header describes pixels Pillow cannot decode
            raise ImageReadError(path, f"a {kind} file with a header that cannot be decoded (unsupported "
                                 "colour type, channel layout or bit depth, or a damaged header); "
                                 "re-export it as an 8-bit greyscale or RGB image") from None
        raise ImageReadError(path, "not a readable image: the contents are not PNG, JPEG, WebP, "
                             "GIF, BMP or TIFF data") from None
    except ImageReadError:
        raise
    except (OSError, ValueError, SyntaxError) as e:  # header readable but inconsistent
        raise ImageReadError(path, f"truncated or corrupt image ({e}); export it again") from None

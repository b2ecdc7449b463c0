"""Crafted good and bad input files, shared by the dataset, reliability and app tests.

``make_bad_corpus(folder)`` writes files that must each be skipped with a specific
reason; ``make_good_corpus(folder)`` writes images in awkward but valid formats
that must each load. Both return what the tests should expect.
"""
from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
from PIL import Image


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_with_header(width: int, height: int, idat: bytes = b"", color_type: int = 0) -> bytes:
    """A PNG declaring ``width`` x ``height`` whose pixel data is only ``idat``."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr)
            + _chunk(b"IDAT", idat or zlib.compress(b"\x00" * 64)) + _chunk(b"IEND", b""))


def design(size: int = 32, seed: int = 0) -> np.ndarray:
    """A dark disc on white with a seed-dependent offset: (size, size) uint8."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    cx, cy = size / 2 + rng.uniform(-3, 3), size / 2 + rng.uniform(-3, 3)
    return np.where((xx - cx) ** 2 + (yy - cy) ** 2 < (size / 3) ** 2, 0, 255).astype(np.uint8)


def _png_bytes(image: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG", **kw)
    return buf.getvalue()


def png_bytes(seed: int = 0, size: int = 32) -> bytes:
    """A small valid PNG of ``design(size, seed)``."""
    return _png_bytes(Image.fromarray(design(size, seed)))


def make_bad_corpus(folder: str | Path) -> dict[str, str]:
    """Write unusable files into ``folder``; returns {file name: expected reason substring}."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    good_png = _png_bytes(Image.fromarray(design(32)))
    buf = io.BytesIO()
    Image.fromarray(np.stack([design(64)] * 3, -1)).save(buf, format="JPEG", quality=90)
    good_jpg = buf.getvalue()
    files: dict[str, tuple[bytes, str]] = {
        "empty.png": (b"", "empty file"),
        "text_renamed.png": (b"just some notes, not a picture\n" * 20, "not a readable image"),
        "page_saved_as.jpg": (b"<!DOCTYPE html><html><body>404</body></html>\n", "not a readable image"),
        "document.png": (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n", "not a readable image"),
        "truncated.png": (good_png[: len(good_png) // 2], "truncated or corrupt"),
        "truncated.jpg": (good_jpg[: len(good_jpg) // 3], "truncated or corrupt"),
        "bad_pixels.png": (png_with_header(64, 64, idat=b"this is not zlib data at all"),
                           "truncated or corrupt"),
        # 64 Mpx: over our 40 Mpx limit, under Pillow's own bomb check
        "bomb.png": (png_with_header(8000, 8000), "too many pixels: 8000x8000"),
        # 4.3 Gpx: Pillow refuses it while opening (DecompressionBombError)
        "huge.gif": (b"GIF89a" + struct.pack("<HHBBB", 65535, 65535, 0, 0, 0) + b","
                     + struct.pack("<HHHHB", 0, 0, 65535, 65535, 0) + b"\x08\x02\x00\x00\x00;",
                     "too many pixels"),
        "tiny.png": (_png_bytes(Image.new("L", (4, 4), 0)), "too small"),
        "sliver.png": (_png_bytes(Image.new("L", (300, 3), 0)), "too small"),
        "notes.txt": (b"hello\n", "not an image file type ('.txt')"),
        "drawing.svg": (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not an image file type ('.svg')"),
        "phone_photo.heic": (b"\x00\x00\x00\x18ftypheic", "not an image file type ('.heic')"),
        "README": (b"no extension\n", "no extension"),
        "broken.zip": (b"PK\x03\x04 this is not really a zip", "not a valid zip file"),
    }
    for name, (data, _) in files.items():
        (folder / name).write_bytes(data)
    return {name: reason for name, (_, reason) in files.items()}


def make_good_corpus(folder: str | Path) -> dict[str, str]:
    """Write valid images in awkward formats; returns {file name: expected mode after reading}."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    d = design(32)
    Image.fromarray(d).save(folder / "plain.png")
    Image.fromarray(np.stack([d, d, d], -1)).save(folder / "photo.jpg", quality=95)
    Image.fromarray(d.astype(np.uint16) * 257).save(folder / "deep16.png")  # 16-bit grey, I;16
    Image.fromarray(np.stack([d, d, d], -1)).convert("CMYK").save(folder / "print.jpg")
    rgba = np.zeros((32, 32, 4), np.uint8)
    rgba[..., 3] = 255 - d  # opaque black disc on a fully transparent background
    Image.fromarray(rgba, "RGBA").save(folder / "logo_rgba.png")
    pal = Image.fromarray((d == 0).astype(np.uint8), "L").convert("P")
    pal.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)  # index 0 red (transparent), 1 blue
    pal.save(folder / "palette.png", transparency=0)
    Image.fromarray(d).convert("1").save(folder / "bilevel.png")
    Image.fromarray((d / 255).astype(np.float32), "F").save(folder / "float.tif")
    Image.fromarray(np.stack([d, 255 - d], -1), "LA").save(folder / "grey_alpha.png")
    return {"plain.png": "L", "photo.jpg": "RGB", "deep16.png": "L", "print.jpg": "RGB",
            "logo_rgba.png": "RGB", "palette.png": "RGB", "bilevel.png": "L", "float.tif": "L",
            "grey_alpha.png": "L"}


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    """A zip holding ``entries`` (name -> data), deflated."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()

"""Turn whatever the user hands us (a folder, a zip, uploaded files) into a training set.

Every file ends up either as a picture or as a ``SkippedFile`` with a reason the
user can act on; one bad file never stops the others. Images are read
defensively (size checked before decoding, odd pixel formats converted) and
become an (N, C, H, W) tensor in [-1, 1] through ``images.from_uint8``.
"""
from __future__ import annotations

import functools
import io
import json
import os
import re
import shutil
import tempfile
import uuid
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from ..config import RESOLUTIONS
from ..errors import UserError
from . import images as imagesmod
from .preprocess import CleanupConfig, border_median, clean_image, pad_to_square, resize_square
from .safezip import SkippedFile, extract_zip, is_hidden

__all__ = ["SkippedFile", "ImageReadError", "Dataset", "read_image", "iter_images", "collect_images",
           "prepare_picture", "load_dataset", "save_dataset", "cleanup_folder", "dataset_info", "is_hidden",
           "MAX_PIXELS", "IMAGE_EXTENSIONS", "map_images", "iter_prepared"]

MAX_PIXELS = 40_000_000  # larger images are refused before decoding (decompression bombs)
MIN_SIDE = 8             # smaller images carry no design
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff")
_FORMATS = ("PNG", "JPEG", "MPO", "WEBP", "GIF", "BMP", "TIFF")  # decoders we expose to uploads
_METADATA = "dataset.json"  # written by save_dataset; not a picture, not worth a warning
_HINT = "Add at least one PNG, JPEG or WebP image of 8x8 pixels or more."


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




def _walk(root: Path, tmp: Path, skipped: list, allow_zip: bool = True):
    """(name, path) of the candidate images under ``root``, sorted, names relative to it."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not is_hidden(d)]
        found += [Path(dirpath) / f for f in filenames if not is_hidden(f)]
    for path in sorted(found):
        name = path.relative_to(root).as_posix()
        yield from _candidate(path, name, tmp, skipped, allow_zip, top=path.parent == root)


def _candidate(path: Path, name: str, tmp: Path, skipped: list, allow_zip: bool, top: bool = True):
    suffix = path.suffix.lower()
    if suffix == ".zip":
        if not allow_zip:
            skipped.append(SkippedFile(name, "a zip inside a zip is not opened; unpack it first"))
            return
        target = tmp / f"zip{len(list(tmp.iterdir()))}"
        try:
            result = extract_zip(path, target)
        except UserError as e:
            skipped.append(SkippedFile(name, str(e)))
            return
        skipped.extend(result.skipped)
        yield from _walk(target, tmp, skipped, allow_zip=False)
    elif top and path.name == _METADATA:
        return
    elif suffix not in IMAGE_EXTENSIONS:
        kind = f"'{path.suffix}'" if path.suffix else "no extension"
        skipped.append(SkippedFile(name, f"not an image file type ({kind}); "
                                         "use .png, .jpg, .jpeg, .webp, .gif, .bmp or .tif"))
    else:
        yield name, path


def _as_path(item) -> Path:
    if isinstance(item, (str, os.PathLike)):
        return Path(item)
    return Path(getattr(item, "path", None) or item.name)  # Gradio file objects, temp files


def _candidates(source, tmp: Path, skipped: list):
    if isinstance(source, (list, tuple)):
        for item in source:
            path = _as_path(item)
            if path.is_dir():
                yield from _walk(path, tmp, skipped)
            elif not path.exists():
                skipped.append(SkippedFile(path.name, "file not found"))
            else:
                yield from _candidate(path, path.name, tmp, skipped, allow_zip=True)
        return
    path = Path(source)
    if not path.exists():
        raise UserError(f"{path} does not exist. Choose an existing folder, zip file or image.")
    if path.is_dir():
        yield from _walk(path, tmp, skipped)
    else:
        yield from _candidate(path, path.name, tmp, skipped, allow_zip=True)


def _unique(name: str, taken: set, sep: str = "~") -> str:
    base, suffix, k = name, "", 1
    if "." in PurePosixPath(name).name:
        base, suffix = name.rsplit(".", 1)
        suffix = "." + suffix
    while name in taken:
        k += 1
        name = f"{base}{sep}{k}{suffix}"
    taken.add(name)
    return name


def iter_images(source, skipped: list[SkippedFile]):
    """Yield ``(unique name, image)`` one at a time, appending unusable files to ``skipped``.

    Streaming keeps one full-size photo in memory at a time (100 phone photos
    would otherwise need gigabytes); a zip's temporary folder lives as long as the loop.
    """
    taken: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="design-studio-") as tmp:
        for name, path in _candidates(source, Path(tmp), skipped):
            try:
                image = read_image(path)
            except ImageReadError as e:
                skipped.append(SkippedFile(name, e.reason))
                continue
            yield _unique(name, taken), image


def collect_images(source) -> tuple[list[tuple[str, Image.Image]], list[SkippedFile]]:
    """Read every image in ``source``: a folder (recursive), a .zip, an image, or a list of these.

    Returns ``(images, skipped)``: unique names with "RGB"/"L" images, and the files not
    used with their reasons. Raises UserError only when ``source`` itself does not exist.
    """
    skipped: list[SkippedFile] = []
    images = list(iter_images(source, skipped))
    return images, skipped


@dataclass
class Dataset:
    images: torch.Tensor          # (N, C, H, W) float32 in [-1, 1]
    names: list[str]              # one per image, unique
    skipped: list[SkippedFile] = field(default_factory=list)  # files not used, with reasons

    def __post_init__(self):
        if self.images.dim() != 4 or self.images.shape[2] != self.images.shape[3]:
            raise ValueError(f"images must be (N, C, S, S), got {tuple(self.images.shape)}")
        if len(self.names) != len(self.images):
            raise ValueError(f"{len(self.names)} names for {len(self.images)} images")

    @property
    def resolution(self) -> int:
        return int(self.images.shape[-1])

    @property
    def channels(self) -> int:
        return int(self.images.shape[1])

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def to(self, device) -> "Dataset":
        return Dataset(self.images.to(device), list(self.names), list(self.skipped))

    def pictures(self) -> np.ndarray:
        """(N, H, W) or (N, H, W, 3) uint8."""
        return imagesmod.to_uint8(self.images)


def prepare_picture(image: Image.Image, resolution: int, channels: int,
                    cleanup: CleanupConfig | None = None) -> np.ndarray:
    """One image -> square uint8 picture (H, W) or (H, W, 3), cleaned first when asked."""
    if cleanup is not None:
        image = clean_image(image, cleanup)
    a = np.asarray(image.convert("L" if channels == 1 else "RGB"))
    if cleanup is not None:
        fill = 0 if cleanup.invert else 255
    else:
        fill = border_median(a).round().astype(np.uint8)  # the photo's own background, so padding does not show
    return resize_square(pad_to_square(a, fill), resolution)


def load_dataset(source, resolution: int = 64, channels: int = 1,
                 cleanup: CleanupConfig | None = None, progress: Progress | None = None,
                 workers: int | None = None) -> Dataset:
    """Collect, optionally clean, square and resize every image in ``source``.

    ``progress(done, total)`` is called as files are done; large inputs use ``workers``
    processes (default: every core), see ``map_images``.
    """
    if resolution not in RESOLUTIONS:
        raise UserError(f"resolution must be one of {RESOLUTIONS}, got {resolution!r}")
    if channels not in (1, 3):
        raise UserError(f"channels must be 1 (grayscale) or 3 (colour), got {channels!r}")
    skipped: list[SkippedFile] = []
    names, pictures = [], []
    for name, picture in iter_prepared(source, resolution, channels, cleanup, skipped, progress, workers):
        names.append(name)
        pictures.append(picture)
    if not pictures:
        raise no_images_error(source, skipped)
    tensor = imagesmod.from_uint8(np.stack(pictures), channels=channels).float().contiguous()
    return Dataset(tensor, names, skipped)


def no_images_error(source, skipped: list[SkippedFile]) -> UserError:
    """The error for a source without one usable image, naming the first reasons."""
    where = (f"the {len(source)} uploaded file{'s' * (len(source) != 1)}"
             if isinstance(source, (list, tuple)) else str(source))
    if skipped:
        first = "; ".join(f"{s.name}: {s.reason}" for s in skipped[:3])
        return UserError(f"No usable images in {where}: {len(skipped)} files skipped "
                         f"(first reasons: {first}). {_HINT}")
    return UserError(f"No usable images in {where}: it holds no files. {_HINT}")


def _png_name(name: str, index: int, taken: set) -> str:
    """A safe, unique PNG file name keeping the stem of ``name``."""
    stem = re.sub(r"[^\w.-]+", "_", PurePosixPath(name).stem).strip("._") or f"image_{index:04d}"
    return _unique(stem + ".png", taken, sep="_")


def save_dataset(pictures_or_dataset, names: list[str] | None, folder: str | Path,
                 overwrite: bool = False, cleanup: CleanupConfig | None = None) -> Path:
    """Write PNGs and ``dataset.json`` into ``folder``; all or nothing (temp folder, then rename).

    ``cleanup``, the settings the pictures were cleaned with, is recorded in dataset.json."""
    skipped = []
    if isinstance(pictures_or_dataset, Dataset):
        skipped = pictures_or_dataset.skipped
        names = names if names is not None else pictures_or_dataset.names
        pictures = pictures_or_dataset.pictures()
    else:
        pictures = np.asarray(pictures_or_dataset)
    if pictures.dtype != np.uint8 or pictures.ndim not in (3, 4) or pictures.shape[1] != pictures.shape[2]:
        raise ValueError(f"expected (N, S, S[, 3]) uint8 pictures, got {pictures.dtype} {pictures.shape}")
    names = list(names) if names is not None else [f"image_{i:04d}.png" for i in range(len(pictures))]
    if len(names) != len(pictures):
        raise ValueError(f"{len(names)} names for {len(pictures)} pictures")
    folder = Path(folder)
    if folder.exists() and not overwrite:
        raise UserError(f"{folder} already exists. Choose another folder or allow overwriting.")
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.parent / f".{folder.name}.saving-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        taken: set[str] = set()
        files = [_png_name(name, i, taken) for i, name in enumerate(names)]
        for picture, file in zip(pictures, files):
            imagesmod.to_pil(picture).save(tmp / file, format="PNG")
        meta = {"format_version": 1, "count": len(files), "resolution": int(pictures.shape[1]),
                "channels": 3 if pictures.ndim == 4 else 1, "files": files, "names": names,
                "skipped": [asdict(s) for s in skipped], "cleanup": asdict(cleanup) if cleanup else None}
        (tmp / _METADATA).write_text(json.dumps(meta, indent=2))
        if folder.exists():
            old = folder.parent / f".{folder.name}.old-{uuid.uuid4().hex[:8]}"
            folder.rename(old)
            tmp.rename(folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def dataset_info(folder: str | Path) -> dict:
    """What a saved dataset's dataset.json says: name (the folder's), count, resolution, channels
    and cleanup (the settings it was cleaned with, a dict, or None)."""
    folder = Path(folder)
    meta_path = folder / _METADATA
    if not meta_path.is_file():
        raise UserError(f"{folder}: no {_METADATA}; save the images as a dataset first")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise UserError(f"{meta_path}: not readable ({e}); save the dataset again") from None
    if not isinstance(meta, dict):
        raise UserError(f"{meta_path}: must be a JSON object; save the dataset again")
    return {"name": folder.name, "count": int(meta.get("count", 0)), "resolution": meta.get("resolution"),
            "channels": int(meta.get("channels", 1)), "cleanup": meta.get("cleanup")}


def cleanup_folder(source, output: str | Path, config: CleanupConfig, progress: Progress | None = None,
                   workers: int | None = None) -> tuple[list[Path], list[SkippedFile]]:
    """Clean every image in ``source`` into ``output/<stem>.png`` at its cleaned size
    (on every core for large inputs; ``progress(done, total)`` as in ``load_dataset``)."""
    output = Path(output).resolve()
    if not isinstance(source, (list, tuple)) and Path(source).is_dir():
        src = Path(source).resolve()
        if output == src or output.is_relative_to(src):
            raise UserError(f"The output folder {output} is inside the input folder {src}; "
                            "choose an output folder elsewhere so the originals stay untouched.")
    skipped: list[SkippedFile] = []
    written: list[Path] = []
    taken: set[str] = set()
    work = functools.partial(_clean_file, config=config)
    for i, (name, png) in enumerate(map_images(source, work, skipped, progress, workers)):
        output.mkdir(parents=True, exist_ok=True)
        path = output / _png_name(name, i, taken)
        path.write_bytes(png)
        written.append(path)
    return written, skipped


# ---- many files: one decode per file, on every core ----------------------------------------
Progress = Callable[[int, int], None]
POOL_MIN_FILES = 256  # below this a process pool costs more (start-up, imports) than it saves


def _prepare_file(path: Path, resolution: int, channels: int, cleanup: CleanupConfig | None):
    try:
        return prepare_picture(read_image(path), resolution, channels, cleanup), None
    except ImageReadError as e:
        return None, e.reason


def _clean_file(path: Path, config: CleanupConfig):
    try:
        image = read_image(path)
    except ImageReadError as e:
        return None, e.reason
    buf = io.BytesIO()  # encoded in the worker: PNG compression is most of the cost
    clean_image(image, config).save(buf, format="PNG")
    return buf.getvalue(), None


def _pool_size(workers: int | None, files: int) -> int:
    if workers is None:
        workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return 1 if files < POOL_MIN_FILES else max(1, min(int(workers), files))


def map_images(source, work: Callable, skipped: list[SkippedFile], progress: Progress | None = None,
               workers: int | None = None):
    """Yield ``(unique name, value)`` for each file of ``source`` where ``work(path)`` returns
    ``(value, None)``; a ``(None, reason)`` becomes a skipped file. Order, names and skipped
    reasons are those of ``iter_images``. From ``POOL_MIN_FILES`` files on, ``work`` runs in a
    pool of ``workers`` processes (forkserver: safe in a threaded server; one import of this
    module per pool, not per file).
    """
    taken: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="design-studio-") as tmp:
        walk_skipped: list[SkippedFile] = []  # kept in place: files skipped before each candidate
        items = [(name, path, len(walk_skipped)) for name, path in _candidates(source, Path(tmp), walk_skipped)]
        total, n = len(items), _pool_size(workers, len(items))
        pool = None
        if n > 1:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor
            ctx = mp.get_context("forkserver")
            ctx.set_forkserver_preload([__name__])
            pool = ProcessPoolExecutor(n, mp_context=ctx)
            results = pool.map(work, [p for _, p, _ in items], chunksize=max(1, min(32, total // (4 * n))))
        else:
            results = (work(p) for _, p, _ in items)
        try:
            emitted = 0
            for done, ((name, _, before), (value, reason)) in enumerate(zip(items, results), 1):
                skipped.extend(walk_skipped[emitted:before])
                emitted = before
                if reason is not None:
                    skipped.append(SkippedFile(name, reason))
                else:
                    yield _unique(name, taken), value
                if progress is not None:
                    progress(done, total)
            skipped.extend(walk_skipped[emitted:])
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)


def iter_prepared(source, resolution: int, channels: int, cleanup: CleanupConfig | None,
                  skipped: list[SkippedFile], progress: Progress | None = None, workers: int | None = None):
    """Yield ``(unique name, picture)``: every image of ``source`` read, cleaned when asked,
    squared and resized (``prepare_picture``), on every core for large inputs."""
    work = functools.partial(_prepare_file, resolution=resolution, channels=channels, cleanup=cleanup)
    yield from map_images(source, work, skipped, progress, workers)

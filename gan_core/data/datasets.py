"""Training sets: whatever the user hands us, cleaned, squared and resized; saved datasets.

``load_dataset`` reads every picture of a source (``collect``), cleans it when asked
(``preprocess``), pads it square and resizes it, and returns an (N, C, H, W) tensor in [-1, 1]
(``images.from_uint8``). ``save_dataset`` writes PNGs and ``dataset.json``; ``dataset_info``
reads it back. Many files are read on every core (``collect.map_images``).
"""
from __future__ import annotations

import functools
import io
import json
import re
import shutil
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
import torch
from PIL import Image

from ..config import RESOLUTIONS
from ..errors import UserError
from . import images as imagesmod
from .collect import METADATA, Progress, map_images, unique_name
from .imagefile import ImageReadError, read_image
from .preprocess import CleanupConfig, border_median, clean_image, pad_to_square, resize_square
from .safezip import SkippedFile

__all__ = ["Dataset", "prepare_picture", "load_dataset", "no_images_error", "save_dataset",
           "dataset_info", "cleanup_folder", "iter_prepared"]

_HINT = "Add at least one PNG, JPEG or WebP image of 8x8 pixels or more."


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
    return unique_name(stem + ".png", taken, sep="_")


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
        (tmp / METADATA).write_text(json.dumps(meta, indent=2))
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
    meta_path = folder / METADATA
    if not meta_path.is_file():
        raise UserError(f"{folder}: no {METADATA}; save the images as a dataset first")
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


def iter_prepared(source, resolution: int, channels: int, cleanup: CleanupConfig | None,
                  skipped: list[SkippedFile], progress: Progress | None = None, workers: int | None = None):
    """Yield ``(unique name, picture)``: every image of ``source`` read, cleaned when asked,
    squared and resized (``prepare_picture``), on every core for large inputs."""
    work = functools.partial(_prepare_file, resolution=resolution, channels=channels, cleanup=cleanup)
    yield from map_images(source, work, skipped, progress, workers)

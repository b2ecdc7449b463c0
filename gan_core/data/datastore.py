"""The training images as uint8, on the device or memory-mapped, converted per batch.

A float32 copy of 20,000 colour 256 px images is ~16 GB; as uint8 it is ~4 GB. The trainer
holds the pictures as uint8 (N, H, W, C) on its device and converts each batch to [-1, 1]
floats with the same arithmetic as ``images.from_uint8`` (so results do not change). When the
pictures do not fit the memory budget they stay in a memory-mapped file of decoded pictures
(``images.u8`` + ``images.json`` in the run folder): a batch is a slice of that file, never a
PNG or JPEG decode.

File format (owned here): ``images.u8`` is the raw (N, H, W, C) uint8 array, C-order;
``images.json`` holds {"format_version", "count", "resolution", "channels", "names"}.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import torch

from ..checkpoint import read_json, write_json
from ..errors import UserError

FORMAT_VERSION = 1
AUTO_FRACTION = 0.5  # default budget: this share of the free device (or host) memory


def meta_path(path: Path) -> Path:
    return Path(path).with_suffix(".json")


def _free_bytes(device: torch.device) -> int:
    if device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[0])
    try:
        with open("/proc/meminfo") as f:
            info = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in f}
        return info.get("MemAvailable", info.get("MemFree", 0))
    except OSError:  # not Linux: ask the OS for free pages
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def memory_budget(device: torch.device | str, gigabytes: float = 0.0, processes_per_memory: int = 1) -> int:
    """Bytes the dataset may take per process: ``gigabytes`` when given (> 0), else
    ``AUTO_FRACTION`` of the free memory of ``device`` shared by the processes that use it
    (on the CPU all ranks of a node share the host's memory)."""
    if gigabytes and gigabytes > 0:
        return int(gigabytes * 2 ** 30)
    device = torch.device(device)
    share = processes_per_memory if device.type != "cuda" else 1
    return int(_free_bytes(device) * AUTO_FRACTION / max(1, share))


class ImageStore:
    """N pictures, (H, W, C) uint8 each, on ``device`` or in a memory-mapped file.

    ``batch(idx)`` returns float (B, C, H, W) in [-1, 1] on ``device``. A float dataset that is
    not exactly uint8 (tests' random tensors) is kept as float, so nothing is rounded.
    """

    def __init__(self, data, device: torch.device | str, path: Path | None = None):
        self.device = torch.device(device)
        self.path = path
        self.float_images = None           # (N, C, H, W) float, only for non-uint8 input
        self.u8 = None                     # (N, H, W, C) uint8 tensor on the device
        self.mm = None                     # (N, H, W, C) uint8 numpy memmap
        if isinstance(data, np.memmap):
            self.mm = data
        elif torch.is_tensor(data) and data.dtype == torch.uint8:
            self.u8 = data.to(self.device)
        elif torch.is_tensor(data):
            self.float_images = data.to(self.device, torch.float32)
        else:
            raise TypeError(f"unsupported image data {type(data).__name__}")

    # ---- shape -----------------------------------------------------------------------------
    @property
    def streaming(self) -> bool:
        return self.mm is not None

    def __len__(self) -> int:
        return int(self._any.shape[0])

    @property
    def _any(self):
        return next(x for x in (self.u8, self.mm, self.float_images) if x is not None)

    @property
    def shape(self) -> tuple[int, int, int]:
        """(C, H, W) of one image."""
        if self.float_images is not None:
            return tuple(self.float_images.shape[1:])
        n, h, w, c = self._any.shape
        return c, h, w

    @property
    def nbytes(self) -> int:
        x = self._any
        return int(x.numel() * x.element_size()) if torch.is_tensor(x) else int(x.nbytes)

    def describe(self) -> str:
        kind = ("float32 in memory" if self.float_images is not None else
                f"memory-mapped from {self.path}" if self.mm is not None else f"uint8 on {self.device}")
        return f"{len(self)} images, {self.nbytes / 2 ** 20:.0f} MB, {kind}"

    # ---- batches ---------------------------------------------------------------------------
    def batch(self, idx: torch.Tensor) -> torch.Tensor:
        """Float (B, C, H, W) in [-1, 1] on the device; the arithmetic of ``from_uint8``."""
        if self.float_images is not None:
            return self.float_images.index_select(0, idx)
        if self.u8 is not None:
            x = self.u8.index_select(0, idx)
        else:  # a slice of the file; pinned so the copy to a GPU overlaps
            x = torch.from_numpy(np.asarray(self.mm[idx.cpu().numpy()]))
            if self.device.type == "cuda":
                x = x.pin_memory().to(self.device, non_blocking=True)
        return x.permute(0, 3, 1, 2).float() / 127.5 - 1

    def pictures(self, idx: Iterable[int] | None = None) -> np.ndarray:
        """uint8 pictures (N, H, W) or (N, H, W, 3), as ``images.to_uint8`` gives them."""
        if self.float_images is not None:
            from .images import to_uint8
            x = self.float_images if idx is None else self.float_images[torch.as_tensor(list(idx))]
            return to_uint8(x)
        src = self.u8 if self.u8 is not None else self.mm
        a = src if idx is None else src[np.asarray(list(idx))]
        a = a.cpu().numpy() if torch.is_tensor(a) else np.asarray(a)
        return a[..., 0] if a.shape[-1] == 1 else a

    def floats(self, limit: int | None = None) -> tuple[torch.Tensor, list[int]]:
        """CPU float images (for metrics): all, or ``limit`` evenly spaced ones, with their indices."""
        n = len(self)
        idx = list(range(n)) if limit is None or n <= limit else np.linspace(0, n - 1, limit).round().astype(int).tolist()
        x = torch.cat([self.batch(torch.as_tensor(idx[i:i + 256], device=self.device)).cpu()
                       for i in range(0, len(idx), 256)])
        return x, idx


def exact_uint8(images: torch.Tensor) -> torch.Tensor | None:
    """(N, C, H, W) float -> (N, H, W, C) uint8 when ``from_uint8`` of it gives ``images`` back
    bit for bit (datasets made from pictures), else None. Checked in chunks: no float copy."""
    out = torch.empty((images.shape[0], *images.shape[2:], images.shape[1]), dtype=torch.uint8)
    for i in range(0, images.shape[0], 512):
        x = images[i:i + 512].detach().float().cpu()
        u = ((x + 1) * 127.5).round().clamp_(0, 255).to(torch.uint8)
        if not torch.equal(u.float() / 127.5 - 1, x):
            return None
        out[i:i + 512] = u.permute(0, 2, 3, 1)
    return out


def write_store(pictures: Iterable[tuple[str, np.ndarray]], path: str | Path, resolution: int,
                channels: int) -> int:
    """Write (name, picture) pairs into ``path`` (+ ``.json``) atomically; returns the count."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex[:8]}.tmp"
    names, shape = [], (resolution, resolution) + ((3,) if channels == 3 else ())
    try:
        with open(tmp, "wb") as f:
            for name, pic in pictures:
                pic = np.ascontiguousarray(pic, dtype=np.uint8)
                if pic.shape != shape:
                    raise ValueError(f"{name}: picture {pic.shape}, expected {shape}")
                f.write(pic.tobytes())
                names.append(name)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    write_json({"format_version": FORMAT_VERSION, "count": len(names), "resolution": resolution,
                "channels": channels, "names": names}, meta_path(path))
    return len(names)


def open_store(path: str | Path, device: torch.device | str = "cpu") -> ImageStore:
    """The memory-mapped store written by ``write_store`` (nothing is read until a batch)."""
    path = Path(path)
    # the header lists every image's name: ~30 bytes each, so a large set passes 1 MB
    meta = read_json(meta_path(path), "decoded images header", max_bytes=256 * 2**20)
    n, r, c = meta.get("count"), meta.get("resolution"), meta.get("channels")
    if meta.get("format_version") != FORMAT_VERSION or not all(isinstance(v, int) for v in (n, r, c)):
        raise UserError(f"{meta_path(path).name}: not a decoded-images header this version can read")
    if not path.is_file() or path.stat().st_size != n * r * r * c:
        raise UserError(f"{path}: decoded images file is missing or has the wrong size; prepare it again")
    if n == 0:
        raise UserError(f"{path}: holds no images")
    return ImageStore(np.memmap(path, dtype=np.uint8, mode="r", shape=(n, r, r, c)), device, path)


def prepare_store(source, path: str | Path, resolution: int, channels: int, cleanup=None,
                  progress: Callable[[int, int], None] | None = None, workers: int | None = None) -> list:
    """Decode (and clean) every image of ``source`` once, on all cores, into ``path``.

    Returns the files skipped, with reasons. Pictures go straight into the file: memory
    holds a few pictures at a time, never the whole set.
    """
    from ..config import RESOLUTIONS
    from .datasets import iter_prepared, no_images_error
    if resolution not in RESOLUTIONS:
        raise UserError(f"resolution must be one of {RESOLUTIONS}, got {resolution!r}")
    skipped: list = []
    count = write_store(iter_prepared(source, resolution, channels, cleanup, skipped, progress, workers),
                        path, resolution, channels)
    if count == 0:
        Path(path).unlink(missing_ok=True)
        meta_path(path).unlink(missing_ok=True)
        raise no_images_error(source, skipped)
    return skipped


def to_store(dataset, device: torch.device, budget_bytes: int, spill_path: Path | None,
             write: bool = True, wait: Callable[[], None] = lambda: None) -> ImageStore:
    """The trainer's data: a tensor, a ``Dataset`` or an ``ImageStore`` -> an ``ImageStore``
    on ``device`` when it fits ``budget_bytes``, else memory-mapped from ``spill_path``.

    In a distributed run only rank 0 writes the spill file (``write``); ``wait`` is the
    barrier after which the others open it.
    """
    if isinstance(dataset, ImageStore):
        store = dataset
    else:
        x = dataset.images if hasattr(dataset, "images") else dataset
        if not torch.is_tensor(x) or x.dim() != 4:
            raise UserError("the dataset must be images shaped (N, C, H, W)")
        if x.shape[0] < 1:
            raise UserError("the dataset is empty: add at least one image")
        u8 = exact_uint8(x) if x.dtype != torch.uint8 else x.permute(0, 2, 3, 1).contiguous()
        store = ImageStore(u8 if u8 is not None else x, "cpu")
    if store.float_images is not None:
        return ImageStore(store.float_images, device)
    if store.nbytes <= budget_bytes:
        if store.mm is not None:
            return ImageStore(_load(store, device), device, store.path)
        return ImageStore(store.u8, device)
    if store.mm is not None:
        return ImageStore(store.mm, device, store.path)
    if spill_path is None:
        raise UserError(f"the dataset ({store.nbytes / 2 ** 30:.1f} GB as uint8) is over the memory budget "
                        f"({budget_bytes / 2 ** 30:.1f} GB) and there is no run folder to stream it from")
    if write:
        c, h, _ = store.shape
        write_store(((str(i), p) for i, p in enumerate(iter_pictures(store))), spill_path, h, c)
    wait()
    return open_store(spill_path, device)


def _load(store: ImageStore, device: torch.device) -> torch.Tensor:
    """The file's pictures as one uint8 tensor on ``device``, read in 256-picture chunks with
    plain reads: the mapped pages never count in this process's memory, and on the way to a
    GPU no second full copy is made in host memory."""
    shape = store.mm.shape
    out = torch.empty(shape, dtype=torch.uint8, device=device)
    buf = torch.empty((min(256, shape[0]), *shape[1:]), dtype=torch.uint8)
    with open(store.path, "rb") as f:
        for i in range(0, shape[0], 256):
            part = buf[:min(256, shape[0] - i)]
            if f.readinto(memoryview(part.numpy()).cast("B")) != part.numel():
                raise UserError(f"{store.path}: shorter than its header says; prepare it again")
            out[i:i + len(part)].copy_(part)
    return out


def iter_pictures(store: ImageStore):
    """The store's pictures one by one, read 256 at a time (no full copy in memory)."""
    for i in range(0, len(store), 256):
        yield from store.pictures(range(i, min(len(store), i + 256)))

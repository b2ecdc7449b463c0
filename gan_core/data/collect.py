"""Find the pictures in whatever the user hands us: a folder, a zip, uploaded files, or a list of these.

Every file ends up either as a picture or as a ``SkippedFile`` with a reason the user can act
on; one bad file never stops the others. Names are made unique in the order files are found.
``map_images`` runs one function per file, on every core when there are many files.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path, PurePosixPath
from typing import Callable

from PIL import Image

from ..errors import UserError
from .imagefile import IMAGE_EXTENSIONS, ImageReadError, read_image
from .safezip import SkippedFile, extract_zip, is_hidden

METADATA = "dataset.json"  # a saved dataset's own file (datasets.save_dataset): not a picture


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
    elif top and path.name == METADATA:
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


def unique_name(name: str, taken: set, sep: str = "~") -> str:
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
            yield unique_name(name, taken), image


def collect_images(source) -> tuple[list[tuple[str, Image.Image]], list[SkippedFile]]:
    """Read every image in ``source``: a folder (recursive), a .zip, an image, or a list of these.

    Returns ``(images, skipped)``: unique names with "RGB"/"L" images, and the files not
    used with their reasons. Raises UserError only when ``source`` itself does not exist.
    """
    skipped: list[SkippedFile] = []
    images = list(iter_images(source, skipped))
    return images, skipped


# ---- many files: one decode per file, on every core ----------------------------------------
Progress = Callable[[int, int], None]
POOL_MIN_FILES = 256  # below this a process pool costs more (start-up, imports) than it saves


def _pool_size(workers: int | None, files: int) -> int:
    if workers is None:
        workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return 1 if files < POOL_MIN_FILES else max(1, min(int(workers), files))


def map_images(source, work: Callable, skipped: list[SkippedFile], progress: Progress | None = None,
               workers: int | None = None):
    """Yield ``(unique name, value)`` for each file of ``source`` where ``work(path)`` returns
    ``(value, None)``; a ``(None, reason)`` becomes a skipped file. Order, names and skipped
    reasons are those of ``iter_images``. From ``POOL_MIN_FILES`` files on, ``work`` runs in a
    pool of ``workers`` processes (forkserver: safe in a threaded server; one import of the
    module that defines ``work``, a function or a ``functools.partial`` of one, per pool, not
    per file).
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
            ctx.set_forkserver_preload([__name__, getattr(work, "func", work).__module__])
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
                    yield unique_name(name, taken), value
                if progress is not None:
                    progress(done, total)
            skipped.extend(walk_skipped[emitted:])
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)

"""Which generator a visitor's model reference means, resolved once per visitor and reference.

A slider move used to resolve its model reference four times (design, nearest image,
variations, PNG), and for a Hub id each resolution asked the Hub cache (or the network)
again. Here a (visitor, reference) pair is resolved once to a folder and remembered; the
loaded network itself comes from ``models_cache.CACHE``, which reloads a folder whose
weights file changed (a run that wrote a newer checkpoint).
"""
from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from pathlib import Path

import torch

from gan_core.design.generate import DesignModel

from .. import models_cache
from ..workspace import Visitor

RESOLVED_SIZE = 256   # (visitor, reference) pairs remembered


class ModelResolver:
    """(visitor, model reference) -> folder, cached; folder -> DesignModel through the shared cache."""

    def __init__(self, weights_dir: Path, size: int = RESOLVED_SIZE):
        self.weights_dir = weights_dir
        self.size = size
        self._folders: OrderedDict[tuple, Path] = OrderedDict()
        self._lock = threading.Lock()

    def folder(self, ref: str, visitor: Visitor, refresh: bool = False) -> Path:
        """The local folder ``ref`` points to for ``visitor`` (raises UserError when none).

        Cached while the folder exists; the key includes whether this is a public Space,
        since that changes which folders a visitor may open."""
        key = (visitor.id, (ref or "").strip(), models_cache.on_public_space())
        with self._lock:
            folder = None if refresh else self._folders.get(key)
            if folder is not None and folder.exists():
                self._folders.move_to_end(key)
                return folder
        folder = models_cache.resolve_model(ref, visitor, self.weights_dir)
        with self._lock:
            self._folders[key] = folder
            while len(self._folders) > self.size:
                self._folders.popitem(last=False)
        return folder

    def model(self, ref: str, visitor: Visitor, refresh: bool = False) -> DesignModel:
        """The loaded generator for ``ref`` (a UserError names the model when it cannot load)."""
        return models_cache.load_folder(ref, self.folder(ref, visitor, refresh))


_threads_lock = threading.Lock()
_threads_users = 0
_threads_saved = 1


@contextlib.contextmanager
def single_threaded():
    """Run the page's small renders (one design, a 3x3 grid) on one CPU thread.

    A 64 px design is too little work to share: with two threads on a busy CPU (other
    processes, or a training run in this server) a render waited ~390 ms for its second
    thread, against ~42 ms on one (median of 48 interleaved renders, load 15-18); the pixels
    are identical. Torch's thread count is process-wide: it is restored when the last
    concurrent render ends, and a training step that runs meanwhile keeps going on one thread
    for those milliseconds.
    """
    global _threads_users, _threads_saved
    with _threads_lock:
        if _threads_users == 0:
            _threads_saved = torch.get_num_threads()
            torch.set_num_threads(1)
        _threads_users += 1
    try:
        yield
    finally:
        with _threads_lock:
            _threads_users -= 1
            if _threads_users == 0:
                torch.set_num_threads(_threads_saved)

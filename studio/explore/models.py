"""Which generator a visitor's model reference means, resolved once per visitor and reference.

A slider move used to resolve its model reference four times (design, nearest image,
variations, PNG), and for a Hub id each resolution asked the Hub cache (or the network)
again. Here a (visitor, reference) pair is resolved once to a folder and remembered; the
loaded network itself comes from ``models_cache.CACHE``, which reloads a folder whose
weights file changed (a run that wrote a newer checkpoint).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from gan_core.generate import DesignModel

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

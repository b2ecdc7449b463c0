"""Which generator a model reference means, and a small LRU cache of loaded ones.

A model reference is what the Explore picker holds and what ``/generate`` takes:

    bundled/<name>    a folder under the bundled weights dir (STUDIO_WEIGHTS_DIR or ./weights)
    run/<name>        one of this visitor's runs (its model.safetensors, written at each checkpoint)
    <folder path>     a local folder with config.json + model.safetensors
    <owner>/<name>    a Hugging Face Hub repository (gan_core.hub.download_model)

Loaded models are cached by (folder, weights mtime, size): sliders stay fast and a run
that writes a newer checkpoint is reloaded on the next request.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from gan_core.errors import UserError
from gan_core.generate import WEIGHTS_NAME, DesignModel, load_generator

from .workspace import NAME, Visitor

CACHE_SIZE = 8


class ModelCache:
    def __init__(self, size: int = CACHE_SIZE):
        self.size = size
        self._models: OrderedDict[tuple, DesignModel] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, path: Path) -> DesignModel:
        weights = path / WEIGHTS_NAME if path.is_dir() else path
        try:
            st = weights.stat()
        except OSError:
            return load_generator(path)  # raises a UserError that says what is missing
        key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
        with self._lock:
            model = self._models.get(key)
            if model is not None:
                self._models.move_to_end(key)
                return model
            model = load_generator(path)
            for old in [k for k in self._models if k[0] == key[0]]:
                del self._models[old]  # an older checkpoint of the same folder
            self._models[key] = model
            while len(self._models) > self.size:
                self._models.popitem(last=False)
            return model


CACHE = ModelCache()


def bundled_models(weights_dir: Path) -> list[Path]:
    if not weights_dir.is_dir():
        return []
    return sorted(p for p in weights_dir.iterdir() if (p / WEIGHTS_NAME).is_file())


def _hub():
    try:
        from gan_core import hub
    except ImportError:
        return None
    return hub


def resolve_model(ref: str, visitor: Visitor, weights_dir: Path) -> Path:
    """The local folder (or weights file) a model reference points to."""
    ref = (ref or "").strip()
    if not ref:
        raise UserError("Pick a model first: a bundled one, one of your runs, or type a folder "
                        "or Hub repository id under 'Load another model'.")
    kind, _, name = ref.partition("/")
    if kind in ("bundled", "run") and NAME.fullmatch(name):
        folder = weights_dir / name if kind == "bundled" else visitor.runs / name
        if not (folder / WEIGHTS_NAME).is_file():
            if kind == "run" and folder.is_dir():
                raise UserError(f"Run {name!r} has no model yet; it writes one at its first checkpoint.")
            raise UserError(f"There is no {'bundled model' if kind == 'bundled' else 'run'} called {name!r}.")
        return folder
    path = Path(ref).expanduser()
    if path.exists():
        return path
    hub = _hub()
    if hub is not None:
        try:
            repo_id = hub.check_repo_id(ref)  # also takes a pasted https://huggingface.co/... URL
        except UserError:
            repo_id = None
        if repo_id:
            return Path(hub.download_model(repo_id))
    raise UserError(f"{ref}: no such folder, and not a Hub repository id (owner/name).")


def load_model(ref: str, visitor: Visitor, weights_dir: Path) -> DesignModel:
    return CACHE.get(resolve_model(ref, visitor, weights_dir))

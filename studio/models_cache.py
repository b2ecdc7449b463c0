"""Which generator a model reference means, and a small LRU cache of loaded ones.

A model reference is what the Explore picker holds and what ``/generate`` takes:

    bundled/<name>    a folder under the bundled weights dir (STUDIO_WEIGHTS_DIR or ./weights)
    run/<name>        one of this visitor's runs (its model.safetensors, written at each checkpoint)
    <folder path>     a local folder with config.json + model.safetensors
    <owner>/<name>    a Hugging Face Hub repository (gan_core.hub.transfer.download_model)

Loaded models are cached by (folder, weights mtime, size): sliders stay fast and a run
that writes a newer checkpoint is reloaded on the next request.

On a public Space (``SPACE_ID`` set) a typed folder must be one of the visitor's own runs
or a bundled model: other server folders (another visitor's runs, system paths) are refused.
Locally any folder loads.
"""
from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path

from gan_core.design.generate import WEIGHTS_NAME, DesignModel, load_generator
from gan_core.errors import UserError
from gan_core.training.runfolder import RunFolder

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
_pictures: OrderedDict[tuple, object] = OrderedDict()
_pictures_lock = threading.Lock()


def training_pictures(folder: Path):
    """The training pictures a model folder keeps (``dataset.safetensors`` of a run or a bundled
    model) as (N, H, W[, 3]) uint8, or None; cached by file and modification time."""
    folder = folder if folder.is_dir() else folder.parent
    path = RunFolder(folder).training_images
    try:
        st = path.stat()
    except OSError:
        return None
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    with _pictures_lock:
        if key in _pictures:
            _pictures.move_to_end(key)
            return _pictures[key]
    try:
        pictures = RunFolder(folder).read_training_images()
    except UserError:
        return None  # damaged: explore the model without the comparison
    with _pictures_lock:
        _pictures[key] = pictures
        while len(_pictures) > CACHE_SIZE:
            _pictures.popitem(last=False)
    return pictures


def bundled_models(weights_dir: Path) -> list[Path]:
    if not weights_dir.is_dir():
        return []
    return sorted(p for p in weights_dir.iterdir() if (p / WEIGHTS_NAME).is_file())


def _hub():
    try:
        from gan_core.hub import transfer as hub
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
    public = on_public_space()
    if public:  # "..", resolved as written: no walking up out of a linked-in folder
        path = Path(os.path.normpath(path.absolute()))
    if path.exists() and (not public or _inside_allowed(path, visitor, weights_dir)):
        return path
    hub = _hub()
    repo_id = None
    if hub is not None:
        try:
            repo_id = hub.check_repo_id(ref)  # also takes a pasted https://huggingface.co/... URL
        except UserError:
            repo_id = None
        if repo_id:
            return Path(hub.download_model(repo_id))
    if public:
        raise UserError(f"{ref}: on this Space the model box takes bundled models (bundled/<name>), your own "
                        "runs (run/<name>) and Hugging Face Hub repositories (owner/name); other folders "
                        "of the server are not available.")
    raise UserError(f"{ref}: no such folder, and not a Hub repository id. Type a folder path, bundled/<name>, "
                    "run/<name> or a Hub id such as you/rim-generator.")


def on_public_space() -> bool:
    return bool(os.environ.get("SPACE_ID"))


def _inside_allowed(path: Path, visitor: Visitor, weights_dir: Path) -> bool:
    """A typed folder on a Space: inside this visitor's runs (no symlinks out), or inside the
    bundled weights dir (whose entries the admin may link in)."""
    runs = Path(os.path.normpath(visitor.runs.absolute()))
    if path.is_relative_to(runs) and path.resolve().is_relative_to(visitor.runs.resolve()):
        return True
    return path.is_relative_to(Path(os.path.normpath(weights_dir.absolute())))


def load_model(ref: str, visitor: Visitor, weights_dir: Path) -> DesignModel:
    return load_folder(ref, resolve_model(ref, visitor, weights_dir))


def load_folder(ref: str, folder: Path) -> DesignModel:
    """The generator in ``folder`` (what ``ref`` resolved to); errors name the model."""
    try:
        return CACHE.get(folder)
    except UserError as e:  # say which model: "model.safetensors: …" alone does not
        ref = (ref or "").strip()
        if ref in str(e) or str(folder) in str(e) or str(e).startswith(Path(ref).name + ":"):
            raise
        raise UserError(f"{ref}: {e}") from None

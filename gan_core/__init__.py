"""gan_core: the Design Studio engine (no UI).

Cleanup, datasets, models, losses, training, latent tools, checkpoints, exports,
metrics and the command line. Import submodules directly (``gan_core.trainer``,
``gan_core.generate``...); the names below are the public API, loaded lazily so
``import gan_core`` stays cheap.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "UserError": "errors",
    "ModelConfig": "config", "TrainConfig": "config",
    "PRESETS": "presets", "preset": "presets",
    "CleanupConfig": "preprocess", "clean_image": "preprocess",
    "Dataset": "datasets", "load_dataset": "datasets", "SkippedFile": "datasets",
    "Generator": "models", "Critic": "models",
    "train": "trainer", "Trainer": "trainer", "Progress": "trainer", "TrainResult": "trainer",
    "z_from_seed": "latent", "slerp": "latent", "morph_path": "latent", "truncate": "latent",
    "load_generator": "generate", "save_generator": "generate", "DesignModel": "generate",
    "save_gif": "export", "save_mp4": "export", "save_grid": "export",
    "RunFolder": "runfolder",
}


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'gan_core' has no attribute {name!r}")


__all__ = list(_EXPORTS)

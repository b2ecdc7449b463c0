"""gan_core: the Design Studio engine (no UI).

Cleanup, datasets, models, losses, training, latent tools, checkpoints, exports,
metrics and the command line, one subpackage per stage (see README.md, "Project layout").
Import submodules directly (``gan_core.training.trainer``, ``gan_core.design.generate``...); the
names below are the public API, loaded lazily so ``import gan_core`` stays cheap.
"""
from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "UserError": "errors",
    "ModelConfig": "config", "TrainConfig": "config",
    "PRESETS": "training.presets", "preset": "training.presets",
    "CleanupConfig": "data.preprocess", "clean_image": "data.preprocess",
    "Dataset": "data.datasets", "load_dataset": "data.datasets", "SkippedFile": "data.safezip",
    "Generator": "nets.models", "Critic": "nets.models",
    "train": "training.trainer", "Trainer": "training.trainer",
    "Progress": "training.trainer_report", "TrainResult": "training.trainer_report",
    "z_from_seed": "design.latent", "slerp": "design.latent", "morph_path": "design.latent", "truncate": "design.latent",
    "load_generator": "design.generate", "save_generator": "design.generate", "DesignModel": "design.generate",
    "save_gif": "export.animation", "save_mp4": "export.animation", "save_grid": "export.animation",
    "RunFolder": "training.runfolder",
}


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'gan_core' has no attribute {name!r}")


__all__ = list(_EXPORTS)

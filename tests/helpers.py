"""Small builders shared by the engine tests (tiny configs, seconds each)."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import torch

from gan_core.config import ModelConfig, TrainConfig


def tiny_model(**kw) -> ModelConfig:
    base = dict(resolution=16, channels=1, width=4, z_dim=8)
    base.update(kw)
    return ModelConfig(**base)


def tiny_train(loss: str = "dcgan", steps: int = 6, model: dict | None = None, **kw) -> TrainConfig:
    mkw = dict(model or {})
    if loss == "hinge":
        mkw.setdefault("spectral_norm", True)
    if loss == "wgan-gp":
        mkw.setdefault("d_norm", "instance")
    base = dict(model=tiny_model(**mkw), loss=loss, batch_size=8, steps=steps, minutes=None,
                n_critic=2 if loss.startswith("wgan") else 1, log_every=2, sample_every=3,
                grid_size=4, checkpoint_minutes=60.0, sample_seconds=3600.0)
    base.update(kw)
    return TrainConfig(**base)


def shapes_dataset(n: int = 12, size: int = 16, channels: int = 1, seed: int = 0) -> torch.Tensor:
    """Black squares and discs of varied size/position on white, (n, C, size, size) in [-1, 1]."""
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    out = torch.ones(n, channels, size, size)
    for i in range(n):
        cy, cx = torch.randint(size // 4, 3 * size // 4, (2,), generator=g).tolist()
        r = int(torch.randint(2, size // 3, (1,), generator=g))
        mask = ((yy - cy) ** 2 + (xx - cx) ** 2 <= r * r) if i % 2 else ((yy - cy).abs() <= r) & ((xx - cx).abs() <= r)
        out[i, :, mask] = -1.0
    return out


def load_script(name: str):
    """A script of scripts/ as a module (registered under its name: dataclasses and worker pools look
    modules up by it)."""
    spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parents[1] / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module

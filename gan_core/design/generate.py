"""Loading a generator from its folder and turning seeds into designs.

A generator folder holds ``config.json`` ({"format_version", "model": {...}, ...})
and ``model.safetensors`` (the EMA generator's weights). Nothing else is needed.
"""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import torch

from ..checkpoint import is_pickle, load_tensors, read_json, save_tensors, write_json
from ..config import FORMAT_VERSION, ModelConfig
from ..data.images import to_uint8
from ..errors import UserError
from ..nets.models import Generator
from .latent import check_seed, morph_path, truncate, z_from_seed, z_from_seeds

WEIGHTS_NAME = "model.safetensors"
CONFIG_NAME = "config.json"


def save_generator(G: Generator, folder: str | Path, extra: dict | None = None) -> Path:
    """Write config.json + model.safetensors (atomically) so ``load_generator(folder)`` works."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    config_path = folder / CONFIG_NAME
    config = read_json(config_path) if config_path.is_file() else {}
    config.update({"format_version": FORMAT_VERSION, "model": G.cfg.to_dict(), **(extra or {})})
    save_tensors(G.state_dict(), folder / WEIGHTS_NAME)
    write_json(config, config_path)
    return folder


def recalibrate_generator(folder: str | Path) -> dict:
    """Re-measure the BatchNorm statistics of the generator in ``folder`` for its own weights and
    save it in place (gan_core.nets.models.recalibrate_batchnorm, with the run's batch size and seed).

    Runs trained before the trainer did this at every save carry the training generator's
    statistics beside the averaged (EMA) weights, which draws heavier, blotchier designs. Every
    design of the model changes (for the better); saved designs of it draw the new pixels.
    Returns {"batch_size", "samples", "seed"} as recorded in config.json ("recalibrated")."""
    from ..nets.models import RECALIBRATION_SAMPLES, recalibrate_batchnorm
    folder = Path(folder)
    model = load_generator(folder)
    config_path, _ = _resolve(folder)
    train = read_json(config_path, "config.json").get("train") or {}
    batch = int(train.get("batch_size") or 32)
    seed = int(train.get("seed") or 0)
    recalibrate_batchnorm(model.G, RECALIBRATION_SAMPLES, batch, seed=seed)
    done = {"batch_size": batch, "samples": RECALIBRATION_SAMPLES, "seed": seed}
    save_generator(model.G, config_path.parent, extra={"recalibrated": done})
    return done


class DesignModel:
    """A loaded generator, ready to turn seeds and latents into uint8 pictures.

    Thread-safe: generation calls from many requests share one model.
    """

    def __init__(self, G: Generator, info: dict | None = None, source: str = ""):
        self.G = G.eval()
        self.config: ModelConfig = G.cfg
        self.info = info or {}
        self.source = source
        self.device = next(G.parameters()).device
        self._lock = threading.Lock()

    @property
    def z_dim(self) -> int:
        return self.config.z_dim

    @torch.inference_mode()
    def from_latents(self, z: torch.Tensor, batch_size: int = 64) -> np.ndarray:
        """(N, z_dim) latents -> (N, H, W[, 3]) uint8 pictures, generated in batches."""
        out = []
        with self._lock:
            for i in range(0, z.shape[0], batch_size):
                out.append(to_uint8(self.G(z[i:i + batch_size].to(self.device))))
        return np.concatenate(out) if out else np.zeros((0, self.config.resolution, self.config.resolution), np.uint8)

    def generate(self, seeds, truncation: float = 1.0) -> np.ndarray:
        """Pictures for a list of seeds (same seed -> same picture on any device)."""
        seeds = [check_seed(s) for s in seeds]
        if not seeds:
            raise UserError("give at least one seed")
        return self.from_latents(truncate(z_from_seeds(seeds, self.z_dim), truncation))

    def design(self, seed: int, truncation: float = 1.0) -> np.ndarray:
        return self.generate([seed], truncation)[0]

    def morph(self, seeds, frames: int = 48, loop: bool = False, easing: str = "linear",
              truncation: float = 1.0) -> np.ndarray:
        """(frames, H, W[, 3]) pictures of a slerp path through the seeds' latents."""
        seeds = [check_seed(s) for s in seeds]
        keys = truncate(torch.stack([z_from_seed(s, self.z_dim) for s in seeds]), truncation)
        return self.from_latents(morph_path(keys, frames, loop=loop, easing=easing))


def _resolve(path: Path) -> tuple[Path, Path]:
    """(config.json, model.safetensors) for a folder or a weights file."""
    if path.is_dir():
        weights = path / WEIGHTS_NAME
        if not weights.is_file():
            pickles = sorted(p.name for p in path.iterdir() if is_pickle(p))
            if pickles:
                raise UserError(f"{path}: has {pickles[0]} but no {WEIGHTS_NAME}; only safetensors weights "
                                f"are loaded (pickle files can run code when opened)")
            raise UserError(f"{path}: no {WEIGHTS_NAME} in this folder; pick a finished run, a folder "
                            f"with config.json + {WEIGHTS_NAME}, or a Hub repository id")
        return path / CONFIG_NAME, weights
    if path.is_file():
        return path.parent / CONFIG_NAME, path
    raise UserError(f"{path}: no such folder or file")


def _check_shapes(cfg: ModelConfig, tensors: dict, weights_name: str) -> None:
    """The network config.json describes, built on the meta device (no memory), against the
    tensors in the weights file: a mismatch is refused before a real network is allocated."""
    with torch.device("meta"):
        expected = {k: tuple(v.shape) for k, v in Generator(cfg).state_dict().items()}
    got = {k: tuple(v.shape) for k, v in tensors.items()}
    if expected == got:
        return
    key = next((k for k in expected if got.get(k) != expected[k]), None) or next(k for k in got if k not in expected)
    detail = (f"{key}: config.json needs {expected.get(key, 'no such tensor')}, "
              f"the weights hold {got.get(key, 'none')}")
    raise UserError(f"{weights_name} does not match config.json ({detail}); keep the config.json "
                    f"that was saved with these weights")


def load_generator(path: str | Path, device: str | torch.device = "cpu") -> DesignModel:
    """Load a generator from a folder (or its model.safetensors); safetensors only, never pickle."""
    config_path, weights_path = _resolve(Path(path))
    tensors, _ = load_tensors(weights_path)  # refuses .pt/.pkl before reading a byte
    # a base model's file also holds its critic, for fine-tuning (gan_core.training.bases)
    tensors = {k: v for k, v in tensors.items() if not k.startswith("critic.")}
    info = read_json(config_path, "config.json")
    version = info.get("format_version", FORMAT_VERSION)
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise UserError(f"{config_path}: format_version {version!r} is newer than this studio understands "
                        f"({FORMAT_VERSION}); update Design Studio")
    if "model" not in info:
        raise UserError(f"{config_path}: has no \"model\" section; is this a Design Studio generator?")
    try:  # validated: no absurd sizes reach the constructor
        cfg = ModelConfig.from_dict(info["model"])
    except UserError as e:
        raise UserError(f"{config_path.name}: {e}; this is not a generator Design Studio can build") from None
    _check_shapes(cfg, tensors, weights_path.name)  # before allocating: a config may claim a huge network
    G = Generator(cfg)
    try:
        G.load_state_dict(tensors, strict=True)
    except RuntimeError as e:
        lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
        detail = next((ln for ln in lines if not ln.startswith("Error(s) in loading")), lines[0] if lines else "")
        raise UserError(f"{weights_path.name} does not match config.json ({detail[:160]}); keep the "
                        f"config.json that was saved with these weights") from None
    return DesignModel(G.to(device), info=info, source=str(path))

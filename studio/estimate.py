"""A rough "how long will this take" before a run starts.

A minutes budget is its own estimate. For a steps budget the speed of this exact
configuration is measured once on this device (a couple of training steps on
random pictures) and cached.
"""
from __future__ import annotations

import json
import tempfile
import threading
import time

import torch

from gan_core.config import TrainConfig

_cache: dict[str, float] = {}
_lock = threading.Lock()
WARMUP_STEPS = 1
TIMED_STEPS = 2


def _key(cfg: TrainConfig) -> str:
    d = cfg.to_dict()
    keep = ("model", "loss", "batch_size", "n_critic", "augment", "reuse_real_batch", "device",
            "mixed_precision", "r1_gamma")
    return json.dumps({k: d[k] for k in keep}, sort_keys=True)


def steps_per_second(cfg: TrainConfig) -> float:
    """Measured generator steps per second of ``cfg`` on its device (cached per configuration)."""
    key = _key(cfg)
    with _lock:
        if key in _cache:
            return _cache[key]
        from gan_core.trainer import Trainer
        m = cfg.model
        n = max(cfg.batch_size, 16)
        data = torch.rand(n, m.channels, m.resolution, m.resolution) * 2 - 1
        with tempfile.TemporaryDirectory(prefix="studio-estimate-") as tmp:
            trainer = Trainer(cfg.replace(ema_start=0), data, tmp, evaluate=False)
            for _ in range(WARMUP_STEPS):
                trainer.train_step()
            t0 = time.perf_counter()
            for _ in range(TIMED_STEPS):
                loss_d, _ = trainer.train_step()
            float(loss_d)  # wait for the device
            rate = TIMED_STEPS / max(time.perf_counter() - t0, 1e-6)
        _cache[key] = rate
        return rate


def format_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"

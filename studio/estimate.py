"""A rough "how long will this take" before a run starts (and for ZeroGPU's time limit).

A minutes budget is its own estimate. For a steps budget the speed of this exact
configuration is measured once on this device by the trainer's own
``gan_core.training.trainer.measure_speed`` (a few steps on random pictures) and cached.
"""
from __future__ import annotations

import json
import threading

from gan_core.config import TrainConfig

_cache: dict[str, float] = {}
_lock = threading.Lock()
FINISH_SECONDS = 120     # the final checkpoint, grid, GIF and quality metrics
SAFETY = 1.5             # measured speed is a few steps' worth: leave room for a slower stretch


def _key(cfg: TrainConfig) -> str:
    d = cfg.to_dict()
    keep = ("model", "loss", "batch_size", "n_critic", "augment", "reuse_real_batch", "device",
            "mixed_precision", "r1_gamma")
    return json.dumps({k: d[k] for k in keep}, sort_keys=True)


def steps_per_second(cfg: TrainConfig) -> float:
    """Measured generator steps per second of ``cfg`` on its device (cached per configuration)."""
    key = _key(cfg)
    with _lock:
        if key not in _cache:
            from gan_core.training.trainer import measure_speed
            _cache[key] = measure_speed(cfg)
        return _cache[key]


def known_steps_per_second(cfg: TrainConfig) -> float | None:
    """The speed of ``cfg`` if it was measured already (never measures: the queue's estimate
    must not train a few steps on the device it waits for)."""
    with _lock:
        return _cache.get(_key(cfg))


def seconds_left(cfg: TrainConfig, steps_done: int = 0, elapsed: float = 0.0) -> float | None:
    """Seconds until a run of ``cfg`` ends, ``elapsed`` seconds and ``steps_done`` steps into this
    session, with the finish; None when it has a steps budget of unmeasured speed. A run with
    both budgets ends at the earlier."""
    left = []
    if cfg.minutes is not None:
        left.append(cfg.minutes * 60 - elapsed)
    if cfg.steps is not None:
        speed = known_steps_per_second(cfg)
        if speed:
            left.append(max(0, cfg.steps - steps_done) / speed)
        elif cfg.minutes is None:
            return None
    return max(0.0, min(left)) + FINISH_SECONDS


def run_seconds(cfg: TrainConfig, steps_done: int = 0) -> float:
    """Seconds of training ``cfg``'s budget needs from ``steps_done`` on (no safety margin)."""
    if cfg.minutes is not None:
        return cfg.minutes * 60
    return max(0, cfg.steps - steps_done) / steps_per_second(cfg)


def time_limit(cfg: TrainConfig, steps_done: int = 0, cap: float = 3600) -> int:
    """A time limit for the whole run (ZeroGPU's ``duration``): the budget with room to spare
    for a steps budget, plus the finish; at most ``cap`` seconds."""
    train = run_seconds(cfg, steps_done) * (1.0 if cfg.minutes is not None else SAFETY)
    return int(min(cap, train + FINISH_SECONDS))


def format_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"

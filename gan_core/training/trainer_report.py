"""What the training loop tells and leaves behind besides checkpoints.

``TrainingReport`` is a part of ``gan_core.training.trainer.Trainer`` (a mixin, like
``TrainingStep`` and ``TrainingState``): the ``Progress`` reports handed to ``on_progress``,
progress grids (the EMA generator, its BatchNorm statistics recalibrated, drawing the fixed
grid latents), the training pictures Explore compares designs with, and the end-of-run
quality metrics (gan_core.metrics). ``TrainResult`` is what ``train`` returns.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..checkpoint import write_json
from ..data import datastore
from ..data.images import make_grid, to_uint8
from ..metrics import quality
from ..nets.models import RECALIBRATION_SAMPLES, recalibrate_batchnorm

METRICS_MAX_REAL = 2000                 # real images the end-of-run metrics compare with (spread subset)
GRID_CALIBRATION_SAMPLES = 256         # latents that set the EMA statistics for a progress grid (cheap)
GRID_TIME_SHARE = 0.05                 # live grids (between the saved ones) take at most this share of the time
TRAINING_IMAGES_MAX_BYTES = 256 * 2 ** 20  # larger training sets stay in images.u8, not dataset.safetensors


def grid_interval(sample_seconds: float, grid_cost: float) -> float:
    """Seconds between live grids: ``sample_seconds``, or longer when one grid (the EMA
    generator's recalibration and its drawing) costs more than GRID_TIME_SHARE of that."""
    return max(sample_seconds, grid_cost / GRID_TIME_SHARE)


@dataclass
class Progress:
    """One report from the training loop (``kind`` says which)."""
    kind: str                      # start | step | grid | checkpoint | recovered | error | done
    step: int
    total_steps: int | None
    epoch: float
    seconds: float                 # wall time of this session
    images_per_second: float       # real images through the critic per second
    eta_seconds: float | None
    fraction: float                # 0..1 of the budget
    loss_d: float | None = None
    loss_g: float | None = None
    grid: np.ndarray | None = None  # uint8 picture of the fixed-latent samples
    message: str = ""
    run_dir: str = ""


@dataclass
class TrainResult:
    run_dir: Path
    step: int
    seconds: float
    state: str                     # finished | stopped | failed
    recoveries: int = 0
    metrics: dict | None = None
    messages: list[str] = field(default_factory=list)


class TrainingReport:
    """Reports, progress grids, training pictures and metrics of a Trainer (see gan_core.training.trainer)."""

    def _report(self, kind, t0, loss_d=None, loss_g=None, grid=None, message=""):
        c = self.cfg
        secs = time.perf_counter() - t0
        done = self.step - self.start_step
        ips = (self.images_seen - self.start_images) / secs if secs > 0 else 0.0
        fr, eta = [], []
        if c.steps is not None:
            fr.append(self.step / c.steps)
            if done > 0:
                eta.append((c.steps - self.step) * secs / done)
        if c.minutes is not None:
            fr.append(secs / (c.minutes * 60))
            eta.append(c.minutes * 60 - secs)
        p = Progress(kind=kind, step=self.step, total_steps=c.steps, epoch=self.images_seen / self.n,
                     seconds=secs, images_per_second=ips, eta_seconds=max(0.0, min(eta)) if eta else None,
                     fraction=min(1.0, max(fr)) if fr else 0.0, loss_d=loss_d, loss_g=loss_g, grid=grid,
                     message=message, run_dir=str(self.run.path))
        self.on_progress(p)
        return p

    def _write_training_images(self) -> None:
        """The pictures for Explore's nearest-image view: a safetensors file when small, else the
        memory-mapped store (``images.u8``) the run may already stream from."""
        if self.run.training_images.is_file():
            return
        if self.data.nbytes <= TRAINING_IMAGES_MAX_BYTES:
            self.run.write_training_images(np.array(self.data.pictures()))  # a copy: the store may be read-only
        elif self.data.path != self.run.decoded_images and not self.run.decoded_images.is_file():
            c, h, _ = self.data.shape
            datastore.write_store(((str(i), p) for i, p in enumerate(datastore.iter_pictures(self.data))),
                                  self.run.decoded_images, h, c)

    def calibrate_ema(self, samples: int = RECALIBRATION_SAMPLES) -> None:
        """The EMA generator's BatchNorm statistics measured for its own (averaged) weights
        (gan_core.nets.models.recalibrate_batchnorm) before it draws or is saved. Training never reads
        them: the next step copies G's statistics over them again, so exact resume is unaffected."""
        if self._calibrated is not None and self._calibrated[0] == self.step and self._calibrated[1] >= samples:
            return
        with self._autocast():
            recalibrate_batchnorm(self.G_ema, samples, self.cfg.batch_size, seed=self.cfg.seed)
        self._calibrated = (self.step, samples)

    @torch.no_grad()
    def sample_grid(self) -> np.ndarray:
        self.calibrate_ema(GRID_CALIBRATION_SAMPLES)
        with self._autocast():
            x = self.G_ema(self.grid_z).float()
        return make_grid(to_uint8(x), nrow=int(math.ceil(math.sqrt(self.cfg.grid_size))))

    @torch.no_grad()
    def compute_metrics(self, count: int = 500) -> dict:
        self.calibrate_ema()
        z = torch.randn(count, self.cfg.model.z_dim, generator=torch.Generator().manual_seed(12345))
        fake = torch.cat([self.G_ema(z[i:i + 100].to(self.device)).float().cpu() for i in range(0, count, 100)])
        real, idx = self.data.floats(limit=METRICS_MAX_REAL)
        result = quality.evaluate(real, fake)
        if len(idx) < self.n:  # compared with a spread subset: name the nearest by dataset index
            result["nearest"] = [idx[i] for i in result["nearest"]]
            result["num_real_compared"] = len(idx)
        write_json(result, self.run.metrics)
        return result

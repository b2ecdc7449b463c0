"""``train(config, dataset, on_progress, should_stop)``: the one training loop.

The UI, the CLI and the tests all drive this function. It reports through the
``on_progress`` callback and stops when ``should_stop()`` returns True. Losses
stay on the device between log points, so the loop never waits on the GPU
except when it reports. The Trainer is this loop plus three parts (mixins): one step's
losses and the EMA update (``trainer_step.py``), checkpoints and NaN/inf recovery
(``trainer_state.py``), and what the loop reports and writes besides them: ``Progress``,
progress grids, the training pictures, the end-of-run metrics (``trainer_report.py``).
"""
from __future__ import annotations

import copy
import math
import os
import time
from pathlib import Path
from typing import Callable

import torch

from ..checkpoint import write_json
from ..config import FORMAT_VERSION, TrainConfig
from ..data import datastore
from ..design.latent import z_from_seeds
from ..device import configure, describe_device, pick_device
from ..errors import UserError
from ..nets.models import Critic, Generator, SeededDropout
from .augment import diff_augment
from .bases import freeze_critic, load_eyes, start_from
from .distributed import DistContext, convert_sync_batchnorm, current, rank_seed
from .recipe import AdaptiveAugment, LeCam
from .runfolder import RunFolder
from .trainer_report import Progress, TrainingReport, TrainResult, grid_interval
from .trainer_state import NonFiniteState, TrainingState
from .trainer_step import TrainingStep


def _images(dataset) -> torch.Tensor:
    x = dataset.images if hasattr(dataset, "images") else dataset
    if not torch.is_tensor(x) or x.dim() != 4:
        raise UserError("the dataset must be images shaped (N, C, H, W)")
    if x.shape[0] < 1:
        raise UserError("the dataset is empty: add at least one image")
    return x


class Trainer(TrainingStep, TrainingState, TrainingReport):
    def __init__(self, config: TrainConfig, dataset, run_dir: str | Path,
                 on_progress: Callable[[Progress], None] | None = None,
                 should_stop: Callable[[], bool] | None = None, resume: bool = False,
                 evaluate: bool = True, dataset_info: dict | None = None, dist: DistContext | None = None):
        self.cfg = config
        self.dist = dist or current()  # world size 1: every hook below is a no-op
        self.dataset_info = dict(dataset_info or {})
        self.run = RunFolder(run_dir)
        self.on_progress = (on_progress if self.dist.is_main else None) or (lambda p: None)
        self.should_stop = should_stop or (lambda: False)
        self.evaluate = evaluate
        m = config.model
        real = dataset if isinstance(dataset, datastore.ImageStore) else _images(dataset)
        shape = real.shape if isinstance(real, datastore.ImageStore) else tuple(real.shape[1:])
        if tuple(shape) != (m.channels, m.resolution, m.resolution):
            raise UserError(f"the dataset holds {shape[0]}-channel {shape[-1]} px images but the "
                            f"model expects {m.channels}-channel {m.resolution} px; load the data at that size")
        self.resumed = resume
        if resume and not self.run.checkpoint.is_file():
            raise UserError(f"{self.run.path}: no checkpoint to resume from")
        if not resume and self.run.checkpoint.is_file():
            raise UserError(f"{self.run.path} already holds a run; resume it or choose a new folder")

        self.device = self.dist.device_for(config.device) if self.dist.enabled else pick_device(config.device)
        threads = config.threads
        if self.dist.enabled and not threads and self.device.type == "cpu":  # ranks share the node's cores
            threads = max(1, (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else
                              os.cpu_count() or 1) // self.dist.local_world_size)
        configure(self.device, threads)
        cuda = self.device.type == "cuda"
        self.amp = cuda and config.mixed_precision
        # channels_last on CPU measured per architecture (2 cores, benchmarks/bench_train.py):
        # the compact networks step ~17% faster in it, the classic ones 5-14% slower
        self.fmt = torch.channels_last if cuda or m.arch == "compact" else torch.contiguous_format
        with torch.random.fork_rng(devices=[]):  # seed the init without touching other threads' RNG
            torch.manual_seed(config.seed)
            G, D = Generator(m), Critic(m)
        # a start point's G and D (gan_core.training.bases) and D's eyes, the trained feature network; on
        # resume the checkpoint has them, and config.json their records
        recorded = self.run.read_config() if resume and self.run.config.is_file() else None
        if recorded is not None:
            self.start_record, self.eyes_record = recorded.get("start"), recorded.get("eyes")
        else:
            self.start_record = start_from(G, D, config)
            self.eyes_record = {"name": m.d_eyes, "sha256": load_eyes(D, m.d_eyes)} if m.d_eyes else None
        if config.freeze_d:
            freeze_critic(D, config.freeze_d)
        if self.dist.enabled and cuda:  # statistics over the global batch (gan_core.training.distributed)
            G, D = convert_sync_batchnorm(G), convert_sync_batchnorm(D)
        self.G = G.to(self.device, memory_format=self.fmt)
        self.D = D.to(self.device, memory_format=self.fmt)
        self.d_trainable = [p for p in self.D.parameters() if p.requires_grad]
        self.dist.broadcast_parameters(self.G, self.D)
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        self._calibrated: tuple[int, int] | None = None  # (step, samples) of G_ema's last BatchNorm calibration
        if config.loss == "wgan-clip":
            self.opt_g = torch.optim.RMSprop(self.G.parameters(), lr=config.lr_g)
            self.opt_d = torch.optim.RMSprop(self.D.parameters(), lr=config.lr_d)
        else:  # fused where torch has it: the same Adam in one pass over each tensor
            betas, fused = (float(config.beta1), float(config.beta2)), self.device.type in ("cpu", "cuda")
            self.opt_g = torch.optim.Adam(self.G.parameters(), lr=config.lr_g, betas=betas, fused=fused)
            self.opt_d = torch.optim.Adam(self.D.parameters(), lr=config.lr_d, betas=betas, fused=fused)
        self.G_fwd, self.D_fwd = self.G, self.D
        if config.compile and cuda and config.loss not in ("wgan-gp",):
            self.G_fwd, self.D_fwd = torch.compile(self.G), torch.compile(self.D)

        # uint8 on the device, converted per batch; memory-mapped past the budget (gan_core.data.datastore)
        budget = datastore.memory_budget(self.device, config.data_memory_gb, self.dist.local_world_size)
        self.data = datastore.to_store(real, self.device, budget, self.run.decoded_images,
                                       write=self.dist.is_main, wait=lambda: self.dist.barrier("the dataset spill"))
        self.n = len(self.data)
        self.shard = self.dist.shard(self.n, self.device)  # None: this process draws from all images
        self.n_local = self.n if self.shard is None else len(self.shard)
        # all training randomness; each rank its own stream (rank 0 keeps the run seed)
        self.gen = torch.Generator(device=self.device).manual_seed(rank_seed(config.seed, self.dist.rank))
        for mod in self.G.modules():
            if isinstance(mod, SeededDropout):
                mod.generator = self.gen
        self.grid_z = z_from_seeds(range(config.grid_size), m.z_dim, self.device)
        self.policies = config.augment_policies
        self.lecam = LeCam(config.lecam_decay, self.device) if config.lecam_weight > 0 else None
        self.ada = (AdaptiveAugment(config.ada_target, config.ada_images, config.batch_size, self.device)
                    if config.ada_target > 0 and self.policies else None)
        self.step = 0
        self.images_seen = 0
        self.seconds_before = 0.0  # training time of earlier sessions of this run
        self.recoveries = 0
        self.lr_scale = 1.0
        self.perm = torch.randperm(self.n_local, generator=self.gen, device=self.device)
        self.cursor = 0
        self.messages: list[str] = []
        if resume:
            self._load_checkpoint()

    # ---- data -------------------------------------------------------------------------
    def _real_batch(self) -> torch.Tensor:
        """Next batch of a per-epoch permutation (like a shuffled DataLoader, on the device)."""
        b, n = self.cfg.batch_size, self.n_local  # batch_size is per process (README: Scale out)
        if b >= n:  # tiny datasets: sample with replacement
            idx = torch.randint(0, n, (b,), generator=self.gen, device=self.device)
        else:
            if self.cursor + b > n:
                self.perm = torch.randperm(n, generator=self.gen, device=self.device)
                self.cursor = 0
            idx = self.perm[self.cursor:self.cursor + b]
            self.cursor += b
        self.images_seen += b * self.dist.world_size
        if self.shard is not None:
            idx = self.shard.index_select(0, idx)
        return self.data.batch(idx).contiguous(memory_format=self.fmt)

    @property
    def real(self) -> torch.Tensor:
        """Every training image as float (N, C, H, W) on the device (small sets: tests, tools);
        training itself converts batch by batch (``self.data``)."""
        return self.data.batch(torch.arange(self.n, device=self.device)).contiguous(memory_format=self.fmt)

    def _z(self, b: int) -> torch.Tensor:
        return torch.randn(b, self.cfg.model.z_dim, device=self.device, generator=self.gen)

    def _aug(self, x: torch.Tensor) -> torch.Tensor:
        if not self.policies:
            return x
        if self.ada is not None:
            return self.ada.apply(x, diff_augment(x, self.policies, self.gen), self.gen)
        return diff_augment(x, self.policies, self.gen)

    def _autocast(self):
        return torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.amp)

    def sync(self) -> None:
        """Wait for queued GPU work (benchmarks only; the loop itself never waits)."""
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    # ---- the loop ---------------------------------------------------------------------
    def _budget_left(self, t0) -> bool:
        c = self.cfg
        if c.steps is not None and self.step >= c.steps:
            return False
        return c.minutes is None or time.perf_counter() - t0 < c.minutes * 60

    def run_loop(self) -> TrainResult:
        c, main = self.cfg, self.dist.is_main  # rank 0 alone writes the run folder
        if main:
            self.run.create()
            train = c.to_dict()
            if train.get("start") and self.start_record:  # the start point's name, never a server path
                train["start"] = self.start_record["name"]
            write_json({"format_version": FORMAT_VERSION, "model": c.model.to_dict(), "train": train,
                        "dataset": {**self.dataset_info, "images": self.n},
                        "start": self.start_record, "eyes": self.eyes_record,
                        "world_size": self.dist.world_size}, self.run.config)
        t0 = time.perf_counter()
        self.start_step, self.start_images = self.step, self.images_seen
        self.start_recoveries, self.fail_message = self.recoveries, ""
        if main:
            # rows a crashed session logged after its last checkpoint would be logged again
            self.run.truncate_log(self.step)
            self.run.write_status("running", self.step)
            self._write_training_images()
        where = describe_device(self.device) + (f" x {self.dist.world_size} processes" if self.dist.enabled else "")
        self._report("start", t0, message=f"training on {where}")
        for msg in self.messages:
            self._report("start", t0, message=msg)
        try:
            if not self.resumed:
                self._checkpoint(t0)  # step 0: something good to go back to
            while True:
                state = self._train(t0)
                if state == "failed":
                    break
                bad = self.nonfinite_tensor()  # the final checkpoint must be good too
                if bad is None:
                    break
                if not self._recover_or_give_up(t0, f"{bad} became NaN/inf"):
                    state = "failed"
                    break
                if state == "stopped" or self.dist.any(not self._budget_left(t0))[0]:
                    break  # the reloaded checkpoint is what this session ends with
        except BaseException as e:
            if main:
                self.run.write_status("failed", self.step, message=str(e)[:500])
            raise
        return self._finish(t0, state)

    def _train(self, t0) -> str:
        """Train until the budget ends ("finished"), a stop ("stopped") or too many NaNs ("failed")."""
        c, main = self.cfg, self.dist.is_main
        acc_d = torch.zeros((), device=self.device)
        acc_g = torch.zeros((), device=self.device)
        start = time.perf_counter()  # not t0: the step-0 checkpoint is no reason to report early
        acc_n, last_report, last_grid, last_ckpt = 0, start, t0, start
        grid_cost = 0.0
        while True:
            # decided together: every rank stops, or checkpoints, at the same step
            stop, spent, due = self.dist.any(self.should_stop(), not self._budget_left(t0),
                                             time.perf_counter() - last_ckpt >= c.checkpoint_minutes * 60)
            if spent:
                break
            if stop:
                return "stopped"
            if due:
                last_ckpt = time.perf_counter()
                try:
                    self._checkpoint(t0)
                except NonFiniteState as e:  # finite losses can still hide bad weights (the EMA)
                    if not self._recover_or_give_up(t0, str(e).split(" at step")[0]):
                        return "failed"
                    continue
            ld, lg = self.train_step()
            acc_d += ld
            acc_g += lg
            acc_n += 1
            now = time.perf_counter()
            # distributed: only at log steps (a collective cannot wait on one rank's clock)
            if self.step % c.log_every == 0 or (not self.dist.enabled and now - last_report >= 1.0):
                ld_, lg_ = self.dist.mean(torch.stack([acc_d, acc_g]) / acc_n).tolist()  # the only sync point
                acc_d.zero_()
                acc_g.zero_()
                acc_n, last_report = 0, now
                if not (math.isfinite(ld_) and math.isfinite(lg_)):
                    if not self._recover_or_give_up(t0, "losses became NaN/inf"):
                        return "failed"
                    continue
                p = self._report("step", t0, ld_, lg_)
                if self.step % c.log_every == 0 and main:
                    self.run.append_log([{"step": self.step, "epoch": round(p.epoch, 3),
                                          "seconds": round(self.seconds_before + p.seconds, 3),
                                          "images_per_second": round(p.images_per_second, 2),
                                          "loss_d": ld_, "loss_g": lg_}])
            saved = self.step % c.sample_every == 0
            if main and (saved or now - last_grid >= grid_interval(c.sample_seconds, grid_cost)):
                grid = self.sample_grid()
                grid_cost = time.perf_counter() - now
                if saved:
                    self.run.save_grid(self.step, grid)
                last_grid = now
                self._report("grid", t0, grid=grid)
        return "finished"

    def _finish(self, t0, state: str) -> TrainResult:
        # a failed run keeps its last good checkpoint: the state in memory is that checkpoint's
        msg = self.fail_message if state == "failed" else self._checkpoint(t0)
        if not self.dist.is_main:  # the others are done: rank 0 writes the rest
            return TrainResult(self.run.path, self.step, time.perf_counter() - t0, state, self.recoveries,
                               None, self.messages)
        grid = self.sample_grid()
        self.run.save_grid(self.step, grid)
        from PIL import Image
        Image.fromarray(grid).save(self.run.final_grid)
        self.run.write_progress_gif()
        metrics = None
        if self.evaluate and state == "finished":
            metrics = self.compute_metrics()
        secs = time.perf_counter() - t0
        self.run.write_status(state, self.step, message=msg, seconds=self.seconds_before + secs)
        self._report("done", t0, grid=grid, message=f"{state} at step {self.step}" + (f": {msg}" if state == "failed" else ""))
        return TrainResult(self.run.path, self.step, secs, state, self.recoveries, metrics, self.messages)


def train(config: TrainConfig, dataset, on_progress: Callable[[Progress], None] | None = None,
          should_stop: Callable[[], bool] | None = None, *, run_dir: str | Path | None = None,
          resume: bool = False, evaluate: bool = True, dataset_info: dict | None = None,
          encoder_seconds: float = 0.0) -> TrainResult:
    """Train (or resume) a run; see the module docstring and ``Progress``.

    ``dataset_info`` (e.g. {"name": ..., "source": ...}) is recorded in the run's config.json.
    ``encoder_seconds`` > 0: a finished run then trains its instant-projection encoder for that
    long (gan_core.design.encoder; stops with ``should_stop``) and saves it beside the generator.
    """
    if run_dir is None:
        run_dir = Path("runs") / time.strftime("run-%Y%m%d-%H%M%S")
    result = Trainer(config, dataset, run_dir, on_progress, should_stop, resume, evaluate,
                     dataset_info).run_loop()
    if encoder_seconds and result.state == "finished":
        from ..design.encoder import train_encoder
        from ..design.generate import load_generator
        path = train_encoder(load_generator(result.run_dir), result.run_dir, seconds=encoder_seconds,
                             should_stop=should_stop)
        result.messages.append(f"trained the instant-projection encoder ({path.name})")
    return result


def measure_speed(config: TrainConfig, steps: int = 3, warmup: int = 1) -> float:
    """Generator steps per second of ``config`` on its device, timed on random images."""
    import tempfile
    m = config.model
    data = torch.rand(max(config.batch_size, 8), m.channels, m.resolution, m.resolution) * 2 - 1
    with tempfile.TemporaryDirectory() as d:
        t = Trainer(config, data, Path(d) / "speed", evaluate=False)
        for _ in range(warmup):
            t.train_step()
        t.sync()
        t0 = time.perf_counter()
        for _ in range(steps):
            t.train_step()
        t.sync()
        return steps / (time.perf_counter() - t0)

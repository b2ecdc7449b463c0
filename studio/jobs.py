"""A training job owned by the server, not by a browser tab: its state, its progress, how it runs.

A page only *watches* a job: closing or reloading it leaves the job running, and a reopened
page reads the job's latest snapshot again. Stop sets the job's ``threading.Event``, which the
training loop checks between steps before it saves a final checkpoint. The queue that runs
jobs one at a time is ``studio.run_queue``; it calls ``run_job`` here (looked up at call time).

On Hugging Face ZeroGPU the function that runs a job is wrapped with
``spaces.GPU``; elsewhere it runs unchanged. ZeroGPU runs it in another process, so the
trainer's callbacks never reach this one: when a running job's snapshot stops advancing,
the snapshot is read from the run folder instead (log.jsonl, grids/, status.json), and
Stop also leaves a ``STOP`` file in the run folder that the training loop checks.
"""
from __future__ import annotations

import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gan_core.config import TrainConfig
from gan_core.errors import UserError

MAX_LOSS_POINTS = 400    # per curve, for the page (the full log is in log.jsonl)
ACTIVE = ("queued", "running", "stopping")
FOLDER_FALLBACK_SECONDS = 5.0  # no progress callback for this long: read the run folder (ZeroGPU)
STOP_FILE = "STOP"       # written by Stop; a training loop in another process sees it


@dataclass
class Job:
    visitor_id: str
    run_name: str
    run_dir: Path
    config: TrainConfig
    dataset_dir: Path | None     # None: a resumed run that keeps its training images
    resume: bool = False
    dataset_info: dict = field(default_factory=dict)  # {"name", "cleanup"}: recorded in config.json
    meta: dict = field(default_factory=dict)          # the studio's metadata, written when the run starts
    start_step: int = 0          # the checkpoint's step (a resume): the steps budget left is the rest
    gpus: int = 1                # > 1: data-parallel ranks in a torchrun child process group
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    state: str = "queued"   # queued | running | stopping | finished | stopped | failed | cancelled
    created: float = field(default_factory=time.time)

    def __post_init__(self):
        self.stop_event = threading.Event()
        self._cond = threading.Condition()
        self.version = 0
        self.step = 0
        self.total_steps = self.config.steps
        self.fraction = 0.0
        self.images_per_second = 0.0
        self.eta_seconds: float | None = None
        self.seconds = 0.0
        self.grid: np.ndarray | None = None
        self.grid_version = 0
        self.losses: list[tuple[int, float, float]] = []
        self.log: list[str] = []
        self.message = "waiting for the device"
        self.metrics: dict | None = None
        self.error = ""
        self.warning = ""        # e.g. a checkpoint that could not be written (disk full)
        self._last_progress = time.monotonic()
        self._folder: dict | None = None   # progress read from the run folder, once it is ahead
        self._folder_key = None
        self._folder_version = 0

    # ---- written by the worker ---------------------------------------------------------
    def _update(self, **changes) -> None:
        with self._cond:
            for k, v in changes.items():
                setattr(self, k, v)
            self.version += 1
            self._last_progress = time.monotonic()
            self._cond.notify_all()

    def _log(self, text: str) -> None:
        with self._cond:
            self.log.append(f"{time.strftime('%H:%M:%S')}  {text}")
            self.version += 1
            self._cond.notify_all()

    def on_progress(self, p) -> None:
        """The trainer's callback (runs on the worker thread)."""
        common = dict(step=p.step, fraction=p.fraction, images_per_second=p.images_per_second,
                      eta_seconds=p.eta_seconds, seconds=p.seconds)
        if p.total_steps is not None:
            common["total_steps"] = p.total_steps
        if p.kind == "step" and p.loss_d is not None:
            with self._cond:
                self.losses.append((p.step, float(p.loss_d), float(p.loss_g)))
        if p.kind in ("grid", "done") and p.grid is not None:
            common.update(grid=p.grid, grid_version=self.grid_version + 1)
        if p.kind == "error" and p.message:
            common["warning"] = p.message
        elif p.kind == "checkpoint":
            common["warning"] = ""
        self._update(**common)
        if p.kind in ("start", "checkpoint", "recovered", "error") and p.message:
            self._log(p.message)

    def should_stop(self) -> bool:
        """The trainer's stop check: the event, or the STOP file (a loop in another process)."""
        return self.stop_event.is_set() or (self.run_dir / STOP_FILE).exists()

    # ---- read by the pages -------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    def wait(self, since_version: int, timeout: float) -> int:
        with self._cond:
            if self.version + self._folder_version == since_version and self.active:
                self._cond.wait(timeout)
            return self.version + self._folder_version

    def _read_folder(self) -> None:
        """Progress from the run folder, kept only when it is ahead of the callbacks'."""
        from PIL import Image

        from gan_core.training.runfolder import RunFolder
        run = RunFolder(self.run_dir)
        grids = run.grid_files()
        try:
            key = (run.log.stat().st_size if run.log.is_file() else 0, grids[-1].name if grids else "")
        except OSError:
            return
        if key == self._folder_key:
            return
        self._folder_key = key
        rows = [r for r in run.read_log() if "loss_d" in r and "loss_g" in r]
        step = max([r["step"] for r in rows] + [int(grids[-1].stem.split("_")[-1]) if grids else 0])
        if step <= self.step and self._folder is None:
            return  # the callbacks are up to date: nothing to add
        grid = None
        if grids:
            try:
                grid = np.asarray(Image.open(grids[-1]))
            except OSError:  # being written
                pass
        total = self.total_steps
        self._folder = dict(step=step, losses=[(r["step"], float(r["loss_d"]), float(r["loss_g"])) for r in rows],
                            grid=grid, fraction=min(1.0, step / total) if total else self.fraction,
                            seconds=float(rows[-1].get("seconds", self.seconds)) if rows else self.seconds,
                            images_per_second=float(rows[-1].get("images_per_second", 0.0)) if rows else 0.0)
        self._folder_version += 1

    def snapshot(self) -> dict:
        with self._cond:
            stalled = self.state in ("running", "stopping") and \
                time.monotonic() - self._last_progress > FOLDER_FALLBACK_SECONDS
            if stalled or self._folder is not None:  # once the folder is ahead, follow it to the end
                self._read_folder()
            losses = _thin(self.losses)
            snap = dict(id=self.id, run_name=self.run_name, run_dir=self.run_dir, state=self.state,
                        version=self.version + self._folder_version, step=self.step,
                        total_steps=self.total_steps, fraction=self.fraction,
                        images_per_second=self.images_per_second, eta_seconds=self.eta_seconds,
                        seconds=self.seconds, grid=self.grid, grid_version=self.grid_version,
                        losses=list(losses), log=list(self.log), message=self.message, metrics=self.metrics,
                        error=self.error, warning=self.warning, minutes=self.config.minutes, resume=self.resume)
            folder = self._folder
            if folder is not None and folder["step"] >= self.step:
                snap.update(step=folder["step"], losses=_thin(folder["losses"]), seconds=folder["seconds"],
                            images_per_second=folder["images_per_second"])
                if folder["grid"] is not None:
                    snap["grid"] = folder["grid"]
                if self.active:
                    snap.update(fraction=folder["fraction"], eta_seconds=None)
            return snap


def _thin(losses: list) -> list:
    """At most MAX_LOSS_POINTS, evenly spread, always keeping the last point."""
    if len(losses) <= MAX_LOSS_POINTS:
        return list(losses)
    idx = np.linspace(0, len(losses) - 1, MAX_LOSS_POINTS).round().astype(int)
    return [losses[i] for i in idx]


def _gpu_seconds(job: Job) -> int:
    """ZeroGPU duration: the job's budget (a steps budget at the measured speed) plus room for
    the final checkpoint and metrics."""
    from .estimate import time_limit
    return time_limit(job.config, job.start_step)


def _training_data(job: Job):
    """A run that kept its pictures in its folder (resumed, or started again) trains on exactly
    those; a new run loads its dataset at the run's size."""
    from gan_core.data.images import from_uint8
    from gan_core.training.runfolder import RunFolder
    m = job.config.model
    pictures = RunFolder(job.run_dir).read_training_images()
    if pictures is not None:
        job._log(f"{len(pictures)} training images from the run folder")
        return from_uint8(pictures, channels=m.channels)
    if job.dataset_dir is None or not (job.dataset_dir / "dataset.json").is_file():
        raise UserError("The dataset this run was trained on no longer exists.")
    from gan_core.data.datasets import load_dataset
    data = load_dataset(job.dataset_dir, resolution=m.resolution, channels=m.channels)
    job._log(f"{len(data)} images at {m.resolution} px from {job.dataset_dir.name}")
    return data


def prepare_folder(job: Job) -> None:
    """In this process, just before training: the run folder appears only now (a job cancelled
    while it waited leaves nothing behind), with the studio's note, and a STOP file exactly
    when a Stop came first (a stale one from an earlier session is removed). A Stop after this
    sets the event and writes the file itself."""
    from gan_core.training.runfolder import RunFolder
    if job.meta:
        RunFolder(job.run_dir).write_studio_meta(**job.meta)
    stop_file = job.run_dir / STOP_FILE
    if job.stop_event.is_set():
        job.run_dir.mkdir(parents=True, exist_ok=True)
        stop_file.touch()
    else:
        stop_file.unlink(missing_ok=True)


def _run_job(job: Job):
    """Train (or resume) the job's run; returns the TrainResult (on ZeroGPU in another process)."""
    if job.gpus > 1:
        return _run_distributed(job)
    from gan_core.training.trainer import train
    return train(job.config, _training_data(job), job.on_progress, job.should_stop,
                 run_dir=job.run_dir, resume=job.resume, dataset_info=job.dataset_info or None)


def _run_distributed(job: Job, poll_seconds: float = 1.0):
    """Several GPUs: a torchrun child process group (gan_core.training.launch). Its progress reaches the
    page from rank 0's run folder (``Job._read_folder``, as for ZeroGPU); Stop is the STOP file."""
    from gan_core.training.launch import failure_summary, kill_run, launch_distributed, stop_run
    from gan_core.training.runfolder import RunFolder
    from gan_core.training.trainer_report import TrainResult
    data = job.dataset_dir if job.dataset_dir is not None else job.run_dir
    proc = launch_distributed(job.config, data, job.run_dir, job.gpus, list(range(job.gpus)), resume=job.resume)
    job._log(f"training on {job.gpus} GPUs (torch.distributed, batch size {job.config.batch_size} per GPU)")
    t0, asked = time.monotonic(), False
    try:
        while proc.poll() is None:
            if job.should_stop() and not asked:
                stop_run(job.run_dir)
                asked = True
            time.sleep(poll_seconds)
    finally:
        if proc.poll() is None:
            kill_run(proc)
    run = RunFolder(job.run_dir)
    status = run.read_status()
    if proc.returncode != 0 or status.get("state") not in ("finished", "stopped"):
        why = status.get("message", "")[:300] or failure_summary(run.path)
        raise UserError(f"the distributed run ended with {status.get('state', 'no status')} "
                        f"(exit code {proc.returncode}): {why}; see {run.path.name}/launch.log")
    return TrainResult(run.path, int(status.get("step", 0)), time.monotonic() - t0, status["state"],
                       metrics=run.read_metrics())


def _wrap_for_spaces(fn):
    if not os.environ.get("SPACE_ID"):
        return fn
    try:
        import spaces
    except ImportError:
        return fn
    return spaces.GPU(duration=_gpu_seconds)(fn)


run_job = _wrap_for_spaces(_run_job)

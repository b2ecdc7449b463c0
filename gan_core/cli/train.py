"""train: a preset (or a resumed run) on a folder or zip of images."""
from __future__ import annotations

import os
import shutil
import signal
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path

from ..errors import UserError
from .common import ProgressBar, cleanup_flags, cleanup_from_args

STOP_FILE = "STOP"  # the studio's Stop request for a run in another process (studio/jobs.py)


def _prepare_data(a, cfg, run, dist, cleanup):
    """Decode the images once (rank 0, every core, with progress) into the run folder's
    memory-mapped store; the other ranks wait, then map the same file."""
    from ..data.datastore import open_store, prepare_store
    from ..training.distributed import SETUP_TIMEOUT_S
    if dist.is_main:
        created = not run.path.exists()
        run.path.mkdir(parents=True, exist_ok=True)
        (run.path / STOP_FILE).unlink(missing_ok=True)  # an old request must not stop this run
        last = [0.0]

        def progress(done, total):
            if done == total or time.monotonic() - last[0] > 2:
                last[0] = time.monotonic()
                print(f"\rpreparing images: {done}/{total}", end="\n" if done == total else "",
                      file=sys.stderr, flush=True)

        try:
            skipped = prepare_store(a.data, run.decoded_images, cfg.model.resolution, cfg.model.channels,
                                    cleanup, progress)
        except BaseException:
            if created:  # bad --data: leave no half-made run folder behind
                shutil.rmtree(run.path, ignore_errors=True)
            raise
        finally:  # release the others even on a bad --data (they then fail on the missing file)
            dist.barrier("the dataset preparation", timeout_s=SETUP_TIMEOUT_S)
        for s in skipped:
            print(f"skipped {s.name}: {s.reason}", file=sys.stderr)
    else:
        dist.barrier("the dataset preparation", timeout_s=SETUP_TIMEOUT_S)
    return open_store(run.decoded_images)


def cmd_train(a) -> int:
    from ..training.distributed import init_from_env, shutdown
    from ..training.presets import default_preset_name, describe_start, preset
    from ..training.resume import resume_config
    from ..training.runfolder import RunFolder
    from ..training.trainer import train
    run = RunFolder(a.out)
    overrides = {k: v for k, v in dict(
        loss=a.loss, batch_size=a.batch_size, n_critic=a.n_critic, augment=a.augment, device=a.device,
        seed=a.seed, minutes=a.minutes, steps=a.steps, data_memory_gb=a.data_memory_gb, threads=a.threads,
        start=a.start, freeze_d=a.freeze_d, d_eyes=a.eyes).items() if v is not None}
    if a.lr is not None:
        overrides.update(lr_g=a.lr, lr_d=a.lr)
    request = None
    if a.config:  # a whole TrainConfig as JSON (gan_core.training.launch writes one); flags still win
        from ..checkpoint import read_json
        from ..config import TrainConfig, train_section
        given = read_json(Path(a.config), "--config training config")
        if isinstance(given, dict) and "train" in given and "loss" not in given:  # a run's config.json
            given = train_section(given, a.config)
        request = TrainConfig.from_dict(given)
    if a.resume and (a.start is not None or a.freeze_d is not None or a.eyes is not None):
        raise UserError("--from, --freeze-d and --eyes choose how a new run starts; a resumed run continues from "
                        "its own checkpoint (drop them, or start a new run with --out)")
    if a.resume:  # --steps means this many more steps (gan_core.training.resume's rule)
        flags = a.minutes is not None or a.steps is not None or request is None
        cfg = resume_config(a.out, minutes=a.minutes if flags else request.minutes,
                            steps=a.steps if flags else request.steps,
                            device=a.device if a.device is not None or request is None else request.device)
        machine = {k: v for k, v in dict(data_memory_gb=a.data_memory_gb, threads=a.threads).items() if v is not None}
        if machine:  # this machine's settings, not the run's recipe
            cfg = cfg.replace(**machine)
    else:
        if run.checkpoint.is_file():
            raise UserError(f"{a.out} already holds a run; add --resume to continue it or pick a new --out")
        if request is not None:
            model = {k: v for k, v in dict(resolution=a.resolution, channels=a.channels).items() if v is not None}
            cfg = request.replace(**model, **overrides) if model or overrides else request
        else:
            cfg = preset(a.preset or default_preset_name(), resolution=a.resolution, channels=a.channels,
                         **overrides)
    cleanup = cleanup_from_args(a) if a.clean else None
    dataset_info = {"name": Path(a.data).stem, "source": str(Path(a.data).resolve())}
    if cleanup is not None:
        dataset_info["cleanup"] = asdict(cleanup)
    dist = init_from_env(cfg.device)  # torchrun: join the group (NCCL on CUDA, gloo on CPU)
    data = _prepare_data(a, cfg, run, dist, cleanup)
    if not a.resume and dist.is_main:  # after the data: a bad --data stays a one-line message
        print(describe_start(cfg).replace("**", ""), file=sys.stderr)
    if not dist.is_main:
        sys.stderr = open(os.devnull, "w")  # one voice: rank 0 reports for the run
    if not a.resume:  # after the data: a user mistake there stays one line (error: ...)
        print(describe_start(cfg), file=sys.stderr)
    if dist.enabled:
        print(f"distributed: {dist.world_size} processes ({dist.backend}); batch size {cfg.batch_size} per "
              f"process = {cfg.batch_size * dist.world_size} per step", file=sys.stderr)
    print(f"{len(data)} image(s) at {cfg.model.resolution} px, preset {cfg.preset}, loss {cfg.loss}, "
          f"budget {f'{cfg.minutes:g} min' if cfg.minutes else ''}{' / ' if cfg.minutes and cfg.steps else ''}"
          f"{f'{cfg.steps} steps' if cfg.steps else ''}", file=sys.stderr)
    stop = threading.Event()

    def on_sigint(signum, frame):
        if stop.is_set():
            raise KeyboardInterrupt
        print("\nstopping after this step and saving a checkpoint (Ctrl-C again to abort)", file=sys.stderr)
        stop.set()

    def should_stop() -> bool:  # Ctrl-C here, or the STOP file the studio writes
        return stop.is_set() or (run.path / STOP_FILE).exists()

    old = signal.signal(signal.SIGINT, on_sigint)
    try:
        result = train(cfg, data, ProgressBar(), should_stop, run_dir=a.out, resume=a.resume,
                       dataset_info=dataset_info)
    finally:
        signal.signal(signal.SIGINT, old)
    shutdown()
    if not dist.is_main:
        return 0
    print(f"{result.state} at step {result.step} in {result.seconds:.0f} s; run folder: {result.run_dir}")
    print(f"  final grid: {RunFolder(result.run_dir).final_grid}")
    if result.metrics:
        from ..metrics.quality import format_report
        print(format_report(result.metrics))
    return 0


def _flag(q, flag: str, cls, name: str, help: str | None = None) -> None:
    """An option built from the config field's metadata: its type, choices, help and range."""
    from ..config import field_spec
    s = field_spec(cls, name)
    kind = int if s.whole else float if isinstance(s.default, float) else str
    text = help or s.help
    if s.many:
        text += f"; from {','.join(s.choices)}"
    elif s.hi is not None:
        text += f" ({s.lo:g} to {s.hi:g})" if isinstance(s.lo, float) else f" ({s.lo} to {s.hi})"
    elif s.lo is not None:
        text += f" (>= {s.lo})"
    kw = {"choices": list(s.choices)} if s.choices is not None and not s.many else {}
    q.add_argument(flag, type=kind, help=text, **kw)


def register(sub) -> None:
    from ..config import ModelConfig, TrainConfig
    from ..training.presets import PRESETS
    q = sub.add_parser("train", help="train a generator on a folder or zip of images")
    q.add_argument("--data", required=True, help="folder or .zip of (cleaned) images")
    q.add_argument("--out", required=True, help="run folder (created)")
    q.add_argument("--config", help="a training config as JSON instead of --preset: TrainConfig fields, or a "
                   "run's config.json (train again with exactly its settings)")
    q.add_argument("--preset", choices=list(PRESETS), default=None,
                   help="quick (CPU default), balanced (GPU default), quality, classic")
    _flag(q, "--loss", TrainConfig, "loss", "training loss (hinge turns spectral norm on)")
    _flag(q, "--resolution", ModelConfig, "resolution")
    _flag(q, "--channels", ModelConfig, "channels")
    _flag(q, "--batch-size", TrainConfig, "batch_size")
    _flag(q, "--lr", TrainConfig, "lr_g", "learning rate of both networks")
    _flag(q, "--n-critic", TrainConfig, "n_critic")
    _flag(q, "--augment", TrainConfig, "augment")
    _flag(q, "--device", TrainConfig, "device")
    _flag(q, "--seed", TrainConfig, "seed")
    q.add_argument("--from", dest="start", metavar="base|scratch|PATH", default=None,
                   help="start point: base = the base model for the data's channels and resolution (the "
                        "presets' default when one exists), scratch = random weights, or the folder of a base, "
                        "a model or a run to fine-tune")
    _flag(q, "--freeze-d", TrainConfig, "freeze_d")
    _flag(q, "--eyes", ModelConfig, "d_eyes", "D's eyes: the folder of weights/ that scripts/train_eyes.py wrote "
          "(e.g. eyes-colour-64); an option measured in benchmarks/ABLATIONS.md, not a default")
    budget = q.add_mutually_exclusive_group()
    _flag(budget, "--minutes", TrainConfig, "minutes", "time budget in minutes (this session's, on --resume)")
    _flag(budget, "--steps", TrainConfig, "steps", "generator-step budget; more steps on --resume")
    q.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint "
                   "(on any number of processes)")
    _flag(q, "--data-memory-gb", TrainConfig, "data_memory_gb")
    _flag(q, "--threads", TrainConfig, "threads", "CPU threads for training (0 = one per core; fewer leaves "
          "cores to other work)")
    q.add_argument("--clean", action="store_true", help="apply the cleanup flags to the images first")
    cleanup_flags(q)
    q.set_defaults(func=cmd_train)

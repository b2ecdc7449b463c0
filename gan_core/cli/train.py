"""train: a preset (or a resumed run) on a folder or zip of images."""
from __future__ import annotations

import signal
import sys
import threading
from dataclasses import asdict
from pathlib import Path

from ..errors import UserError
from .common import ProgressBar, cleanup_flags, cleanup_from_args


def cmd_train(a) -> int:
    from ..datasets import load_dataset
    from ..presets import default_preset_name, preset
    from ..runfolder import RunFolder
    from ..resume import resume_config
    from ..trainer import train
    run = RunFolder(a.out)
    overrides = {k: v for k, v in dict(
        loss=a.loss, batch_size=a.batch_size, n_critic=a.n_critic, augment=a.augment, device=a.device,
        seed=a.seed, minutes=a.minutes, steps=a.steps).items() if v is not None}
    if a.lr is not None:
        overrides.update(lr_g=a.lr, lr_d=a.lr)
    if a.resume:  # --steps means this many more steps (gan_core.resume's rule)
        cfg = resume_config(a.out, minutes=a.minutes, steps=a.steps, device=a.device)
    else:
        if run.checkpoint.is_file():
            raise UserError(f"{a.out} already holds a run; add --resume to continue it or pick a new --out")
        cfg = preset(a.preset or default_preset_name(), resolution=a.resolution, channels=a.channels, **overrides)
    cleanup = cleanup_from_args(a) if a.clean else None
    dataset_info = {"name": Path(a.data).stem, "source": str(Path(a.data).resolve())}
    if cleanup is not None:
        dataset_info["cleanup"] = asdict(cleanup)
    data = load_dataset(a.data, resolution=cfg.model.resolution, channels=cfg.model.channels, cleanup=cleanup)
    for s in data.skipped:
        print(f"skipped {s.name}: {s.reason}", file=sys.stderr)
    print(f"{len(data)} image(s) at {cfg.model.resolution} px, preset {cfg.preset}, loss {cfg.loss}, "
          f"budget {f'{cfg.minutes:g} min' if cfg.minutes else ''}{' / ' if cfg.minutes and cfg.steps else ''}"
          f"{f'{cfg.steps} steps' if cfg.steps else ''}", file=sys.stderr)
    stop = threading.Event()

    def on_sigint(signum, frame):
        if stop.is_set():
            raise KeyboardInterrupt
        print("\nstopping after this step and saving a checkpoint (Ctrl-C again to abort)", file=sys.stderr)
        stop.set()

    old = signal.signal(signal.SIGINT, on_sigint)
    try:
        result = train(cfg, data, ProgressBar(), stop.is_set, run_dir=a.out, resume=a.resume,
                       dataset_info=dataset_info)
    finally:
        signal.signal(signal.SIGINT, old)
    print(f"{result.state} at step {result.step} in {result.seconds:.0f} s; run folder: {result.run_dir}")
    print(f"  final grid: {RunFolder(result.run_dir).final_grid}")
    if result.metrics:
        from ..metrics import format_report
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
    from ..presets import PRESETS
    q = sub.add_parser("train", help="train a generator on a folder or zip of images")
    q.add_argument("--data", required=True, help="folder or .zip of (cleaned) images")
    q.add_argument("--out", required=True, help="run folder (created)")
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
    budget = q.add_mutually_exclusive_group()
    _flag(budget, "--minutes", TrainConfig, "minutes", "time budget in minutes (this session's, on --resume)")
    _flag(budget, "--steps", TrainConfig, "steps", "generator-step budget; more steps on --resume")
    q.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    q.add_argument("--clean", action="store_true", help="apply the cleanup flags to the images first")
    cleanup_flags(q)
    q.set_defaults(func=cmd_train)

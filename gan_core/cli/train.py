"""train: a preset (or a resumed run) on a folder or zip of images."""
from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from ..errors import UserError
from .common import ProgressBar, cleanup_flags, cleanup_from_args


def cmd_train(a) -> int:
    from ..datasets import load_dataset
    from ..presets import default_preset_name, preset
    from ..runfolder import RunFolder
    from ..trainer import train
    from ..config import TrainConfig
    run = RunFolder(a.out)
    overrides = {k: v for k, v in dict(
        loss=a.loss, batch_size=a.batch_size, n_critic=a.n_critic, augment=a.augment, device=a.device,
        seed=a.seed, minutes=a.minutes, steps=a.steps).items() if v is not None}
    if a.lr is not None:
        overrides.update(lr_g=a.lr, lr_d=a.lr)
    if a.resume:
        if not run.checkpoint.is_file():
            raise UserError(f"--resume: {a.out} has no checkpoint.safetensors to resume from")
        cfg = TrainConfig.from_dict(run.read_config()["train"])
        cfg = cfg.replace(**{k: overrides[k] for k in ("minutes", "steps", "device") if k in overrides})
    else:
        if run.checkpoint.is_file():
            raise UserError(f"{a.out} already holds a run; add --resume to continue it or pick a new --out")
        if "loss" in overrides and overrides["loss"] == "hinge":
            overrides.setdefault("spectral_norm", True)
        cfg = preset(a.preset or default_preset_name(), resolution=a.resolution, channels=a.channels, **overrides)
    cleanup = cleanup_from_args(a) if a.clean else None
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
                       dataset_info={"source": str(Path(a.data).resolve())})
    finally:
        signal.signal(signal.SIGINT, old)
    print(f"{result.state} at step {result.step} in {result.seconds:.0f} s; run folder: {result.run_dir}")
    print(f"  final grid: {RunFolder(result.run_dir).final_grid}")
    if result.metrics:
        from ..metrics import format_report
        print(format_report(result.metrics))
    return 0


def register(sub) -> None:
    from ..config import AUGMENTS, LOSSES, RESOLUTIONS
    from ..presets import PRESETS
    q = sub.add_parser("train", help="train a generator on a folder or zip of images")
    q.add_argument("--data", required=True, help="folder or .zip of (cleaned) images")
    q.add_argument("--out", required=True, help="run folder (created)")
    q.add_argument("--preset", choices=list(PRESETS), default=None,
                   help="quick (CPU default), balanced (GPU default), quality, classic")
    q.add_argument("--loss", choices=LOSSES)
    q.add_argument("--resolution", type=int, choices=RESOLUTIONS)
    q.add_argument("--channels", type=int, choices=(1, 3))
    q.add_argument("--batch-size", type=int)
    q.add_argument("--lr", type=float, help="learning rate of both networks")
    q.add_argument("--n-critic", type=int, help="critic steps per generator step")
    q.add_argument("--augment", help=f"comma-separated DiffAugment policies from {','.join(AUGMENTS)}; '' = off")
    q.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps")
    q.add_argument("--seed", type=int)
    budget = q.add_mutually_exclusive_group()
    budget.add_argument("--minutes", type=float, help="time budget")
    budget.add_argument("--steps", type=int, help="generator-step budget (total, counting a resumed run)")
    q.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    q.add_argument("--clean", action="store_true", help="apply the cleanup flags to the images first")
    cleanup_flags(q)
    q.set_defaults(func=cmd_train)

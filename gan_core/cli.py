"""Command line: ``python -m gan_core {preprocess,train,generate,morph,samples,push} --help``.

User mistakes print one line (``error: ...``) and exit with status 2; no traceback.
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path

from .errors import UserError

MAX_SEEDS = 10_000


def parse_seeds(text: str, limit: int = MAX_SEEDS) -> list[int]:
    """'0-99', '3,7,11', '0-4,10' -> list of seeds."""
    from .latent import check_seed
    seeds: list[int] = []
    for part in str(text).replace(" ", "").split(","):
        if not part:
            continue
        try:
            if "-" in part:
                a, b = part.split("-", 1)
                lo, hi = check_seed(a), check_seed(b)
                if hi < lo:
                    raise UserError(f"seed range {part!r} goes backwards; write it low-high")
                if hi - lo + 1 > limit:
                    raise UserError(f"seed range {part!r} has {hi - lo + 1} seeds; at most {limit} at once")
                seeds.extend(range(lo, hi + 1))
            else:
                seeds.append(check_seed(part))
        except UserError as e:
            raise UserError(f"--seeds {text!r}: {e}") from None
    if not seeds:
        raise UserError(f"--seeds {text!r}: no seeds; write e.g. 0-99 or 3,7,11")
    if len(seeds) > limit:
        raise UserError(f"--seeds: {len(seeds)} seeds; at most {limit} at once")
    return seeds


class ProgressBar:
    """A one-line terminal progress bar: step, images/s, losses, ETA."""

    def __init__(self, stream=sys.stderr, width: int = 24):
        self.stream, self.width, self.tty = stream, width, stream.isatty()
        self.last = 0.0

    def __call__(self, p) -> None:
        if p.kind in ("checkpoint", "recovered", "error", "start"):
            self._line(f"[{p.kind}] {p.message}")
            return
        if p.kind == "done":
            self.update(p, force=True)
            self.stream.write("\n")
            return
        if p.kind == "step":
            self.update(p)

    def update(self, p, force=False) -> None:
        now = time.monotonic()
        if not force and not self.tty and now - self.last < 10:
            return  # logs and pipes get a line every 10 s, terminals a live bar
        self.last = now
        filled = int(self.width * p.fraction)
        eta = f"{int(p.eta_seconds // 60)}:{int(p.eta_seconds % 60):02d}" if p.eta_seconds is not None else "?"
        total = f"/{p.total_steps}" if p.total_steps else ""
        losses = f" D {p.loss_d:.3f} G {p.loss_g:.3f}" if p.loss_d is not None else ""
        text = (f"[{'#' * filled}{'.' * (self.width - filled)}] {100 * p.fraction:5.1f}% "
                f"step {p.step}{total} ep {p.epoch:.1f} {p.images_per_second:.0f} img/s{losses} ETA {eta}")
        self.stream.write(("\r" + text + "\x1b[K") if self.tty else text + "\n")
        self.stream.flush()

    def _line(self, text: str) -> None:
        self.stream.write(("\r\x1b[K" if self.tty else "") + text + "\n")
        self.stream.flush()


def _cleanup_from_args(a):
    from .preprocess import CleanupConfig
    if a.classic:
        return CleanupConfig.classic(threshold=a.threshold if a.threshold is not None else 50)
    return CleanupConfig(background=a.background, tolerance=a.tolerance,
                         threshold=a.threshold if a.threshold is not None else 50,
                         auto_threshold=a.auto_threshold, invert=a.invert, crop=a.crop, margin=a.margin,
                         size=a.size, mode=a.mode)


def cmd_preprocess(a) -> int:
    from .datasets import cleanup_folder
    cfg = _cleanup_from_args(a)
    written, skipped = cleanup_folder(a.input, a.output, cfg)
    for s in skipped:
        print(f"skipped {s.name}: {s.reason}", file=sys.stderr)
    print(f"cleaned {len(written)} image(s) into {a.output}; skipped {len(skipped)}")
    return 0 if written else 2


def cmd_train(a) -> int:
    from .datasets import load_dataset
    from .presets import default_preset_name, preset
    from .runfolder import RunFolder
    from .trainer import train
    from .config import TrainConfig
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
    cleanup = _cleanup_from_args(a) if a.clean else None
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
        from .metrics import format_report
        print(format_report(result.metrics))
    return 0


def looks_like_repo_id(spec: str) -> bool:
    """owner/name with no path syntax (a leading ./, /, ~ or a second slash means a path)."""
    return spec.count("/") == 1 and not spec.startswith((".", "/", "~")) and not spec.endswith("/")


def load_model_arg(spec: str):
    """A run folder, a generator folder/file, or a Hub repository id."""
    from .generate import load_generator
    if Path(spec).exists() or not looks_like_repo_id(spec):
        return load_generator(spec)  # says "no such folder" for a mistyped path
    from . import hub
    return load_generator(hub.download_model(spec))


def cmd_generate(a) -> int:
    from .images import save_png
    from .export import save_grid
    seeds = parse_seeds(a.seeds)
    model = load_model_arg(a.model)
    out = Path(a.out)
    pics = model.generate(seeds, truncation=a.truncation)
    for s, pic in zip(seeds, pics):
        save_png(pic, out / f"seed{s:06d}.png", upscale_factor=a.upscale)
    if a.grid:
        save_grid(pics, out / "grid.png")
    print(f"wrote {len(seeds)} design(s) to {out}")
    return 0


def cmd_morph(a) -> int:
    from .export import save_animation
    seeds = parse_seeds(a.seeds, limit=64)
    if len(seeds) < 2:
        raise UserError("--seeds: a morph needs at least two keyframe seeds, e.g. 3,7,11")
    if Path(a.out).suffix.lower() not in (".gif", ".mp4"):
        raise UserError(f"--out {a.out}: write the morph to a .gif or .mp4 file")
    model = load_model_arg(a.model)
    frames = model.morph(seeds, frames=a.frames, loop=a.loop, easing=a.easing, truncation=a.truncation)
    save_animation(frames, a.out, fps=a.fps, scale=a.scale)
    print(f"wrote {len(frames)} frames to {a.out}")
    return 0


def cmd_samples(a) -> int:
    from .samples import write_sample_rims
    if not 1 <= a.count <= 10_000:
        raise UserError(f"--count must be between 1 and 10000; got {a.count}")
    paths = write_sample_rims(a.out, count=a.count, seed=a.seed, size=a.size)
    print(f"wrote {len(paths)} sample rim photo(s) to {a.out}")
    return 0


def cmd_push(a) -> int:
    from . import hub
    url = hub.push_run(a.model, a.repo, token=a.token, private=a.private)
    print(f"pushed to {url}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from .config import AUGMENTS, LOSSES, RESOLUTIONS
    from .presets import PRESETS
    p = argparse.ArgumentParser(prog="python -m gan_core", description="Design Studio engine: clean photos, "
                                "train a generator, make designs and morphs.")
    sub = p.add_subparsers(dest="command", required=True, metavar="{preprocess,train,generate,morph,samples,push}")

    def cleanup_flags(q, default_threshold=None):
        g = q.add_argument_group("cleanup")
        g.add_argument("--classic", action="store_true", help="the car-rim recipe exactly: top-left pixel is "
                       "the background, below --threshold is background, the rest is black detail on white")
        g.add_argument("--threshold", type=int, default=default_threshold, help="0-255, default 50")
        g.add_argument("--background", choices=("corner", "border"), default="corner",
                       help="background value from the top-left pixel or the border's median")
        g.add_argument("--tolerance", type=int, default=0, help="grey levels around the background value")
        g.add_argument("--auto-threshold", action="store_true", help="Otsu threshold instead of --threshold")
        g.add_argument("--invert", action="store_true", help="swap detail and background colours")
        g.add_argument("--crop", action="store_true", help="crop to the object and centre it")
        g.add_argument("--margin", type=float, default=0.1, help="margin around the crop (fraction)")
        g.add_argument("--size", type=int, default=None, help="pad to square and resize to SIZE px")
        g.add_argument("--mode", choices=("binary", "grayscale", "color"), default="binary")

    q = sub.add_parser("preprocess", help="clean raw photos into a dataset folder")
    q.add_argument("--input", required=True, help="folder or .zip of raw photos")
    q.add_argument("--output", required=True, help="folder for the cleaned PNGs")
    cleanup_flags(q)
    q.set_defaults(func=cmd_preprocess)

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

    q = sub.add_parser("generate", help="write designs for seeds as PNG")
    q.add_argument("--model", required=True, help="run folder, generator folder, model.safetensors or Hub id")
    q.add_argument("--seeds", required=True, help="e.g. 0-99 or 3,7,11")
    q.add_argument("--out", required=True, help="output folder")
    q.add_argument("--truncation", type=float, default=1.0, help="0-2; below 1 = safer, more typical designs")
    q.add_argument("--upscale", type=int, default=1, help="PNG upscale factor 1-32")
    q.add_argument("--grid", action="store_true", help="also write grid.png of all seeds")
    q.set_defaults(func=cmd_generate)

    q = sub.add_parser("morph", help="write a slerp morph through keyframe seeds as GIF or MP4")
    q.add_argument("--model", required=True)
    q.add_argument("--seeds", required=True, help="keyframes, e.g. 3,7,11")
    q.add_argument("--frames", type=int, default=48)
    q.add_argument("--loop", action="store_true", help="return to the first seed")
    q.add_argument("--easing", choices=("linear", "ease"), default="ease")
    q.add_argument("--fps", type=float, default=12)
    q.add_argument("--scale", type=int, default=4, help="upscale each frame (e.g. 64 px x4 = 256 px)")
    q.add_argument("--truncation", type=float, default=1.0)
    q.add_argument("--out", required=True, help="morph.gif or morph.mp4")
    q.set_defaults(func=cmd_morph)

    q = sub.add_parser("samples", help="render reproducible sample photos of car rims")
    q.add_argument("--out", required=True, help="folder for the photos (rim_000.jpg, ...)")
    q.add_argument("--count", type=int, default=100)
    q.add_argument("--seed", type=int, default=0)
    q.add_argument("--size", type=int, default=256)
    q.set_defaults(func=cmd_samples)

    q = sub.add_parser("push", help="push a finished run to the Hugging Face Hub")
    q.add_argument("--model", required=True, help="run folder")
    q.add_argument("--repo", required=True, help="repository id, e.g. you/rim-generator")
    q.add_argument("--token", default=None, help="Hub token with write access (default: HF_TOKEN)")
    q.add_argument("--private", action="store_true")
    q.set_defaults(func=cmd_push)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    a = parser.parse_args(argv)
    try:
        return a.func(a)
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except OSError as e:  # a disk or permission problem is the user's to fix, not a bug
        print(f"error: {e.strerror or e}{f': {e.filename}' if e.filename else ''}", file=sys.stderr)
        return 1

"""What the commands share: seed lists, the progress bar, model arguments, cleanup flags."""
from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from ..errors import UserError

MAX_SEEDS = 10_000


def parse_seeds(text: str, limit: int = MAX_SEEDS) -> list[int]:
    """'0-99', '3,7,11', '0-4,10' -> list of seeds."""
    from ..design.latent import check_seed
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
    """Training progress on stderr: step, epoch, images/s, losses, ETA (the trainer's own numbers).

    A terminal gets a live tqdm bar, with the loop's messages ([start], [checkpoint], ...) printed
    above it; a log file or a pipe gets the same information as a plain line every 10 s."""

    PLAIN_EVERY = 10.0  # seconds between lines when the stream is not a terminal

    def __init__(self, stream=None, width: int = 24):  # width: the plain line's bar
        self.stream = stream if stream is not None else sys.stderr
        self.width, self.tty = width, self.stream.isatty()
        self.last = 0.0
        self.bar = None

    def __call__(self, p) -> None:
        if p.kind in ("checkpoint", "recovered", "error", "start"):
            self._line(f"[{p.kind}] {p.message}")
            return
        if p.kind == "done":
            self.update(p, force=True)
            self.close()
            return
        if p.kind == "step":
            self.update(p)

    @staticmethod
    def status(p) -> str:
        """'step 40/100 ep 1.2 123 img/s D 0.512 G 0.731 ETA 1:15' for one report."""
        eta = f"{int(p.eta_seconds // 60)}:{int(p.eta_seconds % 60):02d}" if p.eta_seconds is not None else "?"
        total = f"/{p.total_steps}" if p.total_steps else ""
        losses = f" D {p.loss_d:.3f} G {p.loss_g:.3f}" if p.loss_d is not None else ""
        return f"step {p.step}{total} ep {p.epoch:.1f} {p.images_per_second:.0f} img/s{losses} ETA {eta}"

    def update(self, p, force=False) -> None:
        if not self.tty:
            now = time.monotonic()
            if not force and now - self.last < self.PLAIN_EVERY:
                return
            self.last = now
            filled = int(self.width * p.fraction)
            self.stream.write(f"[{'#' * filled}{'.' * (self.width - filled)}] {100 * p.fraction:5.1f}% "
                              f"{self.status(p)}\n")
            self.stream.flush()
            return
        fraction = min(1.0, max(0.0, float(p.fraction)))
        if self.bar is None:
            from tqdm import tqdm  # installed with huggingface_hub (requirements.txt)
            # the budget is steps or minutes: the bar shows the trainer's fraction of it and its
            # ETA (in the text), not tqdm's own rate estimate
            size = shutil.get_terminal_size()  # 80 columns where the terminal reports none (0)
            self.bar = tqdm(total=1.0, initial=fraction, desc=self.status(p), file=self.stream,
                            ncols=size.columns, nrows=size.lines,
                            bar_format="{desc} {percentage:3.0f}% |{bar}|")  # the bar takes the room left
            return
        self.bar.n = fraction
        self.bar.set_description_str(self.status(p), refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def _line(self, text: str) -> None:
        if self.bar is not None:
            self.bar.write(text, file=self.stream)  # above the live bar, which is drawn again
        else:
            self.stream.write(text + "\n")
            self.stream.flush()


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
    g.add_argument("--mode", choices=("binary", "grayscale", "color"), default="binary",
                   help="color: the object in colour on white, the backdrop modelled from the border "
                        "(threshold and background do not apply; --tolerance > 0 sets the colour distance)")


def cleanup_from_args(a):
    from ..data.preprocess import CleanupConfig
    if a.classic:
        return CleanupConfig.classic(threshold=a.threshold if a.threshold is not None else 50)
    return CleanupConfig(background=a.background, tolerance=a.tolerance,
                         threshold=a.threshold if a.threshold is not None else 50,
                         auto_threshold=a.auto_threshold, invert=a.invert, crop=a.crop, margin=a.margin,
                         size=a.size, mode=a.mode)


def looks_like_repo_id(spec: str) -> bool:
    """owner/name with no path syntax (a leading ./, /, ~ or a second slash means a path)."""
    return spec.count("/") == 1 and not spec.startswith((".", "/", "~")) and not spec.endswith("/")


def load_model_arg(spec: str):
    """A run folder, a generator folder/file, or a Hub repository id."""
    from ..design.generate import load_generator
    if Path(spec).exists() or not looks_like_repo_id(spec):
        return load_generator(spec)  # says "no such folder" for a mistyped path
    from ..hub import transfer as hub
    return load_generator(hub.download_model(spec))

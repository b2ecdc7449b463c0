"""Calibrate the quality metrics on real icons: what does "as good as real" score?

The training set is fa-icons-100; the other 575 icons of fa-icons are a second sample of
the same distribution (the best a generator could do), uniform noise the worst.
Prints the SWD floor and noise scores at 64 and 128 px, the full evaluate() bundle for
500 images vs 100 at 64 px (the trainer's setting), and timings.

    python benchmarks/metrics_floor.py [--data /work/shared/data] [--seed 0] [--threads N]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gan_core.data import images  # noqa: E402
from gan_core.metrics import quality as metrics  # noqa: E402


def load(paths: list[Path]) -> torch.Tensor:
    """Grayscale PNGs as (N, 1, 128, 128) in [-1, 1]."""
    pics = np.stack([np.asarray(Image.open(p).convert("L")) for p in paths])
    return images.from_uint8(pics, channels=1)


def at(x: torch.Tensor, size: int) -> torch.Tensor:
    return x if x.shape[-1] == size else F.interpolate(x, size=(size, size), mode="area")


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def fmt_levels(levels: dict[int, float]) -> str:
    return ", ".join(f"{s}: {v:.1f}" for s, v in levels.items())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("/work/shared/data"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0,
                    help="torch intra-op threads (0: torch's default); on a CPU shared with "
                         "other busy processes 1 thread can be several times faster")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    train_names = sorted(p.name for p in (args.data / "fa-icons-100").glob("*.png"))
    others = sorted(p for p in (args.data / "fa-icons").glob("*.png") if p.name not in train_names)
    if not train_names or not others:
        sys.exit(f"no icons under {args.data}")
    real = load([args.data / "fa-icons" / n for n in train_names])
    other = load(others)
    gen = torch.Generator().manual_seed(args.seed)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; real "
          f"{len(train_names)} icons vs {len(others)} other icons / {len(others)} noise images")

    mean = lambda d: sum(d.values()) / len(d)  # noqa: E731
    # Noise "pictures" made at the icons' native 128 px and put through the same area
    # downsampling as the icons (the calibration target of ≈ 550 at 64 px), and per-pixel noise
    # made directly at the evaluated size (harsher: no averaging of neighbours).
    noise128 = torch.rand(len(others), 1, 128, 128, generator=gen) * 2 - 1
    for size in (64, 128):
        r, o = at(real, size), at(other, size)
        rows = [("real-vs-other-real", o), ("real-vs-noise (made at 128 px)", at(noise128, size))]
        if size != 128:
            rows.append((f"real-vs-noise ({size} px pixels)",
                         torch.rand(len(others), 1, size, size, generator=gen) * 2 - 1))
        for name, f in rows:
            levels, t = timed(metrics.swd_per_level, r, f, seed=args.seed)
            print(f"{size:>3} px  SWD {name:<30} {mean(levels):6.1f}  ({fmt_levels(levels)})"
                  f"  [{t:.2f} s]")

    # The trainer's setting: 500 generated designs vs the 100 training ones at 64 px.
    r64 = at(real, 64)
    fake = at(other[:500], 64)
    report, t_eval = timed(metrics.evaluate, r64, fake, seed=args.seed)
    print(f"evaluate(100 real, 500 other real) at 64 px: {t_eval:.2f} s")
    print(metrics.format_report(report))
    for name, f in (("noise", at(noise128[:500], 64)), ("itself", r64)):
        rep = metrics.evaluate(r64, f, seed=args.seed)
        print(f"evaluate vs {name}: swd {rep['swd']:.1f}, coverage {rep['coverage']:.2f}, "
              f"density {rep['density']:.2f}, memorised {rep['memorised_share']:.2f}")
    seeds = [metrics.sliced_wasserstein(r64, fake, seed=s) for s in range(3)]
    print("seed spread (500 other vs 100 real, 64 px): " + ", ".join(f"{v:.1f}" for v in seeds))
    # The floor depends on the set sizes (and on which icons are drawn).
    for n_real, n_fake in ((100, 100), (50, 500), (25, 500)):
        v = metrics.sliced_wasserstein(r64[:n_real], fake[:n_fake], seed=args.seed)
        print(f"  floor with {n_real} real vs {n_fake} other real icons: {v:.1f}")


if __name__ == "__main__":
    main()

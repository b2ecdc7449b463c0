"""A/B: does symmetric augmentation (random turns by 360/N and flips) help on the sample rims?

    python benchmarks/symmetry_aug.py --minutes 2 [--extra rot4,flip] [--threads 0]

Both arms train the ``quick`` preset on the same 100 sample rims (gan_core.data.samples, cleaned
with SAMPLE_CLEANUP to 64 px black-on-white) for the same wall-clock minutes, one after
the other; arm B adds ``--extra`` to quick's DiffAugment policies. The sample rims are drawn
at random orientations with random twist direction, so their distribution is invariant
under turns and mirrors, which is what makes rot/flip legitimate for them.
Prints each arm's steps and SWD (x1000, lower is better; gan_core.metrics.quality, 500 designs vs the
training set). Short runs on a shared CPU are noisy: read a difference of a few SWD points as none.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gan_core.data.datasets import load_dataset  # noqa: E402
from gan_core.data.samples import SAMPLE_CLEANUP, write_sample_rims  # noqa: E402
from gan_core.training.presets import preset  # noqa: E402
from gan_core.training.trainer import train  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=2.0, help="wall-clock budget per arm")
    ap.add_argument("--extra", default="rot4,flip", help="policies arm B adds to quick's")
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    out = Path(a.out or tempfile.mkdtemp(prefix="symaug-"))
    photos = write_sample_rims(out / "photos", count=a.count)
    data = load_dataset(photos[0].parent, resolution=64, channels=1, cleanup=SAMPLE_CLEANUP)
    base = preset("quick", resolution=64, device=a.device, minutes=a.minutes)
    arms = {"A quick": base.augment, f"B quick+{a.extra}": f"{base.augment},{a.extra}"}
    rows = []
    for name, augment in arms.items():
        cfg = base.replace(augment=augment)
        t0 = time.perf_counter()
        r = train(cfg, data, run_dir=out / name.split()[0])
        rows.append((name, augment, r.step, r.seconds, r.metrics["swd"], r.metrics.get("coverage"),
                     time.perf_counter() - t0))
    print(f"{len(data)} sample rims at 64 px, quick preset, {a.minutes:g} min per arm, device {a.device}")
    print(f"{'arm':24s} {'augment':40s} {'steps':>6s} {'train s':>8s} {'SWD':>7s} {'coverage':>8s}")
    for name, augment, steps, secs, swd, cov, _ in rows:
        print(f"{name:24s} {augment:40s} {steps:6d} {secs:8.0f} {swd:7.1f} {cov if cov is None else round(cov, 3)!s:>8s}")
    print(f"runs (grids): {out}")


if __name__ == "__main__":
    main()

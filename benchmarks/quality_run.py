"""Train a preset for N minutes on a folder, then print the issue's target table.

    python benchmarks/quality_run.py --preset quick --minutes 10 \
        [--data ../shared/data/twemoji-objects-100] [--channels 3] [--resolution 128] \
        [--set lecam_weight=0.1 --set width=16] [--count 1000] [--out RUN_DIR] [--also-g] [--also-ema 0.99 ...] \
        [--also-ema-flat 0.999 ...]

Metrics (gan_core.metrics.quality) compare ``--count`` generated designs with the training set:
multi-scale SWD and its coarsest (16 px, overall shape) level, each against the
real-vs-real floor measured on the same data at the same size (the training images vs
the rest of the full folder: fa-icons for fa-icons-100, twemoji-objects for
twemoji-objects-100), the palette distance, coverage on pixels and on HOG shape
descriptors, the memorised share and the peak RSS. The final grid is in RUN_DIR;
``quality.json`` there holds every number.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from quality import DATA, parse_overrides, run, table


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="quick")
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--data", default=str(DATA / "fa-icons-100"))
    ap.add_argument("--resolution", type=int, default=64)
    ap.add_argument("--channels", type=int, default=1, choices=(1, 3))
    ap.add_argument("--count", type=int, default=1000, help="generated designs to evaluate")
    ap.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                    help="override a preset field (repeatable)")
    ap.add_argument("--seed", type=int, default=0, help="training (and evaluation) seed")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--out", default=None)
    ap.add_argument("--also-g", action="store_true",
                    help="evaluate the training generator G itself too (recalibrated), beside the EMA generator")
    ap.add_argument("--also-ema", type=float, action="append", default=[], metavar="DECAY",
                    help="keep another EMA generator of this decay on the same run and evaluate it (repeatable)")
    ap.add_argument("--also-ema-flat", type=float, action="append", default=[], metavar="DECAY",
                    help="the same, without the ramp-up: the decay holds from step 0 (for runs from a base)")
    a = ap.parse_args()
    out = Path(a.out or f"/tmp/quality-{a.preset}-{time.strftime('%H%M%S')}")
    overrides = parse_overrides(a.set)
    if a.device != "auto":
        overrides["device"] = a.device
    row = run(a.preset, Path(a.data), a.resolution, a.channels, a.minutes, a.steps, out, a.count, overrides, a.seed,
              a.also_g, tuple(a.also_ema), tuple(a.also_ema_flat))
    print(table(row))
    print(json.dumps({k: row[k] for k in ("swd", "coarsest", "palette", "coverage", "hog_coverage",
                                          "memorised_share", "steps", "peak_rss_gb") if k in row}))
    print(f"grid: {out / 'final_grid.png'}  progress: {out / 'progress.gif'}")


if __name__ == "__main__":
    main()

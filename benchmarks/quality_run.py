"""Train a preset for N minutes on a folder, then print the quality metrics.

    python benchmarks/quality_run.py --preset quick --minutes 10 [--data DIR] [--out RUN_DIR]

Metrics (gan_core.metrics) compare 500 generated designs with the training set:
multi-scale SWD (x1000; real-vs-real floor on fa-icons-100 at 64 px ~ 35),
coverage/density (k=5) and the memorised share. The final grid is in RUN_DIR.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gan_core.datasets import load_dataset  # noqa: E402
from gan_core.metrics import format_report  # noqa: E402
from gan_core.presets import preset  # noqa: E402
from gan_core.trainer import train  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "fa-icons-100"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="quick")
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--data", default=str(DEFAULT_DATA))
    ap.add_argument("--resolution", type=int, default=64)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    out = Path(a.out or f"/tmp/quality-{a.preset}-{time.strftime('%H%M%S')}")
    budget = {"steps": a.steps} if a.steps else {"minutes": a.minutes}
    cfg = preset(a.preset, resolution=a.resolution, device=a.device, **budget)
    data = load_dataset(a.data, resolution=a.resolution, channels=1)
    marks = {}

    def on_progress(p):
        if p.kind == "step":
            for m in (1, 2, 5, 10, 20, 30):
                if p.seconds >= 60 * m and m not in marks:
                    marks[m] = p.step

    t0 = time.perf_counter()
    r = train(cfg, data, on_progress, run_dir=out)
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"preset {a.preset}, {len(data)} images at {a.resolution} px, {r.step} steps in {r.seconds:.0f} s "
          f"({r.step / r.seconds:.2f} steps/s), wall {time.perf_counter() - t0:.0f} s incl. evaluation, "
          f"peak RSS {rss_gb:.2f} GB")
    print("steps reached at minute marks:", marks)
    print(format_report(r.metrics))
    print(json.dumps({k: r.metrics[k] for k in ("swd", "coverage", "density", "memorised_share")}))
    print(f"grid: {out / 'final_grid.png'}  progress: {out / 'progress.gif'}")


if __name__ == "__main__":
    main()

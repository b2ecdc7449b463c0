"""The map of designs: how long it takes to appear, cold and cached, and its picture.

    python benchmarks/bench_design_map.py [--models weights/rims-64 weights/rims-colour-64] [--count 400]

For each model: the wall and CPU seconds of ``design_map`` with an empty cache (400 designs
drawn, HOG, PCA, t-SNE, grid assignment) and again from the cache; the map is saved as
docs/benchmarks/design-map-<model>.png. One torch thread; the load average is printed because
this machine is shared.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gan_core.data.images import save_png  # noqa: E402
from gan_core.design.generate import load_generator  # noqa: E402
from gan_core.train.designmap import design_map  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--models", nargs="+", default=[str(ROOT / "weights" / n) for n in ("rims-64", "rims-colour-64")])
    p.add_argument("--count", type=int, default=400)
    a = p.parse_args()
    torch.set_num_threads(1)
    print(f"torch threads 1, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs, {a.count} designs")
    for folder in a.models:
        model = load_generator(folder)
        with tempfile.TemporaryDirectory() as cache:
            for what in ("cold", "cached"):
                w0, c0 = time.perf_counter(), time.process_time()
                m = design_map(model, cache, count=a.count)
                print(f"{Path(folder).name:<16} {what:<7} wall {time.perf_counter() - w0:6.2f} s  "
                      f"cpu {time.process_time() - c0:6.2f} s  {m.cols}x{m.rows} cells, from cache: {m.from_cache}",
                      flush=True)
        out = ROOT / "docs" / "benchmarks" / f"design-map-{Path(folder).name}.png"
        save_png(m.picture, out)
        print(f"wrote {out.relative_to(ROOT)}")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

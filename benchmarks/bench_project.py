"""Projection speed and quality on the bundled model: python benchmarks/bench_project.py [--images 10].

For each of the first N training images of weights/rims-64 (its run's own pictures) it prints
the default projection's wall time, CPU time (what an idle machine's wall clock would show with
one thread: this machine is shared, so wall time depends on the others' load), final error,
the best random start's error and the nearest-of-1000-seeds error, for comparison.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gan_core.design.generate import load_generator  # noqa: E402
from gan_core.design.latent import z_from_seeds  # noqa: E402
from gan_core.design.project import CLOSE_ERROR, picture_error, project  # noqa: E402
from gan_core.training.runfolder import RunFolder  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--images", type=int, default=10)
    p.add_argument("--model", default=str(ROOT / "weights" / "rims-64"))
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    model = load_generator(a.model)
    images = RunFolder(a.model).read_training_images()[:a.images]
    seeds = model.from_latents(z_from_seeds(range(1000), model.z_dim), batch_size=250)
    print(f"model {a.model}, {len(images)} training images, torch threads {torch.get_num_threads()}, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'image':>5} {'wall s':>7} {'cpu s':>7} {'error':>7} {'start':>7} {'1000 seeds':>10} match")
    rows = []
    for i, target in enumerate(images):
        nearest = min(picture_error(s, target) for s in seeds)
        w0, c0 = time.perf_counter(), time.process_time()
        r = project(model, target)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        rows.append((wall, cpu, r.error, r.start_error, nearest))
        print(f"{i:5d} {wall:7.1f} {cpu:7.1f} {r.error:7.4f} {r.start_error:7.4f} {nearest:10.4f} {r.match}",
              flush=True)
    m = np.mean(rows, axis=0)
    print(f"mean  {m[0]:7.1f} {m[1]:7.1f} {m[2]:7.4f} {m[3]:7.4f} {m[4]:10.4f} "
          f"(close <= {CLOSE_ERROR}: {sum(r[2] <= CLOSE_ERROR for r in rows)}/{len(rows)})")


if __name__ == "__main__":
    main()

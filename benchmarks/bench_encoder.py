"""Instant projection: the encoder's reconstruction error against today's optimiser.

    python benchmarks/bench_encoder.py [--models weights/rims-64 weights/rims-colour-64] [--images 8]

For each model (its encoder.safetensors: ``python -m gan_core encoder --model PATH`` makes one)
and two sets of targets -- held-out designs (seeds 1,000,000+, never drawn in E's training)
and the model's training pictures (its dataset.safetensors) -- it prints the mean picture error
(mean |picture - target| / 255) of: a random z (seed 0, for scale), E alone, E + 1 s of
optimisation (``project(init_z=E's z, seconds=1)``) and today's default optimiser (~10 s, 150
steps); with the mean wall and CPU seconds of each. One torch thread; the load average is printed
because this machine is shared.
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
from gan_core.design.encoder import encode, load_encoder  # noqa: E402
from gan_core.design.generate import load_generator  # noqa: E402
from gan_core.design.latent import z_from_seeds  # noqa: E402
from gan_core.design.project import picture_error, project  # noqa: E402
from gan_core.train.runfolder import RunFolder  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def timed(fn):
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w0, time.process_time() - c0


def measure(model, E, targets) -> dict:
    rows = {k: [] for k in ("random z", "E alone", "E + 1 s", "optimiser 10 s")}
    random_pic = model.from_latents(z_from_seeds([0], model.z_dim))[0]
    for t in targets:
        rows["random z"].append((picture_error(random_pic, t), 0.0, 0.0))
        z, w, c = timed(lambda: encode(model, E, t))
        rows["E alone"].append((picture_error(model.from_latents(z[None])[0], t), w, c))
        r, w, c = timed(lambda: project(model, t, steps=1000, seconds=1.0, init_z=z))
        rows["E + 1 s"].append((r.error, w, c))
        r, w, c = timed(lambda: project(model, t))
        rows["optimiser 10 s"].append((r.error, w, c))
    return {k: np.mean(v, axis=0) for k, v in rows.items()}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--models", nargs="+", default=[str(ROOT / "weights" / n) for n in ("rims-64", "rims-colour-64")])
    p.add_argument("--images", type=int, default=8, help="targets per set")
    a = p.parse_args()
    torch.set_num_threads(1)
    print(f"torch threads 1, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs, {a.images} targets per set")
    print(f"{'model':<16} {'targets':<18} {'method':<15} {'error':>7} {'wall s':>7} {'cpu s':>7}")
    for folder in a.models:
        model = load_generator(folder)
        E, why = load_encoder(folder, model)
        if E is None:
            print(f"{Path(folder).name}: {why}")
            continue
        held_out = model.from_latents(z_from_seeds(range(1_000_000, 1_000_000 + a.images), model.z_dim))
        training = RunFolder(folder).read_training_images()
        sets = {"held-out designs": held_out}
        if training is not None:
            sets["training pictures"] = np.asarray(training[:a.images])
        for name, targets in sets.items():
            for method, (err, wall, cpu) in measure(model, E, targets).items():
                print(f"{Path(folder).name:<16} {name:<18} {method:<15} {err:7.4f} {wall:7.3f} {cpu:7.3f}", flush=True)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

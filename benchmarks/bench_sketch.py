"""Sketch to design: wall and CPU time of ``design_from_sketch`` through the encoder (the issue's
target: <= 300 ms at 64 px) and without one (the optimiser fallback).

    python benchmarks/bench_sketch.py [--models weights/rims-64 weights/rims-colour-64] [--repeats 20]

The sketch is a 512 px pad (a ring with spokes, RGBA on transparency). One torch thread.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gan_core.design.encoder import load_encoder  # noqa: E402
from gan_core.design.generate import load_generator  # noqa: E402
from gan_core.design.render import render  # noqa: E402
from gan_core.design.sketch import design_from_sketch, sketch_ink  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def pad_sketch(ink: str) -> Image.Image:
    im = Image.new("RGBA", (512, 512), (255, 255, 255, 0))
    d = ImageDraw.Draw(im)
    d.ellipse((56, 56, 456, 456), outline=ink, width=28)
    for a in range(0, 360, 72):
        t = np.deg2rad(a)
        d.line((256, 256, 256 + 190 * np.cos(t), 256 + 190 * np.sin(t)), fill=ink, width=24)
    return im


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--models", nargs="+", default=[str(ROOT / "weights" / n) for n in ("rims-64", "rims-colour-64")])
    p.add_argument("--repeats", type=int, default=20)
    a = p.parse_args()
    torch.set_num_threads(1)
    print(f"torch threads 1, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    for folder in a.models:
        model = load_generator(folder)
        E, why = load_encoder(folder, model)
        sketch = pad_sketch(sketch_ink(model))
        for name, enc, n in (("encoder", E, a.repeats), ("no encoder", None, 1)):
            if name == "encoder" and E is None:
                print(f"{Path(folder).name}: {why}")
                continue
            design_from_sketch(model, enc, sketch)  # warm-up
            walls, cpus = [], []
            for _ in range(n):
                w0, c0 = time.perf_counter(), time.process_time()
                d = design_from_sketch(model, enc, sketch)
                render(d, model)
                walls.append(time.perf_counter() - w0)
                cpus.append(time.process_time() - c0)
            print(f"{Path(folder).name:<16} {name:<11} sketch -> design -> picture: median wall "
                  f"{np.median(walls) * 1000:7.1f} ms, cpu {np.median(cpus) * 1000:7.1f} ms ({n} runs)", flush=True)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

"""SeFa vs GANSpace vs random directions on the bundled model: python benchmarks/bench_directions.py.

For the top-k directions of each method, over 16 seeds it prints:
- effect: mean pixel change (0..1) per unit step (design at +1 vs 0), i.e. how much a slider does;
- overlap: mean IoU between the regions two different directions change (pixels moving more than
  16 grey levels at +3): lower means each slider changes its own part of the design (disentangled);
- ms: time to compute the directions.
"""
from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gan_core.design.directions import ganspace_directions, sefa_directions  # noqa: E402
from gan_core.design.generate import load_generator  # noqa: E402
from gan_core.design.latent import z_from_seeds  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def measure(model, dirs: torch.Tensor, z: torch.Tensor) -> tuple[float, float]:
    base = model.from_latents(z).astype(np.float32)
    effects, masks = [], []
    for d in dirs:
        one = model.from_latents(z + d).astype(np.float32)
        three = model.from_latents(z + 3 * d).astype(np.float32)
        effects.append(np.abs(one - base).mean() / 255)
        masks.append(np.abs(three - base) > 16)          # (seeds, H, W[, 3])
    ious = []
    for a, b in itertools.combinations(masks, 2):
        union = (a | b).sum()
        ious.append((a & b).sum() / union if union else 0.0)
    return float(np.mean(effects)), float(np.mean(ious))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model", default=str(ROOT / "weights" / "rims-64"))
    p.add_argument("--top", type=int, default=5)
    p.add_argument("--seeds", type=int, default=16)
    a = p.parse_args()
    model = load_generator(a.model)
    z = z_from_seeds(range(a.seeds), model.z_dim)
    rnd = torch.randn(a.top, model.z_dim, generator=torch.Generator().manual_seed(0))
    methods = {"random": lambda G, k: (torch.linalg.qr(rnd.T)[0].T, None),
               "sefa": sefa_directions, "ganspace": ganspace_directions}
    print(f"model {a.model}: top {a.top} directions, {a.seeds} seeds")
    print(f"{'method':>9} {'effect/unit':>11} {'overlap IoU':>11} {'ms':>8}")
    for name, find in methods.items():
        t0 = time.perf_counter()
        dirs, _ = find(model.G, a.top)
        ms = 1000 * (time.perf_counter() - t0)
        effect, overlap = measure(model, dirs, z)
        print(f"{name:>9} {effect:11.4f} {overlap:11.3f} {ms:8.0f}", flush=True)


if __name__ == "__main__":
    main()

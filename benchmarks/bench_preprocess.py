"""Time the cleanup of one 1024 x 1024 photo: the classic recipe and every option at once.

The target is well under 50 ms per photo on a laptop-class CPU.

    python benchmarks/bench_preprocess.py [--size 1024] [--repeats 20]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gan_core.data.preprocess import CleanupConfig, clean_image  # noqa: E402
from gan_core.data.samples import render_rim  # noqa: E402

SETTINGS = {
    "classic": CleanupConfig.classic(),
    "border+otsu+crop+size64": CleanupConfig(background="border", tolerance=10, auto_threshold=True,
                                             crop=True, size=64),
    "color+crop+size256": CleanupConfig(background="border", auto_threshold=True, crop=True,
                                        size=256, mode="color"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    photo = render_rim(0, size=args.size)
    for name, config in SETTINGS.items():
        clean_image(photo, config)  # warm-up
        times = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            clean_image(photo, config)
            times.append(time.perf_counter() - t)
        times.sort()
        print(f"{name:26s} median {1000 * times[len(times) // 2]:6.2f} ms   "
              f"best {1000 * times[0]:6.2f} ms per {args.size} px photo")


if __name__ == "__main__":
    main()

"""What starting from a base model adds to the start of a run (the issue's bound: 2 s).

    python benchmarks/bench_start_point.py [--repeats 5]

For each shipped base (weights/base-*), times building the trainer (networks, optimisers, data
store) for `quick` on 100 random pictures of the base's size, from scratch and from the base,
interleaved, and prints the medians and the difference. The first step is not included: it costs
the same from either start.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from gan_core.training.bases import base_for  # noqa: E402
from gan_core.training.presets import preset  # noqa: E402
from gan_core.training.trainer import Trainer  # noqa: E402


def build_seconds(cfg, data) -> float:
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        Trainer(cfg, data, Path(d) / "run", evaluate=False)
        return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    print("| base | from scratch (median s) | from the base (median s) | added (s) |")
    print("| --- | --- | --- | --- |")
    for res, ch in ((64, 1), (64, 3), (128, 1), (128, 3)):
        base = base_for(res, ch)
        if base is None:
            continue
        data = torch.rand(100, ch, res, res) * 2 - 1
        arms = {"scratch": preset("quick", resolution=res, channels=ch, start="scratch"),
                "base": preset("quick", resolution=res, channels=ch)}
        times: dict[str, list[float]] = {k: [] for k in arms}
        build_seconds(arms["scratch"], data)  # warm-up: imports, allocator
        for _ in range(a.repeats):
            for k, cfg in arms.items():
                times[k].append(build_seconds(cfg, data))
        s, b = statistics.median(times["scratch"]), statistics.median(times["base"])
        print(f"| {base.name} | {s:.3f} | {b:.3f} | {b - s:+.3f} |")


if __name__ == "__main__":
    main()

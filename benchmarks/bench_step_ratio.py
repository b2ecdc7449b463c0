"""Steps per second of two training arms, interleaved in one process: what "equal wall time" means
in steps when one arm costs more per step (D's eyes, a wider network...).

    python benchmarks/bench_step_ratio.py --data ../shared/data/twemoji-objects-100 --channels 3 \\
        --a start=base --b start=base --b d_eyes=eyes-colour-64 [--rounds 8 --steps 20 --threads 1]

Each round runs ``--steps`` training steps of arm A, then of arm B, each timed on its own clock, so
a machine whose speed drifts slows both alike. Prints each arm's median steps/second, their ratio,
and the steps B gets in the wall time of ``--a-steps`` steps of A. Numbers, not assertions.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import torch  # noqa: E402

from gan_core.data.datasets import load_dataset  # noqa: E402
from gan_core.training.presets import preset  # noqa: E402
from gan_core.training.trainer import Trainer  # noqa: E402
from quality import parse_overrides  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--resolution", type=int, default=64)
    ap.add_argument("--channels", type=int, default=1)
    ap.add_argument("--preset", default="quick")
    ap.add_argument("--a", action="append", default=[], metavar="FIELD=VALUE", help="arm A's overrides")
    ap.add_argument("--b", action="append", default=[], metavar="FIELD=VALUE", help="arm B's overrides")
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--a-steps", type=int, default=3058, help="A's step count to translate into B's")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    data = load_dataset(Path(a.data), a.resolution, a.channels).images
    arms = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, items in (("A", a.a), ("B", a.b)):
            cfg = preset(a.preset, a.resolution, a.channels, len(data), threads=a.threads, **parse_overrides(items))
            arms[name] = Trainer(cfg, data, Path(tmp) / name, evaluate=False)
            for _ in range(a.warmup):
                arms[name].train_step()
        rates = {name: [] for name in arms}
        for _ in range(a.rounds):
            for name, t in arms.items():
                t0 = time.perf_counter()
                for _ in range(a.steps):
                    t.train_step()
                rates[name].append(a.steps / (time.perf_counter() - t0))
    med = {name: statistics.median(r) for name, r in rates.items()}
    for name, items in (("A", a.a), ("B", a.b)):
        print(f"arm {name} ({', '.join(items) or 'preset'}): {med[name]:.2f} steps/s "
              f"(rounds {', '.join(f'{r:.2f}' for r in rates[name])})")
    ratio = med["B"] / med["A"]
    print(f"B / A: {ratio:.3f}; in the time of {a.a_steps} steps of A, B runs {round(a.a_steps * ratio)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

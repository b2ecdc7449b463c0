"""Interleaved A/B ablation of recipe options at equal wall time; prints a table.

    python benchmarks/ablation.py --steps 1000 [--data ../shared/data/fa-icons-100] \
        [--resolution 64] [--channels 1] [--repeats 2] \
        --arm base= --arm lecam=lecam_weight=0.1 --arm ada=ada_target=0.6,ada_images=20000

Each ``--arm NAME=FIELD=VALUE,FIELD=VALUE`` overrides the preset (``NAME=`` is the preset
itself). How "equal wall time" is kept on a shared machine, whose speed drifts by 2x and
more while other jobs come and go:

1. speed: each arm's seconds per step are timed *interleaved* (a few steps of arm A, then
   of B, ..., repeated), so every arm sees the same load; the ratio to the first arm is
   robust even when the absolute speed is not;
2. budget: the first arm gets ``--steps``; every other arm gets the steps that fit in the
   same time at its measured speed (cheaper arms get more steps); with ``--equal-steps``
   all get ``--steps`` (options that cost the same per step, e.g. LeCam, ADA);
3. training: all arms of a repeat run at the same time, one thread each, so drifts in the
   machine's load hit them alike; each repeat uses another seed.

Then every run is evaluated (``--count`` designs) and the table prints the mean and
the spread over repeats. Results go to ``--out`` (one quality.json per run).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from quality import DATA, parse_overrides  # noqa: E402

KEYS = ("swd", "coarsest", "palette", "coverage", "hog_coverage", "memorised_share")


def parse_arm(spec: str) -> tuple[str, dict]:
    name, _, rest = spec.partition("=")
    return name, parse_overrides([kv for kv in rest.split(",") if kv])


def seconds_per_step(preset: str, res: int, ch: int, arms: dict, rounds: int = 3, steps: int = 4) -> dict:
    """Interleaved timing of one training step per arm (one thread, random images)."""
    import torch
    from gan_core.training.presets import preset as make
    from gan_core.training.trainer import measure_speed
    torch.set_num_threads(1)
    times = {a: [] for a in arms}
    for _ in range(rounds):
        for name, ov in arms.items():
            cfg = make(preset, resolution=res, channels=ch, count=100, steps=steps, threads=1, **ov)
            times[name].append(1.0 / measure_speed(cfg, steps=steps, warmup=2))
    return {a: float(np.median(t)) for a, t in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="quick")
    ap.add_argument("--data", type=Path, default=DATA / "fa-icons-100")
    ap.add_argument("--resolution", type=int, default=64)
    ap.add_argument("--channels", type=int, default=1, choices=(1, 3))
    ap.add_argument("--steps", type=int, default=1000, help="steps of the first arm")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--first-seed", type=int, default=0, help="seed of the first repeat (then +1 each)")
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--arm", action="append", required=True)
    ap.add_argument("--equal-steps", action="store_true",
                    help="give every arm --steps (for arms whose step costs the same by construction, "
                         "where the timing's noise would only skew the budgets)")
    ap.add_argument("--out", type=Path, default=Path(f"/tmp/ablation-{time.strftime('%H%M%S')}"))
    a = ap.parse_args()
    arms = dict(parse_arm(s) for s in a.arm)
    first = next(iter(arms))
    sps = seconds_per_step(a.preset, a.resolution, a.channels, arms)
    budget = {n: a.steps if a.equal_steps else max(1, round(a.steps * sps[first] / sps[n])) for n in arms}
    print(f"seconds per step (interleaved, 1 thread): " + ", ".join(f"{n} {s:.3f}" for n, s in sps.items()))
    t0 = time.perf_counter()
    rows: dict[str, list[dict]] = {n: [] for n in arms}
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    for rep in range(a.repeats):
        procs = {}
        for name, ov in arms.items():
            out = a.out / f"{name}-{rep}"
            sets = sum((["--set", f"{k}={json.dumps(v)}"] for k, v in {**ov, "threads": 1}.items()), [])
            cmd = [sys.executable, str(HERE / "quality_run.py"), "--preset", a.preset, "--data", str(a.data),
                   "--resolution", str(a.resolution), "--channels", str(a.channels), "--steps", str(budget[name]),
                   "--count", str(a.count), "--out", str(out), "--seed", str(a.first_seed + rep), *sets]
            procs[name] = (subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                            text=True), out)
        for name, (p, out) in procs.items():
            log = p.communicate()[0]
            if p.returncode != 0:
                sys.exit(f"arm {name} failed:\n{log[-3000:]}")
            rows[name].append(json.loads((out / "quality.json").read_text()))
    minutes = (time.perf_counter() - t0) / 60
    print(f"{a.data.name}, {'colour' if a.channels == 3 else 'gray'}, {a.resolution} px, preset {a.preset}; "
          f"{a.repeats} repeat(s), all arms of a repeat at once, {minutes:.1f} min; "
          f"{a.count} designs per run; mean ± spread over repeats")
    head = f"| arm | overrides | s/step | steps | " + " | ".join(KEYS) + " |"
    print(head)
    print("|" + "---|" * (4 + len(KEYS)))
    for name, rs in rows.items():
        cells = []
        for k in KEYS:
            v = np.array([r[k] for r in rs], float) * (100 if k == "memorised_share" else 1)
            cells.append(f"{v.mean():.1f}" + (f" ± {v.std():.1f}" if len(v) > 1 else "") if k not in
                         ("coverage", "hog_coverage") else f"{v.mean():.2f}")
        print(f"| {name} | {json.dumps(arms[name]) if arms[name] else '(preset)'} | {sps[name]:.3f} | "
              f"{budget[name]} | " + " | ".join(cells) + " |")
    if "floor_swd" in rows[first][0]:
        r = rows[first][0]
        print(f"floors: SWD {r['floor_swd']:.1f}, coarsest {r['floor_coarsest']:.1f}, palette {r['floor_palette']:.1f}")


if __name__ == "__main__":
    main()

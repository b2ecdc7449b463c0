"""Training throughput: each preset at 64 and 128 px, and the car-rim reference loop.

    python benchmarks/bench_train.py [--data DIR] [--seconds 30] [--presets quick,classic] [--sizes 64,128]

Prints real images/second through the critic and generator steps/second. The
reference loop (benchmarks/reference_loop.py) and the ``classic`` preset then run
interleaved in one process, a generator step of each in turn, each timed on its own
clock, so a machine whose speed drifts (other work, turbo) slows both alike and their
ratio stays fair. Numbers, not assertions.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import torch  # noqa: E402

from gan_core.data.datasets import load_dataset  # noqa: E402
from gan_core.device import describe_device, pick_device  # noqa: E402
from gan_core.training.presets import PRESETS, preset  # noqa: E402
from gan_core.training.trainer import Trainer  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "fa-icons-100"


def measure(cfg, data, seconds: float, warmup: int = 3) -> dict:
    with tempfile.TemporaryDirectory() as d:
        t = Trainer(cfg, data, Path(d) / "run", evaluate=False)
        for _ in range(warmup):
            t.train_step()
        if t.device.type == "cuda":
            torch.cuda.synchronize()
        steps, images0, t0 = 0, t.images_seen, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            for _ in range(5):
                t.train_step()
            steps += 5
        if t.device.type == "cuda":
            torch.cuda.synchronize()
        el = time.perf_counter() - t0
        return {"steps_per_second": steps / el, "images_per_second": (t.images_seen - images0) / el,
                "steps": steps}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=str(DEFAULT_DATA))
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--presets", default=",".join(PRESETS))
    ap.add_argument("--sizes", default="64,128")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--no-reference", action="store_true")
    a = ap.parse_args()
    dev = pick_device(a.device)
    print(f"device: {describe_device(dev)}, torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"data {a.data}")
    print(f"{'preset':<10} {'px':>4} {'real img/s':>11} {'G steps/s':>10}")
    results = {}
    for size in map(int, a.sizes.split(",")):
        data = load_dataset(a.data, resolution=size, channels=1)
        for name in a.presets.split(","):
            cfg = preset(name, resolution=size, device=a.device)
            r = measure(cfg, data, a.seconds)
            results[(name, size)] = r
            print(f"{name:<10} {size:>4} {r['images_per_second']:>11.1f} {r['steps_per_second']:>10.2f}", flush=True)
    if not a.no_reference and dev.type == "cpu":
        c, r = compare_with_reference(a.data, max(a.seconds, 60))
        print(f"{'classic':<10} {64:>4} {c['images_per_second']:>11.1f} {c['steps_per_second']:>10.2f}"
              f"   (interleaved with the reference, {c['steps']} steps)")
        print(f"{'reference':<10} {64:>4} {r['images_per_second']:>11.1f} {r['steps_per_second']:>10.2f}"
              f"   (car-rim loop: files decoded per step, critic loss through G; {r['steps']} steps)")
        print(f"classic vs reference at 64 px: {c['images_per_second'] / r['images_per_second']:.2f}x "
              "real images/s (same networks, losses, batch and updates: tests/test_classic_math.py)")
        print(f"classic step, where the time goes: {1000 / c['steps_per_second']:.0f} ms, of which the "
              f"5 critic updates with gradient penalty (the same work in the reference) {c['critic_ms']:.0f} ms")


def compare_with_reference(folder: str, seconds: float) -> tuple[dict, dict]:
    """classic and the reference loop in turn, one generator step each, for ``seconds``.

    Also times classic's critic updates (``critic_ms`` per generator step).
    """
    from reference_loop import ReferenceLoop
    data = load_dataset(folder, resolution=64, channels=1)
    ref = ReferenceLoop(folder)
    with tempfile.TemporaryDirectory() as d:
        t = Trainer(preset("classic"), data, Path(d) / "run", evaluate=False)
        clock = {"classic": 0.0, "reference": 0.0, "critic": 0.0}

        def timed(f):
            def wrapper(*args):
                t0 = time.perf_counter()
                out = f(*args)
                clock["critic"] += time.perf_counter() - t0
                return out
            return wrapper
        t._d_loss, t._d_update = timed(t._d_loss), timed(t._d_update)
        for _ in range(2):  # warm-up
            t.train_step()
            ref.step()
        clock["critic"] = 0.0
        steps, images0, ref_steps0, ref_images0 = 0, t.images_seen, ref.steps, ref.images
        t_end = time.perf_counter() + seconds
        while time.perf_counter() < t_end:
            for name, step in (("classic", t.train_step), ("reference", ref.step))[::1 if steps % 2 else -1]:
                t0 = time.perf_counter()
                step()
                clock[name] += time.perf_counter() - t0
            steps += 1
        c = {"steps": steps, "steps_per_second": steps / clock["classic"],
             "images_per_second": (t.images_seen - images0) / clock["classic"],
             "critic_ms": 1000 * clock["critic"] / steps}
        n = ref.steps - ref_steps0
        r = {"steps": n, "steps_per_second": n / clock["reference"],
             "images_per_second": (ref.images - ref_images0) / clock["reference"]}
        return c, r

if __name__ == "__main__":
    main()

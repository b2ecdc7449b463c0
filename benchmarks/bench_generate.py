"""Generation speed on this machine: one design, grids, and an encoded morph.

    python benchmarks/bench_generate.py [--model weights/rims-64]

Targets (2-core CPU): one 64 px design <= 10 ms, one 256 px design <= 60 ms,
a 48-frame 128 px morph encoded as MP4 <= 1.5 s, each bundled model in weights/ loaded and
its first 16 designs drawn <= 1 s (Explore opens on it).
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

from gan_core.design.generate import DesignModel, load_generator  # noqa: E402
from gan_core.export.animation import save_gif, save_mp4  # noqa: E402
from gan_core.nets.models import Generator  # noqa: E402
from gan_core.training.presets import preset  # noqa: E402
from studio.models_cache import bundled_models  # noqa: E402


def timeit(fn, repeat=20):
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None, help="a generator folder (default: fresh quick-preset networks)")
    a = ap.parse_args()
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")
    for folder in bundled_models(ROOT / "weights"):  # what Explore lists
        t = time.perf_counter()
        load_generator(folder, device="cpu").generate(range(16))
        print(f"weights/{folder.name:<24} load + 16 designs {1000 * (time.perf_counter() - t):7.0f} ms (cold)")
    models = {}
    if a.model:
        m = load_generator(a.model)
        models[f"{a.model} ({m.config.resolution} px)"] = m
    for res in (64, 128, 256):
        models[f"quick preset G, {res} px"] = DesignModel(Generator(preset("quick", resolution=res).model))
    seed = iter(range(10**6))
    for name, m in models.items():
        one = timeit(lambda: m.design(next(seed)))
        grid = timeit(lambda: m.generate(range(16)), repeat=5)
        print(f"{name:<32} one design {one:7.2f} ms   16-design grid {grid:7.1f} ms")
    m = models["quick preset G, 128 px"]
    with tempfile.TemporaryDirectory() as d:
        for fmt in ("mp4", "gif"):
            def morph():
                frames = m.morph([3, 7, 11], frames=48, loop=True)
                (save_mp4 if fmt == "mp4" else save_gif)(frames, Path(d) / f"m.{fmt}", fps=12)
            ms = timeit(morph, repeat=3)
            size = (Path(d) / f"m.{fmt}").stat().st_size / 1024
            print(f"48-frame 128 px morph, generated + encoded as {fmt.upper()}: {ms:7.0f} ms ({size:.0f} KB)")


if __name__ == "__main__":
    main()

"""SVG tracing times and sizes for 64 px designs: the bundled rims model and real icons.

    python benchmarks/bench_svg.py [--repeat 5] [--upsample 8]

For each design: the median time of ``to_svg`` over ``--repeat`` calls, the SVG's size, and
the IoU of its resvg rendering against the print PNG at 256 px (budget: < ~20 KB, <= 200 ms).
Also times symmetrize (rot5, rot12, mirror-both at 64 and 256 px) and print_png at 2048 px.
"""
from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gan_core.design.generate import load_generator  # noqa: E402
from gan_core.design.symmetry import symmetrize  # noqa: E402
from gan_core.export.printpng import print_png  # noqa: E402
from gan_core.export.vector import to_svg  # noqa: E402

ICONS = ROOT.parent / "shared" / "data" / "fa-icons-100"


def timed(fn, repeat: int) -> tuple[float, object, float]:
    """(median wall ms, last result, median CPU ms of this process: what a busy shared machine
    does not inflate; the two agree on an idle one)."""
    out, times, cpu = None, [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(times) * 1000, out, statistics.median(cpu) * 1000


def iou_vs_png(pic, svg) -> float:
    import resvg_py
    traced = np.asarray(Image.open(io.BytesIO(bytes(resvg_py.svg_to_bytes(svg_string=svg, width=256,
                                                                          background="#ffffff")))).convert("L"))
    ref = np.asarray(print_png(pic, 256).convert("L"))
    a, b = traced < 128, ref < 128
    return float((a & b).sum() / max(1, (a | b).sum()))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--upsample", type=int, default=8)
    a = ap.parse_args()
    model = load_generator(ROOT / "weights" / "rims-64")
    designs = [(f"rims-64 seed {s}", p) for s, p in zip(range(5), model.generate(range(5)))]
    for f in sorted(ICONS.glob("*.png"))[:5]:
        designs.append((f"icon {f.stem.split('_', 1)[-1]}",
                        np.asarray(Image.open(f).convert("L").resize((64, 64), Image.LANCZOS))))
    to_svg(designs[0][1])  # warm up (imports)
    print(f"to_svg, {a.upsample}x, median of {a.repeat}")
    print(f"{'design':28s} {'wall ms':>8s} {'cpu ms':>7s} {'KB':>6s} {'IoU@256':>8s}")
    ms_all, kb_all, cpu_all = [], [], []
    for name, pic in designs:
        ms, svg, cpu = timed(lambda: to_svg(pic, upsample=a.upsample), a.repeat)
        kb = len(svg.encode()) / 1024
        ms_all.append(ms)
        kb_all.append(kb)
        cpu_all.append(cpu)
        print(f"{name:28s} {ms:8.1f} {cpu:7.1f} {kb:6.1f} {iou_vs_png(pic, svg):8.3f}")
    print(f"{'max':28s} {max(ms_all):8.1f} {max(cpu_all):7.1f} {max(kb_all):6.1f}")
    print("\nsymmetrize, median of", a.repeat)
    import cv2
    for size in (64, 256):
        pic = cv2.resize(designs[0][1], (size, size), interpolation=cv2.INTER_CUBIC)
        for spec in ("rot5", "rot12", "mirror-both"):
            ms, _, cpu = timed(lambda: symmetrize(pic, spec), a.repeat)
            print(f"  {size:4d} px {spec:12s} {ms:6.1f} ms wall {cpu:6.1f} ms cpu")
    ms, _, cpu = timed(lambda: print_png(designs[0][1], 2048), max(1, a.repeat // 2))
    print(f"\nprint_png 64 -> 2048 px: {ms:.0f} ms wall, {cpu:.0f} ms cpu")
    print(f"(load average now {' '.join(f'{v:.1f}' for v in __import__('os').getloadavg())})")


if __name__ == "__main__":
    main()

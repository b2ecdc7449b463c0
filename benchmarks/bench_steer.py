"""What the Explore page's steer, projection and breeding events cost on this machine.

    python benchmarks/bench_steer.py [--model weights/rims-64] [--browser]

In process, the work behind each event (median of 20): a direction slider move (the edited
design drawn and scaled for the page), letting go (8 strips of 3 pictures), 8 children bred and
drawn. With ``--browser``: the real app in Chromium, the first direction slider (then, as the
baseline, the seed slider) clicked at 8 positions, from the pointer's release to the new design
picture loaded in the page (median, max). Run it on a quiet machine: under load every number grows.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from bench_generate import timeit  # noqa: E402

from gan_core.design.breed import breed  # noqa: E402
from gan_core.design.generate import load_generator  # noqa: E402
from gan_core.design.record import Design  # noqa: E402
from gan_core.design.render import direction_strips, render, render_many  # noqa: E402


def in_process(folder: Path) -> None:
    from studio.explore.models import single_threaded
    from studio.explore.steer import SLIDERS, STRIP_AMOUNTS, strip_picture
    from studio.explore.view import shown
    m = load_generator(folder)
    ref = f"bundled/{folder.name}"
    base = Design.from_seed(ref, 3, m.z_dim)
    edited = base.replace(edits={0: 1.5, 2: -1.0})
    print(f"model {folder} ({m.config.resolution} px)")
    parents = [Design.from_seed(ref, s, m.z_dim) for s in (1, 2)]
    with single_threaded():  # as the page renders them
        move = timeit(lambda: shown(render(edited, m)))
        strips = timeit(lambda: [strip_picture(s) for s in direction_strips(m, edited, SLIDERS, STRIP_AMOUNTS)])
        bred = timeit(lambda: render_many(breed(parents, m, 8), m))
    print(f"  slider move (render + page size): {move:.1f} ms")
    print(f"  let go ({SLIDERS} strips x 3): {strips:.1f} ms")
    print(f"  breed 8 children + draw them: {bred:.1f} ms")


def browser(folder: Path, clicks: int = 8) -> None:
    root = Path(tempfile.mkdtemp(prefix="bench-steer-"))
    weights = root / "weights"
    weights.mkdir()
    (weights / folder.name).symlink_to(folder.resolve(), target_is_directory=True)
    os.environ.update(STUDIO_WORKSPACE=str(root / "ws"), STUDIO_WEIGHTS_DIR=str(weights), HF_HUB_OFFLINE="1",
                      GRADIO_ANALYTICS_ENABLED="False", STUDIO_SECRET="bench")
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import free_port
    from playwright.sync_api import sync_playwright
    from studio.app import build_demo, launch_options
    from test_browser import ARGS, CHROMIUM
    demo = build_demo()
    port = free_port()
    demo.launch(**launch_options(), server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    probe = """() => { window.__t = {};
      document.addEventListener('pointerup', () => { window.__t.up = performance.now(); }, true);
      document.addEventListener('load', e => { if (e.target.tagName === 'IMG' && e.target.closest('#design'))
        { window.__t.loaded = performance.now(); window.__t.src = e.target.src; } }, true); }"""
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = b.new_page(viewport={"width": 1360, "height": 900})
            page.goto(f"http://127.0.0.1:{port}/")
            page.get_by_role("tab", name="3 · Explore").click()
            page.locator("#strip_0 img").wait_for(timeout=60_000)
            page.evaluate(probe)
            results = {}
            for name in ("direction_0", "seed"):  # the seed slider: the same page's baseline
                slider = page.locator(f"#{name} input[type=range]")
                slider.scroll_into_view_if_needed()
                box = slider.bounding_box()
                ms = []
                for i in range(clicks):
                    x = 0.15 + 0.7 * ((i * 5) % clicks) / clicks
                    before = page.evaluate("() => document.querySelector('#design img').src")
                    page.evaluate("() => { window.__t.loaded = null; }")
                    page.mouse.click(box["x"] + box["width"] * x, box["y"] + box["height"] / 2)
                    page.wait_for_function(f"() => window.__t.loaded && window.__t.src !== {before!r}",
                                           timeout=30_000)
                    ms.append(page.evaluate("() => window.__t.loaded - window.__t.up"))
                    page.wait_for_timeout(600)
                results[name] = ms
            b.close()
    finally:
        demo.close()
    for name, ms in results.items():
        print(f"  browser: {name} slider release -> new design loaded: median {statistics.median(ms):.0f} ms, "
              f"max {max(ms):.0f} ms ({clicks} clicks)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(ROOT / "weights" / "rims-64"))
    ap.add_argument("--browser", action="store_true", help="also time the real page in Chromium")
    args = ap.parse_args()
    folder = Path(args.model)
    in_process(folder)
    if args.browser:
        browser(folder)


if __name__ == "__main__":
    main()

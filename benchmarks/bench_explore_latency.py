"""Explore latency in the real browser: seed slider input -> the new design's picture loaded.

Starts the studio app (a temporary workspace, the bundled models of ``--repo``) on a free port,
opens it in headless Chromium (Playwright, /usr/bin/chromium), goes to Explore and clicks the
seed slider ``--moves`` times at random places (a click is a press and a release at a new seed).
Each time it measures, with timestamps the page takes itself, the time from the pointer-up to
the ``load`` event of the design picture with a new ``src``. Prints median, p95 and the values.

    python benchmarks/bench_explore_latency.py                      # this checkout
    python benchmarks/bench_explore_latency.py --repo /tmp/before   # another checkout (before/after)
    python benchmarks/bench_explore_latency.py --pause-ms 1500      # everything drawn between clicks
    python benchmarks/bench_explore_latency.py --slider truncation  # or direction_0 (a steer slider)

The machine's load matters (a 2-core box shared with other work): the script prints the load
average before and after.
"""
from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PROBES = """
() => {
  window.__t = {};
  document.addEventListener('pointerup', () => { window.__t.up = performance.now(); }, true);
  document.addEventListener('load', e => {
    if (e.target.tagName === 'IMG' && e.target.closest('#design') && !window.__t.loaded) {  // a move's first
      window.__t.loaded = performance.now();
      window.__t.src = e.target.src;
    }
  }, true);
}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(repo: Path, root: Path):
    for sub in ("tmp", "gradio"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    os.environ.update({"STUDIO_WORKSPACE": str(root / "workspace"), "STUDIO_WEIGHTS_DIR": str(repo / "weights"),
                       "STUDIO_SECRET": "bench-secret", "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
                       "GRADIO_TEMP_DIR": str(root / "gradio"), "TMPDIR": str(root / "tmp")})
    tempfile.tempdir = None
    sys.path.insert(0, str(repo))
    from studio.app import build_demo, launch_options
    demo = build_demo()
    port = free_port()
    demo.launch(**launch_options(), server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    return demo, f"http://127.0.0.1:{port}/"


def measure(url: str, moves: int, seed: int, pause_ms: int = 250, slider: str = "seed") -> list[float]:
    from playwright.sync_api import sync_playwright
    rng = random.Random(seed)
    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1360, "height": 900})
        page.set_default_timeout(60_000)
        page.goto(url)
        page.evaluate(PROBES)
        page.get_by_role("tab", name="3 · Explore").click()
        page.locator("#design img").wait_for()
        page.wait_for_timeout(1000)
        if slider.startswith("direction_"):
            page.locator(f"#{slider}").scroll_into_view_if_needed()
        slider = page.locator(f"#{slider} input[type=range]")
        slider.scroll_into_view_if_needed()
        box = slider.bounding_box()
        last_x = -1.0
        for i in range(moves + 2):  # the first two warm up (first request of a session, caches)
            before = page.evaluate("() => { const i = document.querySelector('#design img'); return i && i.src; }")
            page.evaluate("() => { window.__t.loaded = null; }")
            x = rng.uniform(0.02, 0.98)
            while abs(x - last_x) < 0.06:  # a click on the thumb (or beside it) keeps the seed: nothing to draw
                x = rng.uniform(0.02, 0.98)
            last_x = x
            page.mouse.click(box["x"] + box["width"] * x, box["y"] + box["height"] / 2)
            page.wait_for_function(f"() => window.__t.loaded && window.__t.src !== {before!r}")
            ms = page.evaluate("() => window.__t.loaded - window.__t.up")
            if i >= 2:
                out.append(ms)
            page.wait_for_timeout(pause_ms)  # a person's pause before the next click
        browser.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repo", type=Path, default=Path(__file__).resolve().parent.parent,
                    help="checkout whose studio to start (default: this one)")
    ap.add_argument("--moves", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--slider", default="seed", help="seed, truncation or direction_0 .. direction_7 (steer)")
    ap.add_argument("--pause-ms", type=int, default=250,
                    help="pause after each picture before the next click: 250 is scrubbing (what surrounds "
                         "the design is skipped while the visitor moves on), 1500 lets it all be drawn between clicks")
    a = ap.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="bench-explore-") as tmp:
        demo, url = start_app(a.repo.resolve(), Path(tmp))
        try:
            ms = measure(url, a.moves, a.seed, a.pause_ms, a.slider)
        finally:
            demo.close()
    ms_sorted = sorted(ms)
    p95 = ms_sorted[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    print(f"{a.repo}: {a.slider} slider click -> new design loaded, {len(ms)} moves, {a.pause_ms} ms pauses: "
          f"median {statistics.median(ms):.0f} ms, p95 {p95:.0f} ms, min {ms_sorted[0]:.0f}, max {ms_sorted[-1]:.0f}")
    print("all (ms):", " ".join(f"{v:.0f}" for v in ms))
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

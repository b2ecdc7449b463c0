"""Explore latency in the real browser: each live control -> the new design's picture loaded.

Starts the studio app (a temporary workspace, the bundled models of ``--repo``) on a free port,
opens it in headless Chromium (Playwright, /usr/bin/chromium) at 1366x768, goes to Explore and
works one control ``--moves`` times. Each time it measures, with timestamps the page takes
itself, the time from the input (the press: a click's pointerdown, an arrow key's keydown; for a
typed seed the typing's ``input`` event; for a sketch stroke its pointerup) to the ``load`` event
of the first design picture with a new ``src`` after it. Prints median, p95 and the values, one line per control.

Controls (``--control``, repeatable; default: all):
    seed          a click on the seed slider (a press and a release at a new seed)
    seed_typed    a new seed typed into the seed's number box, then Enter (from the typing's input)
    seed_arrow    ArrowUp in the seed's number box
    random        the Random seed button
    truncation    a click on the truncation slider
    symmetry      another symmetry picked in its dropdown
    direction_0   a click on the first steer slider (any direction_<i>)
    variation     a click on a variation tile
    child         a click on a child in Breed (two designs saved and bred first)
    board         a click on a saved design in the board
    sketch        a stroke on the sketch pad ("Picture or sketch"), from its pointerup (the stroke's end)

    python benchmarks/bench_explore_latency.py                       # this checkout, every control
    python benchmarks/bench_explore_latency.py --repo /tmp/before    # another checkout (before/after)
    python benchmarks/bench_explore_latency.py --control seed --control child --moves 20
    python benchmarks/bench_explore_latency.py --pause-ms 1500       # everything drawn between inputs
    python benchmarks/bench_explore_latency.py --control sketch --moves 15 --pause-ms 1500

The machine's load matters (a 2-core box shared with other work): the script prints the load
average before and after. The same script measures the old one-column page (``--repo``): it
opens a tool's tab only where the page has one.
"""
from __future__ import annotations

import argparse
import math
import os
import random
import socket
import statistics
import sys
import tempfile
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
CONTROLS = ["seed", "seed_typed", "seed_arrow", "random", "truncation", "symmetry", "direction_0", "variation",
            "child", "board", "sketch"]
SYMMETRY_LABELS = ["none", "4-fold rotation", "mirror left-right", "6-fold rotation", "mirror both"]
# The page's own timestamps of one trial (``arm`` starts it): the press (pointerdown or keydown) or
# the last ``input`` event, and the first load of a design picture after it (one loaded before the
# trial's input is the previous trial's: not counted)
PROBES = """
() => {
  window.__t = {};
  window.__arm = stroke => { window.__t = {armed: true, stroke: !!stroke}; };
  const at = name => () => { if (window.__t.armed && !window.__t.loaded) window.__t[name] = performance.now(); };
  document.addEventListener('pointerdown', at('down'), true);
  document.addEventListener('pointerup', at('up'), true);
  document.addEventListener('keydown', at('key'), true);
  document.addEventListener('input', at('input'), true);
  document.addEventListener('load', e => {
    const t = window.__t;
    if (e.target.tagName === 'IMG' && e.target.closest('#design') && !t.loaded && (t.down || t.key || t.input)
        && (!t.stroke || t.up)) {  // (a stroke's picture counts from its end)
      t.loaded = performance.now();  // a move's first picture
      t.src = e.target.src;
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


def open_tool(page, name: str) -> None:
    """Open a tool's tab (the one-screen page); the old page shows every tool at once."""
    tab = page.get_by_role("tab", name=name, exact=True)
    if tab.count():
        tab.first.click()
        page.wait_for_timeout(300)


def slider_x(page, selector, fraction):
    box = page.locator(f"{selector} input[type=range]").bounding_box()
    return box["x"] + box["width"] * fraction, box["y"] + box["height"] / 2


def pick_symmetry(page, label):
    page.locator("#symmetry input").click()
    page.get_by_role("option", name=label, exact=True).click()


def save_two(page) -> None:
    """Two more designs (random seeds) on the board."""
    for _ in range(2):
        n = page.locator("#board img").count()
        before = page.evaluate("() => document.querySelector('#design img').src")
        page.locator("#random_seed").click()
        page.wait_for_function(f"() => document.querySelector('#design img').src !== {before!r}")
        page.wait_for_timeout(1500)
        page.locator("#save_design").click()
        page.wait_for_function(f"() => document.querySelectorAll('#board img').length > {n}")


def stroke(page, rng: random.Random, points: int = 12) -> None:
    """One stroke on the sketch pad (its largest canvas): a short arc somewhere on it, as a hand draws."""
    box = max((c.bounding_box() for c in page.locator("#sketch canvas").all()),
              key=lambda b: (b or {}).get("width", 0) * (b or {}).get("height", 0))
    cx, cy = box["x"] + box["width"] * rng.uniform(0.3, 0.7), box["y"] + box["height"] * rng.uniform(0.3, 0.7)
    r, a0 = min(box["width"], box["height"]) * rng.uniform(0.08, 0.25), rng.uniform(0, 6.28)
    page.mouse.move(cx + r * math.cos(a0), cy + r * math.sin(a0))
    page.mouse.down()
    for k in range(1, points + 1):
        a = a0 + 3.0 * k / points
        page.mouse.move(cx + r * math.cos(a), cy + r * math.sin(a))
    page.mouse.up()


def setup(page, control: str) -> None:
    """What a control needs on the page before its first move."""
    if control.startswith("direction_"):
        open_tool(page, "Steer")
        page.locator(f"#{control} input[type=range]").scroll_into_view_if_needed()
    elif control == "child":
        save_two(page)
        open_tool(page, "Breed")
        page.locator("#breed_parents").scroll_into_view_if_needed()
        for k in (1, 2):  # option 0 is "the current design"
            page.locator("#breed_parents input").click()
            page.get_by_role("option").nth(k).click()
        page.keyboard.press("Escape")
        page.locator("#breed_btn").click()
        page.wait_for_function("() => document.querySelectorAll('#breed_children img').length === 8")
        page.locator("#breed_children").scroll_into_view_if_needed()
    elif control == "board":
        save_two(page)
        page.locator("#board").scroll_into_view_if_needed()
    elif control == "variation":
        page.locator("#variations").scroll_into_view_if_needed()
    elif control == "sketch":
        open_tool(page, "Picture or sketch")
        page.locator("#sketch canvas").last.scroll_into_view_if_needed()
        page.wait_for_timeout(1500)  # (Gradio's Sketchpad, before: its Brush pressed once it is there)
    else:
        page.locator("#seed").scroll_into_view_if_needed()
    page.wait_for_timeout(1000)


def act(page, control: str, i: int, rng: random.Random, state: dict) -> str:
    """One input of ``control``; returns the page timestamp it is measured from: the press (a
    click's pointerdown, an arrow key's keydown) or, for a typed seed, the typing's ``input``."""
    if control in ("seed", "truncation") or control.startswith("direction_"):
        x = rng.uniform(0.02, 0.98)
        while abs(x - state.get("x", -1)) < 0.06:  # a click on the thumb keeps the value: nothing to draw
            x = rng.uniform(0.02, 0.98)
        state["x"] = x
        page.mouse.click(*slider_x(page, f"#{control}", x))
        return "down"
    if control == "seed_typed":
        box = page.locator("#seed input[type=number]")
        box.fill(str(rng.randint(1, 999_999)))  # (the typing: one input event)
        box.press("Enter")
        return "input"
    if control == "seed_arrow":
        page.locator("#seed input[type=number]").press("ArrowUp")
        return "key"
    if control == "random":
        page.locator("#random_seed").click()
        return "down"
    if control == "symmetry":
        pick_symmetry(page, SYMMETRY_LABELS[(i + 1) % len(SYMMETRY_LABELS)])
        return "down"
    if control == "variation":
        page.locator("#variations img").nth(rng.choice([0, 1, 2, 3, 5, 6, 7, 8])).click()
        return "down"
    if control == "child":
        page.locator("#breed_children img").nth(i % 8).click()
        return "down"
    if control == "board":
        n = page.locator("#board img").count()
        page.locator("#board img").nth(i % n).click()
        return "down"
    if control == "sketch":
        stroke(page, rng)
        return "up"
    raise SystemExit(f"unknown control {control!r}; one of {', '.join(CONTROLS)} or direction_<i>")


def measure(url: str, control: str, moves: int, seed: int, pause_ms: int) -> list[float]:
    from playwright.sync_api import sync_playwright
    rng = random.Random(seed)
    out, state = [], {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.set_default_timeout(60_000)
        page.goto(url)
        page.evaluate(PROBES)
        page.get_by_role("tab", name="3 · Explore").click()
        page.locator("#design img").wait_for()
        page.wait_for_function("() => document.querySelectorAll('#variations img').length === 9")
        page.wait_for_timeout(1000)
        setup(page, control)
        # picks (variation, child, board) and the symmetry wait for all around the design to be drawn
        pause = max(pause_ms, 1200) if control in ("variation", "child", "board", "symmetry") else pause_ms
        for i in range(moves + 2):  # the first two warm up (first request of a session, caches)
            before = page.evaluate("() => { const i = document.querySelector('#design img'); return i && i.src; }")
            page.evaluate(f"() => window.__arm({'true' if control == 'sketch' else ''})")
            start = act(page, control, i, rng, state)
            try:
                page.wait_for_function(f"() => window.__t.loaded && window.__t.src !== {before!r}", timeout=20_000)
            except Exception:  # the input drew the same design (a child equal to the current one): not a move
                print(f"  {control} #{i}: no new picture in 20 s; not counted", flush=True)
                continue
            ms = page.evaluate(f"() => window.__t.loaded - window.__t.{start}")
            if i >= 2:
                out.append(ms)
            page.wait_for_timeout(pause)  # a person's pause before the next input
        browser.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repo", type=Path, default=Path(__file__).resolve().parent.parent,
                    help="checkout whose studio to start (default: this one)")
    ap.add_argument("--control", action="append", help=f"one of {', '.join(CONTROLS)} (repeatable; default all)")
    ap.add_argument("--slider", help="the first version's option: the same as --control")
    ap.add_argument("--moves", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pause-ms", type=int, default=700,
                    help="pause after each picture before the next input (the picks and symmetry: at least 1200, "
                         "so what surrounds the design is drawn first); 250 is scrubbing")
    a = ap.parse_args()
    controls = a.control or ([a.slider] if a.slider else CONTROLS)
    print(f"load average before: {os.getloadavg()[0]:.2f}", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-explore-") as tmp:
        demo, url = start_app(a.repo.resolve(), Path(tmp))
        try:
            for control in controls:
                try:
                    ms = sorted(measure(url, control, a.moves, a.seed, a.pause_ms))
                except Exception as e:  # one control's failure (say which) does not lose the others
                    print(f"{control}: failed: {type(e).__name__}: {str(e).splitlines()[0][:200]}", flush=True)
                    continue
                if not ms:
                    print(f"{control}: nothing measured", flush=True)
                    continue
                p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
                rows.append((control, statistics.median(ms), p95, len(ms)))
                print(f"{control}: median {statistics.median(ms):.0f} ms, p95 {p95:.0f} ms, min {ms[0]:.0f}, "
                      f"max {ms[-1]:.0f} ({len(ms)} inputs; all: {' '.join(f'{v:.0f}' for v in ms)})", flush=True)
        finally:
            demo.close()
    print(f"\n{a.repo.resolve()} at 1366x768, {a.pause_ms} ms pauses; input -> new design loaded")
    print("| control | median ms | p95 ms | inputs |\n|---|---|---|---|")
    for control, med, p95, n in rows:
        print(f"| {control} | {med:.0f} | {p95:.0f} | {n} |")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

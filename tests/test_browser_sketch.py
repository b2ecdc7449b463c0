"""Issue 26 in real Chromium at 1366x768: sketch to design, and the map of designs.

Draws a ring on the sketch pad with the mouse: a design appears as the current design and follows
the sketch (the model's ink lies more on the drawn ring, as the engine cleaned it, than elsewhere).
Then opens the Map tool: the atlas appears, and a click on it opens a design. Saves sketch.png and
map.png to $STUDIO_SCREENSHOTS (see tests/test_browser.py) and prints the times it saw.
"""
from __future__ import annotations

import base64
import io
import math
import time

import numpy as np
import pytest
from PIL import Image

from test_browser import (SHOTS, assert_on_screen, browser, img_pixels, img_src, open_tool,  # noqa: F401
                          pick_option, wait_idle_toasts)
from test_browser_steer import changed, shot

pytestmark = pytest.mark.browser


def toasts(page):
    return page.locator("[data-testid=toast-body]").all_inner_texts()


def draw_ring(page, canvas, fraction=0.32, points=48):
    """One closed stroke, a ring around the pad's centre (radius ``fraction`` of its side)."""
    box = canvas.bounding_box()
    cx, cy, r = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, min(box["width"], box["height"]) * fraction
    page.mouse.move(cx + r, cy)
    page.mouse.down()
    for k in range(1, points + 1):
        a = 2 * math.pi * k / points
        page.mouse.move(cx + r * math.cos(a), cy + r * math.sin(a), steps=2)
    page.mouse.up()


def pad_picture(page) -> np.ndarray:
    """What the sketch pad shows (its canvas), as an RGBA array."""
    url = page.evaluate("() => { const cs = [...document.querySelectorAll('#sketch canvas')];"
                        " const c = cs.sort((a, b) => b.width * b.height - a.width * a.height)[0];"
                        " return c.toDataURL('image/png'); }")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGBA"))


def test_sketch_to_design_and_the_map(studio_app, browser):  # noqa: F811 - the fixture
    from gan_core.design.generate import load_generator
    from gan_core.design.sketch import sketch_target
    SHOTS.mkdir(parents=True, exist_ok=True)
    started = time.time()
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.set_default_timeout(60_000)
    page.goto(studio_app.url)
    page.wait_for_selector("#files")
    page.get_by_role("tab", name="3 · Explore").click()
    model = "rims-64" if "rims-64" in studio_app.real_models else "tiny-64"
    pick_option(page, "#model", f"{model} · bundled · 64 px")
    page.wait_for_function("() => document.querySelectorAll('#variations img').length === 9")

    # ---- sketch: a ring drawn with the mouse becomes the current design ---------------------
    open_tool(page, "Picture or sketch")
    assert_on_screen(page, "#design", "#seed", "#save_design", "#sketch", "#sketch_refine")
    canvas = page.locator("#sketch canvas").last
    canvas.wait_for()
    before = img_src(page, "#design")
    t0 = time.perf_counter()
    draw_ring(page, canvas)
    try:
        changed(page, "#design", before)
        page.locator("#sketch_status").get_by_text("Refine").wait_for()
    except AssertionError as e:
        raise AssertionError(f"no design for the sketch: status {page.locator('#sketch_status').inner_text()!r}, "
                             f"toasts {toasts(page)}") from e
    print(f"sketch stroke ended -> its design on the page: {(time.perf_counter() - t0) * 1000:.0f} ms "
          f"(with Playwright's round trips); {page.locator('#sketch_status').inner_text()}")
    page.wait_for_timeout(1000)
    design = img_pixels(page, "#design").mean(axis=2)  # the design as shown (upscaled)
    m = load_generator(studio_app.weights / model)
    target = sketch_target(pad_picture(page), m)  # the sketch cleaned as the engine cleans it
    target = target.mean(axis=2) if target.ndim == 3 else target
    ink_mask = np.asarray(Image.fromarray(((target < 128) * 255).astype(np.uint8)).resize(
        design.shape[::-1], Image.NEAREST)) > 0
    ink = 255 - design  # darkness
    on, off = ink[ink_mask].mean(), ink[~ink_mask].mean()
    print(f"the design's ink on the drawn ring: {on:.0f}, elsewhere: {off:.0f} (of 255)")
    assert ink_mask.mean() > 0.03 and on > 1.5 * off, (on, off)
    wait_idle_toasts(page)
    shot(page, "sketch.png")

    # an empty pad (cleared) says so, and the current design stays
    kept = img_src(page, "#design")
    page.locator("#sketch button[aria-label*='lear' i], #sketch button[title*='lear' i]").first.click()
    page.locator("#sketch_status").get_by_text("empty").wait_for()
    assert img_src(page, "#design") == kept

    # ---- the map: appears, and a click opens a design --------------------------------------
    t0 = time.perf_counter()
    open_tool(page, "Map")
    try:
        page.locator("#map img").wait_for(timeout=60_000)
    except Exception as e:
        raise AssertionError(f"no map: {page.locator('#map_info').inner_text()!r}, toasts {toasts(page)}") from e
    print(f"map tool opened -> map on the page: {(time.perf_counter() - t0) * 1000:.0f} ms; "
          f"{page.locator('#map_info').inner_text()}")
    assert_on_screen(page, "#design", "#seed", "#map")
    seed = page.locator("#seed input[type=number]").input_value()
    before = img_src(page, "#design")
    box = page.locator("#map img").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.37, box["y"] + box["height"] * 0.61)
    changed(page, "#design", before)
    page.wait_for_function(f"() => document.querySelector('#seed input[type=number]').value !== '{seed}'")
    wait_idle_toasts(page)
    shot(page, "map.png")
    page.close()
    for name in ("sketch.png", "map.png"):
        assert (SHOTS / name).stat().st_mtime >= started - 1, name

"""Issue 26 in real Chromium at 1366x768: sketch to design, and the map of designs.

Draws a ring on the sketch pad (the page's own canvas) with the mouse: a design appears as the
current design and follows the sketch (the model's ink lies more on the drawn ring, as the engine
cleaned it, than elsewhere). The pad's tools, Refine, the empty pad and a model without an encoder
have their own test below.
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


TOAST_LOG = """() => { window.__toasts = [];
  new MutationObserver(() => document.querySelectorAll('[data-testid=toast-body]').forEach(t => {
    if (!t.__seen) { t.__seen = true; window.__toasts.push(t.innerText); } }))
    .observe(document.body, {subtree: true, childList: true}); }"""


def line(page, canvas, start, end, points=10):
    """One straight stroke between two points given as fractions of the pad."""
    box = canvas.bounding_box()
    xy = [(box["x"] + box["width"] * (start[0] + (end[0] - start[0]) * k / points),
           box["y"] + box["height"] * (start[1] + (end[1] - start[1]) * k / points)) for k in range(points + 1)]
    page.mouse.move(*xy[0])
    page.mouse.down()
    for x, y in xy[1:]:
        page.mouse.move(x, y)
    page.mouse.up()


def status_says(page, text, selector="#sketch_status", timeout=60_000):
    try:
        page.locator(selector).get_by_text(text).wait_for(timeout=timeout)
    except Exception as e:
        raise AssertionError(f"{selector} never said {text!r}: {page.locator(selector).inner_text()!r}, "
                             f"toasts {toasts(page)}") from e


def ink_pixels(page) -> int:
    return int((pad_picture(page)[..., 3] > 24).sum())


def test_sketch_pad_tools_refine_and_the_fallback(studio_app, browser, tmp_path):  # noqa: F811 - the fixture
    """Undo and eraser change the pad and the design follows; Refine streams from the sketch's design
    and ends with a new current design; a cleared pad (Refine, or a stroke that leaves it empty) says
    so and keeps the design; a model without an encoder falls back to the optimiser, said once."""
    import shutil
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.set_default_timeout(60_000)
    page.goto(studio_app.url)
    page.wait_for_selector("#files")
    page.evaluate(TOAST_LOG)
    page.get_by_role("tab", name="3 · Explore").click()
    model = "rims-64" if "rims-64" in studio_app.real_models else "tiny-64"
    pick_option(page, "#model", f"{model} · bundled · 64 px")
    page.wait_for_function("() => document.querySelectorAll('#variations img').length === 9")
    open_tool(page, "Picture or sketch")
    canvas = page.locator("#sketch canvas")
    canvas.wait_for()

    # ---- two strokes, undo leaves the first; the eraser takes ink away ------------------------
    before = img_src(page, "#design")
    line(page, canvas, (0.2, 0.2), (0.2, 0.8))
    changed(page, "#design", before)
    status_says(page, "Refine")
    first, first_design = pad_picture(page), img_src(page, "#design")
    line(page, canvas, (0.8, 0.2), (0.8, 0.8))
    changed(page, "#design", first_design)
    two = pad_picture(page)
    assert (two[..., 3] > 24).sum() > (first[..., 3] > 24).sum()
    second_design = img_src(page, "#design")
    page.locator("#sketch button[aria-label=Undo]").click()
    page.wait_for_timeout(200)
    assert np.array_equal(pad_picture(page), first), "undo after two strokes should leave the first"
    changed(page, "#design", second_design)  # the design follows the pad back
    inked = ink_pixels(page)
    page.locator("#sketch button[aria-label=Eraser]").click()
    line(page, canvas, (0.1, 0.5), (0.3, 0.5))  # across the first stroke
    page.wait_for_timeout(200)
    assert 0 < ink_pixels(page) < inked, "the eraser should take some ink away"
    page.locator("#sketch button[aria-label=Pen]").click()
    page.wait_for_timeout(1000)
    # a stylus's stroke (pointer events of type "pen", as a tablet's pen sends them) draws too
    inked, before = ink_pixels(page), img_src(page, "#design")
    page.evaluate("""() => { const c = document.querySelector('#sketch canvas'), r = c.getBoundingClientRect();
      const ev = (type, f) => c.dispatchEvent(new PointerEvent(type, {pointerId: 7, pointerType: 'pen', isPrimary: true,
        bubbles: true, cancelable: true, button: 0, buttons: type === 'pointerup' ? 0 : 1, pressure: 0.5,
        clientX: r.left + r.width * 0.5, clientY: r.top + r.height * f}));
      ev('pointerdown', 0.15); for (let k = 1; k <= 10; k++) ev('pointermove', 0.15 + 0.07 * k); ev('pointerup', 0.85); }""")
    changed(page, "#design", before)
    assert ink_pixels(page) > inked, "a pen's stroke should draw on the pad"
    page.wait_for_timeout(1500)

    # ---- Refine streams from the sketch's design and ends with a new current design ----------
    before = img_src(page, "#design")
    page.locator("#sketch_refine").click()
    status_says(page, "It is now the current design", "#project_status", timeout=90_000)
    page.locator("#project_recon img").wait_for()
    changed(page, "#design", before)
    print(f"Refine: {page.locator('#project_status').inner_text()}")

    # ---- a cleared pad: its stroke event and Refine say so, and the design stays ---------------
    page.wait_for_timeout(1500)
    kept = img_src(page, "#design")
    page.locator("#sketch button[aria-label=Clear]").click()
    status_says(page, "empty")
    assert ink_pixels(page) == 0
    page.locator("#sketch_refine").click()
    status_says(page, "empty", "#project_status")
    page.wait_for_timeout(1000)
    assert img_src(page, "#design") == kept
    # a stroke that leaves the pad empty (a dot, then the eraser over it) says so too
    line(page, canvas, (0.5, 0.5), (0.52, 0.5), points=2)
    status_says(page, "Read by")
    page.wait_for_timeout(1000)
    kept = img_src(page, "#design")
    page.locator("#sketch button[aria-label=Eraser]").click()
    line(page, canvas, (0.4, 0.5), (0.6, 0.5))
    status_says(page, "empty")
    assert ink_pixels(page) == 0
    page.wait_for_timeout(1000)
    assert img_src(page, "#design") == kept
    page.locator("#sketch button[aria-label=Pen]").click()
    wait_idle_toasts(page)

    # ---- a model without an encoder: the optimiser, said once --------------------------------
    folder = tmp_path / "rims-no-encoder"
    folder.mkdir()
    for f in (studio_app.weights / model).resolve().iterdir():
        if f.name != "encoder.safetensors":
            shutil.copy2(f, folder / f.name)
    open_tool(page, "More")
    page.get_by_text("Load another model").click()
    page.locator("#model_path input, #model_path textarea").first.fill(str(folder))
    before = img_src(page, "#design")
    page.locator("#load_model").click()
    status_says(page, "Loaded", "#load_status")
    changed(page, "#design", before)  # the loaded model's first design
    page.wait_for_timeout(1500)
    open_tool(page, "Picture or sketch")
    page.locator("#sketch button[aria-label=Clear]").click()
    status_says(page, "empty")
    before = img_src(page, "#design")
    draw_ring(page, canvas)
    status_says(page, "no encoder")
    changed(page, "#design", before)
    before = img_src(page, "#design")
    line(page, canvas, (0.3, 0.3), (0.7, 0.7))
    changed(page, "#design", before)  # (the stroke's event: the fast path has nothing without an encoder)
    said = [t for t in page.evaluate("() => window.__toasts") if "no encoder" in t]
    print(f"without an encoder: {page.locator('#sketch_status').inner_text()!r}; toasts {said}")
    assert "no encoder" in page.locator("#sketch_status").inner_text()
    assert len(said) == 1, said

    # ---- the pen takes the model's ink: dark blue on a colour model --------------------------
    if "rims-colour-64" in studio_app.real_models:
        from gan_core.design.sketch import DARK_INKS
        pick_option(page, "#model", "rims-colour-64 · bundled · 64 px")
        want = tuple(int(DARK_INKS[k:k + 2], 16) for k in (1, 3, 5))
        page.wait_for_function(f"() => document.querySelector('#sketch_ink textarea, #sketch_ink input').value"
                               f" === {DARK_INKS!r}")
        page.locator("#sketch button[aria-label=Clear]").click()
        line(page, canvas, (0.3, 0.5), (0.7, 0.5))
        pad = pad_picture(page)
        solid = pad[pad[..., 3] == 255][:, :3]
        assert len(solid) and (np.abs(solid.astype(int) - want).max(axis=1) <= 2).mean() > 0.95, solid[:3]
    page.close()

"""Issue 11 in real Chromium: steer a design with a direction slider, start from an uploaded
design (the projection streams and finishes), breed two saved designs and pick a child.

Saves steer.png, project.png and breed.png to $STUDIO_SCREENSHOTS (see tests/test_browser.py;
``STUDIO_SCREENSHOTS=docs/screenshots`` refreshes the README's).
"""
from __future__ import annotations

import time

import pytest
from PIL import Image

from test_browser import SHOTS, browser, drag_slider, img_src, pick_option, wait_idle_toasts  # noqa: F401

pytestmark = pytest.mark.browser


def changed(page, selector, before, timeout=30_000):
    page.wait_for_function(f"() => {{ const i = document.querySelector('{selector} img');"
                           f" return i && i.src !== {before!r}; }}", timeout=timeout)


def pick_first_option(page, selector):
    page.locator(f"{selector} input").click()
    page.get_by_role("option").first.click()


def shot(page, name, top, bottom):
    """A screenshot of the page from element ``top`` down to the end of element ``bottom``."""
    page.locator(bottom).scroll_into_view_if_needed()
    page.wait_for_timeout(400)
    scroll = page.evaluate("() => window.scrollY")
    y0 = page.locator(top).bounding_box()["y"] + scroll - 8
    end = page.locator(bottom).bounding_box()
    y1 = end["y"] + end["height"] + scroll + 8
    page.screenshot(path=str(SHOTS / name), full_page=True,
                    clip={"x": 0, "y": y0, "width": page.viewport_size["width"], "height": y1 - y0})


def test_steer_project_breed(studio_app, browser, tmp_path):  # noqa: F811 - the fixture
    SHOTS.mkdir(parents=True, exist_ok=True)
    started = time.time()
    page = browser.new_page(viewport={"width": 1360, "height": 900})
    page.set_default_timeout(60_000)  # a real browser on a busy 2-core CI machine (30 s once ran out there)
    page.goto(studio_app.url)
    page.wait_for_selector("#files")
    page.get_by_role("tab", name="3 · Explore").click()
    model = "rims-64" if "rims-64" in studio_app.real_models else "tiny-64"
    pick_option(page, "#model", f"{model} · bundled · 64 px")
    try:
        page.wait_for_function("() => document.querySelectorAll('#variations img').length === 9")
    except Exception as e:  # say what the page showed instead
        raise AssertionError(f"no 9 variations: model {page.locator('#model input').input_value()!r}, "
                             f"{page.locator('#variations img').count()} shown, toasts "
                             f"{page.locator('[data-testid=toast-body]').all_inner_texts()}") from e
    page.locator("#strip_0 img").wait_for()

    # ---- steer: drag the first direction, the design and the other strips follow -----------
    design, strip = img_src(page, "#design"), img_src(page, "#strip_1")
    drag_slider(page, "#direction_0", 0.5, 0.9)
    changed(page, "#design", design)
    assert float(page.locator("#direction_0 input[type=number]").input_value()) > 1.0
    changed(page, "#strip_1", strip)  # let go: the strips show the edited design
    wait_idle_toasts(page)
    shot(page, "steer.png", "#model", "#steer_box")

    # ---- start from your design: upload, watch it stream, it becomes the current design ----
    from gan_core.design.generate import load_generator
    target = tmp_path / "my-design.png"
    Image.fromarray(load_generator(studio_app.weights / model).design(123)).save(target)
    page.locator("#project_upload input[type=file]").set_input_files(str(target))
    page.locator("#project_target img").wait_for()
    design = img_src(page, "#design")
    page.locator("#project_start").click()
    page.locator("#project_status").get_by_text("Step ").wait_for(timeout=60_000)
    page.locator("#project_recon img").wait_for()
    page.locator("#project_status").get_by_text("match (error").wait_for(timeout=90_000)
    changed(page, "#design", design)
    # a new design without edits: the sliders go back to 0
    page.wait_for_function("() => document.querySelector('#direction_0 input[type=number]').value === '0'")
    wait_idle_toasts(page)
    shot(page, "project.png", "#project_title", "#project_box")
    if model == "rims-64":  # it keeps its training pictures: one click makes one the target
        target = img_src(page, "#project_target")
        page.locator("#project_training img").nth(3).click()
        changed(page, "#project_target", target)

    # ---- breed: save two designs, breed them, pick a child --------------------------------
    page.locator("#save_design").click()
    page.locator("#variations img").nth(0).click()
    page.wait_for_timeout(500)
    page.locator("#save_design").click()
    # a saved design as the projection's target
    page.locator("#project_saved").scroll_into_view_if_needed()
    target = img_src(page, "#project_target")
    pick_first_option(page, "#project_saved")
    page.locator("#project_use_saved").click()
    changed(page, "#project_target", target)
    page.locator("#breed_parents").scroll_into_view_if_needed()
    for k in (1, 2):  # option 0 is "the current design"
        page.locator("#breed_parents input").click()
        page.get_by_role("option").nth(k).click()
    page.keyboard.press("Escape")
    page.locator("#breed_btn").click()
    page.wait_for_function("() => document.querySelectorAll('#breed_children img').length === 8", timeout=60_000)
    design = img_src(page, "#design")
    page.locator("#breed_children img").nth(2).click()
    changed(page, "#design", design)
    wait_idle_toasts(page)
    shot(page, "breed.png", "#breed_title", "#breed_box")
    page.close()
    for name in ("steer.png", "project.png", "breed.png"):
        assert (SHOTS / name).stat().st_mtime >= started - 1, name

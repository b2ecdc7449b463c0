"""The Train tab's rendering, without a server: status box, losses, grids, metrics, run lines."""
from __future__ import annotations

import numpy as np

from studio import train_view as view


def snap(**changes) -> dict:
    base = dict(state="running", run_name="rims-1", step=40, total_steps=100, images_per_second=123.4,
                eta_seconds=75, fraction=0.4, error="", warning="")
    return {**base, **changes}


def test_status_box_shows_state_step_speed_eta_and_progress():
    html = view.status_html(snap())
    assert 'data-state="running"' in html and ">Training<" in html
    assert "step 40 / 100" in html and "123 images/s" in html and "ETA 1:15" in html
    assert 'style="width:40.0%"' in html


def test_status_box_idle_queued_finished_failed():
    assert 'data-state="idle"' in view.status_html(None)
    queued = view.status_html(snap(state="queued"), position=2)
    assert "position 2" in queued and "step" not in queued
    finished = view.status_html(snap(state="finished", fraction=0.99, eta_seconds=0))
    assert "width:100.0%" in finished and "ETA" not in finished
    failed = view.status_html(snap(state="failed", error="disk <full>"))
    assert "disk &lt;full&gt;" in failed  # messages are escaped


def test_status_box_escapes_the_run_name():
    assert "<b>" not in view.status_html(snap(run_name="<b>x</b>"))


def test_clock():
    assert view.clock(None) == "…"
    assert view.clock(59.6) == "1:00"
    assert view.clock(3725) == "1:02:05"


def test_losses_frame_is_long_form_and_none_when_empty():
    assert view.losses_frame([]) is None
    df = view.losses_frame([(10, 1.0, 2.0), (20, 0.5, 1.5)])
    assert list(df["step"]) == [10, 20, 10, 20]
    assert list(df["which"]) == ["critic", "critic", "generator", "generator"]
    assert list(df["loss"]) == [1.0, 0.5, 2.0, 1.5]


def test_display_grid_scales_by_a_whole_factor_with_nearest_pixels():
    grid = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2 * 3, 3)[:3]
    out = view.display_grid(grid)
    factor = view.GRID_DISPLAY // 3
    assert out.shape == (3 * factor, 3 * factor)
    assert (out[:factor, :factor] == grid[0, 0]).all()
    big = np.zeros((400, 400, 3), np.uint8)
    assert view.display_grid(big) is big
    assert view.display_grid(None) is None


def test_metrics_markdown():
    assert "when a run completes" in view.metrics_markdown(None, "stopped")
    assert "were not computed" in view.metrics_markdown(None, "finished")
    text = view.metrics_markdown({"swd": 83.0, "swd_levels": {"64": 80.0, "32": 86.0}, "coverage": None,
                                  "memorised_share": None, "num_real": 8}, "finished")
    assert text.startswith("**Quality**") and "\n- SWD 83" in text
    assert "\n  - per level: 64 px 80" in text  # sub-lines of the report nest


def test_estimates_and_run_lines():
    assert "10 min 00 s" in view.minutes_estimate(10)
    text = view.steps_estimate(200, 4.0, busy=True)
    assert "50 s for 200 steps" in text and "4.0 steps/s" in text and "rough" in text
    assert view.run_markdown(None) == "No runs yet."
    info = {"name": "r", "label": "finished · 20 steps", "dataset": "icons"}
    assert view.run_markdown(info) == "**finished · 20 steps** · dataset `icons`"
    assert view.run_choices([info]) == [("r — finished · 20 steps", "r")]
    assert view.log_text([str(i) for i in range(500)]).splitlines()[0] == "300"

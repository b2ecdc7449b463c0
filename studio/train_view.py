"""What the Train tab shows, as pure functions of a job's snapshot and a run folder.

No Gradio and no server here: the tab's handlers put these values into components, and
tests/test_train_view.py checks them directly.
"""
from __future__ import annotations

import html
import time

import numpy as np
import pandas as pd

from gan_core.metrics.quality import format_report

from .estimate import format_duration

GRID_DISPLAY = 360       # grids are scaled up (nearest) to about this width
LOG_LINES = 200          # the log box shows the latest lines
TITLES = {"queued": "Waiting in the queue", "running": "Training", "stopping": "Stopping…",
          "finished": "Finished", "stopped": "Stopped", "failed": "Failed", "cancelled": "Cancelled"}


def display_grid(grid: np.ndarray | None) -> np.ndarray | None:
    """A sample grid scaled up by a whole factor (nearest) to about GRID_DISPLAY pixels across."""
    if grid is None:
        return None
    factor = max(1, GRID_DISPLAY // grid.shape[1])
    return np.repeat(np.repeat(grid, factor, axis=0), factor, axis=1) if factor > 1 else grid


def losses_frame(rows) -> pd.DataFrame | None:
    """(step, critic loss, generator loss) rows as the long frame the LinePlot draws."""
    if not rows:
        return None  # not an empty frame: a LinePlot first drawn empty keeps no colours for later data
    steps = [r[0] for r in rows]
    return pd.DataFrame({"step": steps + steps, "loss": [r[1] for r in rows] + [r[2] for r in rows],
                         "which": ["critic"] * len(rows) + ["generator"] * len(rows)})


def clock(seconds: float | None) -> str:
    """m:ss, or h:mm:ss from an hour on; "…" while unknown."""
    if seconds is None:
        return "…"
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def start_estimate(wait: float | None, now: float | None = None) -> str:
    """When a waiting run should start: "starts in about 12 min (around 14:05 UTC)"."""
    if wait is None:
        return "start time not known yet (the speed of a run ahead is not measured yet)"
    if wait < 60:
        return "starts within a minute"
    at = time.strftime("%H:%M", time.gmtime((time.time() if now is None else now) + wait))
    return f"starts in about {format_duration(round(wait / 60) * 60)} (around {at} UTC)"


def status_html(snap: dict | None, position: int = -1, wait: float | None = 0.0) -> str:
    """The status box: state, run, step / total, speed, ETA, a progress bar and any message.
    A waiting run shows its position and estimated start (``wait`` seconds; None: unknown)."""
    if snap is None:
        return ('<div class="progress-box" id="train_state" data-state="idle"><span class="progress-state">'
                'Ready.</span> Pick a dataset and press Start.</div>')
    state = snap["state"]
    parts = [f'<span class="progress-state">{TITLES.get(state, html.escape(state))}</span>',
             f"<span>run <code>{html.escape(snap['run_name'])}</code></span>"]
    if state == "queued":
        parts.append(f"<span>position {max(position, 1)} in the queue — {start_estimate(wait)}</span>")
    else:
        total = f" / {snap['total_steps']}" if snap["total_steps"] else ""
        parts.append(f"<span>step {snap['step']}{total}</span>")
        if snap["images_per_second"]:
            parts.append(f"<span>{snap['images_per_second']:.0f} images/s</span>")
        if state in ("running", "stopping"):
            parts.append(f"<span>ETA {clock(snap['eta_seconds'])}</span>")
    message = snap["error"] if state == "failed" else snap.get("warning", "")
    pct = 100 * (snap["fraction"] if state != "finished" else 1.0)
    return (f'<div class="progress-box" id="train_state" data-state="{state}">'
            f'<div class="progress-line">{"".join(parts)}</div>'
            f'<div class="progress-track"><div class="progress-fill" style="width:{pct:.1f}%"></div></div>'
            + (f'<div class="hint">{html.escape(message)}</div>' if message else "") + "</div>")


def metrics_markdown(metrics: dict | None, state: str) -> str:
    """The quality numbers of a finished run (gan_core.metrics.quality.format_report), or why there are none."""
    if not metrics:
        if state == "finished":
            return "Quality metrics were not computed for this run."
        return "Quality metrics are computed when a run completes its budget."
    lines = []
    for line in format_report(metrics).splitlines():
        lines.append(("  - " if line.startswith(" ") else "- ") + line.strip())
    return "**Quality** (compared with the training images)\n\n" + "\n".join(lines)


def log_text(lines: list[str]) -> str:
    return "\n".join(lines[-LOG_LINES:])


def minutes_estimate(minutes: float) -> str:
    return (f"**Time:** about {format_duration(float(minutes) * 60)} (the budget), "
            "plus a few seconds for the final checkpoint and quality check.")


def steps_estimate(steps: int, steps_per_second: float, busy: bool = False) -> str:
    rough = " (measured while another run trains; rough)" if busy else ""
    return (f"**Time:** roughly {format_duration(steps / steps_per_second)} for {steps} steps "
            f"at about {steps_per_second:.1f} steps/s on this device{rough}.")


def run_markdown(info: dict | None) -> str:
    """One line about a run of the list (studio.runs.run_info)."""
    if info is None:
        return "No runs yet."
    ds = f" · dataset `{info['dataset']}`" if info["dataset"] else ""
    return f"**{info['label']}**{ds}"


def run_choices(runs: list[dict]) -> list[tuple[str, str]]:
    """The run picker's (label, name) pairs."""
    return [(f"{r['name']} — {r['label']}", r["name"]) for r in runs]

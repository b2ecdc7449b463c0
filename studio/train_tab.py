"""Train tab: pick a dataset and a preset, watch the run live, stop, resume, share."""
import html
import json
import math
import shutil
import time

import gradio as gr
import numpy as np
import pandas as pd
from PIL import Image

from gan_core.config import AUGMENTS, LOSSES, RESOLUTIONS, TrainConfig
from gan_core.device import describe_device, pick_device
from gan_core.errors import UserError
from gan_core.metrics import format_report
from gan_core.presets import PRESETS, default_preset_name, preset
from gan_core.resume import resume_config
from gan_core.runfolder import RunFolder

from . import estimate, fields
from .context import Studio
from .jobs import Job
from .runs import list_runs, read_meta, run_info, write_meta
from .ui import handler
from .workspace import Visitor, check_name, env_number

STREAM_INTERVAL = 0.25   # at most four page updates a second
SAMPLE_SECONDS = 3.0     # a fresh sample grid at least this often
GRID_DISPLAY = 360       # grids are scaled up (nearest) to about this width
ENV_CHECKPOINT_MINUTES = "STUDIO_CHECKPOINT_MINUTES"


def preset_choices():
    return [(f"{name} — {p['description']}", name) for name, p in PRESETS.items()]


def _number(name: str, value, whole: bool = False):
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise UserError(f"{name} must be a number; got {value!r}") from None
    if not math.isfinite(f):
        raise UserError(f"{name} must be a finite number; got {value!r}")
    if whole:
        if not f.is_integer():
            raise UserError(f"{name} must be a whole number; got {value!r}")
        return int(f)
    return f


def budget_overrides(budget_kind: str, budget) -> dict:
    if budget_kind == "minutes":
        return {"minutes": _number("Budget (minutes)", budget), "steps": None}
    if budget_kind == "steps":
        return {"steps": _number("Budget (steps)", budget, whole=True), "minutes": None}
    raise UserError(f"Budget in must be minutes or steps; got {budget_kind!r}")


# TrainConfig names its fields; the page and the API docs call them by their labels
FIELD_LABELS = {"minutes": "Budget (minutes)", "steps": "Budget (steps)", "lr_g": "Learning rate",
                "lr_d": "Learning rate", "batch_size": "Batch size", "n_critic": "Critic steps",
                "width": "Network width", "resolution": "Resolution", "loss": "Loss", "augment": "Augmentation"}


def checkpoint_minutes() -> float | None:
    """STUDIO_CHECKPOINT_MINUTES: minutes between checkpoints (what a crash can lose at most);
    unset = the preset's."""
    return env_number(ENV_CHECKPOINT_MINUTES, "minutes", 0, 1440)


def _labelled(e: UserError) -> UserError:
    field, _, rest = str(e).partition(" ")
    return UserError(f"{FIELD_LABELS[field]} {rest}") if field in FIELD_LABELS else e


def build_config(preset_name, loss, resolution, width, batch_size, learning_rate, critic_steps, augment,
                 budget_kind, budget, channels: int = 1) -> TrainConfig:
    """A TrainConfig from the Train tab's controls (validated by gan_core)."""
    try:
        return _build_config(preset_name, loss, resolution, width, batch_size, learning_rate, critic_steps,
                             augment, budget_kind, budget, channels)
    except UserError as e:
        raise _labelled(e) from None


def _build_config(preset_name, loss, resolution, width, batch_size, learning_rate, critic_steps, augment,
                  budget_kind, budget, channels: int) -> TrainConfig:
    if preset_name not in PRESETS:
        raise UserError(f"preset must be one of {', '.join(PRESETS)}; got {preset_name!r}")
    lr = _number("Learning rate", learning_rate)
    overrides = dict(loss=loss, width=_number("Network width", width, whole=True),
                     batch_size=_number("Batch size", batch_size, whole=True), lr_g=lr, lr_d=lr,
                     n_critic=_number("Critic steps", critic_steps, whole=True),
                     augment=",".join(a for a in AUGMENTS if a in (augment or [])),
                     sample_seconds=SAMPLE_SECONDS, **budget_overrides(budget_kind, budget))
    if overrides["steps"] is not None:  # short runs still get a few grids for the progress GIF
        every = PRESETS[preset_name]["train"].get("sample_every", 100)
        overrides["sample_every"] = max(1, min(every, overrides["steps"] // 20))
    if checkpoint_minutes() is not None:
        overrides["checkpoint_minutes"] = checkpoint_minutes()
    return preset(preset_name, resolution=_number("Resolution", resolution, whole=True), channels=channels,
                  **overrides)


def _display_grid(grid: np.ndarray | None):
    if grid is None:
        return None
    factor = max(1, GRID_DISPLAY // grid.shape[1])
    return np.repeat(np.repeat(grid, factor, axis=0), factor, axis=1) if factor > 1 else grid


def _losses(rows) -> pd.DataFrame | None:
    if not rows:
        return None  # not an empty frame: a LinePlot first drawn empty keeps no colours for later data
    steps = [r[0] for r in rows]
    return pd.DataFrame({"step": steps + steps, "loss": [r[1] for r in rows] + [r[2] for r in rows],
                         "which": ["critic"] * len(rows) + ["generator"] * len(rows)})


def _clock(seconds) -> str:
    if seconds is None:
        return "…"
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def status_html(snap: dict | None, position: int = -1) -> str:
    if snap is None:
        return ('<div class="progress-box" id="train_state" data-state="idle"><span class="progress-state">'
                'Ready.</span> Pick a dataset and press Start.</div>')
    state = snap["state"]
    titles = {"queued": "Waiting in the queue", "running": "Training", "stopping": "Stopping…",
              "finished": "Finished", "stopped": "Stopped", "failed": "Failed", "cancelled": "Cancelled"}
    parts = [f'<span class="progress-state">{titles.get(state, state)}</span>',
             f"<span>run <code>{html.escape(snap['run_name'])}</code></span>"]
    if state == "queued":
        parts.append(f"<span>position {max(position, 1)} — another run is using the device</span>")
    else:
        total = f" / {snap['total_steps']}" if snap["total_steps"] else ""
        parts.append(f"<span>step {snap['step']}{total}</span>")
        if snap["images_per_second"]:
            parts.append(f"<span>{snap['images_per_second']:.0f} images/s</span>")
        if state in ("running", "stopping"):
            parts.append(f"<span>ETA {_clock(snap['eta_seconds'])}</span>")
    message = snap["error"] if state == "failed" else snap.get("warning", "")
    pct = 100 * (snap["fraction"] if state != "finished" else 1.0)
    return (f'<div class="progress-box" id="train_state" data-state="{state}">'
            f'<div class="progress-line">{"".join(parts)}</div>'
            f'<div class="progress-track"><div class="progress-fill" style="width:{pct:.1f}%"></div></div>'
            + (f'<div class="hint">{html.escape(message)}</div>' if message else "") + "</div>")


def metrics_markdown(metrics: dict | None, state: str) -> str:
    if not metrics:
        if state == "finished":
            return "Quality metrics were not computed for this run."
        return "Quality metrics are computed when a run completes its budget."
    lines = []
    for line in format_report(metrics).splitlines():
        lines.append(("  - " if line.startswith(" ") else "- ") + line.strip())
    return "**Quality** (compared with the training images)\n\n" + "\n".join(lines)


class TrainTab:
    def __init__(self, studio: Studio):
        self.studio = studio
        self.device_name = describe_device(pick_device("auto"))

    # ---- layout ------------------------------------------------------------------------
    def layout(self):
        default = default_preset_name()
        p = PRESETS[default]
        with gr.Row(equal_height=False):
            with gr.Column(scale=2, min_width=320):
                # allow_custom_value: API sessions never receive the per-visitor choices; handlers validate names
                self.dataset = gr.Dropdown([], label="Dataset", info="saved in the Data tab", elem_id="dataset",
                                           allow_custom_value=True)
                self.preset = fields.Dropdown(preset_choices(), value=default, label="Preset", elem_id="preset")
                with gr.Accordion("Advanced", open=False, elem_id="advanced"):
                    with gr.Row():
                        self.loss = fields.Dropdown(list(LOSSES), value=p["train"]["loss"], label="Loss",
                                                    elem_id="loss")
                        self.resolution = fields.Dropdown(list(RESOLUTIONS), value=64, label="Resolution (px)",
                                                          elem_id="resolution")
                    self.width = fields.Slider(4, 128, value=p["model"]["width"], step=4, label="Network width",
                                               info="feature maps; smaller is faster", elem_id="width")
                    self.batch_size = fields.Slider(1, 256, value=p["train"]["batch_size"], step=1,
                                                    label="Batch size", elem_id="batch_size")
                    with gr.Row():
                        self.lr = fields.Number(p["train"]["lr_g"], label="Learning rate", elem_id="lr",
                                                minimum=1e-7, maximum=1.0)
                        self.n_critic = fields.Slider(1, 10, value=p["train"]["n_critic"], step=1,
                                                      label="Critic steps", info="per generator step",
                                                      elem_id="n_critic")
                    self.augment = fields.CheckboxGroup(list(AUGMENTS), value=p["train"]["augment"].split(","),
                                                        label="Augmentation (DiffAugment)", elem_id="augment")
                with gr.Row():
                    self.budget_kind = fields.Radio(["minutes", "steps"], value="minutes", label="Budget in",
                                                    elem_id="budget_kind")
                    self.budget = fields.Number(p["train"]["minutes"], label="Budget", elem_id="budget", minimum=0)
                self.device_md = gr.Markdown(f"**Device:** {self.device_name}", elem_id="device")
                self.estimate_md = gr.Markdown(self._minutes_estimate(p["train"]["minutes"]), elem_id="estimate",
                                               label="Estimate")
                with gr.Row():
                    self.start = gr.Button("Start training", variant="primary", elem_id="start")
                    self.stop = gr.Button("Stop", variant="stop", elem_id="stop")
                self.notice = gr.Markdown(elem_id="train_notice", label="Notice")
                with gr.Accordion("Your runs", open=False, elem_id="runs_box"):
                    self.runs = gr.Dropdown([], label="Run", elem_id="runs", allow_custom_value=True)
                    self.run_md = gr.Markdown(elem_id="run_info")
                    with gr.Row():
                        self.resume = gr.Button("Resume", elem_id="resume", size="md")
                        self.show_run = gr.Button("Show results", elem_id="show_run", size="md")
                    gr.Markdown("Resume continues from the run's last checkpoint for the budget set above.",
                                elem_classes="hint")
            with gr.Column(scale=3, min_width=420):
                self.status = gr.HTML(status_html(None), elem_id="train_status", label="Status")
                with gr.Row(equal_height=False):
                    self.grid = gr.Image(label="Samples (fixed latents)", format="png", elem_id="grid",
                                         interactive=False, height=330, buttons=["download", "fullscreen"])
                    # no label badge: it would push the legend out of the panel
                    self.plot = gr.LinePlot(None, x="step", y="loss", color="which", label="Losses",
                                            show_label=False, elem_id="loss_plot", height=300, x_title="step",
                                            y_title="loss", color_title="",
                                            color_map={"critic": "#6366f1", "generator": "#f59e0b"})
                self.log = gr.Textbox(label="Log", lines=4, max_lines=8, interactive=False, elem_id="train_log",
                                      autoscroll=True)
                self.current_run = gr.Textbox("", visible=False, label="run")
                with gr.Group(visible=False, elem_id="results") as self.results:
                    gr.Markdown("### Result", padding=True)
                    with gr.Row(equal_height=True):
                        self.gif = gr.Image(label="Progress (animated)", type="filepath", elem_id="progress_gif",
                                            interactive=False, height=300)
                        self.final_grid = gr.Image(label="Final samples", format="png", elem_id="final_grid",
                                                   interactive=False, height=300)
                    self.metrics = gr.Markdown(elem_id="metrics", padding=True, label="Quality")
                    self.open_explore = gr.Button("Open in Explore →", variant="primary", elem_id="open_explore")
                    with gr.Accordion("Push to the Hugging Face Hub", open=False):
                        with gr.Row():
                            self.repo_id = gr.Textbox(label="Repository id", placeholder="your-name/rim-designs",
                                                      elem_id="repo_id", max_lines=1)
                            self.token = gr.Textbox(label="Write token", type="password", elem_id="hf_token",
                                                    max_lines=1, info="used for this push only; never stored")
                        self.push = gr.Button("Push model", elem_id="push")
                        self.push_md = gr.Markdown(elem_id="push_status", label="Push status")
        self.timer = gr.Timer(1.0, active=False)
        self.seen = gr.State({})

    @property
    def stream_outputs(self):
        return [self.status, self.grid, self.plot, self.log, self.gif, self.final_grid, self.metrics,
                self.current_run]

    @property
    def config_inputs(self):
        return [self.preset, self.loss, self.resolution, self.width, self.batch_size, self.lr, self.n_critic,
                self.augment, self.budget_kind, self.budget]

    # ---- rendering ---------------------------------------------------------------------
    def _render(self, job: Job, visitor: Visitor, snap: dict | None = None):
        """Values for stream_outputs from a job's snapshot."""
        snap = snap or job.snapshot()
        gif = final = None
        metrics = ""
        if not job.active:
            run = RunFolder(snap["run_dir"])
            if run.gif.is_file():
                gif = visitor.export_path("progress.gif")
                shutil.copyfile(run.gif, gif)
                gif = str(gif)
            if run.final_grid.is_file():
                final = _display_grid(np.asarray(Image.open(run.final_grid)))
            metrics = metrics_markdown(snap["metrics"] or self._saved_metrics(run), snap["state"])
        return (status_html(snap, self.studio.manager.position(job)), _display_grid(snap["grid"]),
                _losses(snap["losses"]), "\n".join(snap["log"][-200:]), gif, final, metrics, snap["run_name"])

    @staticmethod
    def _saved_metrics(run: RunFolder) -> dict | None:
        if not run.metrics.is_file():
            return None
        try:
            return json.loads(run.metrics.read_text())
        except (OSError, ValueError):
            return None

    def _watch(self, job: Job, visitor: Visitor):
        """Yield page updates until the job ends (the job keeps running if the page goes away)."""
        version = -1
        while True:
            active = job.active  # read before the snapshot, so the final state is always rendered
            snap = job.snapshot()
            if snap["version"] != version:
                version = snap["version"]
                yield self._render(job, visitor, snap)
            if not active:
                return
            job.wait(version, timeout=1.0)
            time.sleep(STREAM_INTERVAL)

    @staticmethod
    def _minutes_estimate(minutes) -> str:
        return (f"**Time:** about {estimate.format_duration(float(minutes) * 60)} (the budget), "
                "plus a few seconds for the final checkpoint and quality check.")

    # ---- handlers ----------------------------------------------------------------------
    def _pickers(self, visitor: Visitor, dataset=None, run=None):
        """Dataset and run pickers for this visitor, keeping the selections that still exist."""
        names = [d["name"] for d in visitor.list_datasets()]
        runs = list_runs(visitor, self.studio.manager)
        run_names = [r["name"] for r in runs]
        return (gr.Dropdown(choices=names, value=dataset if dataset in names else (names[0] if names else None)),
                gr.Dropdown(choices=[(f"{r['name']} — {r['label']}", r["name"]) for r in runs],
                            value=run if run in run_names else (run_names[0] if run_names else None)))

    @handler
    def refresh(self, visitor_id: str = "", request: gr.Request = None):
        """This visitor's datasets and runs (for the pickers)."""
        return self._pickers(self.studio.visitor(visitor_id, request))

    @handler
    def refresh_keep(self, dataset, run, visitor_id: str = "", request: gr.Request = None):
        """Like refresh, keeping the current selections when they still exist."""
        return self._pickers(self.studio.visitor(visitor_id, request), dataset, run)

    @handler
    def apply_preset(self, preset_name, dataset, visitor_id: str = "", request: gr.Request = None):
        if preset_name not in PRESETS:
            raise UserError(f"preset must be one of {', '.join(PRESETS)}; got {preset_name!r}")
        p = PRESETS[preset_name]
        t, m = p["train"], p["model"]
        kind = "minutes" if t.get("minutes") is not None else "steps"
        return (t["loss"], self._dataset_resolution(dataset, visitor_id, request), m["width"], t["batch_size"],
                t["lr_g"], t["n_critic"], [a for a in t["augment"].split(",") if a], kind, t.get(kind))

    def _dataset_resolution(self, dataset, visitor_id, request):
        if not dataset:
            return 64
        try:
            return self.studio.visitor(visitor_id, request).dataset_info(dataset)["resolution"] or 64
        except UserError:
            return 64

    @handler
    def dataset_changed(self, dataset, visitor_id: str = "", request: gr.Request = None):
        return self._dataset_resolution(dataset, visitor_id, request)

    @handler
    def estimate_time(self, preset_name, loss, resolution, width, batch_size, learning_rate, critic_steps,
                      augment, budget_kind, budget):
        """How long the run will take, before starting it."""
        cfg = build_config(preset_name, loss, resolution, width, batch_size, learning_rate, critic_steps,
                           augment, budget_kind, budget)
        if cfg.minutes is not None:
            return self._minutes_estimate(cfg.minutes)
        rate = estimate.steps_per_second(cfg)
        busy = " (measured while another run trains; rough)" if self.studio.manager.busy() else ""
        return (f"**Time:** roughly {estimate.format_duration(cfg.steps / rate)} for {cfg.steps} steps "
                f"at about {rate:.1f} steps/s on this device{busy}.")

    @handler
    def begin(self):
        """Before a run streams: hide the last result, let the stream (not the timer) drive."""
        return gr.Timer(active=False), gr.Group(visible=False), ""

    @handler
    def train(self, dataset, preset_name, loss, resolution, width, batch_size, learning_rate, critic_steps,
              augment, budget_kind, budget, visitor_id: str = "", request: gr.Request = None):
        """Start a run on a saved dataset and stream its progress until it ends.

        Yields (status HTML, sample grid, losses, log, progress GIF, final grid, metrics, run name).
        The run belongs to the server: if this stream is closed, training goes on.
        """
        visitor = self.studio.visitor(visitor_id, request)
        visitor.touch()
        if not dataset:
            raise UserError("Pick a dataset first (save one in the Data tab).")
        info = visitor.dataset_info(dataset)
        cfg = build_config(preset_name, loss, resolution, width, batch_size, learning_rate, critic_steps,
                           augment, budget_kind, budget, channels=int(info["channels"] or 1))
        name = visitor.new_run_name(info["name"])
        run_dir = visitor.runs / name
        job = Job(visitor.id, name, run_dir, cfg, visitor.dataset_dir(info["name"]))
        self.studio.manager.submit(job)
        write_meta(run_dir, dataset=info["name"], created=time.time(), preset=preset_name)
        yield from self._watch(job, visitor)

    @handler
    def resume_run(self, run, budget_kind, budget, visitor_id: str = "", request: gr.Request = None):
        """Continue a stopped run from its last checkpoint for the given budget; streams like /train."""
        visitor = self.studio.visitor(visitor_id, request)
        visitor.touch()
        if not run:
            raise UserError("Pick one of your runs to resume.")
        run_dir = visitor.run_dir(run)
        folder = RunFolder(run_dir)
        if self.studio.manager.job_for_run(run_dir) is not None:
            raise UserError(f"Run {run} is already training.")
        if not run_dir.is_dir():
            raise UserError(f"There is no run called {run!r}; pick one of your runs (see /list_runs).")
        if not folder.checkpoint.is_file():
            raise UserError(f"Run {run} has no checkpoint to resume from.")
        dataset = read_meta(run_dir).get("dataset", "")
        dataset_dir = visitor.datasets / dataset if dataset else None
        if not folder.training_images.is_file() and not (dataset_dir and (dataset_dir / "dataset.json").is_file()):
            raise UserError(f"The dataset this run was trained on ({dataset or 'unknown'}) no longer exists.")
        extra = {} if checkpoint_minutes() is None else {"checkpoint_minutes": checkpoint_minutes()}
        try:  # gan_core's rule: a steps budget on resume means this many more steps
            cfg = resume_config(run_dir, **budget_overrides(budget_kind, budget)).replace(**extra)
        except UserError as e:
            raise _labelled(e) from None
        job = Job(visitor.id, run, run_dir, cfg, dataset_dir, resume=True)
        self.studio.manager.submit(job)
        yield from self._watch(job, visitor)

    @handler
    def stop_run(self, visitor_id: str = "", request: gr.Request = None):
        """Stop this visitor's run cleanly (final checkpoint), or take it out of the queue."""
        visitor = self.studio.visitor(visitor_id, request)
        job = self.studio.manager.active_job_for(visitor.id)
        if job is None:
            gr.Warning("No run of yours is training.")
            return "No run of yours is training."
        return self.studio.manager.stop(job)

    @handler
    def poll(self, seen, visitor_id: str = "", request: gr.Request = None):
        """Timer tick: show the visitor's latest job (after a reload the page re-attaches here)."""
        visitor = self.studio.visitor(visitor_id, request)
        job = self.studio.manager.latest_job_for(visitor.id)
        n = len(self.stream_outputs)
        if job is None:
            return (*[gr.skip()] * n, gr.skip(), gr.Timer(active=False), seen, gr.skip(), gr.skip())
        snap = job.snapshot()
        if seen.get("id") == snap["id"] and seen.get("version") == snap["version"]:
            return (*[gr.skip()] * n, gr.skip(), gr.Timer(active=job.active), seen, gr.skip(), gr.skip())
        values = self._render(job, visitor, snap)
        runs = run_md = gr.skip()
        if not job.active:  # the run just ended: its new state in "Your runs"
            _, runs = self._pickers(visitor, run=job.run_name)
            run_md = self.describe_run(job.run_name, visitor.id)
        return (*values, gr.Group(visible=not job.active and bool(values[4] or values[5] is not None)),
                gr.Timer(active=job.active), {"id": snap["id"], "version": snap["version"]}, runs, run_md)

    @handler
    def after_run(self, run, dataset, visitor_id: str = "", request: gr.Request = None):
        """When a stream ends (or could not start): show the result box, refresh the run list, and let
        the timer watch a run of this visitor that is still going (Start pressed while one trains)."""
        visitor = self.studio.visitor(visitor_id, request)
        ds, rs = self._pickers(visitor, dataset, run)
        has_result = bool(run) and RunFolder(visitor.run_dir(run)).final_grid.is_file()
        watching = self.studio.manager.active_job_for(visitor.id) is not None
        return (gr.Group(visible=has_result and not watching), ds, rs,
                self.describe_run(run, visitor.id) if run else gr.skip(), gr.Timer(active=watching))

    @handler
    def describe_run(self, run, visitor_id: str = "", request: gr.Request = None):
        if not run:
            return "No runs yet."
        visitor = self.studio.visitor(visitor_id, request)
        info = run_info(visitor, run, self.studio.manager)
        ds = f" · dataset `{info['dataset']}`" if info["dataset"] else ""
        return f"**{info['label']}**{ds}"

    @handler
    def show_results(self, run, visitor_id: str = "", request: gr.Request = None):
        """Results of one of this visitor's runs (GIF, final grid, metrics)."""
        visitor = self.studio.visitor(visitor_id, request)
        if not run:
            raise UserError("Pick one of your runs first.")
        folder = RunFolder(visitor.run_dir(run))
        info = run_info(visitor, run, self.studio.manager)
        gif = None
        if folder.gif.is_file():
            gif = visitor.export_path("progress.gif")
            shutil.copyfile(folder.gif, gif)
            gif = str(gif)
        final = _display_grid(np.asarray(Image.open(folder.final_grid))) if folder.final_grid.is_file() else None
        metrics = metrics_markdown(self._saved_metrics(folder), info["state"])
        return gif, final, metrics, run

    @handler
    def push_to_hub(self, run, repo_id, token, visitor_id: str = "", request: gr.Request = None):
        """Upload a run's model to the Hub. The token is used for this call only: never stored or
        logged, and the token box is emptied whatever the outcome."""
        token = (token or "").strip()
        try:
            return self._push(run, repo_id, token, visitor_id, request), ""
        except UserError as e:
            msg = str(e).replace(token, "***") if token else str(e)
            gr.Warning(msg)
            return f"**Not pushed:** {msg}", ""

    def _push(self, run, repo_id, token, visitor_id, request) -> str:
        visitor = self.studio.visitor(visitor_id, request)
        if not run:
            raise UserError("Finish or stop a run first; then push it.")
        run_dir = visitor.run_dir(run)
        try:
            from gan_core import hub
        except ImportError:
            raise UserError("Pushing to the Hub is not available in this installation "
                            "(gan_core.hub is missing).") from None
        repo_id = hub.check_repo_id(repo_id)
        if not token:  # never fall back to the server's own HF_TOKEN: the visitor pushes as themselves
            raise UserError("Paste a Hugging Face write token (hf_…) to push.")
        try:
            url = hub.push_run(run_dir, repo_id, token=token)
        except UserError:
            raise
        except Exception as e:  # network, permissions: say what (push_to_hub masks the token)
            raise UserError(f"Push failed: {str(e)[:300]}") from None
        link = url if isinstance(url, str) and url.startswith("http") else f"https://huggingface.co/{repo_id}"
        return f"Pushed to [{repo_id}]({link})."

    @handler
    def open_in_explore(self, run, visitor_id: str = "", request: gr.Request = None):
        if not run:
            raise UserError("No run to open yet.")
        ref = f"run/{check_name(run, 'run')}"
        return gr.Tabs(selected="explore"), self.explore.model_dropdown(visitor_id, request, value=ref)

    # ---- events ------------------------------------------------------------------------
    def wire(self, app):
        v = app.visitor
        self.explore = app.explore
        self.preset.change(self.apply_preset, [self.preset, self.dataset, v],
                           [self.loss, self.resolution, self.width, self.batch_size, self.lr, self.n_critic,
                            self.augment, self.budget_kind, self.budget], api_visibility="private")
        self.dataset.change(self.dataset_changed, [self.dataset, v], [self.resolution], api_visibility="private")
        gr.on([c.change for c in self.config_inputs], self.estimate_time, self.config_inputs, [self.estimate_md],
              api_name="estimate", trigger_mode="always_last", concurrency_id="estimate", concurrency_limit=1,
              show_progress="hidden")
        train_inputs = [self.dataset] + self.config_inputs + [v]
        start = self.start.click(self.begin, None, [self.timer, self.results, self.notice],
                                 api_visibility="private", queue=False)
        self.train_event = start.then(self.train, train_inputs, self.stream_outputs, api_name="train",
                                      show_progress="hidden", concurrency_id="train_watch", concurrency_limit=32)
        self.train_event.then(self.after_run, [self.current_run, self.dataset, v],
                              [self.results, self.dataset, self.runs, self.run_md, self.timer],
                              api_visibility="private")
        resume = self.resume.click(self.begin, None, [self.timer, self.results, self.notice],
                                   api_visibility="private", queue=False)
        self.resume_event = resume.then(self.resume_run, [self.runs, self.budget_kind, self.budget, v],
                                        self.stream_outputs, api_name="resume", show_progress="hidden",
                                        concurrency_id="train_watch", concurrency_limit=32)
        self.resume_event.then(self.after_run, [self.current_run, self.dataset, v],
                               [self.results, self.dataset, self.runs, self.run_md, self.timer],
                              api_visibility="private")
        self.stop.click(self.stop_run, [v], [self.notice], api_name="stop", concurrency_id="stop",
                        concurrency_limit=8)
        self.timer.tick(self.poll, [self.seen, v],
                        self.stream_outputs + [self.results, self.timer, self.seen, self.runs, self.run_md],
                        api_visibility="private",
                        concurrency_id="train_watch", concurrency_limit=32, show_progress="hidden")
        self.runs.change(self.describe_run, [self.runs, v], [self.run_md], api_visibility="private")
        self.show_run.click(self.show_results, [self.runs, v],
                            [self.gif, self.final_grid, self.metrics, self.current_run], api_name="run_results") \
            .success(lambda gif, grid: gr.Group(visible=gif is not None or grid is not None),
                     [self.gif, self.final_grid], [self.results], api_visibility="private", queue=False)
        self.push.click(self.push_to_hub, [self.current_run, self.repo_id, self.token, v],
                        [self.push_md, self.token], api_name="push_to_hub")
        self.open_explore.click(self.open_in_explore, [self.current_run, v], [app.tabs, app.explore.model],
                                api_visibility="private")

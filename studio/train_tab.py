"""Train tab: pick a dataset and a preset, watch the run live, stop, resume, delete, share.

The form (train_form), the rendering (train_view) and the Hub panel (hub_panel) live in their
own modules; this one lays the tab out, runs its handlers and wires its events. Handlers
return ``{component: value}``; the components they leave out keep their value.
"""
from __future__ import annotations

import shutil
import time

import gradio as gr
import numpy as np
from PIL import Image

from gan_core.data.datasets import dataset_info
from gan_core.device import describe_device, pick_device
from gan_core.errors import UserError
from gan_core.training.resume import resume_config
from gan_core.training.runfolder import RunFolder

from .context import AppParts, Studio
from .gpus import check_gpus
from .hosting import limit_run_length
from .dataset_delete import DatasetDeleter
from .hub_panel import HubPanel
from .jobs import Job
from .quota import check_room, run_bytes
from .runs import list_runs, run_info
from .train_form import (TrainForm, budget_overrides, build_config, labelled, start_override,
                         with_checkpoint_minutes)
from . import train_view as view
from .ui import handler
from .workspace import Visitor, check_name

STREAM_INTERVAL = 0.25   # at most four page updates a second


class TrainTab:
    def __init__(self, studio: Studio):
        self.studio = studio
        self.device_name = describe_device(pick_device("auto"))
        self.form = TrainForm(studio, self.device_name)
        self.hub = HubPanel(studio)
        self.datasets = DatasetDeleter(studio)

    # ---- layout ------------------------------------------------------------------------
    def layout(self) -> None:
        with gr.Row(equal_height=False):
            with gr.Column(scale=2, min_width=320):
                # allow_custom_value: API sessions never receive the per-visitor choices; handlers validate names
                self.dataset = gr.Dropdown([], label="Dataset", info="saved in the Data tab", elem_id="dataset",
                                           allow_custom_value=True)
                self.datasets.layout()
                self.form.layout()
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
                        self.delete = gr.Button("Delete…", elem_id="delete_run", size="md", variant="stop")
                    with gr.Group(visible=False, elem_id="confirm_delete_box") as self.confirm_box:
                        self.confirm_md = gr.Markdown(padding=True)
                        with gr.Row():
                            self.confirm_delete = gr.Button("Delete it", variant="stop", elem_id="confirm_delete",
                                                            size="md")
                            self.cancel_delete = gr.Button("Keep it", elem_id="cancel_delete", size="md")
                    gr.Markdown("Resume continues from the run's last checkpoint for the budget set above; "
                                "a run that never got going starts again.", elem_classes="hint")
            with gr.Column(scale=3, min_width=420):
                self.status = gr.HTML(view.status_html(None), elem_id="train_status", label="Status")
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
                    self.hub.layout()
        self.timer = gr.Timer(1.0, active=False)
        self.seen = gr.State({})

    @property
    def stream_outputs(self) -> list:
        return [self.status, self.grid, self.plot, self.log, self.gif, self.final_grid, self.metrics,
                self.current_run]

    # ---- rendering ---------------------------------------------------------------------
    def _results(self, run: RunFolder, visitor: Visitor, metrics: dict | None, state: str) -> dict:
        """The result box's values for a run that has ended."""
        gif = None
        if run.gif.is_file():  # a copy in the served download folder: the workspace is never served
            gif = visitor.export_path("progress.gif")
            shutil.copyfile(run.gif, gif)
            gif = str(gif)
        final = view.display_grid(np.asarray(Image.open(run.final_grid))) if run.final_grid.is_file() else None
        return {self.gif: gif, self.final_grid: final,
                self.metrics: view.metrics_markdown(metrics or run.read_metrics(), state)}

    def _render(self, job: Job, visitor: Visitor, snap: dict | None = None) -> dict:
        """Values for stream_outputs from a job's snapshot."""
        snap = snap or job.snapshot()
        manager = self.studio.manager
        wait = manager.wait_seconds(job) if snap["state"] == "queued" else 0.0
        out = {self.status: view.status_html(snap, manager.position(job), wait),
               self.grid: view.display_grid(snap["grid"]), self.plot: view.losses_frame(snap["losses"]),
               self.log: view.log_text(snap["log"]), self.gif: None, self.final_grid: None, self.metrics: "",
               self.current_run: snap["run_name"]}
        if not job.active:
            out.update(self._results(RunFolder(snap["run_dir"]), visitor, snap["metrics"], snap["state"]))
        return out

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

    def _pickers(self, visitor: Visitor, dataset=None, run=None) -> dict:
        """Dataset and run pickers for this visitor, keeping the selections that still exist."""
        names = [d["name"] for d in visitor.list_datasets()]
        runs = list_runs(visitor, self.studio.manager)
        run_names = [r["name"] for r in runs]
        return {self.dataset: gr.Dropdown(choices=names, value=dataset if dataset in names else
                                          (names[0] if names else None)),
                self.runs: gr.Dropdown(choices=view.run_choices(runs), value=run if run in run_names else
                                       (run_names[0] if run_names else None))}

    # ---- handlers ----------------------------------------------------------------------
    @handler
    def refresh(self, visitor_id: str = "", request: gr.Request = None) -> dict:
        """This visitor's datasets and runs (for the pickers)."""
        return self._pickers(self.studio.visitor(visitor_id, request))

    @handler
    def refresh_keep(self, dataset, run, visitor_id: str = "", request: gr.Request = None) -> dict:
        """Like refresh, keeping the current selections when they still exist."""
        return self._pickers(self.studio.visitor(visitor_id, request), dataset, run)

    @handler
    def begin(self):
        """Before a run streams: hide the last result, let the stream (not the timer) drive."""
        return {self.timer: gr.Timer(active=False), self.results: gr.Group(visible=False), self.notice: ""}

    @handler
    def train(self, dataset, preset_name, loss, resolution, width, batch_size, learning_rate, critic_steps,
              augment, budget_kind, budget, visitor_id: str = "", gpus=1, start_from="auto",
              request: gr.Request = None):
        """Start a run on a saved dataset and stream its progress until it ends. ``gpus`` > 1 trains
        data-parallel on that many GPUs (torch.distributed, batch size per GPU). ``start_from``:
        "auto" (the preset's choice), "base" (the base model for the data's size and colour),
        "scratch", or "run:NAME" (fine-tune one of the visitor's runs).

        Yields (status HTML, sample grid, losses, log, progress GIF, final grid, metrics, run name).
        The run belongs to the server: if this stream is closed, training goes on.
        """
        visitor = self.studio.visitor(visitor_id, request)
        visitor.touch()
        if not dataset:
            raise UserError("Pick a dataset first (save one in the Data tab).")
        info = visitor.dataset_info(dataset)
        cfg = build_config(preset_name, loss, resolution, width, batch_size, learning_rate, critic_steps,
                           augment, budget_kind, budget, channels=int(info["channels"] or 1),
                           count=info.get("count") or None, start=start_override(start_from, visitor))
        cfg = limit_run_length(cfg, self.studio.limits)
        check_room(visitor, self.studio.limits, run_bytes(visitor, info["name"], resume=False), "A new run")
        name = visitor.new_run_name(info["name"])
        job = self._job(visitor, name, cfg, info["name"], preset=preset_name)
        job.gpus = check_gpus(gpus)
        self.studio.manager.submit(job)
        yield from self._watch(job, visitor)

    def _job(self, visitor: Visitor, name: str, cfg, dataset: str, resume: bool = False, start_step: int = 0,
             **meta) -> Job:
        """A job for run ``name`` that records its dataset (name and cleanup) in config.json."""
        dataset_dir = visitor.datasets / check_name(dataset, "dataset") if dataset else None
        # what the run recorded first stays (the dataset may have been deleted since)
        recorded = {k: v for k, v in RunFolder(visitor.run_dir(name)).dataset_info().items() if k != "images"}
        if not recorded.get("name") and dataset_dir is not None and (dataset_dir / "dataset.json").is_file():
            recorded = {k: v for k, v in dataset_info(dataset_dir).items() if k in ("name", "cleanup")}
        if not resume:
            meta = {"dataset": dataset, "created": time.time(), **meta}
        return Job(visitor.id, name, visitor.run_dir(name), cfg, dataset_dir, resume=resume,
                   dataset_info=recorded, meta=meta, start_step=start_step)

    @handler
    def resume_run(self, run, budget_kind, budget, visitor_id: str = "", request: gr.Request = None):
        """Continue a stopped run from its last checkpoint for the given budget (a steps budget
        means this many more steps), or start again a run that never reached its first
        checkpoint; streams like /train."""
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
        dataset = folder.read_studio_meta().get("dataset", "")
        dataset_dir = visitor.datasets / dataset if dataset else None
        if not folder.training_images.is_file() and not (dataset_dir and (dataset_dir / "dataset.json").is_file()):
            raise UserError(f"The dataset this run was trained on ({dataset or 'unknown'}) no longer exists.")
        try:
            if folder.checkpoint.is_file():  # gan_core's rule: a steps budget on resume means this many more
                cfg = resume_config(run_dir, **budget_overrides(budget_kind, budget))
                job = self._job(visitor, run, with_checkpoint_minutes(cfg), dataset, resume=True,
                                start_step=folder.checkpoint_step() or 0)
            elif run_info(visitor, run, self.studio.manager)["can_restart"]:
                cfg = folder.train_config().replace(**budget_overrides(budget_kind, budget))
                job = self._job(visitor, run, with_checkpoint_minutes(cfg), dataset)
            else:
                raise UserError(f"Run {run} has no checkpoint to resume from and no saved settings to start "
                                "again; delete it and start a new run.")
        except UserError as e:
            raise labelled(e) from None
        job.config = limit_run_length(job.config, self.studio.limits)
        check_room(visitor, self.studio.limits, run_bytes(visitor, dataset, resume=job.resume), f"Resuming {run}")
        self.studio.manager.submit(job)
        yield from self._watch(job, visitor)

    @handler
    def stop_run(self, visitor_id: str = "", request: gr.Request = None) -> str:
        """Stop this visitor's run cleanly (final checkpoint), or take it out of the queue."""
        visitor = self.studio.visitor(visitor_id, request)
        job = self.studio.manager.active_job_for(visitor.id)
        if job is None:
            gr.Warning("No run of yours is training.")
            return "No run of yours is training."
        return self.studio.manager.stop(job)

    @handler
    def delete_run(self, run, visitor_id: str = "", request: gr.Request = None) -> str:
        """Delete one of this visitor's runs and everything it saved (not while it trains)."""
        visitor = self.studio.visitor(visitor_id, request)
        if not run:
            raise UserError("Pick one of your runs to delete.")
        run_dir = visitor.run_dir(run)
        if not run_dir.is_dir() and self.studio.manager.job_for_run(run_dir) is None:  # a new run waits folderless
            raise UserError(f"There is no run called {run!r}; pick one of your runs (see /list_runs).")
        self.studio.manager.delete_run(run_dir)
        return f"Deleted run **{run}**."

    @handler
    def ask_delete(self, run):
        if not run:
            raise UserError("Pick one of your runs to delete.")
        return {self.confirm_box: gr.Group(visible=True),
                self.confirm_md: f"Delete run **{check_name(run, 'run')}** and everything it saved? "
                                 "This cannot be undone."}

    @handler
    def after_delete(self, shown, dataset, visitor_id: str = "", request: gr.Request = None) -> dict:
        """The run list without the deleted run; its results leave the page if they were shown."""
        visitor = self.studio.visitor(visitor_id, request)
        out = {**self._pickers(visitor, dataset), self.confirm_box: gr.Group(visible=False)}
        if shown and not visitor.run_dir(shown).is_dir():
            out.update({self.results: gr.Group(visible=False), self.current_run: ""})
        runs = list_runs(visitor, self.studio.manager)
        out[self.run_md] = view.run_markdown(runs[0] if runs else None)
        return out

    @handler
    def poll(self, seen, visitor_id: str = "", request: gr.Request = None) -> dict:
        """Timer tick: show the visitor's latest job (after a reload the page re-attaches here)."""
        visitor = self.studio.visitor(visitor_id, request)
        job = self.studio.manager.latest_job_for(visitor.id)
        if job is None:
            return {self.timer: gr.Timer(active=False)}
        snap = job.snapshot()
        if seen.get("id") == snap["id"] and seen.get("version") == snap["version"]:
            return {self.timer: gr.Timer(active=job.active)}
        out = self._render(job, visitor, snap)
        has_result = out[self.gif] is not None or out[self.final_grid] is not None
        out.update({self.results: gr.Group(visible=not job.active and has_result),
                    self.timer: gr.Timer(active=job.active),
                    self.seen: {"id": snap["id"], "version": snap["version"]}})
        if not job.active:  # the run just ended: its new state in "Your runs"
            out[self.runs] = self._pickers(visitor, run=job.run_name)[self.runs]
            out[self.run_md] = self.describe_run(job.run_name, visitor.id)
        return out

    @handler
    def after_run(self, run, dataset, visitor_id: str = "", request: gr.Request = None) -> dict:
        """When a stream ends (or could not start): show the result box, refresh the run list, and let
        the timer watch a run of this visitor that is still going (Start pressed while one trains)."""
        visitor = self.studio.visitor(visitor_id, request)
        has_result = bool(run) and RunFolder(visitor.run_dir(run)).final_grid.is_file()
        watching = self.studio.manager.active_job_for(visitor.id) is not None
        out = {**self._pickers(visitor, dataset, run), self.results: gr.Group(visible=has_result and not watching),
               self.timer: gr.Timer(active=watching)}
        if run:
            out[self.run_md] = self.describe_run(run, visitor.id)
        return out

    @handler
    def describe_run(self, run, visitor_id: str = "", request: gr.Request = None) -> str:
        if not run:
            return view.run_markdown(None)
        return view.run_markdown(run_info(self.studio.visitor(visitor_id, request), run, self.studio.manager))

    @handler
    def show_results(self, run, visitor_id: str = "", request: gr.Request = None) -> dict:
        """Results of one of this visitor's runs (GIF, final grid, metrics)."""
        visitor = self.studio.visitor(visitor_id, request)
        if not run:
            raise UserError("Pick one of your runs first.")
        info = run_info(visitor, run, self.studio.manager)
        return {**self._results(RunFolder(visitor.run_dir(run)), visitor, None, info["state"]),
                self.current_run: run}

    @handler
    def open_in_explore(self, run, visitor_id: str = "", request: gr.Request = None) -> dict:
        if not run:
            raise UserError("No run to open yet.")
        ref = f"run/{check_name(run, 'run')}"
        return {self.parts.tabs: gr.Tabs(selected="explore"),
                self.parts.explore.model: self.parts.explore.model_dropdown(visitor_id, request, value=ref)}

    # ---- events ------------------------------------------------------------------------
    def wire(self, parts: AppParts) -> None:
        v = parts.visitor
        self.parts = parts
        self.form.wire(v, self.dataset)
        self.datasets.wire(parts, self)
        start = self.start.click(self.begin, None, [self.timer, self.results, self.notice],
                                 api_visibility="private", queue=False)
        self.train_event = start.then(self.train, [self.dataset] + self.form.inputs + [v, self.form.gpus,
                                                                                   self.form.start],
                                      self.stream_outputs,
                                      api_name="train", show_progress="hidden", concurrency_id="train_watch",
                                      concurrency_limit=32)
        after = [self.results, self.dataset, self.runs, self.run_md, self.timer]
        self.train_event.then(self.after_run, [self.current_run, self.dataset, v], after, api_visibility="private")
        resume = self.resume.click(self.begin, None, [self.timer, self.results, self.notice],
                                   api_visibility="private", queue=False)
        self.resume_event = resume.then(self.resume_run, [self.runs, self.form.budget_kind, self.form.budget, v],
                                        self.stream_outputs, api_name="resume", show_progress="hidden",
                                        concurrency_id="train_watch", concurrency_limit=32)
        self.resume_event.then(self.after_run, [self.current_run, self.dataset, v], after, api_visibility="private")
        self.stop.click(self.stop_run, [v], [self.notice], api_name="stop", concurrency_id="stop",
                        concurrency_limit=8)
        self.delete.click(self.ask_delete, [self.runs], [self.confirm_box, self.confirm_md],
                          api_visibility="private", queue=False)
        self.cancel_delete.click(lambda: gr.Group(visible=False), None, [self.confirm_box],
                                 api_visibility="private", queue=False)
        parts.usage_after(self.confirm_delete.click(
            self.delete_run, [self.runs, v], [self.notice], api_name="delete_run", concurrency_id="stop").success(
            self.after_delete, [self.current_run, self.dataset, v],
            [self.dataset, self.runs, self.run_md, self.confirm_box, self.results, self.current_run],
            api_visibility="private"))
        self.timer.tick(self.poll, [self.seen, v],
                        self.stream_outputs + [self.results, self.timer, self.seen, self.runs, self.run_md],
                        api_visibility="private",
                        concurrency_id="train_watch", concurrency_limit=32, show_progress="hidden")
        self.runs.change(self.describe_run, [self.runs, v], [self.run_md], api_visibility="private")
        self.show_run.click(self.show_results, [self.runs, v],
                            [self.gif, self.final_grid, self.metrics, self.current_run], api_name="run_results") \
            .success(lambda gif, grid: gr.Group(visible=gif is not None or grid is not None),
                     [self.gif, self.final_grid], [self.results], api_visibility="private", queue=False)
        self.hub.wire(self.current_run, v)
        self.open_explore.click(self.open_in_explore, [self.current_run, v], [parts.tabs, parts.explore.model],
                                api_visibility="private")

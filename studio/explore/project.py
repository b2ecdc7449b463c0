"""Explore panel: start from your own design (issue 11.2, projection) or a sketch (issue 26: sketch.py).

The target is an image file: an upload, one of the model's training pictures or a saved
design (both written to a small PNG when picked), so the page and ``/project`` take the same
input. ``gan_core.design.project`` cleans it the way the model's dataset was cleaned and finds the
latent whose design matches it; the steps stream to the page (step, loss, reconstruction
beside the target) and the result becomes the current design.

Stop is graceful: it sets the engine's ``should_stop``, which ends the search after the step
in flight and still returns the best match so far (Gradio's ``cancels=`` would close the
generator and lose it). A Stop pressed while the projection waits in the queue applies to it
too: the start button *arms* a stop event before queueing, and Stop sets every armed event of
the visitor. A closed tab or a cancelled API call closes the generator: nothing is adopted and
the current design stays as it was.
"""
from __future__ import annotations

import json
import threading
import time
from collections import defaultdict

import gradio as gr
import numpy as np

from gan_core.data.images import to_pil
from gan_core.design import project as engine
from gan_core.design.render import render
from gan_core.errors import UserError

from .. import fields
from ..models_cache import training_pictures
from ..ui import handler
from .sketch import SketchPad
from .panel_util import board_designs, board_view, design_choices, design_of, saved_design, whole
from .view import shown

MIN_STEPS, MAX_STEPS, STEP = 10, 1000, 10  # the page's steps slider (the engine allows more)
STREAM_EVERY = 0.25      # seconds between streamed updates (the engine yields every step)
GALLERY = 24             # training pictures offered as targets
TILE = 64


def verdict(result: engine.ProjectionResult) -> str:
    """The honest one-line summary of a projection."""
    how = (f"**Close match** (error {result.error:.3f}, at most {engine.CLOSE_ERROR:g} counts as close)"
           if result.match == "close" else
           f"**Rough match** (error {result.error:.3f}; close is at most {engine.CLOSE_ERROR:g}): the nearest "
           "design this model can draw, not a copy")
    stopped = f"stopped after {result.steps} steps, " if result.stopped else f"{result.steps} steps, "
    return f"{how}; {stopped}{result.seconds:.1f} s. It is now the current design."


class StopEvents:
    """Per-visitor stop events of projections that are queued or running."""

    STALE = 600.0  # an armed event whose projection never started (tab closed in the queue)

    def __init__(self):
        self._events: dict[str, list[threading.Event]] = defaultdict(list)
        self._lock = threading.Lock()

    def arm(self, visitor_id: str) -> None:
        event = threading.Event()
        event.armed, event.taken = time.monotonic(), False
        with self._lock:
            self._events[visitor_id].append(event)

    def take(self, visitor_id: str) -> threading.Event:
        """The oldest armed, not yet started event of the visitor; API calls arrive unarmed and
        get a fresh one."""
        now = time.monotonic()
        with self._lock:
            events = self._events[visitor_id]
            events[:] = [e for e in events if e.taken or now - e.armed < self.STALE]
            event = next((e for e in events if not e.taken), None)
            if event is None:
                event = threading.Event()
                event.armed = now
                events.append(event)
            event.taken = True
            return event

    def release(self, visitor_id: str, event: threading.Event) -> None:
        with self._lock:
            events = self._events.get(visitor_id, [])
            if event in events:
                events.remove(event)
            if not events:
                self._events.pop(visitor_id, None)

    def stop(self, visitor_id: str) -> int:
        with self._lock:
            events = list(self._events.get(visitor_id, []))
        for e in events:
            e.set()
        return len(events)


class ProjectPanel:
    """Upload / training image / saved design -> a streamed projection -> the current design."""

    TOOL, TOOL_ID = "Picture or sketch", "project"

    STEPS = (MIN_STEPS, MAX_STEPS)

    def __init__(self):
        self.stops = StopEvents()
        self.sketch = SketchPad(self, verdict)


    # ---- layout ------------------------------------------------------------------------
    def layout(self, tab) -> None:
        self.tab = tab
        with gr.Column(elem_id="project_box"):
            gr.Markdown("Sketch a design, or start from a picture (upload one, click a training image or pick a "
                        "saved design): cleaned like the model's training images, then matched by its closest "
                        "design.", elem_classes=["hint"])
            with gr.Row(equal_height=False):
                with gr.Column(scale=1, min_width=280):
                    self.sketch.layout(tab)
                with gr.Column(scale=1, min_width=280):
                    self.upload = gr.File(label="Your design (an image)", file_types=["image"], file_count="single",
                                          elem_id="project_upload", height=90)
                    with gr.Row(equal_height=True):
                        self.saved_pick = gr.Dropdown([], label="…or a saved design", elem_id="project_saved",
                                                      scale=3, allow_custom_value=False)
                        self.use_saved = gr.Button("Use it", elem_id="project_use_saved", size="md", scale=1,
                                                   min_width=70)
                    self.steps = fields.Slider(MIN_STEPS, MAX_STEPS, value=engine.DEFAULT_STEPS, step=STEP,
                                               label="Steps",
                                               elem_id="project_steps")
                    with gr.Row():
                        self.start = gr.Button("Find this design", variant="primary", elem_id="project_start",
                                               size="md")
                        self.stop = gr.Button("Stop", elem_id="project_stop", variant="stop", min_width=70, scale=0,
                                              size="md")
                    with gr.Row(equal_height=True):
                        self.target = gr.Image(label="Target (cleaned)", format="png", interactive=False,
                                               elem_id="project_target", height=150, buttons=[])
                        self.recon = gr.Image(label="Reconstruction", format="png", interactive=False,
                                              elem_id="project_recon", height=150, buttons=[])
                    self.status = gr.Markdown(elem_id="project_status")
            self.training = gr.Gallery(label="…or one of this model's training images (click to use it)",
                                       columns=10, rows=1, height=110, format="png", allow_preview=False,
                                       object_fit="contain", elem_id="project_training", visible=False)
        self.result = gr.Textbox(visible=False, label="design")
        self.gallery_for = gr.State(None)  # the model whose training pictures the gallery shows

    # ---- targets -----------------------------------------------------------------------
    def _folder(self, model, visitor_id, request):
        return self.tab.resolver.folder(model, self.tab.studio.visitor(visitor_id, request))

    @handler
    def training_gallery(self, model, shown_for, visitor_id: str = "", request: gr.Request = None):
        """The first training pictures of the picked model's run, when its folder keeps them
        (nothing to do while the model stays the same)."""
        model = (model or "").strip() or None
        if model == shown_for:
            return {self.gallery_for: gr.skip()}
        pictures = None
        if model:
            try:
                pictures = training_pictures(self._folder(model, visitor_id, request))
            except UserError:
                pictures = None
        if pictures is None or not len(pictures):
            return {self.training: gr.Gallery(value=None, visible=False), self.gallery_for: model}
        tiles = [(shown(p, TILE, smooth=False), f"#{i}") for i, p in enumerate(pictures[:GALLERY])]
        return {self.training: gr.Gallery(value=tiles, visible=True), self.gallery_for: model}

    def _as_file(self, picture: np.ndarray, name: str, visitor_id, request) -> str:
        path = self.tab.studio.visitor(visitor_id, request).export_path(name)
        to_pil(picture).save(path, format="PNG")
        return str(path)

    @handler
    def pick_training(self, current, visitor_id: str = "", request: gr.Request = None, evt: gr.SelectData = None):
        """A clicked training picture (of the current design's model, as the gallery shows) as the target file."""
        model = (current or {}).get("model")
        pictures = training_pictures(self._folder(model, visitor_id, request)) if model else None
        if pictures is None or evt is None or not 0 <= evt.index < len(pictures):
            raise UserError("That training image is no longer available; pick another one.")
        return self._as_file(pictures[evt.index], f"training-{evt.index}.png", visitor_id, request)

    @handler
    def pick_saved(self, choice, visitor_id: str = "", request: gr.Request = None):
        """A saved design, drawn, as the target file."""
        design = saved_design(self.tab, choice, visitor_id, request)
        picture = render(design, self.tab.model_for(design.model, visitor_id, request))
        return self._as_file(picture, f"design-{design.id}.png", visitor_id, request)

    @handler
    def saved_choices(self, choice, visitor_id: str = "", request: gr.Request = None):
        choices = design_choices(board_designs(self.tab, visitor_id, request))
        return gr.Dropdown(choices=choices, value=choice if choice in [c for _, c in choices] else None)

    @handler
    def preview(self, image, model, visitor_id: str = "", request: gr.Request = None):
        """The cleaned target for a chosen file, and what was done to it."""
        if not image:
            return None, ""
        target, notes = engine.prepare_target(image, self.tab.model_for(model, visitor_id, request))
        return shown(target, smooth=False), ("Target ready: " + "; ".join(notes) + ".") if notes else "Target ready."

    # ---- projection --------------------------------------------------------------------
    @handler
    def arm(self, visitor_id: str = "", request: gr.Request = None):
        self.stops.arm(self.tab.studio.visitor(visitor_id, request).id)
        return ""

    @handler
    def request_stop(self, visitor_id: str = "", request: gr.Request = None):
        """Stop this visitor's projections: the running one keeps its best match so far."""
        if not self.stops.stop(self.tab.studio.visitor(visitor_id, request).id):
            gr.Info("No projection of yours is running.")

    @handler
    def run(self, image, model, steps, visitor_id: str = "", request: gr.Request = None):
        """Stream a projection of ``image`` (an image file) into ``model``: (target, reconstruction,
        status, design JSON); the design JSON is empty until the last update."""
        visitor = self.tab.studio.visitor(visitor_id, request)
        stop = self.stops.take(visitor.id)
        try:
            if not image:
                raise UserError("Choose a picture to start from: upload one, click a training image or "
                                "pick a saved design.")
            steps = whole(steps, "Steps", MIN_STEPS, MAX_STEPS)
            m = self.tab.model_for(model, visitor_id, request)
            target, notes = engine.prepare_target(image, m)
            target_view = shown(target, smooth=False)
            if stop.is_set():
                yield target_view, None, "Stopped before it started; your current design is unchanged.", ""
                return
            yield target_view, None, f"Trying {engine.DEFAULT_CANDIDATES} random starts…", ""
            last, result = 0.0, None
            for p in engine.iter_projection(m, target, steps=steps, should_stop=stop.is_set):
                if p.done:
                    result = p.result
                    break
                if time.monotonic() - last >= STREAM_EVERY:
                    last = time.monotonic()
                    line = f"Step {p.step} of {p.steps} · loss {p.loss:.4f}"
                    yield target_view, shown(p.picture, smooth=False), line, ""
            design = result.design(str(model).strip())
            said = [n for n in notes + result.notes if n]
            text = verdict(result) + ("\n\n" + "; ".join(said).capitalize() + "." if said else "")
            yield target_view, shown(result.picture, smooth=False), text, json.dumps(design.to_dict())
        finally:
            self.stops.release(visitor.id, stop)

    @handler
    def adopt(self, design_json, visitor_id: str = "", request: gr.Request = None):
        """The projected design becomes the current one (nothing happens without a result)."""
        design = design_of(design_json)
        if design is None:
            return {self.tab.current: gr.skip()}
        return self.tab.open(design.to_dict(), visitor_id, request)

    # ---- events ------------------------------------------------------------------------
    def wire(self, tab, app) -> None:
        v = app.visitor
        page = dict(api_visibility="private", show_progress="hidden")
        # on the page's load (it sets the visitor) and when another model is picked; not on every
        # design move (each event costs the page's script ~100 ms on a small machine)
        gr.on([app.visitor.change, tab.model.change], self.training_gallery, [tab.model, self.gallery_for, v],
              [self.training, self.gallery_for], queue=False, **page)
        self.training.select(self.pick_training, [tab.current, v], [self.upload], **page)
        board_view(tab).change(self.saved_choices, [self.saved_pick, v], [self.saved_pick], queue=False, **page)
        self.use_saved.click(self.pick_saved, [self.saved_pick, v], [self.upload], **page)
        self.upload.change(self.preview, [self.upload, tab.model, v], [self.target, self.status], **page)
        # the start button arms a stop event before the projection queues (see the module docstring)
        streamed = [self.target, self.recon, self.status, self.result]
        self.start.click(self.arm, [v], [self.result], api_visibility="private", queue=False) \
            .then(self.run, [self.upload, tab.model, self.steps, v], streamed, api_visibility="private",
                  concurrency_id="project", concurrency_limit=1, show_progress="minimal",
                  show_progress_on=[self.status]) \
            .success(self.adopt, [self.result, v], tab.open_outputs, **page)
        gr.on([], self.run, [self.upload, tab.model, self.steps, v], streamed, api_name="project",
              concurrency_id="project", concurrency_limit=1)
        self.stop.click(self.request_stop, [v], None, api_name="project_stop", queue=False)
        self.sketch.wire(tab, app)


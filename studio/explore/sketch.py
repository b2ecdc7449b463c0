"""Sketch to design (issue 26), inside the "Picture or sketch" tool.

The page's own pad: a plain 2D canvas in a gr.HTML block (``page_js.SKETCH_PAD_JS``: pen, eraser,
undo, clear, by mouse, pen or touch) whose pen takes the model's ink
(``gan_core.design.sketch.sketch_ink``: black for gray models, a dark colour for colour ones).
When a stroke ends, the page sends the canvas as a PNG data URL through the fast picture path
(``studio.explore.fast``, control "sketch": ``fast_design`` below), which shows the model's design
of it in the design's <img> at once; then the block's ``input`` event (its value: the same data
URL) makes that design current and what surrounds it follows, as after a slider move. Both read
the sketch with ``design_from_sketch`` (cleaned like the model's training data, read by its
encoder in milliseconds). A model without a usable encoder falls back to a short optimiser run in
the event only (the fast path shows nothing for it), and the pad says so once. "Refine" runs the
projection from the sketch's design (``init_z``) on the block's value, streamed into the tool's
reconstruction.

(Gradio's Sketchpad waited ~550 ms and made ~9 uploads before its change event, and its WebGL
canvas cannot be read from the page: benchmarks/bench_explore_latency.py --control sketch.)
"""
from __future__ import annotations

import json
import threading
import time

import gradio as gr

from gan_core.design import project as engine
from gan_core.design.encoder import load_encoder
from gan_core.design.sketch import design_from_sketch, sketch_ink, sketch_target
from gan_core.errors import UserError

from ..ui import handler
from .models import single_threaded
from .page_js import AFTER_PICTURE, AFTER_PREVIEW, SKETCH_PAD_CSS, SKETCH_PAD_HTML, SKETCH_PAD_JS
from .panel_util import design_of, whole
from .view import shown

PAD = 256                # the pad's canvas (px); the engine sizes the sketch to the model
PEN, ERASER = 8, 16      # brush widths on the pad's canvas (px)
UNDO = 30                # strokes the pad can undo
REFINE_SECONDS = 10.0    # Refine's time budget (its steps slider is the projection's)


def sentence(text: str) -> str:
    """An engine message (lower-case start) as the pad's sentence."""
    return text[:1].upper() + text[1:]


class Encoders:
    """Each model folder's encoder, loaded once: (encoder or None, why not)."""

    def __init__(self):
        self._cache: dict[str, tuple] = {}
        self._lock = threading.Lock()

    def get(self, folder, model) -> tuple:
        key = str(folder)
        with self._lock:
            if key not in self._cache:
                self._cache[key] = load_encoder(folder, model)
            return self._cache[key]


class SketchPad:
    """The pad, its live design and Refine; part of ``ProjectPanel`` (its tool tab, stop events,
    target and reconstruction pictures)."""

    def __init__(self, panel, verdict):
        self.panel, self.verdict = panel, verdict  # (project.py's one-line summary of a projection)
        self.encoders = Encoders()

    def layout(self, tab) -> None:
        self.tab = tab
        # its value: the canvas as a PNG data URL, set by the page at each stroke's end (never by the server)
        self.pad = gr.HTML("", label="Sketch: the design follows each stroke", show_label=False, container=True,
                           html_template=SKETCH_PAD_HTML % (PAD, PAD), css_template=SKETCH_PAD_CSS % PAD,
                           js_on_load=SKETCH_PAD_JS % (PEN, ERASER, UNDO), elem_id="sketch", padding=True)
        self.ink_box = gr.Textbox("#000000", visible="hidden", label="sketch ink", elem_id="sketch_ink")
        with gr.Row(equal_height=False):
            self.refine = gr.Button("Refine", elem_id="sketch_refine", size="sm", min_width=80, scale=0)
            self.status = gr.Markdown(elem_id="sketch_status")
        self.sketched = gr.State(None)  # the sketch's design (Design.to_dict()), Refine's start

    def _model(self, design_or_ref, visitor_id, request):
        ref = design_or_ref if isinstance(design_or_ref, str) else design_or_ref.get("model")
        return self.tab.model_for(ref, visitor_id, request)

    def _encoder(self, ref, m, visitor_id, request):
        folder = self.tab.resolver.folder(ref, self.tab.studio.visitor(visitor_id, request))
        return self.encoders.get(folder, m)

    @handler
    def ink(self, model, visitor_id: str = "", request: gr.Request = None):
        """The pad's pen in the model's ink (on the page's load and when another model is picked)."""
        if not model:
            return gr.skip()
        return sketch_ink(self.tab.model_for(model, visitor_id, request))

    def fast_design(self, url, current, visitor_id, request):
        """The fast path's design for the pad's picture ``url`` (studio.explore.fast): the current
        model's encoder reads it; None without a current design or a usable encoder (the stroke's
        own event then runs the optimiser: a few seconds, not to be done twice). Bad sketches raise
        UserError (the event says what is wrong)."""
        if not current or not current.get("model"):
            return None
        ref = current["model"]
        m = self.tab.model_for(ref, visitor_id, request)
        encoder, _ = self._encoder(ref, m, visitor_id, request)
        if encoder is None:
            return None
        with single_threaded():
            return design_from_sketch(m, encoder, url, model_ref=str(ref).strip())

    @handler
    def stroke(self, pad, model, said, visitor_id: str = "", request: gr.Request = None):
        """A stroke ended (or undo, clear): the model's design for the pad's picture (``pad``: its PNG
        data URL) becomes the current design."""
        if not model:
            raise UserError("Pick a model first: the sketch is read by the model's encoder.")
        m = self.tab.model_for(model, visitor_id, request)
        encoder, why = self._encoder(model, m, visitor_id, request)
        t0 = time.perf_counter()
        try:
            with single_threaded():
                d = design_from_sketch(m, encoder, pad, model_ref=str(model).strip())
        except UserError as e:  # an empty sketch, only the background colour...: said on the pad; the design stays
            return {self.sketched: gr.skip(), self.status: f"⚠ {sentence(str(e))}."}
        ms = (time.perf_counter() - t0) * 1000
        line = (f"Read by the model's encoder in {ms:.0f} ms." if encoder is not None else
                f"{sentence(why)} ({ms / 1000:.1f} s).")
        if encoder is None and said != model:
            gr.Info(f"{sentence(why)}.")  # once per model and page
        value = d.to_dict()
        return {**self.tab._make(d, visitor_id, request), **self.tab.controls_for(d), self.sketched: value,
                self.status: line + " Refine matches it more closely.", self.said: model}

    @handler
    def run_refine(self, pad, sketched, steps, visitor_id: str = "", request: gr.Request = None):
        """Stream a projection of the sketch started from its design: (target, reconstruction,
        status, design JSON); the design JSON is empty until the last update."""
        panel = self.panel
        visitor = self.tab.studio.visitor(visitor_id, request)
        stop = panel.stops.take(visitor.id)
        try:
            start = design_of(sketched)
            if start is None:
                yield None, None, "⚠ Draw a sketch first: Refine starts from the design the model made of it.", ""
                return
            m = self._model(start.model, visitor_id, request)
            try:
                target = sketch_target(pad, m)
            except UserError as e:  # an empty pad (cleared), only the background...: said; the design stays
                yield None, None, f"⚠ {sentence(str(e))}; your current design is unchanged.", ""
                return
            steps = whole(steps, "Steps", *panel.STEPS)
            view = shown(target, smooth=False)
            yield view, None, "Refining from the sketch's design…", ""
            last, result = 0.0, None
            for p in engine.iter_projection(m, target, steps=steps, should_stop=stop.is_set,
                                            init_z=start.latent, seconds=REFINE_SECONDS):
                if p.done:
                    result = p.result
                    break
                if time.monotonic() - last >= 0.25:
                    last = time.monotonic()
                    yield view, shown(p.picture, smooth=False), f"Step {p.step} of {p.steps} · loss {p.loss:.4f}", ""
            design = result.design(start.model)
            yield view, shown(result.picture, smooth=False), self.verdict(result), json.dumps(design.to_dict())
        finally:
            panel.stops.release(visitor.id, stop)

    def wire(self, tab, app) -> None:
        v, panel = app.visitor, self.panel
        self.said = gr.State("")  # the model whose fallback to the optimiser was said (once)
        page = dict(api_visibility="private", show_progress="hidden")
        gr.on([app.visitor.change, tab.model.change], self.ink, [tab.model, v], [self.ink_box], queue=False, **page)
        made = [tab.current, tab.design, *tab.control_outputs, self.sketched, self.status, self.said]
        # (AFTER_PREVIEW: the event waits until the fast path has shown the design, as a slider's does)
        self.pad.input(self.stroke, [self.pad, tab.model, self.said, v], made, trigger_mode="always_last",
                       concurrency_id="sketch", concurrency_limit=2, js=AFTER_PREVIEW, **page) \
            .success(tab.follow, [tab.current, tab.var_designs, v], tab.around_outputs, js=AFTER_PICTURE, **page)
        streamed = [panel.target, panel.recon, panel.status, panel.result]
        self.refine.click(panel.arm, [v], [panel.result], api_visibility="private", queue=False) \
            .then(self.run_refine, [self.pad, self.sketched, panel.steps, v], streamed, api_visibility="private",
                  concurrency_id="project", concurrency_limit=1, show_progress="minimal",
                  show_progress_on=[panel.status]) \
            .success(panel.adopt, [panel.result, v], tab.open_outputs, **page)

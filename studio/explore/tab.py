"""The Explore tab: one current design, its view, and the panels that work on it.

The current design is a ``gan_core.design.record.Design``, held in ``ExploreTab.current`` as
``Design.to_dict()``. Controls (model, seed, truncation) make a new current design; every
view output (the picture, the variations, the nearest training image) is drawn from it by
``ExploreTab.show``. Panels (morph, saved designs, and those of later issues) get the tab and
read ``tab.current``; to show a design they made, they chain ``tab.show``:

    btn.click(make_design, [tab.current, app.visitor], [tab.current]) \\
       .then(tab.show, [tab.current, app.visitor], tab.view_outputs)

or return ``tab.open(design_dict, visitor_id, request)`` into ``tab.open_outputs`` (which also
moves the seed and truncation sliders to the design's values).

Extension point: ``PANELS`` below, in the order of the tool tabs. A panel is a class with ``TOOL``
(its tab's label) and ``TOOL_ID``, whose instances have ``layout(tab)`` (called inside its tool tab;
one tab is open at a time, beside the design) and ``wire(tab, app)``; one with ``strip(tab)`` also
puts something under the design's controls, always in view (the board's saved designs);
a panel that draws something for every current design also has ``around_outputs`` (its
components) and ``around(design_or_None, visitor_id, request) -> {component: value}``, which the
tab calls in ``show_around``, so it is drawn in the same event as the variations.
"""
from __future__ import annotations

import gradio as gr

from gan_core.design.latent import MAX_SEED
from gan_core.design.record import Design
from gan_core.design.render import render, render_many
from gan_core.design.symmetry import parse_symmetry
from gan_core.errors import UserError
from gan_core.export.printpng import MAX_SIZE, MIN_SIZE, check_print_size, print_png
from gan_core.export.vector import to_svg

from ..context import Studio
from .. import fields
from ..models_cache import training_pictures
from ..ui import handler
from .board import BoardPanel
from .breed import BreedPanel
from .models import ModelResolver, single_threaded
from .design_map import MapPanel
from .morph import MorphPanel
from .moves import MoveLog
from .fast import FastPath
from .page_js import AFTER_PICTURE, AFTER_PREVIEW, CLICK, RANDOM_SEED
from .picker import ModelPicker
from .project import ProjectPanel
from .seed_api import SeedApi
from .steer import SteerPanel
from . import view

# ---- the extension point: Explore's panels, in page order (one line each) ------------------
PANELS = [
    SteerPanel,
    ProjectPanel,
    BreedPanel,
    MorphPanel,
    MapPanel,
    BoardPanel,
]

SYMMETRIES = view.SYMMETRIES
FAST = dict(queue=False, show_progress="hidden")   # cheap handlers: no queue round trip, no overlay


class ExploreTab(ModelPicker):
    def __init__(self, studio: Studio):
        self.studio = studio
        self.resolver = ModelResolver(studio.weights_dir)
        self.moves = MoveLog()            # each session's latest slider move (follow-ups wait for a pause)
        self.panels = [make() for make in PANELS]
        self.seed_api = SeedApi(self)
        self.fast = FastPath(self)
        self.tool_tabs: dict = {}
        self.view_outputs: list = []
        self.control_outputs: list = []
        self.open_outputs: list = []

    # ---- layout ------------------------------------------------------------------------
    def layout(self):
        """One screen (1366x768): the design and its variations (the canvas), the design's own
        controls and the board's strip beside it (both stay in view: CSS keeps them on screen when
        a long tool scrolls the page), and the tools as tabs, one open at a time."""
        first = self.model_choices()
        with gr.Row(equal_height=False, elem_id="workspace"):
            with gr.Column(scale=0, min_width=300, elem_id="canvas", elem_classes=["stay"]):
                self.design = gr.Image(label="Design", format="png", elem_id="design", interactive=False,
                                       height=256, buttons=["download", "fullscreen"])
                self.variations = gr.Gallery(label="Nearby designs (click to pick)", columns=3,
                                             format="png", elem_id="variations", height=336,
                                             allow_preview=False, object_fit="contain")
            with gr.Column(scale=0, min_width=272, elem_id="design_controls", elem_classes=["stay"]):
                self.model = gr.Dropdown(first, value=first[0][1] if first else None, label="Model",
                                         allow_custom_value=True, elem_id="model")
                self.seed = fields.Slider(0, MAX_SEED, value=0, step=1, label="Seed", elem_id="seed")
                self.truncation = fields.Slider(0, 2, value=1.0, step=0.05, label="Truncation",
                                                elem_id="truncation")
                self.symmetry = fields.Dropdown(SYMMETRIES, value="none", label="Symmetry", elem_id="symmetry")
                with gr.Row(elem_classes=["tight"]):
                    self.random = gr.Button("Random seed", elem_id="random_seed", size="sm", min_width=100)
                    self.save_btn = gr.Button("☆ Save design", elem_id="save_design", size="sm", min_width=100,
                                              variant="primary")
                with gr.Row(elem_classes=["tight"]):
                    # files are made when these are clicked, then handed to the hidden download buttons
                    self.png_btn = gr.Button("Download PNG", elem_id="download_png", size="sm", min_width=100)
                    self.svg_btn = gr.Button("Download SVG", elem_id="download_svg", size="sm", min_width=100)
                    self.png = gr.DownloadButton("PNG", elem_id="png_file", visible="hidden")
                    self.svg_file = gr.DownloadButton("SVG", elem_id="svg_file", visible="hidden")
                for panel in self.panels:  # the board's strip of saved designs
                    if hasattr(panel, "strip"):
                        panel.strip(self)
            with gr.Column(scale=1, min_width=520, elem_id="tools"):
                with gr.Tabs(elem_id="tool_tabs"):
                    for panel in self.panels:
                        with gr.Tab(panel.TOOL, id=panel.TOOL_ID, elem_id=f"tool_{panel.TOOL_ID}") as tool:
                            panel.layout(self)
                        self.tool_tabs[panel.TOOL_ID] = tool  # (a panel may draw when its tool opens)
                    with gr.Tab("More", id="more", elem_id="tool_more"):
                        self._more_layout()
        self.current = gr.State(None)     # Design.to_dict() of the design on show
        self.var_designs = gr.State([])   # the variation tiles' designs, in order
        self.design_outputs = [self.design]
        self.around_outputs = [self.svg, self.variations, self.var_designs, self.nearest, self.nearest_md,
                               self.nearest_box]
        # what a panel draws around the current design (steer: its strips and sliders) is part of
        # the view: one event after each move draws all of it (a separate event per panel costs the
        # page ~100 ms of script on a 2-core machine: benchmarks/bench_explore_latency.py)
        for panel in self.panels:
            self.around_outputs += list(getattr(panel, "around_outputs", []))
        self.view_outputs = [*self.design_outputs, *self.around_outputs]
        self.control_outputs = [self.seed, self.truncation, self.symmetry]
        self.open_outputs = [self.current, *self.control_outputs, *self.view_outputs]
        self.fast.layout()  # the page's fast picture path (studio.explore.fast)

    def _more_layout(self):
        """The quieter things: the print PNG's size, the SVG trace, the nearest training image,
        another model from a folder or the Hub."""
        with gr.Row(equal_height=True):
            self.print_size = fields.Slider(MIN_SIZE, MAX_SIZE, value=1024, step=64, label="PNG size (px)",
                                            elem_id="print_size", scale=2)
            self.transparent = gr.Checkbox(False, label="Transparent background", elem_id="png_transparent",
                                           scale=1)
        # the first version's PNG size (× the model's resolution): /design_png and /export_designs
        self.scale = fields.Radio(list(view.UPSCALES), value=4, label="PNG size (× model resolution)",
                                  elem_id="png_scale", visible=False)
        with gr.Row(equal_height=True):
            self.svg = gr.HTML(label="SVG (traced)", elem_id="svg_preview", show_label=True, container=True,
                               min_height=260, padding=False)
            with gr.Column(visible=False, elem_id="nearest_box") as self.nearest_box:
                self.nearest = gr.Image(label="Nearest training image", format="png", elem_id="nearest",
                                        interactive=False, height=170, buttons=["fullscreen"])
                self.nearest_md = gr.Markdown(elem_id="nearest_info", label="Nearest training image")
        with gr.Accordion("Load another model", open=False, elem_id="load_box"):
            self.model_path = gr.Textbox(label="Folder or Hub repository id", max_lines=1,
                                         placeholder="/path/to/run  or  your-name/rim-designs",
                                         elem_id="model_path")
            self.load = gr.Button("Load", elem_id="load_model", size="md")
            self.load_md = gr.Markdown(elem_id="load_status", label="Load status")

    # ---- the current design --------------------------------------------------------------
    @staticmethod
    def design_of(design_dict) -> Design:
        """The Design a ``current`` value holds (a UserError when there is none yet)."""
        if not design_dict:
            raise UserError("Pick a model first: there is no design on show yet.")
        return Design.from_dict(design_dict)

    def show(self, design_dict, visitor_id: str = "", request: gr.Request | None = None) -> dict:
        """Updates of every view output (``view_outputs``) for ``design_dict`` (None clears them)."""
        return {**self.show_design(design_dict, visitor_id, request),
                **self.show_around(design_dict, visitor_id, request)}

    def show_design(self, design_dict, visitor_id: str = "", request: gr.Request | None = None) -> dict:
        """The fast part of ``show``: the design's own picture (``design_outputs``)."""
        if not design_dict:
            return {self.design: None}
        d = self.design_of(design_dict)
        m = self.model_for(d.model, visitor_id, request)
        with single_threaded():
            picture = render(d, m)
        return {self.design: view.shown(picture)}

    def show_around(self, design_dict, visitor_id: str = "", request: gr.Request | None = None) -> dict:
        """The rest of ``show`` (``around_outputs``): variations, the SVG trace, the nearest training
        image, and what each panel with an ``around(design, visitor_id, request)`` draws."""
        panels = {}
        for panel in self.panels:
            if hasattr(panel, "around"):
                panels.update(panel.around(self.design_of(design_dict) if design_dict else None, visitor_id,
                                           request))
        if not design_dict:
            return {self.svg: "", self.variations: [], self.var_designs: [], self.nearest: None,
                    self.nearest_md: "", self.nearest_box: gr.Column(visible=False), **panels}
        d = self.design_of(design_dict)
        visitor = self.studio.visitor(visitor_id, request)
        m = self.resolver.model(d.model, visitor)
        around, centre = view.neighbours(d, m.z_dim)
        with single_threaded():
            pictures = render_many(around, m)
        training = training_pictures(self.resolver.folder(d.model, visitor))
        near, text = view.nearest_view(d, pictures[centre], training, m.config.channels)
        return {self.svg: view.inline_svg(to_svg(pictures[centre])),
                self.variations: view.variation_tiles(around, pictures, centre),
                self.var_designs: [a.to_dict() for a in around], self.nearest: near, self.nearest_md: text,
                self.nearest_box: gr.Column(visible=bool(text)), **panels}

    @handler
    def follow(self, current, shown, visitor_id: str = "", request: gr.Request = None):
        """After a slider move: the SVG, variations and nearest image of the new current design,
        unless they already show it (the move found nothing to change) or the visitor has not
        paused (a newer move asks for its own: studio.explore.moves)."""
        if (current and current in (shown or [])) or self.moves.unsettled(request):
            return {self.var_designs: gr.skip()}
        return self.show_around(current, visitor_id, request)

    def controls_for(self, d: Design) -> dict:
        """The sliders moved to a design's values (their change events then find nothing to do)."""
        return {self.truncation: d.truncation, self.symmetry: d.symmetry,
                **({self.seed: d.seed} if d.seed is not None else {})}

    def open(self, design_dict, visitor_id: str = "", request: gr.Request | None = None) -> dict:
        """Make ``design_dict`` the current design: updates for ``open_outputs``."""
        d = self.design_of(design_dict)
        value = d.to_dict()
        return {self.current: value, **self.controls_for(d), **self.show(value, visitor_id, request)}

    def _unchanged(self) -> dict:
        """No update (Gradio needs one key to take a dict as per-component updates)."""
        return {self.current: gr.skip()}

    def _make(self, d: Design, visitor_id, request) -> dict:
        """A slider's new design: the current record and its picture (``follow`` does the rest)."""
        value = d.to_dict()
        self.moves.record(request)
        return {self.current: value, **self.show_design(value, visitor_id, request)}

    @handler
    def on_model(self, model, seed, truncation, symmetry, current, visitor_id: str = "",
                 request: gr.Request = None):
        """A model picked (or the page loaded): its design for the seed slider's seed."""
        if not model:
            return {self.current: None, **self.show_design(None)}
        old = Design.from_dict(current) if current else None
        if old is not None and old.model == model:
            return self._unchanged()
        m = self.model_for(model, visitor_id, request)
        d = Design.from_seed(model, view.seed_value(seed), m.z_dim, view.truncation_value(truncation),
                             symmetry=symmetry or "none")
        return self._make(d, visitor_id, request)

    @handler
    def on_seed(self, model, seed, truncation, symmetry, current, visitor_id: str = "",
                request: gr.Request = None):
        """A new seed: a new design that keeps the current one's truncation, edits and symmetry."""
        seed = view.seed_value(seed)
        old = Design.from_dict(current) if current else None
        if old is not None and old.model == model and old.seed == seed:
            return self._unchanged()  # already on show (a slider's .change and .release, or a design just opened)
        m = self.model_for(model, visitor_id, request)
        d = (view.reseeded(old, seed, m.z_dim) if old is not None and old.model == model
             else Design.from_seed(model, seed, m.z_dim, view.truncation_value(truncation), symmetry=symmetry or "none"))
        return self._make(d, visitor_id, request)

    @handler
    def on_truncation(self, truncation, current, visitor_id: str = "", request: gr.Request = None):
        """The same design (seed or not) pulled more or less towards the typical one."""
        t = view.truncation_value(truncation)
        if not current or Design.from_dict(current).truncation == t:
            return self._unchanged()
        return self._make(self.design_of(current).replace(truncation=t), visitor_id, request)

    @handler
    def on_symmetry(self, symmetry, current, visitor_id: str = "", request: gr.Request = None):
        """The current design made N-fold rotationally or mirror symmetric (or not), live."""
        if not current or Design.from_dict(current).symmetry == parse_symmetry(symmetry).spec:
            return self._unchanged()
        return self._make(self.design_of(current).replace(symmetry=symmetry), visitor_id, request)

    @handler
    def pick_variation(self, designs, visitor_id: str = "", request: gr.Request = None,
                       evt: gr.SelectData = None):
        """A variation tile clicked: it becomes the current design."""
        if not designs or evt is None or not 0 <= evt.index < len(designs):
            return self._unchanged()
        return self.open(designs[evt.index], visitor_id, request)

    @handler
    def design_file(self, current, size, transparent, visitor_id: str = "", request: gr.Request = None) -> str:
        """The current design as a print PNG of ``size`` px (made now: only a download writes one)."""
        d = self.design_of(current)
        picture = render(d, self.model_for(d.model, visitor_id, request))
        image = print_png(picture, check_print_size(size), transparent=bool(transparent))
        path = self.studio.visitor(visitor_id, request).export_path(f"{view.stem(d)}-{image.width}px.png")
        image.save(path, format="PNG")
        return str(path)

    @handler
    def svg_download(self, current, visitor_id: str = "", request: gr.Request = None) -> str:
        """The current design as an SVG file (vtracer), made when asked."""
        d = self.design_of(current)
        svg = to_svg(render(d, self.model_for(d.model, visitor_id, request)))
        path = self.studio.visitor(visitor_id, request).export_path(f"{view.stem(d)}.svg")
        path.write_text(svg, encoding="utf-8")
        return str(path)

    # ---- events ------------------------------------------------------------------------
    def wire(self, app):
        v = app.visitor
        made = [self.current, *self.design_outputs]
        page = dict(api_visibility="private", trigger_mode="always_last", **FAST)
        moves = [
            (self.model.change, self.on_model, [self.model, self.seed, self.truncation, self.symmetry,
                                                self.current, v]),
            (self.seed.change, self.on_seed,
             [self.model, self.seed, self.truncation, self.symmetry, self.current, v]),
            (self.symmetry.change, self.on_symmetry, [self.symmetry, self.current, v]),
            (self.truncation.change, self.on_truncation, [self.truncation, self.current, v]),
        ]
        for triggers, fn, inputs in moves:  # the picture first, then what surrounds it
            gr.on(triggers, fn, inputs, made, js=AFTER_PREVIEW, **page) \
                .success(self.follow, [self.current, self.var_designs, v], self.around_outputs, js=AFTER_PICTURE,
                         **page)
        self.variations.select(self.pick_variation, [self.var_designs, v], self.open_outputs,
                               api_visibility="private", js=AFTER_PREVIEW, **FAST)
        # the page picks the random seed and asks the fast path for its picture at once
        self.random.click(None, None, [self.seed], js=RANDOM_SEED, api_visibility="private", queue=False)
        downloads = dict(api_visibility="private", concurrency_id="generate", concurrency_limit=4,
                         show_progress="hidden")
        self.png_btn.click(self.design_file, [self.current, self.print_size, self.transparent, v], [self.png],
                           **downloads) \
            .success(None, None, None, js=CLICK.format(id="png_file"))
        self.svg_btn.click(self.svg_download, [self.current, v], [self.svg_file], **downloads) \
            .success(None, None, None, js=CLICK.format(id="svg_file"))
        self.load.click(self.load_custom, [self.model_path, v], [self.load_md], api_name="load_model") \
            .success(self.select_loaded, [self.model_path, v], [self.model], api_visibility="private")

        self.seed_api.wire(v)  # the first version's seed endpoints (API only)
        for panel in self.panels:
            panel.wire(self, app)
        self.fast.wire(app)

    @handler
    def first_design(self, model, seed, truncation, current, visitor_id: str = "", request: gr.Request = None):
        """On page load: the model's design for the seed slider, with everything around it."""
        if not model:
            return {self.current: None, **self.show(None)}
        d = Design.from_dict(current) if current and Design.from_dict(current).model == model else None
        if d is None:
            m = self.model_for(model, visitor_id, request)
            d = Design.from_seed(model, view.seed_value(seed), m.z_dim, view.truncation_value(truncation))
        value = d.to_dict()
        return {self.current: value, **self.show(value, visitor_id, request)}

    def cancel_on_pick(self, event) -> None:
        """A design the visitor asks for before the page's first one has arrived wins: on a busy
        machine the first one (with its strips and neighbours) can take seconds, and would then paint
        the default model over the pick. ``.input`` and the button, not ``.change``: the page's own
        load sets the model's value, and must not cancel itself."""
        gr.on([self.model.input, self.seed.input, self.truncation.input, self.symmetry.input, self.random.click],
              None, None, None, cancels=[event], queue=False, api_visibility="private")

    @property
    def load_inputs(self) -> list:
        """Inputs of ``first_design`` for the page's load event (app.py chains it after its own)."""
        return [self.model, self.seed, self.truncation, self.current]

    @property
    def load_outputs(self) -> list:
        return [self.current, *self.view_outputs]

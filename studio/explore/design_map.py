"""The Map tool (issue 26): an atlas of ~400 of the model's designs, similar ones together.

The engine lays them out and caches the map per model weights (``gan_core.export.designmap``);
the page shows the atlas picture and a click on a design opens it as the current design (the
click's pixel position on the picture is what ``DesignMap.design_at`` takes). The map is drawn when
the tool is opened, and again when another model is picked while it is open.
"""
from __future__ import annotations

import threading
import time

import gradio as gr

from gan_core.errors import UserError
from gan_core.export.designmap import design_map

from ..ui import handler
from .models import single_threaded
from .page_js import AFTER_PICTURE

COUNT = 400              # designs on the map


class MapPanel:
    TOOL, TOOL_ID = "Map", "map"

    def __init__(self):
        from gan_core.metrics.atlas import preload  # the first map need not wait for scikit-learn's import
        threading.Thread(target=preload, name="map-preload", daemon=True).start()

    def layout(self, tab) -> None:
        self.tab = tab
        with gr.Column(elem_id="map_box"):
            with gr.Row(equal_height=True):
                self.info = gr.Markdown("Open this tool to draw the map of the model's designs.",
                                        elem_id="map_info")
            self.picture = gr.Image(label="Map of designs (click one to open it)", format="png", interactive=False,
                                    elem_id="map", height=500, buttons=["fullscreen"], show_label=False)
        self.shown_for = gr.State(None)  # the model whose map is on show

    def _cache(self):
        folder = self.tab.studio.ws.root / "maps"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _map(self, model, visitor_id, request):
        m = self.tab.model_for(model, visitor_id, request)
        with single_threaded():
            return design_map(m, self._cache(), count=COUNT, model_ref=str(model).strip())

    @handler
    def draw(self, model, shown_for, visitor_id: str = "", request: gr.Request = None):
        """The model's map (nothing to do when it is already on show)."""
        if not model:
            return {self.picture: None, self.shown_for: None, self.info: "Pick a model first."}
        if model == shown_for:
            return {self.shown_for: gr.skip()}
        t0 = time.perf_counter()
        dm = self._map(model, visitor_id, request)
        took = "from the cache" if dm.from_cache else f"in {time.perf_counter() - t0:.1f} s"
        return {self.picture: dm.picture, self.shown_for: model,
                self.info: f"{len(dm.seeds[dm.seeds >= 0])} designs of {model}, similar ones together (drawn {took}). "
                           "Click one to open it."}

    @handler
    def pick(self, model, visitor_id: str = "", request: gr.Request = None, evt: gr.SelectData = None):
        """A click on the map: the design under it becomes the current design."""
        if evt is None or not isinstance(evt.index, (list, tuple)) or len(evt.index) != 2:
            raise UserError("Click a design on the map.")
        d = self._map(model, visitor_id, request).design_at(*evt.index)
        return {**self.tab._make(d, visitor_id, request), **self.tab.controls_for(d)}

    def wire(self, tab, app) -> None:
        v = app.visitor
        page = dict(api_visibility="private", show_progress="hidden")
        drawn = [self.picture, self.shown_for, self.info]
        tab.tool_tabs[self.TOOL_ID].select(self.draw, [tab.model, self.shown_for, v], drawn,
                                           concurrency_id="map", concurrency_limit=1, **page)
        tab.model.change(self.draw_if_open, [tab.model, self.shown_for, v], drawn, concurrency_id="map",
                         concurrency_limit=1, **page)
        self.picture.select(self.pick, [tab.model, v], [tab.current, tab.design, *tab.control_outputs], **page) \
            .success(tab.follow, [tab.current, tab.var_designs, v], tab.around_outputs, js=AFTER_PICTURE, **page)

    @handler
    def draw_if_open(self, model, shown_for, visitor_id: str = "", request: gr.Request = None):
        """Another model picked: its map, if this model's map was on show (else when the tool opens)."""
        if not shown_for or model == shown_for:
            return {self.shown_for: gr.skip()}
        return self.draw(model, shown_for, visitor_id, request)

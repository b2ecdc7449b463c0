"""The page's fast picture path: every Explore control shows its new design within ~100 ms.

Every Gradio event costs this large page ~100-150 ms of the browser's script (it refreshes every
component's loading status), which alone is past what a live control may take. So the page
(``page_js.FAST_PREVIEW_JS``) asks for the picture a control's input will show at the moment of
the input, through Gradio's own HTTP route for unqueued events, and puts it (a data: URL) in the
design's <img> as soon as it comes; the control's own Gradio event runs as before and shows the
same pixels. ``FastPath.preview`` answers those requests; it changes nothing.

The controls (``control`` / ``value`` as the page sends them):
    seed, truncation, direction_<i>   a slider or its number box (typing, Enter, arrow keys); Random
                                      seed sends "seed" with the number it picked
    symmetry                          the label of the option picked
    variation, child, board           the index of the tile clicked (the variations, Breed's
                                      children, the board's strip), read from the session's states
    sketch                            the sketch pad's canvas as a PNG data URL, when a stroke ends
                                      (or undo, clear): the current model's encoder reads it
                                      (studio.explore.sketch.SketchPad.fast_design)
"""
from __future__ import annotations

import gradio as gr

from gan_core.design.record import Design
from gan_core.design.render import render
from gan_core.errors import UserError

from ..ui import handler
from . import view
from .board import BoardPanel
from .breed import BreedPanel
from .models import single_threaded
from .page_js import FAST_PREVIEW_JS
from .project import ProjectPanel
from .panel_util import saved_design


def tile(designs, value) -> dict | None:
    """The clicked tile's design record (None for an index the states do not hold)."""
    try:
        i = int(float(value))
    except (TypeError, ValueError):
        return None
    return designs[i] if designs and 0 <= i < len(designs) else None


class FastPath:
    """Hidden inputs and output of the fast picture path, and the handler that answers it."""

    def __init__(self, tab):
        self.tab = tab

    def layout(self) -> None:
        self.control = gr.Textbox(visible=False, label="preview control")
        self.value = gr.Textbox(visible=False, label="preview value")
        self.picture = gr.Textbox(visible=False, label="preview")  # a data: URL (no file, no 2nd request)

    def _panel(self, kind):
        return next(p for p in self.tab.panels if isinstance(p, kind))

    def design_for(self, control: str, value, current, var_designs, kids, shown_ids, visitor_id,
                   request) -> Design | None:
        """The design the page will show after this input (None: nothing new to show)."""
        if control == "variation":
            record = tile(var_designs, value)
            return Design.from_dict(record) if record else None
        if control == "child":
            record = tile(kids, value)
            return Design.from_dict(record) if record else None
        if control == "board":
            design_id = tile(shown_ids, value)
            return saved_design(self.tab, design_id, visitor_id, request) if design_id else None
        if control == "sketch":
            return self._panel(ProjectPanel).sketch.fast_design(value, current, visitor_id, request)
        if not current:
            return None
        d = Design.from_dict(current)
        if control == "symmetry":
            spec = dict(view.SYMMETRIES).get(str(value).strip().lstrip("✓").strip())
            return d.replace(symmetry=spec) if spec else None
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None  # a half-typed number box ("", "-"): its own event says what is wrong
        m = self.tab.model_for(d.model, visitor_id, request)
        if control == "seed":
            return view.reseeded(d, view.seed_value(number), m.z_dim)  # what on_seed makes of this move
        if control == "truncation":
            return d.replace(truncation=view.truncation_value(number))
        if control.startswith("direction_") and control[10:].isdigit():
            from .steer import SLIDERS, slider_edits
            amounts = [d.edits.get(k, 0.0) for k in range(SLIDERS)]
            if int(control[10:]) < SLIDERS:
                amounts[int(control[10:])] = number
            return slider_edits(d, amounts)
        raise UserError(f"preview: unknown control {control!r}")

    @handler
    def preview(self, control, value, current, var_designs, kids, shown_ids, request: gr.Request = None):
        """The picture the input of ``control`` (``value``) will show, for this session, as a data:
        URL; "" when there is nothing new to show or the session has no visitor yet."""
        self.tab.moves.record(request)  # the earliest sign of a move: what follows the last one waits
        visitor_id = self.tab.moves.visitor(request)
        if not visitor_id:
            return ""
        try:
            d = self.design_for(str(control or ""), value, current, var_designs, kids, shown_ids, visitor_id,
                                request)
        except UserError:
            return ""  # a bad value: the control's own event says what is wrong
        if d is None:
            return ""
        m = self.tab.model_for(d.model, visitor_id, request)
        with single_threaded():
            return view.data_url(view.shown(render(d, m)))

    def wire(self, app) -> None:
        tab = self.tab
        states = [tab.current, tab.var_designs, self._panel(BreedPanel).kids, self._panel(BoardPanel).shown_ids]
        fast = gr.on([], self.preview, [self.control, self.value, *states], [self.picture],
                     api_visibility="private", queue=False, show_progress="hidden")
        # installed once the page's load sets the visitor
        app.visitor.change(None, None, None, js=FAST_PREVIEW_JS % (fast["id"], len(states)))

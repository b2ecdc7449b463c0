"""The Morph panel: an animated slerp morph through keyframes.

The keyframes are designs (issue 26): the current one (whatever made it: a seed, a projection, a
sketch, a bred child, a map click), saved ones from the board, or seeds typed in; they show as a
strip in order. With no keyframe designs, the morph runs through the typed seeds in the current
design's style (its truncation, edits and symmetry apply to every keyframe), as /morph does."""
from __future__ import annotations

import math
import re

import gradio as gr

from gan_core.design.latent import MAX_SEED, check_seed
from gan_core.design.record import Design
from gan_core.design.render import morph_designs, render
from gan_core.errors import UserError
from gan_core.export.animation import save_gif, save_mp4

from .. import fields
from ..ui import handler
from . import view
from .panel_util import TILE, board_designs, board_view, design_choices, saved_design

MORPH_FPS = 20
MAX_KEYFRAMES = 64
MIN_FRAMES, MAX_FRAMES = 2, 240


def parse_keyframes(text) -> list[int]:
    """'3, 7, 11' (commas, spaces or semicolons) -> [3, 7, 11]; at least two."""
    parts = [p for p in re.split(r"[\s,;]+", str(text or "").strip()) if p]
    seeds = []
    for p in parts:
        try:
            seeds.append(check_seed(p))
        except UserError:
            raise UserError(f"Keyframe seeds: {p!r} is not a seed; write whole numbers between 0 and "
                            f"{MAX_SEED}, e.g. 3, 7, 11.") from None
    if len(seeds) < 2:
        raise UserError("A morph needs at least two keyframe seeds, e.g. 3, 7, 11.")
    if len(seeds) > MAX_KEYFRAMES:
        raise UserError(f"A morph takes at most {MAX_KEYFRAMES} keyframe seeds; got {len(seeds)}.")
    return seeds


def frames_value(frames) -> int:
    try:
        f = float(frames)
    except (TypeError, ValueError):
        f = math.nan
    if not (f.is_integer() and MIN_FRAMES <= f <= MAX_FRAMES):
        raise UserError(f"Frames must be a whole number between {MIN_FRAMES} and {MAX_FRAMES}; got {frames!r}.")
    return int(f)


class MorphPanel:
    TOOL, TOOL_ID = "Morph", "morph"

    def layout(self, tab):
        with gr.Row(equal_height=False, elem_id="morph_box"):
            with gr.Column(scale=2, min_width=250):
                self.key_gallery = gr.Gallery(label="Keyframes, in order", rows=1,
                                              columns=6, height=100, format="png", allow_preview=False,
                                              object_fit="contain", elem_id="morph_keys")
                with gr.Row(equal_height=True):
                    self.add_current = gr.Button("+ current design", elem_id="add_current", size="sm", min_width=90)
                    self.clear_keys = gr.Button("Clear", elem_id="clear_keys", size="sm", min_width=60, scale=0)
                with gr.Row(equal_height=True):
                    self.saved = gr.Dropdown([], value=[], multiselect=True, label="Saved designs", scale=3,
                                             elem_id="morph_saved")
                    self.add_saved = gr.Button("+ add", elem_id="add_saved", size="sm", min_width=60, scale=1)
                with gr.Row(equal_height=True):
                    self.keyframes = gr.Textbox(label="…or keyframe seeds", value="0, 1, 2", max_lines=1,
                                                elem_id="keyframes", scale=3)
                    self.add_seed = gr.Button("+ current seed", elem_id="add_seed", size="sm", scale=1, min_width=60)
                with gr.Row():
                    self.frames = fields.Slider(MIN_FRAMES, MAX_FRAMES, value=48, step=1, label="Frames",
                                                elem_id="frames")
                    self.loop = gr.Checkbox(value=True, label="Loop back to the first seed", elem_id="loop")
            with gr.Column(scale=3, min_width=300):
                self.morph_btn = gr.Button("Make morph", variant="primary", elem_id="morph_btn")
                self.video = gr.Video(label="Morph", autoplay=True, loop=True, elem_id="morph",
                                      interactive=False, height=300)
                with gr.Row():
                    self.gif_file = gr.DownloadButton("Download GIF", elem_id="morph_gif", interactive=False,
                                                      size="md")
                    self.mp4_file = gr.DownloadButton("Download MP4", elem_id="morph_mp4", interactive=False,
                                                      size="md")
        self.keys = gr.State([])  # the keyframe designs' Design.to_dict(), in order

    def _strip(self, tab, keys, visitor_id, request) -> list:
        """Thumbnails of the keyframe designs (a design whose model is gone: a blank tile)."""
        tiles = []
        for i, k in enumerate(keys):
            d = Design.from_dict(k)
            try:
                picture = view.shown(render(d, tab.model_for(d.model, visitor_id, request)), TILE)
            except UserError:
                picture = None
            tiles.append((picture, f"{i + 1} · {view.label(d)}"))
        return tiles

    def keyframe_designs(self, keys) -> list[Design]:
        """The keyframe designs: two or more (the engine refuses designs of two models, naming both)."""
        designs = [Design.from_dict(k) for k in keys]
        if len(designs) < 2:
            raise UserError("A morph needs at least two keyframes: add another design, or press Clear to "
                            "morph the seeds typed below.")
        return designs

    def _files(self, tab, designs: list[Design], seeds, frames, loop, visitor_id, request):
        """The morph's MP4 and GIF (``seeds`` name the files; None: keyframe designs)."""
        visitor = tab.studio.visitor(visitor_id, request)
        m = tab.model_for(designs[0].model, visitor_id, request)
        pictures = morph_designs(designs, m, frames=frames_value(frames), loop=bool(loop))
        scale = view.factor(m.config.resolution, view.DISPLAY)
        stem = ("morph-" + "-".join(map(str, seeds[:6])) + ("-etc" if len(seeds) > 6 else "") if seeds
                else f"morph-{len(designs)}-designs")
        mp4 = save_mp4(pictures, visitor.export_path(stem + ".mp4"), fps=MORPH_FPS, scale=scale)
        gif = save_gif(pictures, visitor.export_path(stem + ".gif"), fps=MORPH_FPS, scale=scale)
        return str(mp4), str(gif), str(mp4)

    def wire(self, tab, app):
        v = app.visitor

        @handler
        def morph(keyframes, frames, loop, model, truncation, visitor_id: str = "", request: gr.Request = None):
            """An animated slerp morph through the keyframe seeds: (MP4 to play, GIF file, MP4 file)."""
            seeds = parse_keyframes(keyframes)
            frames_value(frames)
            m = tab.model_for(model, visitor_id, request)
            t = view.truncation_value(truncation)
            designs = [Design.from_seed(model, s, m.z_dim, t) for s in seeds]
            return self._files(tab, designs, seeds, frames, loop, visitor_id, request)

        @handler
        def morph_current(keyframes, frames, loop, keys, current, visitor_id: str = "", request: gr.Request = None):
            """The page's morph: the keyframe designs, or (none) the keyframe seeds drawn like the current design."""
            if keys:
                frames_value(frames)
                return self._files(tab, self.keyframe_designs(keys), None, frames, loop, visitor_id, request)
            seeds = parse_keyframes(keyframes)
            frames_value(frames)
            d = tab.design_of(current)
            m = tab.model_for(d.model, visitor_id, request)
            keep = dict(truncation=d.truncation, edits=d.edits, directions=d.directions, symmetry=d.symmetry)
            designs = [Design.from_seed(d.model, s, m.z_dim, **keep) for s in seeds]
            return self._files(tab, designs, seeds, frames, loop, visitor_id, request)

        @handler
        def add_current_seed(keyframes, current):
            d = tab.design_of(current)
            if d.seed is None:
                raise UserError("This design has no seed (it was projected or bred): keyframes are seeds.")
            text = (keyframes or "").strip().rstrip(",")
            return f"{text}, {d.seed}" if text else str(d.seed)

        @handler
        def add_current_design(keys, current, visitor_id: str = "", request: gr.Request = None):
            keys = [*(keys or []), tab.design_of(current).to_dict()]
            return keys, self._strip(tab, keys, visitor_id, request)

        @handler
        def add_saved_designs(keys, picked, visitor_id: str = "", request: gr.Request = None):
            if not picked:
                raise UserError("Pick one or more saved designs first (save some with ☆ Save design).")
            keys = [*(keys or []), *[saved_design(tab, i, visitor_id, request).to_dict() for i in picked]]
            return keys, self._strip(tab, keys, visitor_id, request), []

        @handler
        def saved_choices(picked, visitor_id: str = "", request: gr.Request = None):
            choices = design_choices(board_designs(tab, visitor_id, request))
            ids = [c for _, c in choices]
            return gr.Dropdown(choices=choices, value=[c for c in picked or [] if c in ids])

        private = dict(api_visibility="private", show_progress="hidden")
        self.add_current.click(add_current_design, [self.keys, tab.current, v], [self.keys, self.key_gallery],
                               queue=False, **private)
        self.add_saved.click(add_saved_designs, [self.keys, self.saved, v], [self.keys, self.key_gallery, self.saved],
                             queue=False, **private)
        self.clear_keys.click(lambda: ([], []), None, [self.keys, self.key_gallery], queue=False, **private)
        board_view(tab).change(saved_choices, [self.saved, v], [self.saved], queue=False, **private)
        outputs = [self.video, self.gif_file, self.mp4_file]
        self.add_seed.click(add_current_seed, [self.keyframes, tab.current], [self.keyframes],
                            api_visibility="private", queue=False)
        self.morph_btn.click(morph_current, [self.keyframes, self.frames, self.loop, self.keys, tab.current, v], outputs,
                             api_visibility="private", concurrency_id="generate", concurrency_limit=4,
                             show_progress_on=[self.video]) \
            .success(lambda: (gr.DownloadButton(interactive=True),) * 2, None, [self.gif_file, self.mp4_file],
                     api_visibility="private", queue=False)
        gr.on([], morph, [self.keyframes, self.frames, self.loop, tab.model, tab.truncation, v], outputs,
              api_name="morph", concurrency_id="generate", concurrency_limit=4)

"""The Morph panel: an animated slerp morph through keyframe seeds, in the current design's style
(its truncation, edits and symmetry apply to every keyframe)."""
from __future__ import annotations

import math
import re

import gradio as gr

from gan_core.design.latent import MAX_SEED, check_seed
from gan_core.design.record import Design
from gan_core.design.render import morph_designs
from gan_core.errors import UserError
from gan_core.export.animation import save_gif, save_mp4

from .. import fields
from ..ui import handler
from . import view

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
                with gr.Row(equal_height=True):
                    self.keyframes = gr.Textbox(label="Keyframe seeds", value="0, 1, 2", max_lines=1,
                                                info="two or more, in order", elem_id="keyframes", scale=3)
                    self.add_seed = gr.Button("+ current seed", elem_id="add_seed", size="md", scale=1)
                with gr.Row():
                    self.frames = fields.Slider(MIN_FRAMES, MAX_FRAMES, value=48, step=1, label="Frames",
                                                elem_id="frames")
                    self.loop = gr.Checkbox(value=True, label="Loop back to the first seed", elem_id="loop")
                self.morph_btn = gr.Button("Make morph", variant="primary", elem_id="morph_btn")
                with gr.Row():
                    self.gif_file = gr.DownloadButton("Download GIF", elem_id="morph_gif", interactive=False,
                                                      size="md")
                    self.mp4_file = gr.DownloadButton("Download MP4", elem_id="morph_mp4", interactive=False,
                                                      size="md")
            with gr.Column(scale=3, min_width=300):
                self.video = gr.Video(label="Morph", autoplay=True, loop=True, elem_id="morph",
                                      interactive=False, height=330)

    def _files(self, tab, designs: list[Design], seeds, frames, loop, visitor_id, request):
        visitor = tab.studio.visitor(visitor_id, request)
        m = tab.model_for(designs[0].model, visitor_id, request)
        pictures = morph_designs(designs, m, frames=frames_value(frames), loop=bool(loop))
        scale = view.factor(m.config.resolution, view.DISPLAY)
        stem = "morph-" + "-".join(map(str, seeds[:6])) + ("-etc" if len(seeds) > 6 else "")
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
        def morph_current(keyframes, frames, loop, current, visitor_id: str = "", request: gr.Request = None):
            """The page's morph: the keyframe seeds drawn like the current design."""
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

        outputs = [self.video, self.gif_file, self.mp4_file]
        self.add_seed.click(add_current_seed, [self.keyframes, tab.current], [self.keyframes],
                            api_visibility="private", queue=False)
        self.morph_btn.click(morph_current, [self.keyframes, self.frames, self.loop, tab.current, v], outputs,
                             api_visibility="private", concurrency_id="generate", concurrency_limit=4,
                             show_progress_on=[self.video]) \
            .success(lambda: (gr.DownloadButton(interactive=True),) * 2, None, [self.gif_file, self.mp4_file],
                     api_visibility="private", queue=False)
        gr.on([], morph, [self.keyframes, self.frames, self.loop, tab.model, tab.truncation, v], outputs,
              api_name="morph", concurrency_id="generate", concurrency_limit=4)

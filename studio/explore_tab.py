"""Explore tab: browse a generator by seed, morph between seeds, export designs."""
import csv
import io
import json
import math
import random
import re
import zipfile

import gradio as gr
import pandas as pd

from gan_core import metrics
from gan_core.errors import UserError
from gan_core.export import save_gif, save_mp4
from gan_core.images import upscale
from gan_core.latent import MAX_SEED, check_seed

from . import fields
from .context import Studio
from .models_cache import CACHE, bundled_models, load_model, resolve_model, training_pictures
from .runs import list_runs
from .ui import handler

DISPLAY = 256            # the current design is shown about this big
TILE = 128               # variation tiles
VARIATIONS = 9           # a 3x3 grid around the current seed
MORPH_FPS = 20
MAX_KEYFRAMES = 64
UPSCALES = (1, 2, 4, 8)
MIN_FRAMES, MAX_FRAMES = 2, 240
NEAREST_DISPLAY = 160    # the nearest training image is shown about this big
SAVED_COLUMNS = ["seed", "truncation", "model"]


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


def _seed(value) -> int:
    try:
        return check_seed(value)
    except UserError:
        raise UserError(f"Seed must be a whole number between 0 and {MAX_SEED}; got {value!r}.") from None


def _truncation(value) -> float:
    try:
        t = float(value)
    except (TypeError, ValueError):
        raise UserError(f"Truncation must be a number between 0 and 2; got {value!r}.") from None
    if not 0.0 <= t <= 2.0:
        raise UserError(f"Truncation must be between 0 and 2; got {value!r}.")
    return t


def _factor(resolution: int, target: int) -> int:
    return max(1, min(32, target // resolution))


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_")[-40:] or "model"


class ExploreTab:
    def __init__(self, studio: Studio):
        self.studio = studio

    # ---- model picker ------------------------------------------------------------------
    def model_choices(self, visitor=None) -> list[tuple[str, str]]:
        choices = []
        for folder in bundled_models(self.studio.weights_dir):
            try:
                res = json.loads((folder / "config.json").read_text())["model"]["resolution"]
                choices.append((f"{folder.name} · bundled · {res} px", f"bundled/{folder.name}"))
            except (OSError, ValueError, KeyError, TypeError):
                choices.append((f"{folder.name} · bundled", f"bundled/{folder.name}"))
        if visitor is not None:
            for r in list_runs(visitor, self.studio.manager):
                if r["has_model"]:
                    choices.append((f"{r['name']} · your run · {r['label']}", f"run/{r['name']}"))
        return choices

    def model_dropdown(self, visitor_id="", request=None, value=None) -> gr.Dropdown:
        visitor = self.studio.visitor(visitor_id, request)
        choices = self.model_choices(visitor)
        values = [c[1] for c in choices]
        if value and value not in values:
            choices.append((value, value))  # a folder or Hub id typed in by the visitor
        elif not value:
            value = values[0] if values else None
        return gr.Dropdown(choices=choices, value=value)

    # ---- layout ------------------------------------------------------------------------
    def layout(self):
        first = self.model_choices()
        with gr.Row(equal_height=False):
            with gr.Column(scale=2, min_width=320):
                self.model = gr.Dropdown(first, value=first[0][1] if first else None, label="Model",
                                         allow_custom_value=True, elem_id="model",
                                         info="bundled models and your runs")
                with gr.Accordion("Load another model", open=False, elem_id="load_box"):
                    self.model_path = gr.Textbox(label="Folder or Hub repository id", max_lines=1,
                                                 placeholder="/path/to/run  or  your-name/rim-designs",
                                                 elem_id="model_path")
                    self.load = gr.Button("Load", elem_id="load_model", size="md")
                    self.load_md = gr.Markdown(elem_id="load_status", label="Load status")
                self.seed = fields.Slider(0, MAX_SEED, value=0, step=1, label="Seed",
                                          info="every seed is a different design", elem_id="seed")
                self.truncation = fields.Slider(0, 2, value=1.0, step=0.05, label="Truncation",
                                                info="below 1: closer to the typical design; above 1: wilder",
                                                elem_id="truncation")
                with gr.Row():
                    self.random = gr.Button("Random seed", elem_id="random_seed", size="md")
                    self.save_btn = gr.Button("☆ Save design", elem_id="save_design", size="md")
                with gr.Row(equal_height=True):
                    self.scale = fields.Radio(list(UPSCALES), value=4, label="PNG size (× model resolution)",
                                              elem_id="png_scale", scale=2)
                    self.png = gr.DownloadButton("Download PNG", elem_id="download_png", scale=1)
            with gr.Column(scale=3, min_width=420):
                with gr.Row(equal_height=True):
                    self.design = gr.Image(label="Design", format="png", elem_id="design", interactive=False,
                                           height=380, buttons=["download", "fullscreen"])
                    self.variations = gr.Gallery(label="Nearby seeds (click to pick)", columns=3,
                                                 format="png", elem_id="variations", height=380,
                                                 allow_preview=False, object_fit="contain")
                with gr.Row(equal_height=True, visible=False, elem_id="nearest_box") as self.nearest_box:
                    self.nearest = gr.Image(label="Nearest training image", format="png", elem_id="nearest",
                                            interactive=False, height=170, scale=1, min_width=170,
                                            buttons=["fullscreen"])
                    self.nearest_md = gr.Markdown(elem_id="nearest_info", label="Nearest training image")
        self.var_seeds = gr.State([])
        gr.Markdown("### Morph", elem_id="morph_title")
        with gr.Row(equal_height=False):
            with gr.Column(scale=2, min_width=320):
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
            with gr.Column(scale=3, min_width=420):
                self.video = gr.Video(label="Morph", autoplay=True, loop=True, elem_id="morph",
                                      interactive=False, height=330)
        gr.Markdown("### Saved designs", elem_id="saved_title")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                self.saved_table = gr.Dataframe(pd.DataFrame(columns=SAVED_COLUMNS), elem_id="saved_designs",
                                                label="Saved designs", show_label=False, interactive=False,
                                                wrap=True, max_height=240)
            with gr.Column(scale=2):
                self.export = gr.Button("Export saved designs (zip of PNGs + CSV + JSON)", elem_id="export")
                self.export_file = gr.File(label="Export", elem_id="export_file", interactive=False, visible=False)
        self.saved = gr.State([])

    # ---- handlers ----------------------------------------------------------------------
    def _model(self, model, visitor_id, request):
        return load_model(model, self.studio.visitor(visitor_id, request), self.studio.weights_dir)

    @handler
    def generate(self, model, seed, truncation, visitor_id: str = "", request: gr.Request = None):
        """The design for one seed: a PNG about 256 px wide (upscaled from the model's resolution)."""
        m = self._model(model, visitor_id, request)
        picture = m.design(_seed(seed), _truncation(truncation))
        return upscale(picture, _factor(m.config.resolution, DISPLAY), smooth=True)

    @handler
    def nearest_training(self, model, seed, truncation, visitor_id: str = "", request: gr.Request = None):
        """The training image nearest to the design for a seed, when the model keeps its training
        pictures (runs, and bundled models with dataset.safetensors): (image, text). The text says
        "near-copy of a training image" when the design is as close to one as training images are
        to each other. Models without training pictures give (None, "")."""
        visitor = self.studio.visitor(visitor_id, request)
        folder = resolve_model(model, visitor, self.studio.weights_dir)
        pictures = training_pictures(folder)
        if pictures is None:
            return None, ""
        m = CACHE.get(folder)
        seed, t = _seed(seed), _truncation(truncation)
        if pictures.shape[1:3] != (m.config.resolution,) * 2 or (pictures.ndim == 4) != (m.config.channels == 3):
            return None, "The training pictures kept with this model do not match its size; no comparison."
        near = metrics.nearest_training([m.design(seed, t)], pictures)[0]
        picture = pictures[near["index"]]
        if near["memorised"]:
            verdict = "**⚠ near-copy of a training image**: the generator may have memorised it."
        elif near["memorised"] is None:
            verdict = "(one training image only: no near-copy check)"
        else:
            verdict = "a new design, not a near-copy of a training image."
        text = (f"Seed {seed}: nearest of the {len(pictures)} training images is **#{near['index']}**, "
                f"distance {near['distance']:.2f}: {verdict}")
        # pixel for pixel (no smoothing): this is what the model was trained on
        return upscale(picture, _factor(m.config.resolution, NEAREST_DISPLAY), smooth=False), text

    @handler
    def make_variations(self, model, seed, truncation, visitor_id: str = "", request: gr.Request = None):
        """A 3x3 grid of the seeds around the current one (it sits in the middle)."""
        m = self._model(model, visitor_id, request)
        seed = _seed(seed)
        lo = min(max(0, seed - VARIATIONS // 2), MAX_SEED - VARIATIONS + 1)
        seeds = list(range(lo, lo + VARIATIONS))
        pictures = m.generate(seeds, _truncation(truncation))
        f = _factor(m.config.resolution, TILE)
        tiles = [(upscale(p, f, smooth=True), f"● {s}" if s == seed else str(s)) for p, s in zip(pictures, seeds)]
        return tiles, seeds

    @handler
    def pick_variation(self, seeds, evt: gr.SelectData):
        return seeds[evt.index] if seeds and 0 <= evt.index < len(seeds) else gr.skip()

    @handler
    def design_png(self, model, seed, truncation, scale, visitor_id: str = "", request: gr.Request = None):
        """The current design as a PNG file at 1x, 2x, 4x or 8x the model's resolution."""
        visitor = self.studio.visitor(visitor_id, request)
        m = self._model(model, visitor_id, request)
        scale = int(scale)
        if scale not in UPSCALES:
            raise UserError(f"PNG size must be one of {', '.join(map(str, UPSCALES))}; got {scale}.")
        seed, t = _seed(seed), _truncation(truncation)
        path = visitor.export_path(f"design-seed{seed}-t{t:g}-{scale}x.png")
        upscale(m.design(seed, t), scale, smooth=True).save(path, format="PNG")
        return str(path)

    @handler
    def random_seed(self):
        return random.randint(0, 999_999)

    @handler
    def add_current_seed(self, keyframes, seed):
        text = (keyframes or "").strip().rstrip(",")
        return f"{text}, {int(seed)}" if text else str(int(seed))

    @handler
    def morph(self, keyframes, frames, loop, model, truncation, visitor_id: str = "", request: gr.Request = None):
        """An animated slerp morph through the keyframe seeds: (MP4 to play, GIF file, MP4 file)."""
        seeds = parse_keyframes(keyframes)
        try:
            f = float(frames)
        except (TypeError, ValueError):
            f = math.nan
        if not (f.is_integer() and MIN_FRAMES <= f <= MAX_FRAMES):
            raise UserError(f"Frames must be a whole number between {MIN_FRAMES} and {MAX_FRAMES}; got {frames!r}.")
        frames = int(f)
        visitor = self.studio.visitor(visitor_id, request)
        m = self._model(model, visitor_id, request)
        pictures = m.morph(seeds, frames=frames, loop=bool(loop), truncation=_truncation(truncation))
        scale = _factor(m.config.resolution, DISPLAY)
        stem = "morph-" + "-".join(map(str, seeds[:6])) + ("-etc" if len(seeds) > 6 else "")
        mp4 = save_mp4(pictures, visitor.export_path(stem + ".mp4"), fps=MORPH_FPS, scale=scale)
        gif = save_gif(pictures, visitor.export_path(stem + ".gif"), fps=MORPH_FPS, scale=scale)
        return str(mp4), str(gif), str(mp4)

    @handler
    def save_design(self, model, seed, truncation, saved):
        """Add the current design (seed, truncation, model) to this session's saved list."""
        if not model:
            raise UserError("Pick a model first.")
        entry = {"seed": _seed(seed), "truncation": _truncation(truncation), "model": str(model)}
        saved = list(saved or [])
        if entry in saved:
            gr.Info("This design is already saved.")
        else:
            saved.append(entry)
        return saved, pd.DataFrame(saved, columns=SAVED_COLUMNS)

    @handler
    def export_designs(self, saved, scale, visitor_id: str = "", request: gr.Request = None):
        """A zip with a PNG per saved design plus designs.csv and designs.json."""
        if not saved:
            raise UserError("No saved designs yet: press ☆ Save design first.")
        visitor = self.studio.visitor(visitor_id, request)
        scale = int(scale)
        path = visitor.export_path("saved-designs.zip")
        rows = []
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for i, d in enumerate(saved):
                m = self._model(d["model"], visitor_id, request)
                name = f"design_{i + 1:02d}_seed{d['seed']}_{_slug(d['model'])}.png"
                buf = io.BytesIO()
                upscale(m.design(_seed(d["seed"]), _truncation(d["truncation"])), scale).save(buf, format="PNG")
                zf.writestr(name, buf.getvalue())
                rows.append({**d, "file": name})
            out = io.StringIO()
            writer = csv.DictWriter(out, fieldnames=["file", *SAVED_COLUMNS])
            writer.writeheader()
            writer.writerows(rows)
            zf.writestr("designs.csv", out.getvalue())
            zf.writestr("designs.json", json.dumps(rows, indent=2))
        return str(path)

    @handler
    def load_custom(self, path_or_repo, visitor_id: str = "", request: gr.Request = None):
        """Load a generator from a local folder or a Hub repository id and select it."""
        ref = (path_or_repo or "").strip()
        if not ref:
            raise UserError("Type a folder path or a Hub repository id (owner/name).")
        m = self._model(ref, visitor_id, request)
        return (f"Loaded `{ref}`: {m.config.resolution} px, "
                f"{'colour' if m.config.channels == 3 else 'grayscale'}, latent size {m.z_dim}.")

    @handler
    def first_design(self, model, seed, truncation, scale, visitor_id: str = "", request: gr.Request = None):
        """On page load: design, variations and PNG at once; nothing (and no toast) without a model."""
        if not model:
            return None, [], [], None, None, "", gr.Row(visible=False)
        tiles, seeds = self.make_variations(model, seed, truncation, visitor_id, request)
        try:
            near, text = self.nearest_training(model, seed, truncation, visitor_id, request)
        except gr.Error:
            near, text = None, ""
        return (self.generate(model, seed, truncation, visitor_id, request), tiles, seeds,
                self.design_png(model, seed, truncation, scale, visitor_id, request), near, text,
                gr.Row(visible=bool(text)))

    @handler
    def select_loaded(self, path_or_repo, visitor_id: str = "", request: gr.Request = None):
        return self.model_dropdown(visitor_id, request, value=(path_or_repo or "").strip())

    @handler
    def refresh_models(self, model, visitor_id: str = "", request: gr.Request = None):
        """The model picker's choices for this visitor, keeping the current model."""
        return self.model_dropdown(visitor_id, request, value=model)

    # ---- events ------------------------------------------------------------------------
    def wire(self, app):
        v = app.visitor
        design_inputs = [self.model, self.seed, self.truncation, v]
        fast = dict(concurrency_id="generate", concurrency_limit=4, show_progress="hidden")
        gen = gr.on([self.model.change, self.seed.change, self.seed.release, self.truncation.change,
                     self.truncation.release], self.generate, design_inputs, [self.design],
                    api_name="generate", trigger_mode="always_last", **fast)
        gen.success(self.nearest_training, design_inputs, [self.nearest, self.nearest_md],
                    api_name="nearest_training", concurrency_id="nearest", concurrency_limit=2,
                    show_progress="hidden") \
           .success(lambda text: gr.Row(visible=bool(text)), [self.nearest_md], [self.nearest_box],
                    api_visibility="private", queue=False)
        gen.success(self.make_variations, design_inputs, [self.variations, self.var_seeds],
                 api_name="variations", **fast) \
           .success(self.design_png, [self.model, self.seed, self.truncation, self.scale, v], [self.png],
                 api_name="design_png", **fast)
        self.scale.change(self.design_png, [self.model, self.seed, self.truncation, self.scale, v], [self.png],
                          api_visibility="private", **fast)
        self.variations.select(self.pick_variation, [self.var_seeds], [self.seed], api_visibility="private")
        self.random.click(self.random_seed, None, [self.seed], api_visibility="private", queue=False)
        self.add_seed.click(self.add_current_seed, [self.keyframes, self.seed], [self.keyframes],
                            api_visibility="private", queue=False)
        self.morph_btn.click(self.morph, [self.keyframes, self.frames, self.loop, self.model, self.truncation, v],
                             [self.video, self.gif_file, self.mp4_file], api_name="morph",
                             concurrency_id="generate", concurrency_limit=4, show_progress_on=[self.video]) \
            .success(lambda: (gr.DownloadButton(interactive=True),) * 2, None, [self.gif_file, self.mp4_file],
                     api_visibility="private", queue=False)
        self.save_btn.click(self.save_design, [self.model, self.seed, self.truncation, self.saved],
                            [self.saved, self.saved_table], api_name="save_design")
        self.export.click(self.export_designs, [self.saved, self.scale, v], [self.export_file],
                          api_name="export_designs") \
            .success(lambda: gr.File(visible=True), None, [self.export_file], api_visibility="private",
                     queue=False)
        self.load.click(self.load_custom, [self.model_path, v], [self.load_md], api_name="load_model") \
            .success(self.select_loaded, [self.model_path, v], [self.model], api_visibility="private")

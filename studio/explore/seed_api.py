"""Explore's seed API, kept from the first version: model + seed + truncation in, pictures out.

API endpoints only (no trigger in the page): /generate, /nearest_training, /variations,
/design_png, /design_svg. The page itself works on ``Design`` records (studio.explore.tab).
"""
from __future__ import annotations

import gradio as gr

from gan_core.data.images import upscale
from gan_core.design.generate import DesignModel
from gan_core.design.record import Design
from gan_core.design.render import render, render_many
from gan_core.export.vector import to_svg

from ..models_cache import training_pictures
from ..ui import handler
from .models import single_threaded
from . import view


class SeedApi:
    """The seed endpoints of an ExploreTab (its models, visitors and components)."""

    def __init__(self, tab):
        self.tab = tab

    def _seed_design(self, model, seed, truncation, visitor_id, request) -> tuple[Design, DesignModel]:
        m = self.tab.model_for(model, visitor_id, request)
        return Design.from_seed(model, view.seed_value(seed), m.z_dim, view.truncation_value(truncation)), m

    @handler
    def generate(self, model, seed, truncation, visitor_id: str = "", request: gr.Request = None):
        """The design for one seed: a PNG about 256 px wide (upscaled from the model's resolution)."""
        d, m = self._seed_design(model, seed, truncation, visitor_id, request)
        with single_threaded():
            return view.shown(render(d, m))

    @handler
    def variation_tiles(self, model, seed, truncation, visitor_id: str = "", request: gr.Request = None):
        """A 3x3 grid of the seeds around the current one (it sits in the middle)."""
        d, m = self._seed_design(model, seed, truncation, visitor_id, request)
        around, centre = view.neighbours(d, m.z_dim)
        with single_threaded():
            pictures = render_many(around, m)
        return view.variation_tiles(around, pictures, centre)

    @handler
    def nearest_training(self, model, seed, truncation, visitor_id: str = "", request: gr.Request = None):
        """The training image nearest to the design for a seed, when the model keeps its training
        pictures (runs, and bundled models with dataset.safetensors): (image, text). The text says
        "near-copy of a training image" when the design is as close to one as training images are
        to each other. Models without training pictures give (None, "")."""
        d, m = self._seed_design(model, seed, truncation, visitor_id, request)
        training = training_pictures(self.tab.resolver.folder(model, self.tab.studio.visitor(visitor_id, request)))
        return view.nearest_view(d, render(d, m), training, m.config.channels)

    @handler
    def design_png(self, model, seed, truncation, scale, visitor_id: str = "", request: gr.Request = None):
        """The design for a seed as a PNG file at 1x, 2x, 4x or 8x the model's resolution."""
        d, m = self._seed_design(model, seed, truncation, visitor_id, request)
        scale = view.scale_value(scale)
        path = self.tab.studio.visitor(visitor_id, request).export_path(f"{view.stem(d)}-t{d.truncation:g}-{scale}x.png")
        upscale(render(d, m), scale, smooth=True).save(path, format="PNG")
        return str(path)

    @handler
    def design_svg(self, design: dict, visitor_id: str = "", request: gr.Request = None) -> str:
        """A design as SVG text (vtracer: smooth curves, holes kept, speckles dropped; its symmetry
        applied). ``design``: a record from /board_list or {"model", "seed", "truncation", "symmetry"}."""
        d = self.tab.design_from(design, visitor_id, request)
        return to_svg(render(d, self.tab.model_for(d.model, visitor_id, request)))


    def wire(self, v) -> None:
        t = self.tab
        api = dict(concurrency_id="generate", concurrency_limit=4)
        seed_in = [t.model, t.seed, t.truncation, v]
        gr.on([], self.generate, seed_in, [t.design], api_name="generate", **api)
        gr.on([], self.nearest_training, seed_in, [t.nearest, t.nearest_md], api_name="nearest_training", **api)
        gr.on([], self.variation_tiles, seed_in, [t.variations], api_name="variations", **api)
        gr.on([], self.design_png, [t.model, t.seed, t.truncation, t.scale, v], [t.png], api_name="design_png",
              **api)
        gr.api(self.design_svg, api_name="design_svg", concurrency_id="generate", concurrency_limit=4)

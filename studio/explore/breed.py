"""Explore panel: breed saved designs (issue 11.3).

Two or more parents (saved designs, and the current design if the designer wants) give a
grid of children from ``gan_core.design.breed.breed``: a crossover of the parents' latents plus a
mutation whose strength is a slider, reproducible for its breeding seed. Clicking a child
makes it the current design, so it can be steered, saved and bred again ("the current
design" is one of the parent choices).
"""
from __future__ import annotations

import json

import gradio as gr

from gan_core.design.breed import CROSSOVERS, MAX_CHILDREN, breed
from gan_core.design.latent import MAX_SEED
from gan_core.design.render import render_many
from gan_core.errors import UserError

from .. import fields
from ..ui import handler
from .models import single_threaded
from .page_js import AFTER_PREVIEW
from .panel_util import TILE, api_design, board_designs, board_view, design_choices, design_of, saved_design, whole
from .view import shown

CHILDREN = 8             # the page's grid; /breed takes 1..MAX_CHILDREN
CURRENT = "current"      # the parent choice that stands for the current design


def number(value, name: str) -> float:
    """A number from the page or the API (the engine checks its range)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        raise UserError(f"{name} must be a number; got {value!r}.") from None


class BreedPanel:
    """Parents -> a gallery of children -> click one to make it current."""

    TOOL, TOOL_ID = "Breed", "breed"

    # ---- layout ------------------------------------------------------------------------
    def layout(self, tab) -> None:
        self.tab = tab
        with gr.Column(elem_id="breed_box"):
            gr.Markdown("Two or more parents (saved designs, or *the current design*): each child mixes their "
                        "latents and adds a random mutation. Click a child to make it the current design.",
                        elem_classes=["hint"])
            with gr.Row(equal_height=False):
                with gr.Column(scale=2, min_width=250):
                    self.parents = fields.Dropdown([("the current design", CURRENT)], value=[], multiselect=True,
                                                   label="Parents (two or more)", elem_id="breed_parents")
                    self.breed_btn = gr.Button(f"Breed {CHILDREN} children", variant="primary", elem_id="breed_btn")
                    self.mutation = fields.Slider(0, 1, value=0.3, step=0.05, label="Mutation (0: pure mixes)",
                                                  elem_id="breed_mutation")
                    with gr.Row(equal_height=True):
                        self.seed = fields.Number(0, label="Breeding seed", minimum=0, maximum=MAX_SEED,
                                                  info="same seed, same children", elem_id="breed_seed",
                                                  min_width=100)
                        self.crossover = fields.Radio(list(CROSSOVERS), value="slerp", label="Crossover",
                                                      info="slerp: between two parents; mask: each number from "
                                                      "one parent", elem_id="breed_crossover", min_width=120)
                    self.info = gr.Markdown(elem_id="breed_info")
                with gr.Column(scale=3, min_width=300):
                    self.children = gr.Gallery(label="Children (click one to make it the current design)", columns=4,
                                               height=380, format="png", allow_preview=False, object_fit="contain",
                                               elem_id="breed_children")
        self.kids = gr.State([])  # the children's Design.to_dict(), in gallery order
        with gr.Group(visible=False):  # /breed takes designs as JSON, not the page's choices
            self.api_parents = gr.Textbox(label="parents_json")
            self.api_children = fields.Number(label="children", value=CHILDREN)
            self.api_mutation = fields.Number(label="mutation", value=0.3)
            self.api_seed = fields.Number(label="seed", value=0)
            self.api_result = gr.Textbox(label="children_json")

    # ---- engine call -------------------------------------------------------------------
    def _breed(self, parents, count, mutation, seed, crossover, visitor_id, request):
        # no parents: no model to load; the engine says what is missing
        model = self.tab.model_for(parents[0].model, visitor_id, request) if parents else None
        kids = breed(parents, model, children=whole(count, "children", 1, MAX_CHILDREN),
                     mutation=number(mutation, "mutation"), seed=whole(seed, "Breeding seed", 0, MAX_SEED),
                     crossover=crossover)
        with single_threaded():  # a small render, as the tab's own
            return kids, render_many(kids, model)

    # ---- page handlers -----------------------------------------------------------------
    @handler
    def refresh_parents(self, chosen, visitor_id: str = "", request: gr.Request = None):
        """Parent choices: the current design and every saved one; chosen ones that are gone drop out."""
        choices = [("the current design", CURRENT), *design_choices(board_designs(self.tab, visitor_id, request))]
        ids = [c for _, c in choices]
        return gr.Dropdown(choices=choices, value=[c for c in chosen or [] if c in ids])

    @handler
    def breed_page(self, chosen, mutation, seed, crossover, current, visitor_id: str = "",
                   request: gr.Request = None):
        """Children of the chosen parents: gallery tiles, their designs and a line about them."""
        parents = []
        for c in chosen or []:
            d = design_of(current) if c == CURRENT else saved_design(self.tab, c, visitor_id, request)
            if d is None:
                raise UserError("The current design is not there yet: pick a model first.")
            parents.append(d)
        kids, pictures = self._breed(parents, CHILDREN, mutation, seed, crossover, visitor_id, request)
        tiles = [(shown(p, TILE), f"child {i + 1}") for i, p in enumerate(pictures)]
        return {self.children: tiles, self.kids: [k.to_dict() for k in kids],
                self.info: f"{len(kids)} children of {len(parents)} parents (seed {int(float(seed))}, mutation "
                           f"{float(mutation):g}, {crossover}). Click one to make it the current design."}

    @handler
    def pick_child(self, kids, visitor_id: str = "", request: gr.Request = None, evt: gr.SelectData = None):
        """The clicked child becomes the current design."""
        if evt is None or not kids or not 0 <= evt.index < len(kids):
            raise UserError("That child is gone; breed again.")
        return self.tab.open(kids[evt.index], visitor_id, request)

    # ---- API ---------------------------------------------------------------------------
    @handler
    def breed_api(self, parents_json: str, children, mutation, seed, visitor_id: str = "",
                  request: gr.Request = None):
        """Children of two or more parents: (gallery of their pictures at the model's resolution,
        JSON list of the children's designs). ``parents_json``: a JSON list of designs: records (as
        /board_list gives), short ones by seed ({"model": ..., "seed": ...}) or board ids."""
        try:
            items = json.loads(parents_json) if isinstance(parents_json, str) and parents_json.strip() else []
        except ValueError:
            raise UserError("parents_json is not JSON; pass a list of designs, e.g. [design_a, design_b].") from None
        if not isinstance(items, list):
            raise UserError("parents_json must be a JSON list of designs.")
        parents = [api_design(self.tab, d, f"parent {i + 1}", visitor_id, request) for i, d in enumerate(items)]
        kids, pictures = self._breed(parents, children, mutation, seed, "slerp", visitor_id, request)
        return ([(p, f"child {i + 1}") for i, p in enumerate(pictures)],
                json.dumps([k.to_dict() for k in kids]))

    # ---- events ------------------------------------------------------------------------
    def wire(self, tab, app) -> None:
        v = app.visitor
        self.breed_btn.click(self.breed_page, [self.parents, self.mutation, self.seed, self.crossover, tab.current,
                                               v],
                             [self.children, self.kids, self.info], api_visibility="private",
                             concurrency_id="generate", concurrency_limit=4, show_progress_on=[self.children])
        self.children.select(self.pick_child, [self.kids, v], tab.open_outputs, api_visibility="private",
                             queue=False, show_progress="hidden", js=AFTER_PREVIEW)  # (the fast path's picture first)
        board_view(tab).change(self.refresh_parents, [self.parents, v], [self.parents], api_visibility="private",
                               queue=False)
        gr.on([], self.breed_api, [self.api_parents, self.api_children, self.api_mutation, self.api_seed, v],
              [self.children, self.api_result], api_name="breed", concurrency_id="generate", concurrency_limit=4)

"""The model picker of the Explore tab: which generators a visitor can explore, and loading one.

``ModelPicker`` is a mixin of ``ExploreTab`` (it needs the tab's ``studio``, ``resolver``, ``moves``
and ``model`` components): the model a reference means for a visitor, the picker's choices
(bundled models and the visitor's runs), a folder or Hub id typed in, and a design an API caller
passed (a full record or a short one by seed).
"""
from __future__ import annotations

import json

import gradio as gr

from gan_core.design.generate import DesignModel
from gan_core.design.record import Design
from gan_core.errors import UserError
from gan_core.training.bases import base_label

from ..models_cache import bundled_models
from ..runs import list_runs
from ..ui import handler
from . import view

SEED_RECORD_FIELDS = ("symmetry", "edits", "directions", "name", "note", "star")


class ModelPicker:
    def model_for(self, ref: str, visitor_id: str = "", request: gr.Request | None = None) -> DesignModel:
        """The generator ``ref`` means for this visitor, resolved once per visitor and reference."""
        self.moves.remember_visitor(request, visitor_id)  # (for ``preview``, which names only its session)
        return self.resolver.model(ref, self.studio.visitor(visitor_id, request))

    def model_choices(self, visitor=None) -> list[tuple[str, str]]:
        choices = []
        # the bundled designs first, then the base models ("base: icons (64 px)"), which draw
        # the whole corpus's variety: a visitor with no data of their own sees designs at once
        for folder in sorted(bundled_models(self.studio.weights_dir), key=lambda f: base_label(f.name) is not None):
            label = base_label(folder.name)
            if label:
                choices.append((f"{label} · bundled", f"bundled/{folder.name}"))
                continue
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

    def design_from(self, record, visitor_id: str = "", request: gr.Request | None = None) -> Design:
        """A design from an API caller: a full record (``Design.to_dict()``, as /board_list gives) or
        a short one by seed: ``{"model": ..., "seed": ..., "truncation": ..., "symmetry": ...}``."""
        if isinstance(record, str):
            try:
                record = json.loads(record)
            except ValueError:
                raise UserError("design: expected a JSON object (a design record)") from None
        if isinstance(record, dict) and "latent" not in record and "seed" in record and record.get("model"):
            m = self.model_for(record["model"], visitor_id, request)
            rest = {k: v for k, v in record.items() if k not in ("model", "seed", "truncation")}
            return Design.from_seed(record["model"], view.seed_value(record["seed"]), m.z_dim,
                                    view.truncation_value(record.get("truncation", 1.0)),
                                    **{k: v for k, v in rest.items() if k in SEED_RECORD_FIELDS})
        return Design.from_dict(record)

    @handler
    def load_custom(self, path_or_repo, visitor_id: str = "", request: gr.Request = None):
        """Load a generator from a local folder or a Hub repository id and select it."""
        ref = (path_or_repo or "").strip()
        if not ref:
            raise UserError("Type a folder path or a Hub repository id (owner/name).")
        m = self.resolver.model(ref, self.studio.visitor(visitor_id, request), refresh=True)
        return (f"Loaded `{ref}`: {m.config.resolution} px, "
                f"{'colour' if m.config.channels == 3 else 'grayscale'}, latent size {m.z_dim}.")

    @handler
    def select_loaded(self, path_or_repo, visitor_id: str = "", request: gr.Request = None):
        return self.model_dropdown(visitor_id, request, value=(path_or_repo or "").strip())

    @handler
    def refresh_models(self, model, visitor_id: str = "", request: gr.Request = None):
        """The model picker's choices for this visitor, keeping the current model."""
        return self.model_dropdown(visitor_id, request, value=model)


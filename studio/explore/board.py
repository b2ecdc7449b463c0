"""The saved-designs panel (page side): save the current design, export the saved ones."""
from __future__ import annotations

import csv
import io
import json
import zipfile

import gradio as gr
import pandas as pd

from gan_core.design import Design, render
from gan_core.errors import UserError
from gan_core.images import upscale

from ..ui import handler
from . import view

SAVED_COLUMNS = ["seed", "truncation", "model"]


def _table(saved: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{k: d.get(k) for k in SAVED_COLUMNS} for d in saved], columns=SAVED_COLUMNS)


def _same(a: Design, b: Design) -> bool:
    """The same pixels: same model, latent, truncation, edits and symmetry."""
    return (a.model, a.truncation, a.edits, a.directions, a.symmetry) == \
        (b.model, b.truncation, b.edits, b.directions, b.symmetry) and bool((a.latent == b.latent).all())


class BoardPanel:
    def layout(self, tab):
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

    def wire(self, tab, app):
        v = app.visitor

        def add(d: Design, saved):
            saved = list(saved or [])
            if any(_same(Design.from_dict(s), d) for s in saved):
                gr.Info("This design is already saved.")
            else:
                saved.append(d.to_dict())
            return saved, _table(saved)

        @handler
        def save_current(current, saved):
            return add(tab.design_of(current), saved)

        @handler
        def save_design(model, seed, truncation, saved, visitor_id: str = "", request: gr.Request = None):
            """Add the design for a seed to this session's saved list."""
            if not model:
                raise UserError("Pick a model first.")
            m = tab.model_for(model, visitor_id, request)
            return add(Design.from_seed(model, view.seed_value(seed), m.z_dim, view.truncation_value(truncation)),
                       saved)

        @handler
        def export_designs(saved, scale, visitor_id: str = "", request: gr.Request = None):
            """A zip with a PNG per saved design plus designs.csv and designs.json."""
            if not saved:
                raise UserError("No saved designs yet: press ☆ Save design first.")
            scale = view.scale_value(scale, "Export size")
            visitor = tab.studio.visitor(visitor_id, request)
            path = visitor.export_path("saved-designs.zip")
            rows = []
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
                for i, entry in enumerate(saved):
                    d = Design.from_dict(entry)
                    m = tab.model_for(d.model, visitor_id, request)
                    tag = f"seed{d.seed}" if d.seed is not None else d.id
                    name = f"design_{i + 1:02d}_{tag}_{view.slug(d.model)}.png"
                    buf = io.BytesIO()
                    upscale(render(d, m), scale).save(buf, format="PNG")
                    zf.writestr(name, buf.getvalue())
                    rows.append({"file": name, **{k: entry.get(k) for k in SAVED_COLUMNS}})
                out = io.StringIO()
                writer = csv.DictWriter(out, fieldnames=["file", *SAVED_COLUMNS])
                writer.writeheader()
                writer.writerows(rows)
                zf.writestr("designs.csv", out.getvalue())
                zf.writestr("designs.json", json.dumps([{**r, **e} for r, e in zip(rows, saved)], indent=2))
            return str(path)

        tab.save_btn.click(save_current, [tab.current, self.saved], [self.saved, self.saved_table],
                           api_visibility="private", queue=False)
        gr.on([], save_design, [tab.model, tab.seed, tab.truncation, self.saved, v], [self.saved, self.saved_table],
              api_name="save_design")
        self.export.click(export_designs, [self.saved, tab.scale, v], [self.export_file],
                          api_name="export_designs") \
            .success(lambda: gr.File(visible=True), None, [self.export_file], api_visibility="private",
                     queue=False)

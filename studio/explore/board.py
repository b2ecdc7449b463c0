"""The design board panel (page side of gan_core.export.board): saved designs that last.

The board lives in the visitor's workspace (``Visitor.board``, one ``board.json``), so it
survives a reload and a server restart; two tabs saving at once lose nothing (the Board
locks). A tile click re-opens the design in Explore with its exact pixels; the selected
design can be renamed, annotated, starred or deleted; the board filters by model; an export
zip holds print PNGs, SVGs, designs.json, designs.csv and a contact sheet; a designs.json
imports back. The same actions are API endpoints (``/board_*``).
"""
from __future__ import annotations

import time
from pathlib import Path

import gradio as gr
import numpy as np

from gan_core.design.record import Design
from gan_core.design.render import render, render_many
from gan_core.errors import UserError
from gan_core.export.board import Board, export_board, import_designs
from gan_core.export.printpng import MAX_SIZE, MIN_SIZE

from .. import fields
from ..quota import BOARD_RESERVE_MB, check_room
from ..ui import handler
from . import view
from .page_js import AFTER_PREVIEW

ALL = ""                 # the model filter's "all models"
MAX_SKIPPED_SHOWN = 8    # an import lists at most this many skipped entries by name


def same_pixels(a: Design, b: Design) -> bool:
    """The same picture: same model, latent, truncation, edits and symmetry."""
    return (a.model, a.truncation, a.edits, a.directions, a.symmetry) == \
        (b.model, b.truncation, b.edits, b.directions, b.symmetry) and bool(np.array_equal(a.latent, b.latent))


def tile_caption(d: Design) -> str:
    return ("★ " if d.star else "") + (d.name or view.label(d))


class BoardPanel:
    TOOL, TOOL_ID = "Board", "board"

    # ---- layout ------------------------------------------------------------------------
    def strip(self, tab):
        """The saved designs, under the design's controls: always in view (a click opens one)."""
        self.gallery = gr.Gallery(label="Your board (click to open)", columns=4, height=150,
                                  format="png", elem_id="board", allow_preview=False, object_fit="contain")
        self.info = gr.Markdown("No saved designs yet: press ☆ Save design.", elem_id="board_info")

    def layout(self, tab):
        """The board's tool tab: filter, name, note, star, delete, export and import."""
        with gr.Row(equal_height=False, elem_id="board_box"):
            with gr.Column(scale=1, min_width=260):
                with gr.Row(equal_height=True):
                    self.filter = gr.Dropdown([("All models", ALL)], value=ALL, label="Model (filters the board)",
                                              scale=3, allow_custom_value=True, elem_id="board_filter")
                    self.starred = gr.Checkbox(False, label="★ starred only", scale=1, elem_id="board_starred")
                self.name = gr.Textbox(label="Name", max_lines=1, elem_id="board_name",
                                       placeholder="click a design on the board")
                self.note = gr.Textbox(label="Note", lines=2, max_lines=6, elem_id="board_note")
                with gr.Row(equal_height=True):
                    self.star = gr.Checkbox(False, label="★ Star", elem_id="board_star")
                    self.update_btn = gr.Button("Save changes", elem_id="board_update", size="md")
                    self.delete_btn = gr.Button("Delete", elem_id="board_delete", variant="stop", size="md")
            with gr.Column(scale=1, min_width=260, elem_id="board_io"):
                self.pick = gr.Dropdown([], value=[], multiselect=True, allow_custom_value=True,
                                        label="Designs to export (none picked: all shown)", elem_id="board_pick")
                with gr.Row(equal_height=True):
                    self.size = fields.Slider(MIN_SIZE, MAX_SIZE, value=512, step=64, label="Export PNG size (px)",
                                              elem_id="export_size")
                    self.transparent = gr.Checkbox(False, label="Transparent background",
                                                   elem_id="export_transparent")
                self.export = gr.Button("Export: zip of PNGs, SVGs, designs.json/.csv, contact sheet",
                                        elem_id="export")
                self.export_file = gr.File(label="Export", elem_id="export_file", interactive=False,
                                           visible=False)
                self.import_file = gr.File(label="Import a designs.json", file_types=[".json"],
                                           elem_id="board_import_file", height=100)
                self.import_md = gr.Markdown(elem_id="board_import_status")
        self.selected = gr.State(None)   # id of the design picked on the board
        self.shown_ids = gr.State([])    # the gallery's design ids, in order
        self.view_outputs = [self.gallery, self.shown_ids, self.filter, self.pick, self.info]

    # ---- helpers -----------------------------------------------------------------------
    def _board(self, tab, visitor_id, request) -> Board:
        return Board(tab.studio.visitor(visitor_id, request).board)

    def _pictures(self, tab, designs: list[Design], visitor_id, request) -> list:
        """Thumbnails, one batch per model; a design whose model is gone gets a blank tile."""
        out: list = [None] * len(designs)
        by_model: dict[str, list[int]] = {}
        for i, d in enumerate(designs):
            by_model.setdefault(d.model, []).append(i)
        for ref, idx in by_model.items():
            try:
                pictures = render_many([designs[i] for i in idx], tab.model_for(ref, visitor_id, request))
            except UserError:
                pictures = [np.full((64, 64), 230, np.uint8)] * len(idx)
            for i, p in zip(idx, pictures):
                out[i] = view.shown(p, view.TILE)
        return out

    def refresh(self, tab, model_filter, starred, visitor_id="", request=None) -> dict:
        """Updates of the board's view (gallery, filter, export picker, count)."""
        board = self._board(tab, visitor_id, request)
        everything = board.list()
        models = list(dict.fromkeys(d.model for d in everything))
        model_filter = model_filter if model_filter in models else ALL
        designs = board.list(model=model_filter or None, starred=True if starred else None)
        tiles = list(zip(self._pictures(tab, designs, visitor_id, request), map(tile_caption, designs)))
        filtered = len(designs) != len(everything)  # a filter only ever leaves some out
        shown = f"{len(designs)} shown" + (f" ({model_filter})" if model_filter else "") if filtered else ""
        info = (f"{len(everything)} design{'s' * (len(everything) != 1)} on your board"
                + (f", {shown}" if shown else "") + "." if everything else
                "No saved designs yet: press ☆ Save design.")
        return {self.gallery: tiles, self.shown_ids: [d.id for d in designs],
                self.filter: gr.Dropdown(choices=[("All models", ALL), *[(m, m) for m in models]], value=model_filter),
                self.pick: gr.Dropdown(choices=[(f"{tile_caption(d)} · {d.id}", d.id) for d in designs], value=[]),
                self.info: info}

    def checked_design(self, tab, design, visitor_id, request) -> Design:
        """A design record from a caller, drawable by its model for this visitor (else a UserError)."""
        d = design if isinstance(design, Design) else tab.design_from(design, visitor_id, request)
        render(d, tab.model_for(d.model, visitor_id, request))  # the model loads and takes this latent
        return d

    def save(self, tab, design, visitor_id, request) -> tuple[Design, bool]:
        """Put a design on the board: (the saved design, True) or (the one already there, False)."""
        d = self.checked_design(tab, design, visitor_id, request)
        board = self._board(tab, visitor_id, request)
        for old in board.list(model=d.model):
            if same_pixels(old, d):
                return old, False
        check_room(tab.studio.visitor(visitor_id, request), tab.studio.limits, BOARD_RESERVE_MB * 2**20, "A design")
        return board.add(d.replace(created=time.time())), True

    def export_to_zip(self, tab, ids, size, transparent, visitor_id, request, designs=None) -> str:
        board = self._board(tab, visitor_id, request)
        if designs is None:
            designs = [board.get(i) for i in ids] if ids else board.list()
        if not designs:
            raise UserError("No saved designs yet: press ☆ Save design first.")
        path = tab.studio.visitor(visitor_id, request).export_path(f"designs-{time.strftime('%Y%m%d-%H%M%S')}.zip")
        export_board(designs, lambda ref: tab.model_for(ref, visitor_id, request), path, png_size=size,
                     transparent=bool(transparent))
        return str(path)

    def import_json(self, tab, file, visitor_id, request) -> str:
        if not file:
            raise UserError("Pick a designs.json to import (from an export zip or another board).")

        def available(ref: str) -> bool:
            try:
                tab.model_for(ref, visitor_id, request)
                return True
            except UserError:
                return False

        check_room(tab.studio.visitor(visitor_id, request), tab.studio.limits,
                   BOARD_RESERVE_MB * 2**20 + 2 * Path(str(file)).stat().st_size, "This import")
        added, skipped = import_designs(str(file), self._board(tab, visitor_id, request), available)
        text = f"Imported {len(added)} design{'s' * (len(added) != 1)}."
        if skipped:
            names = []
            for entry, reason in skipped[:MAX_SKIPPED_SHOWN]:
                who = entry.get("name") or entry.get("id") or "an entry" if isinstance(entry, dict) else "an entry"
                names.append(f"- {who}: {reason}")
            more = f"\n- … and {len(skipped) - MAX_SKIPPED_SHOWN} more" if len(skipped) > MAX_SKIPPED_SHOWN else ""
            text += f" Skipped {len(skipped)}:\n" + "\n".join(names) + more
        return text

    # ---- events ------------------------------------------------------------------------
    def wire(self, tab, app):
        v = app.visitor
        filters = [self.filter, self.starred, v]
        private = dict(api_visibility="private", show_progress="hidden")

        @handler
        def show_board(model_filter, starred, visitor_id: str = "", request: gr.Request = None):
            return self.refresh(tab, model_filter, starred, visitor_id, request)

        @handler
        def save_current(current, model_filter, starred, visitor_id: str = "", request: gr.Request = None):
            d, added = self.save(tab, tab.design_of(current), visitor_id, request)
            gr.Info(f"Saved “{tile_caption(d)}” on your board." if added else "This design is already on your board.")
            return self.refresh(tab, model_filter, starred, visitor_id, request)

        @handler
        def select(shown_ids, visitor_id: str = "", request: gr.Request = None, evt: gr.SelectData = None):
            """A board tile clicked: it opens in Explore, and its name, note and star can be edited."""
            if evt is None or not shown_ids or not 0 <= evt.index < len(shown_ids):
                return {self.selected: gr.skip()}
            d = self._board(tab, visitor_id, request).get(shown_ids[evt.index])
            return {self.selected: d.id, self.name: d.name, self.note: d.note, self.star: d.star,
                    **tab.open(d.to_dict(), visitor_id, request)}

        @handler
        def update_selected(selected, name, note, star, model_filter, starred, visitor_id: str = "",
                            request: gr.Request = None):
            if not selected:
                raise UserError("Click a design on the board first.")
            self._board(tab, visitor_id, request).update(selected, name=name, note=note, star=bool(star))
            return self.refresh(tab, model_filter, starred, visitor_id, request)

        @handler
        def delete_selected(selected, model_filter, starred, visitor_id: str = "", request: gr.Request = None):
            if not selected:
                raise UserError("Click a design on the board first.")
            gone = self._board(tab, visitor_id, request).delete(selected)
            gr.Info(f"Deleted “{tile_caption(gone)}” from your board.")
            return {self.selected: None, self.name: "", self.note: "", self.star: False,
                    **self.refresh(tab, model_filter, starred, visitor_id, request)}

        @handler
        def board_export(design_ids, png_size, transparent, visitor_id: str = "", request: gr.Request = None):
            """A zip of the designs with these ids (none: the whole board): png/ (print PNGs of
            ``png_size`` px, 64-2048), svg/, designs.json, designs.csv, contact_sheet.pdf/.png."""
            return self.export_to_zip(tab, list(design_ids or []), png_size, transparent, visitor_id, request)

        @handler
        def export_shown(design_ids, png_size, transparent, shown_ids, visitor_id: str = "",
                         request: gr.Request = None):
            """The page's export: the picked designs, or all the board shows (its filter applies)."""
            return self.export_to_zip(tab, list(design_ids or shown_ids or []), png_size, transparent, visitor_id,
                                   request)

        @handler
        def export_designs(scale, visitor_id: str = "", request: gr.Request = None):
            """The first version's export (kept as an alias): the whole board, PNGs at 1x, 2x, 4x or 8x."""
            scale = view.scale_value(scale, "Export size")
            board = self._board(tab, visitor_id, request)
            designs = board.list()
            if not designs:
                raise UserError("No saved designs yet: press ☆ Save design first.")
            res = max(tab.model_for(d.model, visitor_id, request).config.resolution for d in designs)
            return self.export_to_zip(tab, [], min(MAX_SIZE, max(MIN_SIZE, scale * res)), False, visitor_id, request,
                                   designs=designs)

        @handler
        def board_import(file, visitor_id: str = "", request: gr.Request = None):
            """Restore designs from a designs.json; says which entries were skipped and why."""
            return self.import_json(tab, file, visitor_id, request)

        # the page
        app.visitor.change(show_board, filters, self.view_outputs, **private)  # the page's load sets it
        gr.on([self.filter.input, self.starred.change], show_board, filters, self.view_outputs, **private)
        app.usage_after(tab.save_btn.click(save_current, [tab.current, *filters], self.view_outputs, **private))
        self.gallery.select(select, [self.shown_ids, v],  # (the fast path's picture first: studio.explore.fast)
                            [self.selected, self.name, self.note, self.star, *tab.open_outputs], js=AFTER_PREVIEW,
                            **private)
        self.update_btn.click(update_selected, [self.selected, self.name, self.note, self.star, *filters],
                              self.view_outputs, **private)
        app.usage_after(self.delete_btn.click(delete_selected, [self.selected, *filters],
                                              [self.selected, self.name, self.note, self.star, *self.view_outputs],
                                              **private))
        self.export.click(export_shown, [self.pick, self.size, self.transparent, self.shown_ids, v],
                          [self.export_file], api_visibility="private") \
            .success(lambda: gr.File(visible=True), None, [self.export_file], api_visibility="private", queue=False)
        self.import_file.upload(board_import, [self.import_file, v], [self.import_md], api_name="board_import") \
            .success(show_board, filters, self.view_outputs, **private)

        # API only (no trigger in the page)
        gr.on([], board_export, [self.pick, self.size, self.transparent, v], [self.export_file],
              api_name="board_export")
        gr.on([], export_designs, [tab.scale, v], [self.export_file], api_name="export_designs")
        self._wire_json_api(tab)

    def _wire_json_api(self, tab):
        """Endpoints that take and give design records as JSON."""

        @handler
        def board_list(model: str = "", starred_only: bool = False, visitor_id: str = "",
                       request: gr.Request = None) -> list[dict]:
            """The board's designs (Design records, oldest first); ``model`` and ``starred_only`` filter."""
            board = self._board(tab, visitor_id, request)
            return [d.to_dict() for d in board.list(model=model or None, starred=True if starred_only else None)]

        @handler
        def board_save(design: dict, visitor_id: str = "", request: gr.Request = None) -> dict:
            """Save a design record (as /board_list gives them, or from a design.json) on the board;
            returns the saved record (a design already on the board is not saved twice)."""
            return self.save(tab, design, visitor_id, request)[0].to_dict()

        @handler
        def board_update(design_id: str, name: str | None = None, note: str | None = None,
                         star: bool | None = None, visitor_id: str = "", request: gr.Request = None) -> dict:
            """Rename, annotate or (un)star a design; a field left out keeps its value."""
            return self._board(tab, visitor_id, request).update(design_id, name=name, note=note, star=star).to_dict()

        @handler
        def board_delete(design_id: str, visitor_id: str = "", request: gr.Request = None) -> dict:
            """Remove a design from the board; returns its record."""
            return self._board(tab, visitor_id, request).delete(design_id).to_dict()

        @handler
        def save_design(model: str, seed: int, truncation: float = 1.0, visitor_id: str = "",
                        request: gr.Request = None) -> dict:
            """The first version's save (kept as an alias): the design for a seed, onto the board."""
            if not model:
                raise UserError("Pick a model first.")
            m = tab.model_for(model, visitor_id, request)
            d = Design.from_seed(model, view.seed_value(seed), m.z_dim, view.truncation_value(truncation))
            return self.save(tab, d, visitor_id, request)[0].to_dict()

        for fn in (board_list, board_save, board_update, board_delete, save_design):
            gr.api(fn, api_name=fn.__name__, concurrency_id="board", concurrency_limit=4)

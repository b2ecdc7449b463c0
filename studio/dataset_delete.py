"""Deleting a saved dataset: "Delete dataset…" under the Train tab's dataset picker (with a
confirmation, as for runs) and the ``/delete_dataset`` endpoint, one handler for both.

A quota message tells a visitor to "delete a run or a dataset": this is the page's way to do the
second. Runs keep their own copy of their pictures, so deleting a dataset never breaks a run; the
job queue refuses while a run waits for it or trains on it (``JobManager.delete_dataset``).
"""
from __future__ import annotations

import gradio as gr

from gan_core.errors import UserError

from .context import Studio
from .quota import folder_bytes, mb
from .ui import handler
from .workspace import check_name


class DatasetDeleter:
    def __init__(self, studio: Studio):
        self.studio = studio

    def layout(self) -> None:
        """The button and its confirmation, under the dataset picker."""
        self.ask = gr.Button("Delete dataset…", elem_id="delete_dataset", size="sm", variant="secondary")
        with gr.Group(visible=False, elem_id="confirm_dataset_box") as self.confirm_box:
            self.confirm_md = gr.Markdown(padding=True)
            with gr.Row():
                self.confirm = gr.Button("Delete it", variant="stop", elem_id="confirm_delete_dataset", size="md")
                self.cancel = gr.Button("Keep it", elem_id="cancel_delete_dataset", size="md")

    @handler
    def delete(self, name: str, visitor_id: str = "", request: gr.Request = None) -> str:
        """Delete one of this visitor's datasets and free its room (runs keep their own copy of their
        pictures); refused while a run waits for it or trains on it."""
        visitor = self.studio.visitor(visitor_id, request)
        if not (name or "").strip():
            raise UserError("Name the dataset to delete (see /list_datasets).")
        folder = visitor.dataset_dir(name)
        if not folder.is_dir():
            raise UserError(f"There is no dataset called {name!r}; pick one of yours (see /list_datasets).")
        freed = folder_bytes(folder)
        self.studio.manager.delete_dataset(folder)
        return f"Deleted dataset **{folder.name}** ({mb(freed)} freed)."

    @handler
    def ask_delete(self, name):
        if not (name or "").strip():
            raise UserError("Pick one of your datasets to delete.")
        return {self.confirm_box: gr.Group(visible=True),
                self.confirm_md: f"Delete dataset **{check_name(name, 'dataset')}**? Runs made from it keep "
                                 "their own copy of its pictures. This cannot be undone."}

    def wire(self, parts, tab) -> None:
        """Wired into the Train tab (``tab``): its dataset picker, notice and pickers' refresh."""
        v, page = parts.visitor, dict(api_visibility="private")
        self.ask.click(self.ask_delete, [tab.dataset], [self.confirm_box, self.confirm_md], queue=False, **page)
        self.cancel.click(lambda: gr.Group(visible=False), None, [self.confirm_box], queue=False, **page)
        parts.usage_after(
            self.confirm.click(self.delete, [tab.dataset, v], [tab.notice], concurrency_id="stop", **page)
            .success(lambda: gr.Group(visible=False), None, [self.confirm_box], queue=False, **page)
            .success(tab.refresh_keep, [tab.dataset, tab.runs, v], [tab.dataset, tab.runs], **page))
        gr.api(self.delete, api_name="delete_dataset", concurrency_id="stop")

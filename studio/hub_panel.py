"""The Train tab's "Push to the Hugging Face Hub" panel."""
from __future__ import annotations

import gradio as gr

from gan_core.errors import UserError

from .context import Studio
from .ui import handler


class HubPanel:
    """Repository id, a write token used for one push only, and the push button."""

    def __init__(self, studio: Studio):
        self.studio = studio

    def layout(self) -> None:
        with gr.Accordion("Push to the Hugging Face Hub", open=False):
            with gr.Row():
                self.repo_id = gr.Textbox(label="Repository id", placeholder="your-name/rim-designs",
                                          elem_id="repo_id", max_lines=1)
                self.token = gr.Textbox(label="Write token", type="password", elem_id="hf_token",
                                        max_lines=1, info="used for this push only; never stored")
            self.push = gr.Button("Push model", elem_id="push")
            self.status = gr.Markdown(elem_id="push_status", label="Push status")

    @handler
    def push_to_hub(self, run, repo_id, token, visitor_id: str = "", request: gr.Request = None):
        """Upload a run's model to the Hub. The token is used for this call only: never stored or
        logged, and the token box is emptied whatever the outcome."""
        token = (token or "").strip()
        try:
            message = self._push(run, repo_id, token, visitor_id, request)
        except UserError as e:
            msg = str(e).replace(token, "***") if token else str(e)
            gr.Warning(msg)
            message = f"**Not pushed:** {msg}"
        return {self.status: message, self.token: ""}

    def _push(self, run, repo_id, token, visitor_id, request) -> str:
        visitor = self.studio.visitor(visitor_id, request)
        if not run:
            raise UserError("Finish or stop a run first; then push it.")
        run_dir = visitor.run_dir(run)
        try:
            from gan_core.hub import transfer as hub
        except ImportError:
            raise UserError("Pushing to the Hub is not available in this installation "
                            "(gan_core.hub.transfer is missing).") from None
        repo_id = hub.check_repo_id(repo_id)
        if not token:  # never fall back to the server's own HF_TOKEN: the visitor pushes as themselves
            raise UserError("Paste a Hugging Face write token (hf_…) to push.")
        try:
            url = hub.push_run(run_dir, repo_id, token=token)
        except UserError:
            raise
        except Exception as e:  # network, permissions: say what (push_to_hub masks the token)
            raise UserError(f"Push failed: {str(e)[:300]}") from None
        link = url if isinstance(url, str) and url.startswith("http") else f"https://huggingface.co/{repo_id}"
        return f"Pushed to [{repo_id}]({link})."

    def wire(self, run, visitor) -> None:
        self.push.click(self.push_to_hub, [run, self.repo_id, self.token, visitor],
                        [self.status, self.token], api_name="push_to_hub")

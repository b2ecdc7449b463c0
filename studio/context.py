"""What every tab needs (the workspace, the bundled weights, the job manager) and the typed
object the tabs talk through."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from . import hosting
from .accounts import account_of, account_visitor_id
from .run_queue import MANAGER, JobManager
from .workspace import Visitor, Workspace, bundled_weights_dir, visitor_id_for

if TYPE_CHECKING:  # the tabs import this module
    import gradio as gr

    from .data_tab import DataTab
    from .explore import ExploreTab
    from .train_tab import TrainTab


@dataclass
class Studio:
    ws: Workspace = field(default_factory=Workspace.from_env)
    weights_dir: Path = field(default_factory=bundled_weights_dir)
    manager: JobManager = MANAGER
    limits: hosting.Limits = field(default_factory=hosting.load)

    def visitor_id(self, visitor_id: str | None, request=None) -> str:
        """Whose workspace a request reaches: a signed-in account's (whatever id it passes), else the
        browser's stored id, an API client's ``visitor_id`` argument, or (API without one) its session."""
        account = account_of(request)
        if account is not None:
            return account_visitor_id(account, self.ws.browser_secret())
        return visitor_id_for(visitor_id, request)

    def visitor(self, visitor_id: str | None, request=None) -> Visitor:
        return self.ws.visitor(self.visitor_id(visitor_id, request))


@dataclass
class AppParts:
    """What the tabs share once the page is laid out: how they talk to each other.

    Built by ``build_demo`` after every tab's ``layout()``; each tab's ``wire(parts)`` reads the
    components of the others it needs from here (Data selects the saved dataset in Train's
    picker, Train opens a run in Explore)."""
    tabs: "gr.Tabs"
    visitor: "gr.Textbox"            # the visitor id (hidden; filled on page load)
    data: "DataTab"
    train: "TrainTab"
    explore: "ExploreTab"
    usage: "gr.Markdown"             # the header's line: what this visitor's workspace uses
    show_usage: Callable             # (visitor_id, request) -> that line's text

    def usage_after(self, event) -> None:
        """Refresh the usage line once ``event`` (something that writes or deletes the visitor's
        files) has run, refused or not: a quota the page quotes must be the one the next write sees."""
        event.then(self.show_usage, [self.visitor], [self.usage], api_visibility="private",
                   show_progress="hidden")

"""What every tab needs (the workspace, the bundled weights, the job manager) and the typed
object the tabs talk through."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

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

    def visitor(self, visitor_id: str | None, request=None) -> Visitor:
        """The visitor a request belongs to: the browser's stored id, an API client's
        ``visitor_id`` argument, or (API without one) its session."""
        return self.ws.visitor(visitor_id_for(visitor_id, request))


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

"""What every tab needs: the workspace, the bundled weights and the job manager."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .jobs import MANAGER, JobManager
from .workspace import Visitor, Workspace, bundled_weights_dir, visitor_id_for


@dataclass
class Studio:
    ws: Workspace = field(default_factory=Workspace.from_env)
    weights_dir: Path = field(default_factory=bundled_weights_dir)
    manager: JobManager = MANAGER

    def visitor(self, visitor_id: str | None, request=None) -> Visitor:
        """The visitor a request belongs to: the browser's stored id, an API client's
        ``visitor_id`` argument, or (API without one) its session."""
        return self.ws.visitor(visitor_id_for(visitor_id, request))

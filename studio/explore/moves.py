"""When each browser session last moved a slider, so work for a design already left is skipped.

A slider move shows its picture at once; what surrounds it (variations, the SVG trace, the
nearest training image, the steer strips) follows once the picture is on the page and the
visitor has paused for ``SETTLE_MS`` (the page waits that long before asking). When the server
sees such a request but the same session moved again within the last ``SETTLE_MS``, the visitor
did not pause: drawing would only take the CPU (and the browser's paint) from the next move's
picture, and that newer move asks for its own surroundings once it settles. So the request is
answered with "nothing to change".

Only slider moves are recorded; a session that never moved (an API client) is never skipped.
The log also remembers which visitor each page session belongs to, for the page's fast picture
requests (``ExploreTab.preview``), which name only their session.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict

SESSIONS = 1024    # browser sessions remembered (least recently moved dropped first)
SETTLE_MS = 300    # the pause after a picture loads before its surroundings are drawn


class MoveLog:
    """session -> the time of its latest slider move."""

    def __init__(self, sessions: int = SESSIONS, settle_ms: float = SETTLE_MS, clock=time.monotonic):
        self.sessions, self.settle, self.clock = sessions, settle_ms / 1000, clock
        self._moved: OrderedDict[str, float] = OrderedDict()
        self._visitors: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _session(request) -> str | None:
        return getattr(request, "session_hash", None) if request is not None else None

    def record(self, request) -> None:
        """``request``'s session moved a slider just now."""
        session = self._session(request)
        if session is None:
            return
        with self._lock:
            self._moved.pop(session, None)
            self._moved[session] = self.clock()
            while len(self._moved) > self.sessions:
                self._moved.popitem(last=False)

    def remember_visitor(self, request, visitor_id: str) -> None:
        """``request``'s page session belongs to ``visitor_id`` (the page sends it with every event)."""
        session = self._session(request)
        if session is None or not visitor_id:
            return
        with self._lock:
            if self._visitors.get(session) == visitor_id:
                self._visitors.move_to_end(session)
                return
            self._visitors[session] = visitor_id
            while len(self._visitors) > self.sessions:
                self._visitors.popitem(last=False)

    def visitor(self, request) -> str | None:
        """The visitor id a page session last sent (None for a session never seen)."""
        session = self._session(request)
        with self._lock:
            return self._visitors.get(session) if session is not None else None

    def unsettled(self, request) -> bool:
        """True when the session moved within the last SETTLE_MS: it has not paused, and its
        latest move will ask for the surroundings itself."""
        session = self._session(request)
        if session is None:
            return False
        with self._lock:
            last = self._moved.get(session)
        return last is not None and self.clock() - last < self.settle

"""Signed-in visitors: a workspace keyed by the account, not by the id in the page.

Two kinds of sign-in reach a handler through its ``gr.Request``:

- Gradio's password login (``launch(auth=...)``, ``studio.hosting.password_auth``):
  ``request.username``.
- Hugging Face sign-in on a Space (``gr.LoginButton``, ``hf_oauth: true``): the profile Gradio
  keeps in the signed session cookie (``oauth_info.userinfo.preferred_username``).

The account's workspace id is an HMAC of the account under the server's secret: stable across
browsers and restarts, not derivable by anyone else, and prefixed ``ACCOUNT_PREFIX``, which a
chosen ``visitor_id`` may not use. A signed-in caller's ``visitor_id`` argument is ignored, so no
API argument reaches another workspace.
"""
from __future__ import annotations

import hashlib
import hmac
import time

ACCOUNT_PREFIX = "acct_"


def _oauth_username(request) -> str | None:
    """The Hugging Face username in the request's session, if signed in and not expired."""
    underlying = getattr(request, "request", None) or request
    scope = getattr(underlying, "scope", None)
    session = scope.get("session") if isinstance(scope, dict) else getattr(underlying, "session", None)
    if not isinstance(session, dict):
        return None
    info = session.get("oauth_info")
    if not isinstance(info, dict):
        return None
    if info.get("expires_at") is not None and info["expires_at"] < time.time():
        return None
    name = (info.get("userinfo") or {}).get("preferred_username")
    return name if isinstance(name, str) and name else None


def account_of(request) -> str | None:
    """"hf:<username>" or "user:<name>" for a signed-in request; None for an anonymous one."""
    if request is None:
        return None
    name = _oauth_username(request)
    if name:
        return f"hf:{name}"
    try:
        user = getattr(request, "username", None)
    except Exception:  # a request object without one
        user = None
    return f"user:{user}" if isinstance(user, str) and user else None


def account_visitor_id(account: str, secret: str) -> str:
    """The workspace id of ``account``: ACCOUNT_PREFIX + 32 hex digits of HMAC-SHA256."""
    return ACCOUNT_PREFIX + hmac.new(secret.encode(), account.encode(), hashlib.sha256).hexdigest()[:32]

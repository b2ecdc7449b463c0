"""The limits of a shared deployment (a public Space, a team's server), read from the
environment in one place and checked when the app starts.

Locally (``python app.py``, no ``SPACE_ID``, none of the variables set) nothing is limited and
nothing expires, as for one designer on a laptop. On a Space (``SPACE_ID`` set) the
``SPACE_DEFAULTS`` apply; any variable overrides its default, and ``0`` turns a limit off.

A bad value (negative, not a number, a users file that is missing) stops the start with a
message that names the variable: ``app.py`` prints it and exits.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from gan_core.errors import UserError

DISK_QUOTA = "STUDIO_DISK_QUOTA_MB"          # per visitor: uploads + datasets + runs + board
MAX_RUN = "STUDIO_MAX_RUN_MINUTES"           # the longest a run may train
RUNS_PER_VISITOR = "STUDIO_RUNS_PER_VISITOR"  # runs a visitor may have waiting or training at once
MAX_WAITING = "STUDIO_MAX_WAITING"            # runs allowed to wait behind the training one
EXPIRE_DAYS = "STUDIO_EXPIRE_DAYS"            # workspaces untouched this long are deleted
SIGN_IN = "STUDIO_SIGN_IN"                    # "hf" (Hugging Face sign-in) or "none"
USERS_FILE = "STUDIO_USERS_FILE"              # a file of "name:password" lines: Gradio's login page

# On a Space. A free CPU Space has 50 GB of (temporary) disk and 2 cores; these let ~20 visitors
# keep a few datasets and runs each, and no one hold the trainer for more than an hour.
SPACE_DEFAULTS = {DISK_QUOTA: "2000", MAX_RUN: "60", RUNS_PER_VISITOR: "1", MAX_WAITING: "10",
                  EXPIRE_DAYS: "0"}
LOCAL_DEFAULTS = {DISK_QUOTA: "0", MAX_RUN: "0", RUNS_PER_VISITOR: "1", MAX_WAITING: "3", EXPIRE_DAYS: "0"}


@dataclass(frozen=True)
class Limits:
    disk_quota_mb: float | None = None     # None: no quota
    max_run_minutes: float | None = None   # None: a run may use the engine's longest budget (7 days)
    runs_per_visitor: int = 1              # waiting or training at once
    max_waiting: int = 3                   # the queue behind the training run
    expire_days: float | None = None       # None: nothing expires
    sign_in: str = "none"                  # "hf": a Hugging Face sign-in button (a Space with hf_oauth)
    users_file: Path | None = None         # Gradio password login from this file
    shared: bool = False                   # on a Space or with any limit set (the page says so)

    @property
    def quota_bytes(self) -> int | None:
        return None if self.disk_quota_mb is None else int(self.disk_quota_mb * 2**20)


def _number(env: Mapping[str, str], name: str, default: str, unit: str, hi: float,
            whole: bool = False, zero_is_off: bool = True) -> float | None:
    text = (env.get(name) or "").strip() or default
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        kind = "a whole number" if whole else "a number"
        raise UserError(f"{name}={text!r} is not {kind} of {unit}") from None
    if value != value or value < 0 or value > hi or (value == 0 and not zero_is_off):
        low = "0 (off)" if zero_is_off else "1"
        raise UserError(f"{name} must be between {low} and {hi:,.0f} {unit}; got {text}")
    return None if (zero_is_off and value == 0) else value


def load(env: Mapping[str, str] | None = None) -> Limits:
    """The limits this process runs under, from ``env`` (default: ``os.environ``)."""
    env = os.environ if env is None else env
    on_space = bool(env.get("SPACE_ID"))
    d = SPACE_DEFAULTS if on_space else LOCAL_DEFAULTS
    quota = _number(env, DISK_QUOTA, d[DISK_QUOTA], "MB", 10**7)
    max_run = _number(env, MAX_RUN, d[MAX_RUN], "minutes", 7 * 24 * 60)
    per_visitor = int(_number(env, RUNS_PER_VISITOR, d[RUNS_PER_VISITOR], "runs", 100, whole=True,
                              zero_is_off=False))
    waiting = int(_number(env, MAX_WAITING, d[MAX_WAITING], "runs", 1000, whole=True, zero_is_off=False))
    expire = _number(env, EXPIRE_DAYS, d[EXPIRE_DAYS], "days", 10 * 365)
    sign_in = (env.get(SIGN_IN) or "").strip().lower() or ("hf" if on_space and env.get("OAUTH_CLIENT_ID")
                                                          else "none")
    if sign_in not in ("hf", "none"):
        raise UserError(f"{SIGN_IN} must be 'hf' (Hugging Face sign-in) or 'none'; got {env.get(SIGN_IN)!r}")
    users = None
    if (env.get(USERS_FILE) or "").strip():
        users = Path(env[USERS_FILE].strip()).expanduser()
        read_users(users)  # a missing or malformed file stops the start
    shared = on_space or any((env.get(k) or "").strip() for k in (DISK_QUOTA, MAX_RUN, EXPIRE_DAYS, USERS_FILE))
    return Limits(quota, max_run, per_visitor, waiting, expire, sign_in, users, shared)


def read_users(path: Path) -> dict[str, str]:
    """``name:password`` per line (``#`` comments and blank lines skipped) -> {name: password}."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise UserError(f"{USERS_FILE}={str(path)!r} cannot be read ({e.strerror or e})") from None
    users: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, password = line.partition(":")
        if not sep or not name.strip() or not password:
            raise UserError(f"{USERS_FILE}: line {number} of {path} is not 'name:password'")
        users[name.strip()] = password
    if not users:
        raise UserError(f"{USERS_FILE}: {path} names no users (one 'name:password' per line)")
    return users


def password_auth(limits: Limits):
    """Gradio's ``auth=`` for ``launch``: a function that checks a name and password against the
    users file (read at each login, so a changed file needs no restart); None without one."""
    if limits.users_file is None:
        return None
    import hmac

    def check(name: str, password: str) -> bool:
        try:
            expected = read_users(limits.users_file).get(name)
        except UserError:
            return False
        return expected is not None and hmac.compare_digest(expected.encode(), (password or "").encode())
    return check


def limit_run_length(cfg, limits: Limits):
    """``cfg`` (a gan_core TrainConfig) within the longest run: a minutes budget over the limit
    is refused, naming it; a steps budget gets the limit as a second, time budget (the trainer
    stops at whichever comes first)."""
    most = limits.max_run_minutes
    if most is None:
        return cfg
    if cfg.minutes is not None and cfg.minutes > most:
        raise UserError(f"A run may train for at most {most:g} minutes on this studio ({MAX_RUN}); this one asks "
                        f"for {cfg.minutes:g}. Choose a budget of {most:g} minutes or less (you can resume "
                        "the run afterwards).")
    if cfg.minutes is None:
        return cfg.replace(minutes=float(most), steps=cfg.steps)
    return cfg


def load_or_exit(env: Mapping[str, str] | None = None) -> Limits:
    """``load()``, or exit with its message (``app.py``: a bad setting stops the start)."""
    try:
        return load(env)
    except UserError as e:
        import sys
        print(f"Design Studio cannot start: {e}", file=sys.stderr)
        raise SystemExit(2) from None

"""The limits of a shared deployment without a server: settings, quota, expiry, accounts, the queue.

The same rules through the real app (two signed-in accounts, refusals in the page's API) are in
tests/test_shared_app.py.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from gan_core.data.datasets import save_dataset
from gan_core.errors import UserError
from helpers import tiny_train
from studio import hosting
from studio.accounts import ACCOUNT_PREFIX, account_of, account_visitor_id
from studio.hosting import Limits, limit_run_length
from studio.jobs import Job
from studio.quota import check_room, expire_workspaces, usage, usage_markdown
from studio.run_queue import JobManager
from studio.train_view import status_html
from studio.workspace import Workspace, visitor_id_for

REPO = Path(__file__).resolve().parent.parent
KEY = "k" * 30


# ---- settings -------------------------------------------------------------------------------
def test_locally_nothing_is_limited_and_nothing_expires():
    limits = hosting.load({})
    assert limits == Limits()  # the defaults: no quota, no longest run, one run per visitor, queue of 3
    assert not limits.shared and limits.sign_in == "none"


def test_on_a_space_the_space_defaults_apply_and_a_variable_overrides_them():
    limits = hosting.load({"SPACE_ID": "me/studio", "OAUTH_CLIENT_ID": "x"})
    assert (limits.disk_quota_mb, limits.max_run_minutes, limits.runs_per_visitor) == (2000, 60, 1)
    assert limits.sign_in == "hf" and limits.shared and limits.expire_days is None
    mine = hosting.load({"SPACE_ID": "me/studio", hosting.DISK_QUOTA: "0", hosting.EXPIRE_DAYS: "30",
                         hosting.SIGN_IN: "none"})
    assert mine.disk_quota_mb is None and mine.expire_days == 30 and mine.sign_in == "none"


@pytest.mark.parametrize("name,value,words", [
    (hosting.DISK_QUOTA, "-5", "between 0 (off)"),
    (hosting.DISK_QUOTA, "lots", "is not a number of MB"),
    (hosting.MAX_RUN, "nan", "between"),
    (hosting.RUNS_PER_VISITOR, "0", "between 1"),
    (hosting.RUNS_PER_VISITOR, "1.5", "is not a whole number"),
    (hosting.EXPIRE_DAYS, "-1", "between"),
    (hosting.SIGN_IN, "google", "must be 'hf'"),
    (hosting.USERS_FILE, "/no/such/users.txt", "cannot be read"),
])
def test_a_nonsense_setting_is_refused_naming_the_variable(name, value, words):
    with pytest.raises(UserError, match=name) as e:
        hosting.load({name: value})
    assert words in str(e.value)


def test_a_users_file_without_a_colon_is_refused_with_its_line(tmp_path):
    users = tmp_path / "users.txt"
    users.write_text("# team\nalice:secret-1\nbob\n")
    with pytest.raises(UserError, match="line 3"):
        hosting.load({hosting.USERS_FILE: str(users)})
    users.write_text("alice:secret-1\n")
    check = hosting.password_auth(hosting.load({hosting.USERS_FILE: str(users)}))
    assert check("alice", "secret-1") and not check("alice", "secret-2") and not check("bob", "secret-1")


def test_app_refuses_to_start_with_a_bad_setting_and_names_it(tmp_path):
    env = {**os.environ, hosting.DISK_QUOTA: "-1", "STUDIO_WORKSPACE": str(tmp_path)}
    env.pop("SPACE_ID", None)
    done = subprocess.run([sys.executable, "app.py"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2
    assert "cannot start" in done.stderr and "STUDIO_DISK_QUOTA_MB" in done.stderr
    assert not (tmp_path / "visitors").exists()  # it stopped before making anything


# ---- the longest run ------------------------------------------------------------------------
def test_a_run_longer_than_the_limit_is_refused_naming_the_limit():
    limits = Limits(max_run_minutes=30)
    with pytest.raises(UserError, match=r"at most 30 minutes .*STUDIO_MAX_RUN_MINUTES.*asks for 45"):
        limit_run_length(tiny_train(steps=None, minutes=45), limits)
    assert limit_run_length(tiny_train(steps=None, minutes=30), limits).minutes == 30
    capped = limit_run_length(tiny_train(steps=10**6), limits)  # a steps budget also stops at the limit
    assert (capped.steps, capped.minutes) == (10**6, 30)
    assert limit_run_length(tiny_train(steps=None, minutes=600), Limits()).minutes == 600  # local: as asked


# ---- quota ----------------------------------------------------------------------------------
def test_quota_refuses_with_the_numbers_and_counts_every_part(tmp_path):
    v = Workspace(tmp_path, "custom").visitor(KEY)
    (v.uploads / "a.bin").write_bytes(b"x" * 300_000)
    (v.runs / "r1").mkdir()
    (v.runs / "r1" / "ckpt").write_bytes(b"x" * 600_000)
    v.board.mkdir()
    (v.board / "board.json").write_bytes(b"x" * 100_000)
    assert usage(v)["total"] == 1_000_000
    limits = Limits(disk_quota_mb=1)
    check_room(v, limits, 48_000, "A design")  # 1,048,576 - 1,000,000 left
    with pytest.raises(UserError) as e:
        check_room(v, limits, 500_000, "This upload")
    assert str(e.value).startswith("This upload needs 488 KB; you have 47 KB of your 1 MB left (runs 586 KB, ")
    assert str(e.value).endswith("delete a run or a dataset. Nothing was saved.")
    check_room(v, limits, 340_000, "This upload", replaces="uploads")  # a new upload replaces the old one
    check_room(v, Limits(), 10**12, "Anything")  # no quota: never refused
    assert "of your 1 MB" in usage_markdown(v, limits) and "Your workspace" in usage_markdown(v, Limits())


def test_quota_message_reads_in_mb_and_gb(tmp_path):
    v = Workspace(tmp_path, "custom").visitor(KEY)
    (v.datasets / "d").mkdir()
    with open(v.datasets / "d" / "big", "wb") as f:  # sparse: 1.9 GB on paper
        f.truncate(1900 * 2**20)
    with pytest.raises(UserError, match=r"^This upload needs 310 MB; you have 100 MB of your 2 GB left.*"
                                        r"delete a dataset"):
        check_room(v, Limits(disk_quota_mb=2000), 310 * 2**20, "This upload")


# ---- expiry ---------------------------------------------------------------------------------
def test_expiry_deletes_old_workspaces_but_spares_running_runs_and_fresh_ones(tmp_path):
    ws = Workspace(tmp_path, "custom")
    old, running, fresh = (ws.visitor(c * 30) for c in "abc")
    for v in (old, running, fresh):
        v.touch()
        (v.runs / "r").mkdir()
    ten_days_ago = time.time() - 10 * 86400
    for v in (old, running):
        os.utime(v.root / ".last_seen", (ten_days_ago, ten_days_ago))
    assert expire_workspaces(ws, Limits(), keep=set()) == []  # no expiry set: nothing goes
    gone = expire_workspaces(ws, Limits(expire_days=7), keep={running.id})
    assert gone == [old.id] and not old.root.exists()
    assert (running.runs / "r").is_dir() and (fresh.runs / "r").is_dir()
    note = usage_markdown(fresh, Limits(expire_days=7))
    assert "untouched for 7 days" in note and "export the board" in note and "push a model to the Hub" in note
    assert usage_markdown(running, Limits(expire_days=12)).startswith("⚠️")  # less than a week left


# ---- accounts -------------------------------------------------------------------------------
def oauth_request(username, expires_in=3600):
    info = {"userinfo": {"preferred_username": username}, "expires_at": time.time() + expires_in}
    return SimpleNamespace(request=SimpleNamespace(scope={"session": {"oauth_info": info}}), username=None,
                           session_hash="abcdefgh123")


def test_a_signed_in_account_has_one_workspace_id_in_every_browser_and_another_account_another():
    a1, a2, b = oauth_request("alice"), oauth_request("alice"), oauth_request("bob")
    assert account_of(a1) == account_of(a2) == "hf:alice" and account_of(b) == "hf:bob"
    assert account_of(oauth_request("alice", expires_in=-1)) is None  # an expired sign-in is anonymous
    assert account_of(SimpleNamespace(username="carol", session_hash="x")) == "user:carol"  # Gradio's login
    ids = {account_visitor_id(account_of(r), "secret") for r in (a1, a2)}
    assert len(ids) == 1 and ids.pop().startswith(ACCOUNT_PREFIX)
    assert account_visitor_id("hf:alice", "secret") != account_visitor_id("hf:bob", "secret")
    assert account_visitor_id("hf:alice", "secret") != account_visitor_id("hf:alice", "other-server")


def test_a_request_cannot_name_an_account_workspace():
    forged = account_visitor_id("hf:alice", "guessed-secret")
    with pytest.raises(UserError, match="belong to signed-in accounts"):
        visitor_id_for(forged, SimpleNamespace(session_hash="abcdefgh123"))
    assert visitor_id_for(forged, None) == forged  # the studio's own calls (no request) may


# ---- the queue ------------------------------------------------------------------------------
class IdleManager(JobManager):
    """A queue whose worker never starts: what submit, stop and delete do to waiting jobs."""

    def _ensure_worker(self) -> None:
        pass


@pytest.fixture()
def dataset_dir(tmp_path):
    return save_dataset((np.random.default_rng(0).random((4, 16, 16)) * 255).astype(np.uint8), None,
                        tmp_path / "ds")


def job(tmp_path, dataset_dir, visitor, name, minutes=10.0):
    cfg = tiny_train(steps=None, minutes=minutes)
    return Job(visitor, name, tmp_path / visitor / name, cfg, dataset_dir)


def test_one_run_per_visitor_and_each_waiting_visitor_sees_position_and_start(tmp_path, dataset_dir):
    m = IdleManager(max_waiting=10, per_visitor=1)
    running = m.submit(job(tmp_path, dataset_dir, "visitor-a" * 3, "a1", minutes=20))
    m._take()  # the worker takes it: it trains
    running.seconds, running.eta_seconds = 300.0, None
    b = m.submit(job(tmp_path, dataset_dir, "visitor-b" * 3, "b1", minutes=10))
    c = m.submit(job(tmp_path, dataset_dir, "visitor-c" * 3, "c1"))
    with pytest.raises(UserError, match="already have b1 \\(waiting\\); each visitor may have one run"):
        m.submit(job(tmp_path, dataset_dir, "visitor-b" * 3, "b2"))
    assert (m.position(b), m.position(c)) == (1, 2)
    # 20 min budget - 5 min done + 2 min finish; then b's 10 min + 2 min
    assert m.wait_seconds(b) == pytest.approx(17 * 60)
    assert m.wait_seconds(c) == pytest.approx(29 * 60)
    html = status_html(b.snapshot(), m.position(b), m.wait_seconds(b))
    assert "position 1 in the queue" in html and "starts in about 17 min" in html and "UTC" in html
    m2 = IdleManager(per_visitor=2)
    m2.submit(job(tmp_path, dataset_dir, "visitor-d" * 3, "d1"))
    m2.submit(job(tmp_path, dataset_dir, "visitor-d" * 3, "d2"))  # a deployment may allow two


def test_stop_or_delete_takes_a_waiting_run_out_of_the_queue_at_once(tmp_path, dataset_dir):
    m = IdleManager(max_waiting=10)
    first = m.submit(job(tmp_path, dataset_dir, "visitor-a" * 3, "a1"))
    m._take()
    waiting_b = m.submit(job(tmp_path, dataset_dir, "visitor-b" * 3, "b1"))
    waiting_c = m.submit(job(tmp_path, dataset_dir, "visitor-c" * 3, "c1"))
    assert m.stop(waiting_b) == "Removed your run from the queue."
    assert waiting_b.state == "cancelled" and m.position(waiting_c) == 1
    m.delete_run(waiting_c.run_dir)  # its folder does not exist yet: it only leaves the queue
    assert waiting_c.state == "cancelled" and list(m.waiting) == []
    with pytest.raises(UserError, match="is training; stop it"):
        m.delete_run(first.run_dir)


def test_a_dataset_a_run_waits_for_or_trains_on_is_not_deleted(tmp_path, dataset_dir):
    m = IdleManager(max_waiting=10)
    training = m.submit(job(tmp_path, dataset_dir, "visitor-a" * 3, "a1"))
    m._take()
    waiting = m.submit(job(tmp_path, dataset_dir, "visitor-b" * 3, "b1"))
    with pytest.raises(UserError, match=r"Run a1 is training on it; stop it before deleting dataset ds\. "
                                        r"Nothing was deleted\."):
        m.delete_dataset(dataset_dir)
    m._end(training, "finished")  # the worker ends it
    with pytest.raises(UserError, match=r"Run b1 waits to train on it; stop it before deleting dataset ds"):
        m.delete_dataset(dataset_dir)
    assert (dataset_dir / "dataset.json").is_file()  # both refusals left it whole
    m.stop(waiting)
    m.delete_dataset(dataset_dir)
    assert not dataset_dir.exists()

"""Visitor ids are bearer keys: what the page makes and keeps (no server)."""
from __future__ import annotations

import pytest

from gan_core.errors import UserError
from studio.workspace import KEY_CHARS, Workspace, check_visitor_id, new_visitor_id, page_visitor_id


def test_new_ids_are_long_random_keys():
    ids = {new_visitor_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(len(i) == 32 and check_visitor_id(i) == i for i in ids)  # 192 bits


def test_chosen_ids_shorter_than_a_key_are_refused():
    with pytest.raises(UserError, match="secret key"):
        check_visitor_id("x" * (KEY_CHARS - 1))
    with pytest.raises(UserError, match="22-64"):
        check_visitor_id("../../etc/passwd-0123456789")
    assert check_visitor_id("x" * KEY_CHARS)


def test_page_keeps_a_stored_key_and_replaces_a_short_one_keeping_its_files(tmp_path):
    ws = Workspace(tmp_path, "custom")
    key = new_visitor_id()
    assert page_visitor_id(ws, key, "s-abc123") == key
    old = ws.visitor("s-0ld5h0rt1d")  # what pages stored before ids had to be long
    (old.datasets / "set").mkdir()
    new = page_visitor_id(ws, old.id, "s-other99")
    assert len(new) == 32 and new != old.id
    assert (tmp_path / "visitors" / new / "datasets" / "set").is_dir()
    assert not old.root.exists()


def test_a_first_visit_adopts_what_its_session_uploaded_before_the_page_loaded(tmp_path):
    ws = Workspace(tmp_path, "custom")
    early = ws.visitor("s-firstsecond1")
    (early.uploads / "a.png").write_bytes(b"x")
    vid = page_visitor_id(ws, "", early.id)
    assert (tmp_path / "visitors" / vid / "uploads" / "a.png").is_file()
    assert page_visitor_id(ws, None, "s-nothinghere") != vid  # a fresh page, a fresh key

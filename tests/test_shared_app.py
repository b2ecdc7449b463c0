"""A shared deployment, for real: the studio app with limits and Gradio's password login from a
users file, on its own port, driven through gradio_client as three signed-in people.

- Two accounts are isolated: whatever visitor_id one passes, it reaches only its own workspace.
- One account has one workspace in every browser (client).
- Each limit refuses before anything is written, with the numbers; deleting frees the room.
"""
from __future__ import annotations

import io
import time
import zipfile

import httpx
import numpy as np
import pytest
from PIL import Image
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from conftest import free_port, photos
from studio.accounts import account_visitor_id
from studio.app import build_demo, launch_options
from studio.context import Studio
from studio.hosting import Limits
from studio.run_queue import JobManager
from studio.workspace import Workspace

CLEANUP = ["corner", 0, 50, False, False, True, 0.1, 16, "binary"]
TINY = ["quick", "dcgan", 16, 4, 8, 2e-4, 1, ["translation"]]
SECRET = "test-secret"           # conftest's STUDIO_SECRET
QUOTA_MB = 0.08                  # 82 KB: eight fixture photos (49 KB) fit, their 16 px dataset (100 KB) does not
USERS = {"alice": "alice-pass-1", "bob": "bob-pass-2", "carol": "carol-pass-3", "dave": "dave-pass-4",
         "erin": "erin-pass-5", "fay": "fay-pass-6", "gus": "gus-pass-7"}


@pytest.fixture(scope="module")
def shared(studio_app, tmp_path_factory):
    root = tmp_path_factory.mktemp("shared")
    users = root / "users.txt"
    users.write_text("".join(f"{n}:{p}\n" for n, p in USERS.items()))
    limits = Limits(disk_quota_mb=QUOTA_MB, max_run_minutes=2, users_file=users, shared=True)
    ws = Workspace(root / "workspace", "custom")
    demo = build_demo(Studio(ws=ws, limits=limits, manager=JobManager()))
    port = free_port()
    demo.launch(**launch_options(limits), server_name="127.0.0.1", server_port=port, prevent_thread_lock=True,
                quiet=True)
    yield type("Shared", (), {"url": f"http://127.0.0.1:{port}/", "ws": ws, "root": root})
    demo.close()


def client(shared, name) -> Client:
    return Client(shared.url, auth=(name, USERS[name]), verbose=False,
                  download_files=str(shared.root / "downloads"))


def signed_in(page, shared, name):
    """``page`` at the studio, signed in through Gradio's login form as ``name``."""
    page.goto(shared.url)
    page.locator("input[type=password]").wait_for(timeout=30_000)
    page.locator("input[type=text]").first.fill(name)
    page.locator("input[type=password]").fill(USERS[name])
    page.locator("input[type=password]").press("Enter")
    return page


def account_dir(shared, name):
    return shared.ws.root / "visitors" / account_visitor_id(f"user:{name}", SECRET)


def test_a_wrong_password_or_a_forged_session_gets_nothing(shared):
    with pytest.raises(Exception):
        Client(shared.url, auth=("alice", "wrong"), verbose=False)
    forged = httpx.post(f"{shared.url}gradio_api/call/list_datasets", json={"data": [""]},
                        cookies={"access-token": "forged-token", "access-token-unsecure": "forged-token"})
    assert forged.status_code == 401


def test_two_accounts_are_isolated_whatever_id_they_pass(shared):
    alice, bob = client(shared, "alice"), client(shared, "bob")
    summary = alice.predict([handle_file(str(p)) for p in photos(2)], "", api_name="/upload_files")
    assert "**2 usable images**" in summary
    assert len(list((account_dir(shared, "alice") / "uploads").iterdir())) == 2  # keyed by the account
    alice_ids = [account_visitor_id("user:alice", SECRET), "a" * 30, ""]
    for vid in alice_ids:  # bob naming alice's workspace, a random key, or nothing: bob's own, empty
        assert bob.predict(vid, api_name="/list_datasets") == []
        assert "uploads" not in bob.predict(vid, api_name="/usage")
    # the same account in another browser (a new client, a new session): the same workspace
    again = client(shared, "alice")
    assert "uploads" in again.predict("", api_name="/usage")
    assert "uploads" in again.predict("b" * 30, api_name="/usage")  # a passed id is ignored when signed in


def test_each_limit_refuses_before_anything_is_written(shared, tmp_path):
    carol = client(shared, "carol")
    uploads = account_dir(shared, "carol") / "uploads"
    summary = carol.predict([handle_file(str(p)) for p in photos(8)], "", api_name="/upload_files")
    assert "**8 usable images**" in summary
    before = sorted(p.name for p in uploads.iterdir())
    # a dataset that would pass the quota
    with pytest.raises(AppError, match=r"Dataset icons \(8 images at 16 px\) needs \d+ KB; you have \d+ KB of "
                                       r"your 82 KB left .*Nothing was saved"):
        carol.predict("icons", *CLEANUP, "", api_name="/save_dataset")
    assert not (account_dir(shared, "carol") / "datasets" / "icons").exists()
    assert [p for p in (account_dir(shared, "carol") / "datasets").iterdir()] == []
    # a zip that would pass it: refused before it is unpacked or copied; the current upload stays
    noise = np.random.default_rng(0).integers(0, 256, (120, 120, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(noise).save(buf, format="PNG")
    big = tmp_path / "designs.zip"
    with zipfile.ZipFile(big, "w", zipfile.ZIP_STORED) as z:
        for i in range(3):
            z.writestr(f"design{i}.png", buf.getvalue())
    with pytest.raises(AppError, match=r"This upload needs \d+ KB; you have \d+ KB of your 82 KB left"):
        carol.predict([handle_file(str(big))], "", api_name="/upload_files")
    assert sorted(p.name for p in uploads.iterdir()) == before
    assert not list(account_dir(shared, "carol").rglob("design0.png"))  # nothing half-extracted stays
    usage = carol.predict("", api_name="/usage")
    assert "of your 82 KB" in usage and "uploads 49 KB" in usage


def test_a_sample_set_over_the_quota_writes_nothing_and_the_upload_stays(shared):
    dave = client(shared, "dave")
    home = account_dir(shared, "dave")
    assert "**2 usable images**" in dave.predict([handle_file(str(p)) for p in photos(2)], "", api_name="/upload_files")
    files = {p: p.read_bytes() for p in home.rglob("*") if p.is_file()}  # uploads, previews, .last_seen
    for api, what in (("/use_sample_set", "The sample set"), ("/use_colour_sample_set", "The colour sample set")):
        # 100 photos of ~10-20 KB each do not fit in 82 KB, even in place of the 2 uploaded (~12 KB)
        with pytest.raises(AppError, match=rf"{what} \(100 photos\) needs \d+(\.\d)? MB; you have \d+ KB of "
                                           r"your 82 KB left \(runs 0 KB, datasets 0 KB, uploads \d+ KB, board 0 KB\)"
                                           r".*Nothing was saved"):
            dave.predict("", api_name=api)
        assert {p: p.read_bytes() for p in home.rglob("*") if p.is_file()} == files  # not a byte written
    assert "uploads" in dave.predict("", api_name="/usage")


def test_deleting_a_run_or_a_dataset_frees_its_room(shared):
    """A full workspace refuses an upload; deleting the run, then the dataset, makes the room, and
    /usage (the page's line) follows each step."""
    from gan_core.data.datasets import save_dataset
    erin = client(shared, "erin")
    home = account_dir(shared, "erin")
    save_dataset((np.random.default_rng(2).random((2, 16, 16)) * 255).astype(np.uint8), None,
                 home / "datasets" / "tiny")
    run = home / "runs" / "tiny-run"
    run.mkdir(parents=True)
    (run / "config.json").write_text("{}")
    (run / "samples.bin").write_bytes(np.random.default_rng(3).bytes(50_000))  # 49 KB of results
    usage = erin.predict("", api_name="/usage")
    assert "runs 49 KB" in usage and "datasets" in usage, usage
    eight = [handle_file(str(p)) for p in photos(8)]  # 49 KB
    with pytest.raises(AppError, match=r"This upload needs 49 KB; you have \d+ KB of your 82 KB left \(runs 49 KB"):
        erin.predict(eight, "", api_name="/upload_files")
    assert "Deleted run" in erin.predict("tiny-run", "", api_name="/delete_run")
    assert not run.exists() and "runs" not in erin.predict("", api_name="/usage")
    assert "**8 usable images**" in erin.predict(eight, "", api_name="/upload_files")  # the room is there now
    # datasets: a name that is not one of erin's is refused, naming it; the real one goes, room and all
    with pytest.raises(AppError, match=r"There is no dataset called 'tiny2'"):
        erin.predict("tiny2", "", api_name="/delete_dataset")
    before = erin.predict("", api_name="/usage")
    assert erin.predict("tiny", "", api_name="/delete_dataset").startswith("Deleted dataset **tiny** (")
    assert erin.predict("", api_name="/list_datasets") == [] and not (home / "datasets" / "tiny").exists()
    after = erin.predict("", api_name="/usage")
    assert "datasets" in before and "datasets" not in after and "uploads 49 KB" in after, (before, after)


def test_a_run_over_the_time_limit_is_refused_naming_it(shared):
    bob = client(shared, "bob")
    bob_dir = account_dir(shared, "bob")
    # a tiny saved dataset (written directly: bob's quota is the same 82 KB, and a 16 px set of 2 fits)
    from gan_core.data.datasets import save_dataset
    save_dataset((np.random.default_rng(1).random((2, 16, 16)) * 255).astype(np.uint8), None,
                 bob_dir / "datasets" / "tiny")
    t0 = time.time()
    with pytest.raises(AppError, match=r"at most 2 minutes on this studio \(STUDIO_MAX_RUN_MINUTES\); this one "
                                       r"asks for 5"):
        bob.predict("tiny", *TINY, "minutes", 5, "", api_name="/train")
    assert time.time() - t0 < 30
    # within the time limit but not the disk quota (a run needs room for its checkpoints)
    with pytest.raises(AppError, match=r"A new run needs 40 MB; you have \d+ KB of your 82 KB left"):
        bob.predict("tiny", *TINY, "minutes", 1, "", api_name="/train")
    assert not (bob_dir / "runs").is_dir() or not any((bob_dir / "runs").iterdir())  # nothing queued, no folder


def test_the_page_signs_in_and_shows_the_account_what_it_uses(shared):
    """Real Chromium: Gradio's login page, then the studio, whose usage line is the account's
    (alice's upload, made through the API in another "browser")."""
    from playwright.sync_api import sync_playwright
    from test_browser import ARGS, CHROMIUM
    alice = client(shared, "alice")
    alice.predict([handle_file(str(p)) for p in photos(2)], "", api_name="/upload_files")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = signed_in(browser.new_page(), shared, "alice")
            usage = page.locator("#usage")
            usage.get_by_text("Your workspace").wait_for(timeout=60_000)
            text = usage.inner_text()
            assert "of your 82 KB" in text and "uploads" in text, text
        finally:
            browser.close()


def test_the_usage_line_follows_an_upload_and_its_removal_without_a_tab_change(shared):
    """Real Chromium, Data tab only: photos uploaded in the page show in the usage line, and removing
    them (the file box's Clear) takes them out again; both refresh it, no other tab is selected."""
    from playwright.sync_api import expect, sync_playwright
    from test_browser import ARGS, CHROMIUM
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = signed_in(browser.new_page(), shared, "fay")
            usage = page.locator("#usage")
            expect(usage).to_contain_text("0 KB of your 82 KB", timeout=60_000)
            expect(page.locator("#files input[type=file]")).to_be_enabled(timeout=30_000)  # the visitor id is in
            page.locator("#files input[type=file]").set_input_files([str(p) for p in photos(2)])
            expect(usage).to_contain_text("(uploads ", timeout=60_000)
            assert (account_dir(shared, "fay") / "uploads").is_dir()
            page.locator("#files").get_by_role("button", name="Clear").click()
            expect(usage).not_to_contain_text("uploads", timeout=30_000)
            expect(usage).to_contain_text("0 KB of your 82 KB")
            assert not any((account_dir(shared, "fay") / "uploads").glob("*"))
        finally:
            browser.close()


def test_the_train_tab_deletes_a_dataset_after_asking_and_the_usage_line_follows(shared):
    """Real Chromium: "Delete dataset…" under the Train tab's picker asks first ("Keep it" keeps
    it), then "Delete it" removes the folder, the picker and the usage line follow."""
    from playwright.sync_api import expect, sync_playwright
    from gan_core.data.datasets import save_dataset
    from test_browser import ARGS, CHROMIUM
    home = account_dir(shared, "gus")
    save_dataset((np.random.default_rng(4).random((2, 16, 16)) * 255).astype(np.uint8), None,
                 home / "datasets" / "sketches")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = signed_in(browser.new_page(viewport={"width": 1366, "height": 768}), shared, "gus")
            usage = page.locator("#usage")
            expect(usage).to_contain_text("(datasets ", timeout=60_000)
            page.get_by_role("tab", name="2 · Train").click()
            expect(page.locator("#dataset input")).to_have_value("sketches", timeout=30_000)
            page.locator("#delete_dataset").click()
            box = page.locator("#confirm_dataset_box:visible")  # (Gradio gives a Group's id to two nested divs)
            expect(box.first).to_contain_text("Delete dataset sketches?", timeout=30_000)
            page.locator("#cancel_delete_dataset").click()
            expect(box).to_have_count(0, timeout=30_000)
            assert (home / "datasets" / "sketches").is_dir()  # "Keep it" kept it
            page.locator("#delete_dataset").click()
            page.locator("#confirm_delete_dataset").click()
            expect(page.locator("#train_notice")).to_contain_text("Deleted dataset sketches (", timeout=30_000)
            expect(page.locator("#dataset input")).to_have_value("", timeout=30_000)
            expect(usage).not_to_contain_text("datasets", timeout=30_000)
            assert not (home / "datasets" / "sketches").exists()
        finally:
            browser.close()

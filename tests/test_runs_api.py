"""Runs from the page and the API: deleted, started again after a crash, their dataset recorded;
uploads over the size limit refused by the server; visitor ids as secrets (the real app)."""
from __future__ import annotations

import json
import shutil

import pytest
from gradio_client.exceptions import AppError

from conftest import photos
from test_app_api import CLEANUP, files, state_of, train, wait_for

VID = "runs-api-visitor-7c1e9b24d0"


@pytest.fixture(scope="module")
def client(client_factory):
    c = client_factory()
    c.predict(files(photos(6)), VID, api_name="/upload_files")
    c.predict("shapes", *CLEANUP, VID, api_name="/save_dataset")
    return c


def runs_of(client) -> dict:
    return {r["name"]: r for r in client.predict(VID, api_name="/list_runs")}


def test_a_page_run_keeps_its_dataset_and_can_be_deleted(client, studio_app):
    final = train(client, "shapes", budget=4, visitor_id=VID).result(timeout=180)
    run = final[7]
    run_dir = studio_app.workspace / "visitors" / VID / "runs" / run
    dataset = json.loads((run_dir / "config.json").read_text())["dataset"]
    assert dataset["name"] == "shapes" and dataset["cleanup"]["threshold"] == CLEANUP[2]
    from gan_core.hub.modelcard import model_card
    assert "shapes" in model_card(json.loads((run_dir / "config.json").read_text()))
    assert runs_of(client)[run]["state"] == "finished"
    assert client.predict(run, VID, api_name="/delete_run") == f"Deleted run **{run}**."
    assert not run_dir.exists() and run not in runs_of(client)
    with pytest.raises(AppError, match="There is no run called"):
        client.predict(run, VID, api_name="/delete_run")
    with pytest.raises(AppError, match="Run name '../x'"):
        client.predict("../x", VID, api_name="/delete_run")


def test_a_training_run_cannot_be_deleted(client):
    job = train(client, "shapes", budget=100_000, visitor_id=VID)
    out = wait_for(job, lambda o: state_of(o[0]) == "running")
    run = out[7]
    with pytest.raises(AppError, match=f"Run {run} is training; stop it before deleting it"):
        client.predict(run, VID, api_name="/delete_run")
    assert client.predict(VID, api_name="/stop").startswith("Stopping")
    assert state_of(job.result(timeout=120)[0]) == "stopped"
    assert client.predict(run, VID, api_name="/delete_run").startswith("Deleted")


def test_a_run_a_crash_left_not_started_can_be_started_again_or_deleted(client, studio_app):
    final = train(client, "shapes", budget=3, visitor_id=VID).result(timeout=180)
    runs = studio_app.workspace / "visitors" / VID / "runs"
    # the server died after the run wrote its settings and before its first checkpoint
    crashed = runs / "crashed-run"
    crashed.mkdir()
    for name in ("config.json", "studio.json"):
        shutil.copyfile(runs / final[7] / name, crashed / name)
    (crashed / "status.json").write_text(json.dumps({"state": "running", "step": 0, "pid": 999999}))
    bare = runs / "bare-run"  # ... or before it wrote anything but the studio's note
    bare.mkdir()
    shutil.copyfile(runs / final[7] / "studio.json", bare / "studio.json")
    info = runs_of(client)
    assert info["crashed-run"]["label"] == "not started — start it again or delete it"
    assert info["bare-run"]["label"] == "not started — delete it"
    again = client.submit("crashed-run", "steps", 3, VID, api_name="/resume").result(timeout=180)
    assert state_of(again[0]) == "finished" and "step 3 / 3" in again[0]
    assert json.loads((crashed / "config.json").read_text())["dataset"]["name"] == "shapes"
    with pytest.raises(AppError, match="no checkpoint to resume from and no saved settings"):
        client.submit("bare-run", "steps", 3, VID, api_name="/resume").result(timeout=60)
    assert client.predict("bare-run", VID, api_name="/delete_run").startswith("Deleted")
    assert not bare.exists()


def test_an_upload_over_the_limit_is_refused_before_it_is_stored(studio_app, tmp_path):
    import httpx
    from studio.app import MAX_FILE_SIZE
    limit = int(MAX_FILE_SIZE.rstrip("mb")) * 2**20
    big = tmp_path / "big.png"
    with open(big, "wb") as f:
        f.truncate(limit + 1)
    before = {p for p in (studio_app.root / "gradio").rglob("*") if p.is_file()}
    with open(big, "rb") as f:
        r = httpx.post(studio_app.url + "gradio_api/upload", files={"files": ("big.png", f, "image/png")},
                       timeout=60)
    assert r.status_code == 413 and "maximum allowed size" in r.text
    after = {p for p in (studio_app.root / "gradio").rglob("*") if p.is_file()}
    assert not [p for p in after - before if p.stat().st_size > limit // 2]
    with open(big, "r+b") as f:  # one byte less is accepted
        f.truncate(limit)
    with open(big, "rb") as f:
        ok = httpx.post(studio_app.url + "gradio_api/upload", files={"files": ("big.png", f, "image/png")},
                        timeout=60)
    assert ok.status_code == 200, ok.text


def test_chosen_visitor_ids_must_be_long(client):
    with pytest.raises(AppError, match="visitor id must be 22-64 letters.*secret key to your files"):
        client.predict("a" * 21, api_name="/list_runs")
    assert client.predict("a" * 22, api_name="/list_runs") == []

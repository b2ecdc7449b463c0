"""The real studio app, driven through gradio_client (no mocks).

Tiny sizes everywhere (16 px, width 4, ~20 steps) so a training run takes seconds on a CPU.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from conftest import make_tiny_model, photos

CLEANUP = ["corner", 0, 50, False, False, True, 0.1, 16, "binary"]  # background … mode; 16 px output
TINY = dict(preset_name="quick", loss="dcgan", resolution=16, width=4, batch_size=8, learning_rate=2e-4,
            critic_steps=1, augment=["translation"])
MODEL = "bundled/tiny-64"


def files(paths):
    return [handle_file(str(p)) for p in paths]


def bad_files(tmp: Path) -> list[Path]:
    tmp.mkdir(parents=True, exist_ok=True)
    text = tmp / "notes.png"
    text.write_text("this is text, not a picture")
    empty = tmp / "empty.png"
    empty.write_bytes(b"")
    return [text, empty]


def train(client, dataset, budget_kind="steps", budget=20, visitor_id="", **overrides):
    args = {**TINY, **overrides}
    return client.submit(dataset, args["preset_name"], args["loss"], args["resolution"], args["width"],
                         args["batch_size"], args["learning_rate"], args["critic_steps"], args["augment"],
                         budget_kind, budget, visitor_id, api_name="/train")


def state_of(status_html: str) -> str:
    return status_html.split('data-state="', 1)[1].split('"', 1)[0]


def wait_for(job, predicate, timeout=60.0):
    """Wait until one of the job's streamed outputs satisfies ``predicate``."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        for out in job.outputs():
            if predicate(out):
                return out
        if job.done():
            break
        time.sleep(0.1)
    raise AssertionError(f"no streamed output matched within {timeout} s; last: {job.outputs()[-1:]}")


@pytest.fixture(scope="module")
def alice(client_factory):
    """A visitor identified by the client's session (no visitor_id)."""
    return client_factory()


@pytest.fixture(scope="module")
def alice_dataset(alice, tmp_path_factory):
    paths = photos(8) + bad_files(tmp_path_factory.mktemp("bad"))
    summary = alice.predict(files(paths), api_name="/upload_files")
    assert "**8 usable images**" in summary
    assert "notes.png" in summary and "not a readable image" in summary
    assert "empty.png" in summary and "empty file" in summary
    status = alice.predict("icons", *CLEANUP, api_name="/save_dataset")
    assert status.startswith("Saved dataset **icons**: 8 images at 16 px")
    return "icons"


def test_cleanup_preview_follows_the_settings(alice, alice_dataset):
    low = alice.predict(*CLEANUP[:2], 40, *CLEANUP[3:], api_name="/preview_cleanup")
    high = alice.predict(*CLEANUP[:2], 200, *CLEANUP[3:], api_name="/preview_cleanup")
    assert len(low) == 6 and [t["caption"] for t in low] == [t["caption"] for t in high]
    assert low[0]["caption"].endswith(".jpg")
    a, b = (np.asarray(Image.open(t[0]["image"])) for t in (low, high))
    assert a.shape == b.shape and not np.array_equal(a, b)  # the threshold changes the clean side


def test_dataset_names_and_uploads_are_validated(alice, alice_dataset, tmp_path):
    for name, message in [("icons", "already exists"), ("", "Give the dataset a name"),
                          ("my set!", "use only letters, digits")]:
        with pytest.raises(AppError, match=message):
            alice.predict(name, *CLEANUP, api_name="/save_dataset")
    with pytest.raises(AppError, match="No files"):
        alice.predict([], api_name="/upload_files")
    with pytest.raises(AppError, match="None of the 2 files is a usable image.*Nothing was changed"):
        alice.predict(files(bad_files(tmp_path)), api_name="/upload_files")
    # a picture with too many pixels (a decompression bomb) is skipped with its reason
    Image.new("L", (8000, 6000)).save(tmp_path / "huge.png")
    summary = alice.predict(files(photos(2) + [tmp_path / "huge.png"]), api_name="/upload_files")
    assert "**2 usable images**" in summary and "huge.png" in summary and "too many pixels" in summary
    # a file over the upload limit never reaches the app
    big = tmp_path / "big.png"
    with open(big, "wb") as f:
        f.truncate(51 * 2**20)
    with pytest.raises(Exception, match="(?i)too large|413|exceeds|size"):
        alice.predict(files([big]), api_name="/upload_files")
    with pytest.raises(AppError, match="dataset called 'nope'"):
        train(alice, "nope").result()


def test_generate_is_deterministic_and_fast(alice):
    def design(seed, truncation=1.0):
        return Path(alice.predict(MODEL, seed, truncation, api_name="/generate")).read_bytes()
    t0 = time.perf_counter()
    first = design(7)
    print(f"/generate round trip: {1000 * (time.perf_counter() - t0):.0f} ms (incl. client overhead)")
    assert design(7) == first
    assert design(8) != first
    assert design(7, 0.5) != first
    im = Image.open(alice.predict(MODEL, 7, 1.0, api_name="/generate"))
    assert im.size == (256, 256) and im.format == "PNG"
    tiles = alice.predict(MODEL, 7, 1.0, api_name="/variations")
    assert [t["caption"] for t in tiles] == ["3", "4", "5", "6", "● 7", "8", "9", "10", "11"]
    png = Image.open(alice.predict(MODEL, 7, 1.0, 8, api_name="/design_png"))
    assert png.size == (512, 512)


def test_morph_gives_a_playable_mp4_and_a_gif(alice):
    import imageio.v2 as imageio
    video, gif, mp4 = alice.predict("3, 7, 11", 48, True, MODEL, 1.0, api_name="/morph")
    assert video.endswith(".mp4") and Path(mp4).read_bytes() == Path(video).read_bytes()
    reader = imageio.get_reader(video, format="FFMPEG")
    meta = reader.get_meta_data()
    assert meta["codec"] == "h264" and tuple(meta["size"]) == (256, 256)
    assert reader.count_frames() == 48
    reader.close()
    with Image.open(gif) as im:
        assert im.n_frames == 48 and im.size == (256, 256)


@pytest.mark.parametrize("args, message", [
    (("7", 48, True, MODEL, 1.0), "at least two keyframe seeds"),
    (("3, x, 7", 48, True, MODEL, 1.0), "'x' is not a seed"),
    (("3, 7", 48, True, "/no/such/folder", 1.0), "no such folder"),
])
def test_morph_bad_inputs(alice, args, message):
    with pytest.raises(AppError, match=message):
        alice.predict(*args, api_name="/morph")


def test_model_bad_inputs(alice, tmp_path):
    pickled = tmp_path / "pickled"
    pickled.mkdir()
    (pickled / "model.pt").write_bytes(b"\x80\x04not really a pickle")
    cases = [(str(pickled), "only safetensors"), (str(pickled / "model.pt"), "only .safetensors"),
             (str(tmp_path / "missing"), "no such folder"), ("run/nope", "no run called 'nope'")]
    for ref, message in cases:
        with pytest.raises(AppError, match=message):
            alice.predict(ref, 1, 1.0, api_name="/generate")
    with pytest.raises(AppError, match="Seed must be a whole number"):
        alice.predict(MODEL, 2.5, 1.0, api_name="/generate")
    with pytest.raises(AppError, match="Seed must be a number; got 'abc'"):  # Gradio's check, with the label
        alice.predict(MODEL, "abc", 1.0, api_name="/generate")
    with pytest.raises(AppError, match="visitor id must be"):
        alice.predict(MODEL, 1, 1.0, "../../etc", api_name="/generate")
    # a folder typed in the box loads and is offered in the picker
    folder = make_tiny_model(tmp_path / "mine", resolution=32)
    assert alice.predict(str(folder), api_name="/load_model").startswith(f"Loaded `{folder}`: 32 px")
    assert Image.open(alice.predict(str(folder), 1, 1.0, api_name="/generate")).size == (256, 256)


def test_training_streams_to_the_end(alice, alice_dataset):
    job = train(alice, alice_dataset, budget=20)
    final = job.result(timeout=180)
    outputs = job.outputs()
    status, grid, losses, log, gif, final_grid, metrics, run = final
    assert state_of(status) == "finished" and "step 20 / 20" in status
    assert len(outputs) >= 3 and any(state_of(o[0]) == "running" for o in outputs)
    assert "checkpoint saved at step 20" in log and "finished at step 20" in log
    assert {r[2] for r in losses["data"]} == {"critic", "generator"}
    with Image.open(gif) as im:
        assert im.n_frames > 2
    assert Image.open(final_grid).size[0] >= 256
    assert "SWD" in metrics and "Coverage" in metrics
    runs = alice.predict(api_name="/list_runs")
    assert runs[0]["name"] == run and runs[0]["state"] == "finished" and runs[0]["has_model"]
    assert {"label": f"{run} · your run · finished · 20 steps", "model": f"run/{run}"} in \
        alice.predict(api_name="/list_models")
    im = Image.open(alice.predict(f"run/{run}", 1, 1.0, api_name="/generate"))
    assert im.size == (256, 256)


def test_queue_stop_and_resume(client_factory, alice, alice_dataset, tmp_path):
    bob = client_factory()
    bob.predict(files(photos(4)), api_name="/upload_files")
    bob.predict("bobs", *CLEANUP, api_name="/save_dataset")

    long = train(alice, alice_dataset, budget=100_000)
    wait_for(long, lambda o: state_of(o[0]) == "running" and "step 0 " not in o[0])
    with pytest.raises(AppError, match=r"You already have icons-\S+ \(training\); each visitor may have one"):
        train(alice, alice_dataset).result()
    queued = train(bob, "bobs", budget=10)
    out = wait_for(queued, lambda o: state_of(o[0]) == "queued")
    assert "position 1" in out[0]

    assert alice.predict(api_name="/stop").startswith("Stopping")
    stopped = long.result(timeout=120)
    assert state_of(stopped[0]) == "stopped" and stopped[7]
    step = int(stopped[0].split("step ", 1)[1].split(" ")[0])
    assert step > 0
    assert state_of(queued.result(timeout=180)[0]) == "finished"

    runs = {r["name"]: r for r in alice.predict(api_name="/list_runs")}
    assert runs[stopped[7]]["label"] == f"stopped — resume from step {step}"
    resumed = alice.submit(stopped[7], "steps", 5, api_name="/resume").result(timeout=180)
    assert state_of(resumed[0]) == "finished" and f"step {step + 5} / {step + 5}" in resumed[0]


def test_visitors_do_not_see_each_other(client_factory, alice, alice_dataset):
    carol = client_factory()
    assert [d["name"] for d in alice.predict(api_name="/list_datasets")][-1] == "icons"
    assert carol.predict(api_name="/list_datasets") == []
    assert carol.predict(api_name="/list_runs") == []
    assert [m["model"] for m in carol.predict(api_name="/list_models") if m["model"].startswith("run/")] == []
    alice_run = alice.predict(api_name="/list_runs")[-1]["name"]
    with pytest.raises(AppError, match="no run called"):
        carol.predict(f"run/{alice_run}", 1, 1.0, api_name="/generate")
    with pytest.raises(AppError, match="dataset called 'icons'"):
        train(carol, "icons").result()
    # an explicit visitor id (what the browser keeps) selects that visitor's folders
    dave = "dave-0123456789abcdef-0"
    assert carol.predict(dave, api_name="/list_datasets") == []
    carol.predict(dave, api_name="/use_sample_set")
    carol.predict("rims", *CLEANUP, dave, api_name="/save_dataset")
    assert [d["name"] for d in carol.predict(dave, api_name="/list_datasets")] == ["rims"]
    assert carol.predict(api_name="/list_datasets") == []


def test_interrupted_run_shows_as_resumable(alice, alice_dataset, studio_app):
    """A status.json that says running with no live job: the server restarted mid-run."""
    run = alice.predict(api_name="/list_runs")[-1]["name"]
    visitors = studio_app.workspace / "visitors"
    run_dir = next(visitors.glob(f"*/runs/{run}"))
    ghost = run_dir.parent / "ghost-run"
    import shutil
    shutil.copytree(run_dir, ghost)
    status = json.loads((ghost / "status.json").read_text())
    (ghost / "status.json").write_text(json.dumps({**status, "state": "running", "pid": 999999}))
    runs = {r["name"]: r for r in alice.predict(api_name="/list_runs")}
    assert runs["ghost-run"]["label"] == f"stopped (interrupted) — resume from step {status['step']}"


def test_idle_visitors_lose_uploads_but_keep_datasets_and_runs(tmp_path):
    import os
    from studio.workspace import Workspace, cleanup_inactive
    ws = Workspace(tmp_path, "custom")
    old, new = ws.visitor("old-visitor-1"), ws.visitor("new-visitor-1")
    for v in (old, new):
        v.touch()
        for folder in (v.uploads, v.previews, v.datasets / "set", v.runs / "run"):
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "file.png").write_bytes(b"x")
    day_ago = time.time() - 25 * 3600
    os.utime(old.root / ".last_seen", (day_ago, day_ago))
    assert cleanup_inactive(ws, force=True) == 1
    assert not (old.root / "uploads").exists() and not (old.root / "previews").exists()
    assert (old.root / "datasets" / "set" / "file.png").exists() and (old.root / "runs" / "run" / "file.png").exists()
    assert (new.root / "uploads" / "file.png").exists()


def test_models_load_from_the_hub_cache(alice, tmp_path, monkeypatch):
    """A Hub repository id (or its URL) in the model box: read from an offline Hub cache."""
    from huggingface_hub import constants as hf_constants
    cache = tmp_path / "hf" / "hub"
    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    sha = "0123456789abcdef0123456789abcdef01234567"
    repo = cache / "models--org--rims"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(sha)
    folder = make_tiny_model(tmp_path / "gen", resolution=32)
    snap = repo / "snapshots" / sha
    snap.mkdir(parents=True)
    for name in ("config.json", "model.safetensors"):
        (snap / name).write_bytes((folder / name).read_bytes())
    assert alice.predict("https://huggingface.co/org/rims", api_name="/load_model").startswith(
        "Loaded `https://huggingface.co/org/rims`: 32 px")
    assert Image.open(alice.predict("org/rims", 5, 1.0, api_name="/generate")).size == (256, 256)
    with pytest.raises(AppError, match="not in the local cache"):
        alice.predict("org/missing", 5, 1.0, api_name="/generate")


def test_push_needs_the_visitors_own_token_and_never_keeps_it(alice, alice_dataset, studio_app, monkeypatch):
    from huggingface_hub import constants as hf_constants
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    run = alice.predict(api_name="/list_runs")[-1]["name"]
    monkeypatch.setenv("HF_TOKEN", "hf_serverTokenMustNotBeUsed")
    message, token_box = alice.predict(run, "me/rims", "", api_name="/push_to_hub")
    assert "Paste a Hugging Face write token" in message and token_box == ""
    secret = "hf_visitorSecret0123456789"
    message, token_box = alice.predict(run, "me/rims", secret, api_name="/push_to_hub")
    assert message.startswith("**Not pushed:**") and "HF_HUB_OFFLINE" in message
    assert token_box == "" and secret not in message
    for path in studio_app.workspace.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


def test_colour_sample_set_gives_a_colour_dataset(alice):
    """The colour sample rims come with colour cleanup settings; saved as suggested, they are a
    3-channel dataset whose pictures keep the paint on white."""
    erin = "erin-0123456789abcdef-0"
    out = alice.predict(erin, api_name="/use_colour_sample_set")
    summary, settings, name = out[0], list(out[1:-1]), out[-1]
    assert "Sample set: colour rims" in summary and "100 synthetic photos" in summary
    assert settings[-1] == "color" and settings[5] is True and name == "colour-rims"
    status = alice.predict(name, *settings, erin, api_name="/save_dataset")
    assert status.startswith("Saved dataset **colour-rims**: 100 images at 64 px") and "in colour" in status
    [info] = [d for d in alice.predict(erin, api_name="/list_datasets") if d["name"] == "colour-rims"]
    assert info["channels"] == 3

"""Reliability and safety, proven on the real app (gradio_client and the files it writes).

- bad input at every entry: tests/bad_inputs.py, one case each, then a /generate that must work;
- zips never write outside their folder, even when the rest of the upload is fine;
- kill -9 of a real ``python app.py`` while training, restart, resume from the checkpoint;
  the same server then pushes to a fake Hub on 127.0.0.1 and the token is found nowhere;
- a full disk while checkpointing (the engine test with a real EFBIG is
  tests/test_trainer.py::test_full_disk_during_checkpoint_keeps_the_previous_one);
- several visitors at once: parallel uploads/previews/saves, 50 concurrent generations, a queue;
- idle visitors' upload/preview folders are cleaned up, their datasets and runs kept;
- on a public Space the model box loads only the visitor's runs, bundled models and Hub ids;
- Explore shows each design's nearest training image; a run on ZeroGPU still shows progress.

Tiny sizes everywhere (16 px, width 4, a few steps).
"""
from __future__ import annotations

import copy
import errno
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from bad_inputs import CASES, CLEANUP, TRAIN, Ctx
from badfiles import png_bytes, zip_bytes
from conftest import free_port, make_tiny_model

REPO = Path(__file__).resolve().parents[1]
MODEL = "bundled/tiny-64"
TOKEN = "hf_reliabilityTESTtoken0123456789abcdef"


def state_of(status_html: str) -> str:
    return status_html.split('data-state="', 1)[1].split('"', 1)[0]


def step_of(status_html: str) -> int:
    m = re.search(r"step (\d+)", status_html)
    return int(m.group(1)) if m else -1


def designs(folder: Path, n: int, seed0: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        p = folder / f"{folder.name}_{i}.png"
        p.write_bytes(png_bytes(seed=seed0 + i, size=32))
        paths.append(p)
    return paths


def files(paths):
    return [handle_file(str(p)) for p in paths]


def session_visitor(client: Client) -> str:
    """The visitor id the studio gives an API client that passes none (studio.workspace)."""
    return "s-" + re.sub(r"[^A-Za-z0-9]", "", client.session_hash)[:40]


def train_args(dataset, visitor="", **changes):
    args = {**TRAIN, **changes}
    return (dataset, *args.values(), visitor)


def wait_until(predicate, timeout: float, what: str, interval: float = 0.1):
    t0 = time.time()
    while time.time() - t0 < timeout:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def checkpoint_step(run_dir: Path) -> int | None:
    from gan_core.training.runfolder import RunFolder
    return RunFolder(run_dir).checkpoint_step()


# ============================================================================= bad inputs

@pytest.fixture(scope="module")
def ctx(client_factory, studio_app, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("corpus")
    good = make_tiny_model(tmp / "good-16", resolution=16)  # the model folder cases start from (as the report)
    return Ctx(client_factory(), tmp / "cases", MODEL, good)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_gets_a_specific_message_and_the_session_goes_on(ctx, case):
    ok, message = case.run(ctx)
    assert ok, f"expected {case.expect!r} in the message, got: {message}"
    assert Image.open(ctx.generate(seed=7)).size == (256, 256)  # the same session still works


def test_the_docs_table_covers_the_corpus():
    table = (REPO / "docs" / "bad-inputs.md").read_text()
    missing = [c.id for c in CASES if f"| {c.entry} | {c.what} |" not in table]
    assert not missing, f"run `python benchmarks/bad_inputs_report.py --write`; missing: {missing}"
    assert len(CASES) >= 20


def test_zip_entries_never_land_outside_the_upload(client_factory, studio_app, tmp_path):
    """Traversal, absolute and symlink entries next to a good picture: the upload and the saved
    dataset hold only the good picture; nothing is written anywhere else."""
    client = client_factory()
    evil = {"../../evil-up.png": png_bytes(1), "/tmp/evil-abs.png": png_bytes(2), "ok/../../evil-mid.png": png_bytes(3),
            "good.png": png_bytes(4)}
    z = tmp_path / "mixed.zip"
    z.write_bytes(zip_bytes(evil))
    summary = client.predict(files([z]), api_name="/upload_files")
    assert "**1 usable image**" in summary and summary.count("outside the extraction folder") == 3
    assert client.predict("zipped", *CLEANUP.values(), api_name="/save_dataset").startswith(
        "Saved dataset **zipped**: 1 images")
    folder = studio_app.workspace / "visitors" / session_visitor(client) / "datasets" / "zipped"
    assert sorted(p.name for p in folder.iterdir()) == ["cleanup.json", "dataset.json", "good.png"]
    for root in (studio_app.root, Path("/tmp")):
        assert not [p for p in root.rglob("evil-*.png")], root


# ============================================================================= kill -9, restart, resume; token

class FakeHubHandler(BaseHTTPRequestHandler):
    """The few Hub API routes a push uses; records every request (path, headers, body)."""
    requests: list[tuple[str, dict, bytes]] = []

    def log_message(self, *args):  # quiet
        pass

    def _reply(self, code: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.requests.append((self.path, dict(self.headers), b""))
        self._reply(200 if self.path.startswith("/api/agent-harnesses") else 404, {})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.requests.append((self.path, dict(self.headers), body))
        path = self.path.split("?")[0]
        if path == "/api/repos/create":
            req = json.loads(body)
            return self._reply(200, {"url": f"https://huggingface.co/{req['organization']}/{req['name']}"})
        if path == "/api/validate-yaml":
            return self._reply(200, {})
        if "/preupload/" in path:
            return self._reply(200, {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False}
                                               for f in json.loads(body)["files"]]})
        if "/commit/" in path:
            return self._reply(200, {"commitUrl": "https://huggingface.co/me/rims/commit/" + "0" * 40,
                                     "commitOid": "0" * 40, "pullRequestUrl": None})
        return self._reply(404, {"error": f"unexpected POST {path}"})


class Server:
    """``python app.py`` as a subprocess on a free port; its output goes to a log file."""

    def __init__(self, root: Path, env: dict):
        self.root, self.env, self.port = root, env, free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = root / "server.log"
        self.proc = None

    def start(self) -> "Server":
        env = {**self.env, "GRADIO_SERVER_PORT": str(self.port)}
        self.proc = subprocess.Popen([sys.executable, "app.py"], cwd=REPO, env=env,
                                     stdout=open(self.log, "ab"), stderr=subprocess.STDOUT)

        def up():
            if self.proc.poll() is not None:
                raise AssertionError("server exited:\n" + self.log.read_text()[-3000:])
            try:
                return urllib.request.urlopen(self.url, timeout=2).status == 200
            except OSError:
                return False
        wait_until(up, 120, "the server to answer", interval=0.3)
        return self

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def test_kill_9_during_training_then_restart_resume_and_push_without_leaking_the_token(tmp_path):
    root = tmp_path
    for sub in ("tmp", "gradio", "hf", "downloads"):
        (root / sub).mkdir()
    hub = ThreadingHTTPServer(("127.0.0.1", 0), FakeHubHandler)
    FakeHubHandler.requests = []
    threading.Thread(target=hub.serve_forever, daemon=True).start()
    env = {**os.environ, "STUDIO_WORKSPACE": str(root / "workspace"), "STUDIO_WEIGHTS_DIR": str(root / "weights"),
           "STUDIO_SECRET": "kill-test", "STUDIO_CHECKPOINT_MINUTES": "0.005",  # a checkpoint every 0.3 s
           "GRADIO_TEMP_DIR": str(root / "gradio"), "TMPDIR": str(root / "tmp"), "HF_HOME": str(root / "hf"),
           "HF_HUB_CACHE": str(root / "hf" / "hub"), "HF_HUB_OFFLINE": "0",
           "HF_ENDPOINT": f"http://127.0.0.1:{hub.server_address[1]}", "GRADIO_ANALYTICS_ENABLED": "False",
           "PYTHONPATH": str(REPO)}
    for k in ("SPACE_ID", "HF_TOKEN", "GRADIO_SERVER_PORT", "GRADIO_SERVER_NAME"):
        env.pop(k, None)
    vid = "crash-visitor-0001-k7f3a9c0d"
    server = Server(root, env)
    try:
        t0 = time.perf_counter()
        server.start()
        print(f"server up in {time.perf_counter() - t0:.1f} s")
        client = Client(server.url, verbose=False, download_files=str(root / "downloads"))
        client.predict(files(designs(root / "photos", 8)), vid, api_name="/upload_files")
        client.predict("crash", *CLEANUP.values(), vid, api_name="/save_dataset")
        job = client.submit(*train_args("crash", vid, budget=100_000), api_name="/train")
        runs = root / "workspace" / "visitors" / vid / "runs"
        run_dir = wait_until(lambda: next(iter(runs.glob("crash-*")), None) if runs.is_dir() else None, 60,
                             "the run folder")
        wait_until(lambda: (checkpoint_step(run_dir) or 0) >= 10, 90, "a checkpoint past step 10")
        time.sleep(0.4)  # between two checkpoints, or in the middle of writing one
        server.kill9()
        client.close()

        from gan_core.checkpoint import load_tensors
        from gan_core.training.runfolder import RunFolder
        run = RunFolder(run_dir)
        assert run.read_status()["state"] == "running"  # what the crash left behind
        _, meta = load_tensors(run.checkpoint)  # whole: never half-written
        step = meta["step"]
        logged = max(r["step"] for r in run.read_log())
        print(f"killed at step ~{logged}; last checkpoint at step {step}")
        assert step >= 10 and logged - step <= 200  # at most the steps since the last checkpoint are lost

        server.start()
        client = Client(server.url, verbose=False, download_files=str(root / "downloads"))
        info = {r["name"]: r for r in client.predict(vid, api_name="/list_runs")}[run_dir.name]
        assert info["state"] == "interrupted" and info["step"] == step
        assert info["label"] == f"stopped (interrupted) — resume from step {step}"
        final = client.submit(run_dir.name, "steps", 5, vid, api_name="/resume").result(timeout=180)
        assert state_of(final[0]) == "finished" and f"step {step + 5} / {step + 5}" in final[0]
        assert f"finished at step {step + 5}" in final[3]
        assert not list(run_dir.glob(".*.tmp"))  # what the kill left half-written is swept
        assert load_tensors(run.checkpoint)[1]["step"] == step + 5  # went on from the checkpoint

        # ---- a push through the page's endpoint with a token, to the fake Hub ---------------
        message, token_box = client.predict(run_dir.name, "me/rims", TOKEN, vid, api_name="/push_to_hub")
        assert message.startswith("Pushed to [me/rims]"), message
        assert token_box == ""
        client.close()
    finally:
        server.stop()
        hub.shutdown()
    sent = FakeHubHandler.requests
    assert any({k.lower(): v for k, v in h.items()}.get("authorization") == f"Bearer {TOKEN}"
               for _, h, _ in sent)  # the push really carried the token
    commit = [b for p, _, b in sent if "/commit/" in p]
    assert commit and b"model.safetensors" in commit[0] and b"checkpoint" not in commit[0]
    assert all(TOKEN.encode() not in body for _, _, body in sent)
    # never on disk: workspace (run folder included), Gradio's temp dir, temp files, HF home, server log
    needle = TOKEN.encode()
    searched = 0
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            searched += 1
            assert needle not in path.read_bytes(), path
    assert searched > 20 and (root / "server.log").stat().st_size > 0
    assert (root / "gradio").is_dir() and any((root / "workspace").rglob("model.safetensors"))


# ============================================================================= full disk (app level)

def test_full_disk_while_checkpointing_keeps_the_last_checkpoint_and_says_so(client_factory, studio_app,
                                                                            monkeypatch):
    """Checkpoints stop fitting on the disk mid-run (ENOSPC on the safetensors writes): the run
    reports it in its status and log, the previous checkpoint stays whole, no temp file is left."""
    from gan_core import checkpoint as ck
    from gan_core.checkpoint import load_tensors
    real_write = ck.atomic_write_bytes
    disk_full = threading.Event()

    def write(path, data):
        if disk_full.is_set() and Path(path).suffix == ".safetensors":  # the big files stop fitting
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(path, data)

    monkeypatch.setattr(ck, "atomic_write_bytes", write)
    monkeypatch.setenv("STUDIO_CHECKPOINT_MINUTES", "0.002")
    client = client_factory()
    client.predict(files(designs(studio_app.root / "disk", 6)), api_name="/upload_files")
    client.predict("disk", *CLEANUP.values(), api_name="/save_dataset")
    job = client.submit(*train_args("disk", budget=100), api_name="/train")
    runs = studio_app.workspace / "visitors" / session_visitor(client) / "runs"
    run_dir = wait_until(lambda: next(iter(runs.glob("disk-*")), None) if runs.is_dir() else None, 60, "the run")
    wait_until(lambda: (checkpoint_step(run_dir) or 0) >= 3, 60, "a checkpoint past step 3")
    disk_full.set()
    kept = checkpoint_step(run_dir)
    final = job.result(timeout=120)
    status, log = final[0], final[3]
    assert state_of(status) == "finished"
    assert "No space left on device" in status and "the previous checkpoint is kept" in status
    assert re.search(r"checkpoint at step \d+ failed \(No space left on device\); the previous checkpoint is kept",
                     log)
    _, meta = load_tensors(run_dir / "checkpoint.safetensors")
    assert meta["step"] == kept < 100  # whole, and the last one that fit
    assert not list(run_dir.glob(".*.tmp"))


# ============================================================================= several visitors

def test_two_visitors_in_parallel_never_see_each_others_files(client_factory, studio_app):
    ann, bob = client_factory(), client_factory()
    photos = {"ann": designs(studio_app.root / "ann", 3, 0), "bob": designs(studio_app.root / "bob", 5, 50)}
    errors, captions = [], {}

    def session(name, client):
        try:
            for round_ in range(3):
                summary = client.predict(files(photos[name]), api_name="/upload_files")
                assert f"**{len(photos[name])} usable images**" in summary
                tiles = client.predict(*CLEANUP.values(), api_name="/preview_cleanup")
                captions[name] = {t["caption"] for t in tiles}
                status = client.predict(f"mine{round_}", *CLEANUP.values(), api_name="/save_dataset")
                assert status.startswith(f"Saved dataset **mine{round_}**: {len(photos[name])} images"), status
        except Exception as e:  # reported below, with the thread's name
            errors.append(f"{name}: {e!r}")

    threads = [threading.Thread(target=session, args=a) for a in (("ann", ann), ("bob", bob))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert captions == {"ann": {p.name for p in photos["ann"]}, "bob": {p.name for p in photos["bob"]}}
    for name, client, n in (("ann", ann, 3), ("bob", bob, 5)):
        listed = client.predict(api_name="/list_datasets")
        assert sorted((d["name"], d["count"]) for d in listed) == [(f"mine{i}", n) for i in range(3)]
        home = studio_app.workspace / "visitors" / session_visitor(client)
        assert sorted(p.name for p in (home / "uploads").iterdir()) == sorted(p.name for p in photos[name])
        for i in range(3):
            meta = json.loads((home / "datasets" / f"mine{i}" / "dataset.json").read_text())
            assert meta["names"] == sorted(p.name for p in photos[name])


def test_fifty_concurrent_generations_are_all_served_and_deterministic(studio_app):
    clients = [Client(studio_app.url, verbose=False, download_files=str(studio_app.root / f"dl{i}"))
               for i in range(5)]
    seeds = [i % 7 for i in range(50)]

    def one(i):
        return seeds[i], Path(clients[i % 5].predict(MODEL, seeds[i], 1.0, api_name="/generate")).read_bytes()

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=25) as pool:
        results = list(pool.map(one, range(50)))
    print(f"50 concurrent /generate calls from 5 clients: {time.perf_counter() - t0:.1f} s")
    by_seed: dict[int, set[bytes]] = {}
    for seed, data in results:
        by_seed.setdefault(seed, set()).add(data)
    assert all(len(v) == 1 for v in by_seed.values())  # same seed, identical PNG bytes
    assert len({next(iter(v)) for v in by_seed.values()}) == 7  # and different seeds differ
    for data in {next(iter(v)) for v in by_seed.values()}:
        assert data.startswith(b"\x89PNG")
    for c in clients:
        c.close()


def test_training_requests_of_two_visitors_queue(client_factory, studio_app):
    cleo, dan = client_factory(), client_factory()
    for c, name in ((cleo, "cleo"), (dan, "dan")):
        c.predict(files(designs(studio_app.root / name, 4)), api_name="/upload_files")
        c.predict("q", *CLEANUP.values(), api_name="/save_dataset")
    first = cleo.submit(*train_args("q", budget=100_000), api_name="/train")
    t0 = time.time()
    while time.time() - t0 < 60 and not any(state_of(o[0]) == "running" for o in first.outputs()):
        time.sleep(0.1)
    second = dan.submit(*train_args("q", budget=5), api_name="/train")
    t0 = time.time()
    while time.time() - t0 < 30 and not any(state_of(o[0]) == "queued" for o in second.outputs()):
        time.sleep(0.1)
    queued = [o[0] for o in second.outputs() if state_of(o[0]) == "queued"]
    assert queued and "position 1 in the queue — st" in queued[0]  # starts in about … / start time not known yet
    with pytest.raises(AppError, match=r"You already have q-\S+ \(training\); each visitor may have one run"):
        cleo.predict(*train_args("q", budget=5), api_name="/train")
    assert dan.predict(api_name="/stop") == "Removed your run from the queue."
    assert state_of(second.result(timeout=30)[0]) == "cancelled"
    assert cleo.predict(api_name="/stop").startswith("Stopping")
    assert state_of(first.result(timeout=60)[0]) == "stopped"


# ============================================================================= cleanup of idle visitors

def test_idle_visitors_upload_and_preview_folders_are_cleaned_datasets_and_runs_kept(client_factory, studio_app,
                                                                                     monkeypatch):
    from studio.workspace import Workspace, cleanup_inactive
    client = client_factory()
    old, new = "idle-visitor-0001-k7f3a9c0d", "busy-visitor-0001-k7f3a9c0d"
    for vid in (old, new):
        client.predict(files(designs(studio_app.root / vid, 3)), vid, api_name="/upload_files")
        client.predict(*CLEANUP.values(), vid, api_name="/preview_cleanup")
        client.predict("kept", *CLEANUP.values(), vid, api_name="/save_dataset")
        make_tiny_model(studio_app.workspace / "visitors" / vid / "runs" / "kept-run", resolution=16)
    api_only = session_visitor(client_factory())  # an API session that never saved anything
    (studio_app.workspace / "visitors" / api_only / "uploads").mkdir(parents=True)
    ws = Workspace(studio_app.workspace, "custom")
    two_hours_ago = time.time() - 2 * 3600
    for vid in (old, api_only):
        home = studio_app.workspace / "visitors" / vid
        (home / ".last_seen").write_text("")
        os.utime(home / ".last_seen", (two_hours_ago, two_hours_ago))
    monkeypatch.setenv("STUDIO_CLEANUP_HOURS", "1")  # the age limit is configurable
    assert cleanup_inactive(ws, force=True) >= 2
    old_home, new_home = (studio_app.workspace / "visitors" / v for v in (old, new))
    assert not (old_home / "uploads").exists() and not (old_home / "previews").exists()
    assert (old_home / "datasets" / "kept" / "dataset.json").is_file()
    assert (old_home / "runs" / "kept-run" / "model.safetensors").is_file()
    assert not (studio_app.workspace / "visitors" / api_only).exists()
    assert len(list((new_home / "uploads").iterdir())) == 3 and (new_home / "previews" / "index.json").is_file()
    # the idle visitor comes back: datasets and runs are there, the preview asks for photos again
    assert [d["name"] for d in client.predict(old, api_name="/list_datasets")] == ["kept"]
    assert Image.open(client.predict("run/kept-run", 3, 1.0, old, api_name="/generate")).size == (256, 256)
    with pytest.raises(AppError, match="Nothing to preview yet"):
        client.predict(*CLEANUP.values(), old, api_name="/preview_cleanup")
    assert any(t.name == "studio-janitor" and t.is_alive() for t in threading.enumerate())


# ============================================================================= the model box on a Space

def test_on_a_public_space_the_model_box_loads_only_own_runs_bundled_models_and_hub_ids(
        client_factory, studio_app, tmp_path, monkeypatch):
    from huggingface_hub import constants as hf_constants
    client = client_factory()
    me, other = "space-visitor-0001-k7f3a9c0d", "space-visitor-0002-k7f3a9c0d"
    visitors = studio_app.workspace / "visitors"
    mine = make_tiny_model(visitors / me / "runs" / "myrun", resolution=16)
    theirs = make_tiny_model(visitors / other / "runs" / "theirs", resolution=16)
    outside = make_tiny_model(tmp_path / "outside", resolution=16)
    # a Hub repository in an offline cache
    cache = tmp_path / "hf" / "hub"
    sha = "0123456789abcdef0123456789abcdef01234567"
    snap = cache / "models--org--rims16" / "snapshots" / sha
    snap.mkdir(parents=True)
    (cache / "models--org--rims16" / "refs").mkdir()
    (cache / "models--org--rims16" / "refs" / "main").write_text(sha)
    for name in ("config.json", "model.safetensors"):
        (snap / name).write_bytes((outside / name).read_bytes())
    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)

    def load(ref):
        return client.predict(str(ref), me, api_name="/load_model")

    monkeypatch.setenv("SPACE_ID", "someone/design-studio")
    for ref in ("run/myrun", mine, "bundled/tiny-64", studio_app.weights / "tiny-64", "org/rims16"):
        assert load(ref).startswith("Loaded"), ref
    for ref in (outside, theirs, f"{visitors / me / 'runs'}/../../{other}/runs/theirs", "/etc",
                studio_app.workspace):
        with pytest.raises(AppError, match="on this Space the model box takes bundled models"):
            load(ref)
    with pytest.raises(AppError, match="on this Space"):
        client.predict(str(theirs), 1, 1.0, me, api_name="/generate")
    monkeypatch.delenv("SPACE_ID")
    assert load(outside).startswith("Loaded")  # locally any folder loads
    assert load(theirs).startswith("Loaded")


# ============================================================================= nearest training image

def test_explore_shows_the_nearest_training_image_and_flags_near_copies(client_factory, studio_app):
    from gan_core.design.generate import load_generator
    from gan_core.metrics.quality import nearest_training
    from gan_core.training.runfolder import RunFolder
    client = client_factory()
    vid = "near-visitor-0001-k7f3a9c0d"
    run = make_tiny_model(studio_app.workspace / "visitors" / vid / "runs" / "near-run", resolution=16, seed=3)
    model = load_generator(run)
    # training pictures: the designs of seeds 0-9 themselves, so seed 4 is a copy of picture #4
    pictures = model.generate(range(10))
    RunFolder(run).write_training_images(pictures)
    bundled = make_tiny_model(studio_app.root / "bundled-near" / "zz-near-16", resolution=16, seed=3)
    RunFolder(bundled).write_training_images(pictures)
    os.symlink(bundled, studio_app.weights / "zz-near-16")

    for ref in ("run/near-run", "bundled/zz-near-16", str(run)):
        image, text = client.predict(ref, 4, 1.0, vid, api_name="/nearest_training")
        assert "nearest of the 10 training images is **#4**" in text and "distance 0.00" in text
        assert "**⚠ near-copy of a training image**" in text and "a new design" not in text
        shown = np.asarray(Image.open(image).convert("L"))
        assert shown.shape == (160, 160)
        np.testing.assert_array_equal(shown[::10, ::10], pictures[4])  # #4, upscaled 10x
    # a design far from every training picture (by the engine's own rule): no flag
    new = nearest_training(model.generate([123456]), pictures)[0]
    assert new["memorised"] is False and new["distance"] > 0
    image, text = client.predict("run/near-run", 123456, 1.0, vid, api_name="/nearest_training")
    assert f"is **#{new['index']}**, distance {new['distance']:.2f}" in text
    assert "a new design, not a near-copy of a training image" in text and "⚠" not in text
    # a model without training pictures: nothing to compare
    assert client.predict(MODEL, 4, 1.0, vid, api_name="/nearest_training") == (None, "")


# ============================================================================= ZeroGPU: progress from the run folder

def test_a_run_whose_callbacks_never_arrive_still_shows_progress_and_stops(client_factory, studio_app,
                                                                             monkeypatch):
    """On ZeroGPU the training loop runs in another process: the job in this one never hears
    from it. The page then follows the run folder (log.jsonl, grids/), and Stop reaches the
    loop through the STOP file."""
    from studio import jobs

    def like_zero_gpu(job):
        other = copy.copy(job)  # the forked process's copy of the job
        other.on_progress = lambda p: None
        other.stop_event = threading.Event()
        return jobs._run_job(other)

    monkeypatch.setattr(jobs, "run_job", like_zero_gpu)
    monkeypatch.setattr(jobs, "FOLDER_FALLBACK_SECONDS", 0.5)
    client = client_factory()
    client.predict(files(designs(studio_app.root / "zero", 6)), api_name="/upload_files")
    client.predict("zero", *CLEANUP.values(), api_name="/save_dataset")
    job = client.submit(*train_args("zero", budget=2000), api_name="/train")  # a grid every 100 steps

    def progressed():
        for status, grid, losses, *_ in job.outputs():
            if state_of(status) == "running" and step_of(status) > 0 and losses and grid:
                return status, grid, losses
        return None
    status, grid, losses = wait_until(progressed, 90, "progress read from the run folder")
    assert {r[2] for r in losses["data"]} == {"critic", "generator"}
    assert Image.open(grid).size[0] >= 256
    assert client.predict(api_name="/stop").startswith("Stopping")
    final = job.result(timeout=60)
    assert state_of(final[0]) == "stopped" and step_of(final[0]) >= step_of(status)
    assert final[1] is not None and final[2] is not None  # the last grid and curves, from the folder
    run_dir = studio_app.workspace / "visitors" / session_visitor(client) / "runs" / final[7]
    assert not (run_dir / "STOP").exists()


# ============================================================================= upload limits

def test_one_upload_is_limited_in_file_count_and_total_size(tmp_path):
    """Each file is capped by launch(max_file_size=50 MB) (see test_app_api); the upload as a whole
    by count and total size, checked before any file is read (sparse files: no disk used)."""
    import gradio as gr

    from studio.context import Studio
    from studio.data_tab import MAX_UPLOAD_BYTES, MAX_UPLOAD_FILES, DataTab
    from studio.workspace import Workspace
    ws = Workspace(tmp_path / "ws", "custom")
    tab = DataTab(Studio(ws=ws))
    many = []
    for i in range(MAX_UPLOAD_FILES + 1):
        many.append(tmp_path / "many" / f"{i}.png")
    many[0].parent.mkdir()
    for p in many:
        p.touch()
    with pytest.raises(gr.Error, match=f"{MAX_UPLOAD_FILES + 1} files is too many for one upload: at most "
                                       f"{MAX_UPLOAD_FILES}"):
        tab.upload_files(many, "limits-visitor-01-k7f3a9c0d")
    big = []
    for i in range(11):
        p = tmp_path / "big" / f"photo{i}.png"
        p.parent.mkdir(exist_ok=True)
        with open(p, "wb") as f:
            f.truncate(50 * 2**20)
        big.append(p)
    with pytest.raises(gr.Error, match=f"add up to 550 MB, more than the {MAX_UPLOAD_BYTES // 2**20} MB"):
        tab.upload_files(big, "limits-visitor-01-k7f3a9c0d")
    assert not (ws.root / "visitors" / "limits-visitor-01-k7f3a9c0d" / "uploads").exists()  # nothing was changed

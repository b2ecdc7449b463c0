"""Hub loading and pushing, all offline.

Downloads read a Hub-style cache built in a temp folder (HF_HUB_OFFLINE=1); uploads
talk to an ``httpx2.MockTransport`` installed with ``huggingface_hub.set_client_factory``,
so everything above the HTTP boundary (HfApi, create_repo, preupload, commit) is real.
"""
from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import httpx2  # huggingface_hub 2.x's HTTP client
import yaml
from huggingface_hub import constants as hf_constants
from huggingface_hub.utils import _http as hf_http

from gan_core.checkpoint import save_tensors, write_json
from gan_core.config import ModelConfig
from gan_core.design.generate import load_generator, save_generator
from gan_core.errors import UserError
from gan_core.hub import transfer as hub
from gan_core.hub.modelcard import model_card
from gan_core.nets.models import Generator

TOKEN = "hf_TESTtokenDoNotLeak1234567890abcdef"
SHA = "0123456789abcdef0123456789abcdef01234567"


def tiny_generator() -> Generator:
    torch.manual_seed(0)
    return Generator(ModelConfig(resolution=16, width=4, z_dim=8))


@pytest.fixture
def hf_home(tmp_path, monkeypatch):
    """An empty, private HF_HOME/HF_HUB_CACHE; offline unless a test says otherwise."""
    home = tmp_path / "hf_home"
    cache = home / "hub"
    cache.mkdir(parents=True)
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    # huggingface_hub reads these once at import: point the live constants at the temp folder too
    monkeypatch.setattr(hf_constants, "HF_HOME", str(home))
    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(hf_constants, "HF_TOKEN_PATH", str(home / "token"))
    monkeypatch.setattr(hf_constants, "HF_STORED_TOKENS_PATH", str(home / "stored_tokens"))
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    return home


def cached_repo(cache: Path, repo_id: str, files: dict[str, bytes | Path]) -> Path:
    """Lay out models--org--name/{refs/main, snapshots/<sha>/...} as snapshot_download leaves it."""
    root = cache / f"models--{repo_id.replace('/', '--')}"
    snap = root / "snapshots" / SHA
    snap.mkdir(parents=True)
    (root / "refs").mkdir()
    (root / "refs" / "main").write_text(SHA)
    for name, content in files.items():
        (snap / name).write_bytes(content.read_bytes() if isinstance(content, Path) else content)
    return snap


def generator_files(tmp_path: Path) -> dict[str, Path]:
    folder = save_generator(tiny_generator(), tmp_path / "gen")
    return {"config.json": folder / "config.json", "model.safetensors": folder / "model.safetensors"}


# ----------------------------------------------------------------------------- ids

@pytest.mark.parametrize("text, expected", [
    ("org/name", "org/name"),
    (" you/rim-generator ", "you/rim-generator"),
    ("https://huggingface.co/you/rim_gen.v2", "you/rim_gen.v2"),
])
def test_repo_id_accepted(text, expected):
    assert hub.check_repo_id(text) == expected


@pytest.mark.parametrize("text", ["", "name-only", "a/b/c", "org/na me", "org/-x", "org/a--b", "org/x.git", None])
def test_repo_id_rejected_with_example(text):
    with pytest.raises(UserError, match="you/rim-generator"):
        hub.check_repo_id(text)


# ----------------------------------------------------------------------------- download

def test_download_from_offline_cache_loads_and_generates(hf_home, tmp_path, hub_recorder):
    G = tiny_generator()
    snap = cached_repo(hf_home / "hub", "org/name", generator_files(tmp_path))
    recorder = hub_recorder(FakeHub())
    folder = hub.download_model("org/name")
    assert recorder.api_calls() == [] and recorder.sleeps == []  # offline: the cache, no request
    assert folder.resolve() == snap.resolve()
    model = load_generator(folder)
    pics = model.generate([0, 1, 2])
    assert pics.shape == (3, 16, 16) and pics.dtype == np.uint8
    # same weights as saved: identical pictures
    ref = load_generator(tmp_path / "gen").generate([0, 1, 2])
    np.testing.assert_array_equal(pics, ref)
    del G
    # a commit sha as revision reads the same snapshot
    assert hub.download_model("org/name", revision=SHA).resolve() == snap.resolve()


def test_download_missing_repo_offline_is_quick_and_clear(hf_home, hub_recorder):
    recorder = hub_recorder(FakeHub(raise_exc=httpx2.ConnectError))
    with pytest.raises(UserError, match=r"not in the local cache and the Hub cannot be reached \(offline\?\)"):
        hub.download_model("org/missing")
    assert recorder.api_calls() == [] and recorder.sleeps == []  # offline: no request, no 20 s of retries


def test_download_missing_weights_file(hf_home, tmp_path):
    files = generator_files(tmp_path)
    cached_repo(hf_home / "hub", "org/nofile", {"config.json": files["config.json"]})
    with pytest.raises(UserError, match="no model.safetensors") as e:
        hub.download_model("org/nofile")
    assert "org/nofile" in str(e.value)


def test_download_refuses_pickle_only_repo(hf_home, tmp_path):
    files = generator_files(tmp_path)
    cached_repo(hf_home / "hub", "org/pickled", {"config.json": files["config.json"],
                                                  "pytorch_model.bin": b"\x80\x04not-really-a-pickle"})
    with pytest.raises(UserError, match="only safetensors") as e:
        hub.download_model("org/pickled")
    assert "pytorch_model.bin" in str(e.value)


def test_download_bad_id_before_any_lookup(hf_home):
    with pytest.raises(UserError, match="you/rim-generator"):
        hub.download_model("not a repo")


# ----------------------------------------------------------------------------- fake Hub over HTTP

class FakeHub:
    """Answers the Hub API calls create_repo / preupload / commit / repo_info; records every request."""

    def __init__(self, status: int | None = None, error_code: str | None = None, raise_exc=None):
        self.requests: list[httpx2.Request] = []
        self.sleeps: list[float] = []  # back-off pauses asked for while it was installed (not slept)
        self.status, self.error_code, self.raise_exc = status, error_code, raise_exc

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        request.read()
        self.requests.append(request)
        if self.raise_exc is not None:
            raise self.raise_exc("no route to host", request=request)
        path = request.url.path
        if path == "/api/agent-harnesses":  # huggingface_hub's best-effort telemetry registry
            return httpx2.Response(200, json={})
        if self.status is not None:
            headers = {"X-Error-Code": self.error_code} if self.error_code else {}
            body = {"error": "Invalid credentials in Authorization header"} if self.status == 401 else \
                {"error": "nope"}
            return httpx2.Response(self.status, json=body, headers=headers)
        if path == "/api/repos/create":
            name = json.loads(request.content)
            return httpx2.Response(200, json={"url": f"https://huggingface.co/{name['organization']}/{name['name']}"})
        if path == "/api/validate-yaml":  # the Hub checks the card's front matter before the upload
            front = yaml.safe_load(json.loads(request.content)["content"].split("---\n")[1])
            ok = isinstance(front, dict) and isinstance(front.get("tags"), list)
            return httpx2.Response(200 if ok else 400, json={} if ok else {"errors": [{"message": "bad"}]})
        if "/preupload/" in path:
            files = json.loads(request.content)["files"]
            return httpx2.Response(200, json={"files": [
                {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in files]})
        if "/commit/" in path:
            return httpx2.Response(200, json={"commitUrl": "https://huggingface.co/org/name/commit/" + SHA,
                                              "commitOid": SHA, "pullRequestUrl": None})
        return httpx2.Response(404, json={"error": f"unexpected {request.method} {path}"})

    def api_calls(self) -> list[str]:
        """The paths of the Hub API requests made, in order (huggingface_hub's telemetry left out)."""
        return [r.url.path for r in self.requests if r.url.path != "/api/agent-harnesses"]

    def committed_files(self) -> dict[str, bytes]:
        commits = [r for r in self.requests if "/commit/" in r.url.path]
        assert len(commits) == 1, [str(r.url) for r in self.requests]
        files = {}
        for line in commits[0].content.decode().splitlines():
            item = json.loads(line)
            if item["key"] == "file":
                files[item["value"]["path"]] = base64.b64decode(item["value"]["content"])
            elif item["key"] == "lfsFile":
                files[item["value"]["path"]] = b"<lfs>"
        return files


@pytest.fixture
def hub_recorder(hf_home, monkeypatch):
    """Every request huggingface_hub makes goes to the FakeHub given (offline or not), and every
    time.sleep (a back-off) is recorded there instead of slept: tests count requests and retries,
    not seconds, so a loaded machine cannot fail them."""
    def install(fake: FakeHub) -> FakeHub:
        hf_http.set_client_factory(lambda: httpx2.Client(
            transport=httpx2.MockTransport(fake), event_hooks={"request": [hf_http.hf_request_event_hook]},
            follow_redirects=True))
        monkeypatch.setattr(time, "sleep", fake.sleeps.append)
        return fake

    yield install
    hf_http.set_client_factory(hf_http.default_client_factory)


@pytest.fixture
def fake_hub(hub_recorder, monkeypatch):
    """Online as far as huggingface_hub knows; every request goes to a FakeHub."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", False)
    return hub_recorder


@pytest.mark.parametrize("error_code, status, expected", [
    ("RepoNotFound", 404, "no such model on the Hugging Face Hub"),
    ("GatedRepo", 403, "gated"),
    ("RevisionNotFound", 404, "revision 'v9' not found"),
])
def test_download_hub_errors_are_clear(fake_hub, error_code, status, expected):
    fake_hub(FakeHub(status=status, error_code=error_code))
    with pytest.raises(UserError, match=expected):
        hub.download_model("org/name", revision="v9" if error_code == "RevisionNotFound" else None)


def test_download_without_network_is_quick_and_clear(fake_hub):
    fake = fake_hub(FakeHub(raise_exc=httpx2.ConnectError))
    with pytest.raises(UserError, match=r"Hub cannot be reached \(offline\?\)"):
        hub.download_model("org/name")
    assert fake.api_calls() == ["/api/models/org/name"] and fake.sleeps == []  # one question, no retries


def test_download_cached_model_while_the_network_is_down(fake_hub, hf_home, tmp_path):
    """Not in offline mode, but no connection: the cached copy is used at once (no back-off)."""
    fake = fake_hub(FakeHub(raise_exc=httpx2.ConnectError))
    snap = cached_repo(hf_home / "hub", "org/name", generator_files(tmp_path))
    for revision in (None, SHA):  # a commit hash once made huggingface_hub retry for ~23 s
        assert hub.download_model("org/name", revision=revision).resolve() == snap.resolve()
    # it asked the (unreachable) Hub once per download, then read the cache: no retries
    assert fake.api_calls() == ["/api/models/org/name", f"/api/models/org/name/revision/{SHA}"]
    assert fake.sleeps == []


# ----------------------------------------------------------------------------- push folder and card

def make_run(folder: Path, with_grid: bool = True, with_metrics: bool = True) -> Path:
    """A run folder as the trainer leaves it, with a checkpoint that must never be pushed."""
    G = tiny_generator()
    save_generator(G, folder, extra={"train": {"preset": "quick", "loss": "dcgan", "batch_size": 32,
                                               "lr_g": 2e-4, "lr_d": 2e-4, "augment": "translation",
                                               "ema_decay": 0.999, "minutes": 10.0, "steps": None, "seed": 0},
                                     "dataset": {"images": 100}})
    save_tensors({"secret": torch.zeros(3)}, folder / "checkpoint.safetensors")
    write_json({"state": "finished", "step": 1234, "message": "", "pid": 1, "seconds": 600.0},
               folder / "status.json")
    (folder / "log.jsonl").write_text('{"step": 10}\n')
    (folder / "grids").mkdir()
    (folder / "grids" / "step_0000010.png").write_bytes(b"png")
    (folder / "progress.gif").write_bytes(b"GIF89a-fake")
    if with_grid:
        from PIL import Image
        Image.new("L", (36, 36), 255).save(folder / "final_grid.png")
    if with_metrics:
        write_json({"swd": 812.5, "coverage": 0.81, "density": 0.97, "memorised_share": 0.12,
                    "num_real": 100, "num_fake": 500}, folder / "metrics.json")
    return folder


def test_build_push_folder_holds_only_what_a_model_repo_needs(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    run = make_run(tmp_path / "run")
    out = hub.build_push_folder(run, tmp_path / "stage", "org/name")
    names = sorted(p.name for p in out.iterdir())
    assert names == ["README.md", "config.json", "final_grid.png", "metrics.json", "model.safetensors",
                     "progress.gif"]
    for p in out.rglob("*"):
        assert TOKEN.encode() not in p.read_bytes(), p
        assert b"secret" not in p.read_bytes() or p.name == "README.md", p  # checkpoint tensors absent
    assert (out / "model.safetensors").read_bytes() == (run / "model.safetensors").read_bytes()
    # the staged folder alone loads
    assert load_generator(out).generate([5]).shape == (1, 16, 16)
    card = (out / "README.md").read_text()
    assert "1234" in card and "10 min" in card and "progress.gif" in card


def test_build_push_folder_makes_a_grid_when_the_run_has_none(tmp_path):
    run = make_run(tmp_path / "run", with_grid=False, with_metrics=False)
    (run / "progress.gif").unlink()
    out = hub.build_push_folder(run, tmp_path / "stage", "org/name")
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "config.json", "final_grid.png",
                                                     "model.safetensors"]
    from PIL import Image
    assert Image.open(out / "final_grid.png").size[0] > 16


def test_build_push_folder_refuses_unfinished_run(tmp_path):
    (tmp_path / "run").mkdir()
    with pytest.raises(UserError, match="no config.json"):
        hub.build_push_folder(tmp_path / "run", tmp_path / "stage", "org/name")


def test_model_card_front_matter_and_sections():
    config = {"format_version": 1, "model": ModelConfig(resolution=64).to_dict(),
              "train": {"preset": "quick", "loss": "dcgan", "batch_size": 32, "lr_g": 2e-4, "lr_d": 2e-4,
                        "augment": "translation,cutout,color", "ema_decay": 0.999, "minutes": 10.0,
                        "steps": None, "seed": 0},
              "dataset": {"images": 100}}
    metrics = {"swd": 812.5, "coverage": 0.81, "density": 0.97, "memorised_share": 0.12}
    card = model_card(config, metrics, "org/rims", {"hardware": "CPU (2 cores)", "minutes": 9.9,
                                                    "reproduce": "python -m gan_core train --data x --out y"})
    assert card.startswith("---\n")
    front = yaml.safe_load(card.split("---\n")[1])
    assert front["library_name"] == "pytorch" and front["license"] == "mit"
    assert {"gan", "design-studio"} <= set(front["tags"])
    for text in ("# rims", "100 training image(s), grayscale at 64×64 px", "| preset | quick |",
                 "| loss | dcgan |", "CPU (2 cores)", "9.9 min", "![Designs from this generator](final_grid.png)",
                 "812.5", "0.81", "12%", "Explore tab",
                 "python -m gan_core generate --model org/rims --seeds 0-15 --out designs",
                 'load_generator(download_model("org/rims"))', "python -m gan_core train --data x --out y"):
        assert text in card, text
    python = card.split("```python\n")[1].split("```")[0]
    assert len(python.strip().splitlines()) <= 5
    compile(python, "card", "exec")


def test_model_card_without_repo_or_metrics():
    config = {"model": ModelConfig(resolution=16, channels=3).to_dict(), "train": {}, "dataset": {"images": 7}}
    card = model_card(config, None, None, {"model_path": "weights/icons-64", "license": "cc-by-4.0"})
    front = yaml.safe_load(card.split("---\n")[1])
    assert front["license"] == "cc-by-4.0"
    assert "## Quality" not in card and "download_model" not in card
    assert "--model weights/icons-64" in card and "colour" in card


# ----------------------------------------------------------------------------- push over (fake) HTTP

def test_push_needs_a_token(tmp_path, hf_home):
    run = make_run(tmp_path / "run")
    with pytest.raises(UserError, match=r"needs a Hugging Face token with write access: create one at "
                                        r"https://huggingface.co/settings/tokens"):
        hub.push_run(run, "org/name")


def test_push_uploads_the_folder(tmp_path, fake_hub, hf_home):
    fake = fake_hub(FakeHub())
    run = make_run(tmp_path / "run")
    url = hub.push_run(run, "org/name", token=TOKEN, private=True)
    assert url == "https://huggingface.co/org/name"
    create = [r for r in fake.requests if r.url.path == "/api/repos/create"]
    assert len(create) == 1
    payload = json.loads(create[0].content)
    assert payload["name"] == "name" and payload["organization"] == "org" and payload.get("visibility") == "private"
    assert create[0].headers["authorization"] == f"Bearer {TOKEN}"
    files = fake.committed_files()
    assert sorted(files) == ["README.md", "config.json", "final_grid.png", "metrics.json", "model.safetensors",
                             "progress.gif"]
    assert files["model.safetensors"] == (run / "model.safetensors").read_bytes()
    assert b"library_name: pytorch" in files["README.md"]
    # the token travels in the Authorization header only: no request body and no file on disk holds it
    for r in fake.requests:
        assert TOKEN.encode() not in r.content
    for root in (hf_home, run):
        for p in Path(root).rglob("*"):
            assert not p.is_file() or TOKEN.encode() not in p.read_bytes(), p


def test_push_uses_hf_token_env(tmp_path, fake_hub, monkeypatch):
    fake = fake_hub(FakeHub())
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    run = make_run(tmp_path / "run")
    assert hub.push_run(run, "org/name") == "https://huggingface.co/org/name"
    calls = fake.api_calls()
    assert calls[0] == "/api/repos/create" and calls[-1] == "/api/models/org/name/commit/main", calls
    assert fake.committed_files()["model.safetensors"] == (run / "model.safetensors").read_bytes()
    for r in fake.requests:  # every request of the push, the upload included, carries it
        assert r.headers.get("authorization") == f"Bearer {TOKEN}", r.url.path


@pytest.mark.parametrize("status, expected", [
    (401, "the Hub refused the token"),
    (403, "may not write here"),
    (404, "repository not found and could not be created"),
])
def test_push_http_errors_are_clear(tmp_path, fake_hub, status, expected):
    fake_hub(FakeHub(status=status))
    with pytest.raises(UserError, match=expected) as e:
        hub.push_run(make_run(tmp_path / "run"), "org/name", token=TOKEN)
    assert TOKEN not in str(e.value)


def test_push_without_network_is_quick_and_clear(tmp_path, fake_hub):
    fake = fake_hub(FakeHub(raise_exc=httpx2.ConnectError))
    with pytest.raises(UserError, match=r"cannot be reached \(offline\?\)"):
        hub.push_run(make_run(tmp_path / "run"), "org/name", token=TOKEN)
    assert fake.api_calls() == ["/api/repos/create"] and fake.sleeps == []  # the first request fails; no retries


def test_push_offline_mode_says_so(tmp_path, hf_home):
    with pytest.raises(UserError, match="HF_HUB_OFFLINE"):
        hub.push_run(make_run(tmp_path / "run"), "org/name", token=TOKEN)

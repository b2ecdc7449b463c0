"""Shared fixtures: the real studio app on a free port with a temporary workspace.

The app is started once per test session (``studio_app``) and used by both the
gradio_client tests and the browser tests. Everything it writes goes under one
temporary folder; the Hub is offline.
"""
from __future__ import annotations

import os
import socket
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

# huggingface_hub reads this once, at import (gradio_client imports it): set it before any test module
os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"  # real pictures the repository ships (its LICENSE.md)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_tiny_model(folder: Path, resolution: int = 64, width: int = 4, seed: int = 0) -> Path:
    """A random (untrained) generator saved the way runs save theirs: enough to explore seeds.

    Its BatchNorm statistics are calibrated on a batch of latents and the last layer is
    scaled up, so different seeds give visibly different (noise) pictures, not flat grey.
    """
    import torch
    from gan_core.config import ModelConfig
    from gan_core.design.generate import save_generator
    from gan_core.nets.models import Generator
    torch.manual_seed(seed)
    G = Generator(ModelConfig(resolution=resolution, width=width, z_dim=32))
    for m in G.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the calibration batch
    with torch.no_grad():
        G.train()(torch.randn(256, 32))
        last = [m for m in G.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))][-1]
        last.weight.mul_(20)
    return save_generator(G.eval(), folder)


def link_bundled_models(target: Path) -> list[str]:
    """The repository's real bundled models (weights/*), if any, next to the tiny one."""
    names = []
    for folder in sorted((REPO / "weights").glob("*")):
        if (folder / "model.safetensors").is_file() and not (target / folder.name).exists():
            (target / folder.name).symlink_to(folder.resolve(), target_is_directory=True)
            names.append(folder.name)
    return names


def fixture_files(folder: str, pattern: str = "*", count: int | None = None) -> list[Path]:
    """The files of tests/fixtures/<folder> that match ``pattern``, sorted (the first ``count``).
    A missing fixture fails the test: it never skips."""
    files = sorted((FIXTURES / folder).glob(pattern))
    assert files and len(files) >= (count or 1), \
        f"tests/fixtures/{folder}/{pattern}: {len(files)} file(s), {count or 1} needed"
    return files[:count] if count else files


def photos(n: int = 8) -> list[Path]:
    """A few raw 'product photos' (light icons on a dark background), from tests/fixtures."""
    return fixture_files("fa-icons-raw", "*.jpg", n)


@pytest.fixture(scope="session")
def studio_app(tmp_path_factory):
    root = tmp_path_factory.mktemp("studio")
    for sub in ("tmp", "gradio"):
        (root / sub).mkdir()
    os.environ.update({
        "STUDIO_WORKSPACE": str(root / "workspace"),
        "STUDIO_WEIGHTS_DIR": str(root / "weights"),
        "STUDIO_SECRET": "test-secret",
        "HF_HUB_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "GRADIO_TEMP_DIR": str(root / "gradio"),
        "TMPDIR": str(root / "tmp"),
    })
    os.environ.pop("SPACE_ID", None)
    tempfile.tempdir = None  # re-read TMPDIR
    make_tiny_model(root / "weights" / "tiny-64")
    real_models = link_bundled_models(root / "weights")

    from studio.app import build_demo, launch_options
    demo = build_demo()
    port = free_port()
    t0 = time.perf_counter()
    demo.launch(**launch_options(), server_name="127.0.0.1", server_port=port, prevent_thread_lock=True,
                quiet=True)
    print(f"studio app up in {time.perf_counter() - t0:.1f} s on port {port}")
    yield SimpleNamespace(url=f"http://127.0.0.1:{port}/", root=root, workspace=root / "workspace",
                          weights=root / "weights", demo=demo, real_models=real_models)
    demo.close()


@pytest.fixture(scope="session")
def client_factory(studio_app):
    from gradio_client import Client
    downloads = studio_app.root / "downloads"
    downloads.mkdir(exist_ok=True)

    def make():
        return Client(studio_app.url, verbose=False, download_files=str(downloads))
    return make

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

SAMPLE_PHOTOS = Path("/work/shared/data/fa-icons-raw")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_tiny_model(folder: Path, resolution: int = 64, width: int = 4, seed: int = 0) -> Path:
    """A random (untrained) generator saved the way runs save theirs: enough to explore seeds."""
    import torch
    from gan_core.config import ModelConfig
    from gan_core.generate import save_generator
    from gan_core.models import Generator
    torch.manual_seed(seed)
    return save_generator(Generator(ModelConfig(resolution=resolution, width=width, z_dim=32)), folder)


def photos(n: int = 8) -> list[Path]:
    """A few raw 'product photos' (light icons on a dark background)."""
    files = sorted(SAMPLE_PHOTOS.glob("*.jpg"))[:n]
    if len(files) < n:
        pytest.skip(f"needs {SAMPLE_PHOTOS}")
    return files


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

    from studio.app import build_demo, launch_options
    demo = build_demo()
    port = free_port()
    t0 = time.perf_counter()
    demo.launch(**launch_options(), server_name="127.0.0.1", server_port=port, prevent_thread_lock=True,
                quiet=True)
    print(f"studio app up in {time.perf_counter() - t0:.1f} s on port {port}")
    yield SimpleNamespace(url=f"http://127.0.0.1:{port}/", root=root, workspace=root / "workspace",
                          weights=root / "weights", demo=demo)
    demo.close()


@pytest.fixture(scope="session")
def client_factory(studio_app):
    from gradio_client import Client
    downloads = studio_app.root / "downloads"
    downloads.mkdir(exist_ok=True)

    def make():
        return Client(studio_app.url, verbose=False, download_files=str(downloads))
    return make

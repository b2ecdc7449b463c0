"""The studio's multi-GPU pieces on CPU: a torchrun child process group that the run folder's
STOP file stops (both ranks, same step), a kill of the whole group, and the GPU listing."""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from gan_core.checkpoint import load_tensors
from gan_core.datasets import save_dataset
from gan_core.device import list_gpus
from gan_core.launch import kill_run, launch_distributed, stop_run
from gan_core.runfolder import RunFolder

from helpers import shapes_dataset, tiny_train
from studio.gpus import gpu_count_choices, gpus_markdown


@pytest.fixture()
def data(tmp_path) -> Path:
    pictures = ((shapes_dataset(12)[:, 0] + 1) * 127.5).round().byte().numpy()
    return save_dataset(pictures, None, tmp_path / "data")


def _wait(cond, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def test_launched_group_streams_from_rank_0_and_stops_on_the_stop_file(tmp_path, data):
    run = RunFolder(tmp_path / "run")
    cfg = tiny_train("dcgan", steps=100_000, log_every=1, device="cpu", threads=1, sample_every=1000)
    proc = launch_distributed(cfg, data, run.path, nproc=2)
    try:
        _wait(lambda: len(run.read_log()) >= 2 or proc.poll() is not None, 150, "two log lines from rank 0")
        assert proc.poll() is None, (run.path / "launch.log").read_text()[-2000:]
        stop_run(run.path)
        assert proc.wait(120) == 0, (run.path / "launch.log").read_text()[-2000:]
    finally:
        if proc.poll() is None:
            kill_run(proc)
    status = run.read_status()
    assert status["state"] == "stopped"
    _, meta = load_tensors(run.checkpoint)
    assert meta["world_size"] == 2 and meta["step"] == status["step"]
    assert json.loads(run.config.read_text())["world_size"] == 2


def test_kill_run_ends_the_whole_group_and_keeps_the_checkpoint(tmp_path, data):
    run = RunFolder(tmp_path / "run")
    cfg = tiny_train("dcgan", steps=100_000, log_every=1, device="cpu", threads=1, sample_every=1000)
    proc = launch_distributed(cfg, data, run.path, nproc=2)
    _wait(lambda: run.checkpoint.is_file() or proc.poll() is not None, 150, "the step-0 checkpoint")
    t0 = time.monotonic()
    code = kill_run(proc, grace_seconds=5)
    assert code != 0 and time.monotonic() - t0 < 40
    import os
    import signal
    with pytest.raises(ProcessLookupError):  # nothing of the group is left
        os.killpg(proc.pid, 0)
    _, meta = load_tensors(run.checkpoint)
    assert meta["step"] >= 0


def test_gpu_listing_and_choices_without_a_gpu():
    gpus = list_gpus()
    assert isinstance(gpus, list)
    fake = [{"index": 0, "name": "H100", "memory_gb": 80.0}, {"index": 1, "name": "H100", "memory_gb": 80.0}]
    assert "2 GPUs visible" in gpus_markdown(fake) and "| 1 | H100 | 80 GB |" in gpus_markdown(fake)
    assert gpu_count_choices(fake) == ([("1 GPU", 1), ("2 GPUs", 2)], 1)
    if not gpus:
        assert "CPU" in gpus_markdown() and gpu_count_choices() == ([("CPU", 1)], 1)
    assert np.all([g["memory_gb"] > 0 for g in gpus])

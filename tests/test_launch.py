"""The studio's multi-GPU pieces on CPU: a torchrun child process group that the run folder's
STOP file stops (both ranks, same step), a kill of the whole group, and the GPU listing."""
from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from gan_core.checkpoint import load_tensors
from gan_core.data.datasets import save_dataset
from gan_core.device import list_gpus
from gan_core.train.launch import kill_run, launch_distributed, stop_run
from gan_core.train.runfolder import RunFolder

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


def test_a_studio_job_on_two_ranks_streams_from_the_run_folder_and_stops(tmp_path, data):
    """The studio's path for "GPUs for this run" > 1 (studio.jobs._run_distributed), with two gloo
    ranks on the CPU: the page's snapshot follows rank 0's run folder and a Stop ends both ranks."""
    from studio.jobs import Job
    from studio.run_queue import JobManager
    cfg = tiny_train("dcgan", steps=100_000, log_every=1, device="cpu", threads=1, sample_every=1000)
    job = Job("visitor-for-launch-test-01", "run", tmp_path / "runs" / "run", cfg, data,
              dataset_info={"name": "data"}, meta={"dataset": "data"}, gpus=2)
    manager = JobManager()
    manager.submit(job)
    try:
        _wait(lambda: job.snapshot()["step"] >= 2 or not job.active, 180, "steps read from rank 0's folder")
        assert job.active, job.error
        manager.stop(job)
        _wait(lambda: not job.active, 120, "both ranks to stop")
    finally:
        job.stop_event.set()
        stop_run(job.run_dir)
    assert job.state == "stopped", job.error
    assert RunFolder(job.run_dir).read_status()["state"] == "stopped"
    assert json.loads((job.run_dir / "config.json").read_text())["world_size"] == 2


def test_more_gpus_than_visible_is_refused_with_the_count():
    from gan_core.errors import UserError
    from studio.gpus import check_gpus
    assert check_gpus(1, gpus=[]) == 1 and check_gpus("2", gpus=[{}, {}]) == 2
    with pytest.raises(UserError, match="2 asked for, but 0 GPU"):
        check_gpus(2, gpus=[])
    with pytest.raises(UserError, match="whole number"):
        check_gpus("many", gpus=[])

"""The studio's multi-GPU pieces on CPU: a torchrun child process group that the run folder's
STOP file stops (both ranks, same step), a kill of the whole group, and the GPU listing."""
from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from gan_core.training import launch
from gan_core.checkpoint import load_tensors
from gan_core.data.datasets import save_dataset
from gan_core.device import list_gpus
from gan_core.training.launch import kill_run, launch_distributed, stop_run
from gan_core.training.runfolder import RunFolder

from helpers import shapes_dataset, tiny_train
from studio.gpus import gpu_count_choices, gpus_markdown


@pytest.fixture()
def data(tmp_path) -> Path:
    pictures = ((shapes_dataset(12)[:, 0] + 1) * 127.5).round().byte().numpy()
    return save_dataset(pictures, None, tmp_path / "data")


# Waits end on a count (log lines, steps) or on the process ending, never on a speed. This is only
# a guard against a hang, far above what a loaded 2-core machine needs, so it cannot make a test flaky.
HANG_GUARD_S = 900


def _wait(cond, what: str):
    deadline = time.monotonic() + HANG_GUARD_S
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.5)
    raise AssertionError(f"no {what} after {HANG_GUARD_S} s: a hang")


def test_launched_group_streams_from_rank_0_and_stops_on_the_stop_file(tmp_path, data):
    run = RunFolder(tmp_path / "run")
    cfg = tiny_train("dcgan", steps=100_000, log_every=1, device="cpu", threads=1, sample_every=1000)
    proc = launch_distributed(cfg, data, run.path, nproc=2)
    try:
        _wait(lambda: len(run.read_log()) >= 2 or proc.poll() is not None, "two log lines from rank 0")
        assert proc.poll() is None, (run.path / "launch.log").read_text()[-2000:]
        stop_run(run.path)
        assert proc.wait(HANG_GUARD_S) == 0, (run.path / "launch.log").read_text()[-2000:]
    finally:
        if proc.poll() is None:
            kill_run(proc)
    status = run.read_status()
    assert status["state"] == "stopped"
    _, meta = load_tensors(run.checkpoint)
    assert meta["world_size"] == 2 and meta["step"] == status["step"]
    assert json.loads(run.config.read_text())["world_size"] == 2


def test_kill_run_ends_the_whole_group_and_keeps_the_checkpoint(tmp_path, data, monkeypatch):
    run = RunFolder(tmp_path / "run")
    # a checkpoint before every step: the kill may land in the middle of writing one
    cfg = tiny_train("dcgan", steps=100_000, log_every=1, device="cpu", threads=1, sample_every=1000,
                     checkpoint_minutes=0.0)
    proc = launch_distributed(cfg, data, run.path, nproc=2)
    _wait(lambda: (run.checkpoint_step() or 0) >= 2 or proc.poll() is not None, "checkpoint of step 2")
    assert proc.poll() is None, (run.path / "launch.log").read_text()[-2000:]
    before = run.checkpoint_step()
    sent, real_killpg = [], os.killpg

    def killpg(pid, sig):  # the signals kill_run sends, counted
        sent.append(sig)
        real_killpg(pid, sig)
    monkeypatch.setattr(launch.os, "killpg", killpg)
    code = kill_run(proc, grace_seconds=5)
    # SIGTERM, then SIGKILL only if the grace ran out: no more signals, no retry loop
    assert code != 0 and sent in ([signal.SIGTERM], [signal.SIGTERM, signal.SIGKILL]), sent
    with pytest.raises(ProcessLookupError):  # nothing of the group is left
        real_killpg(proc.pid, 0)
    _, meta = load_tensors(run.checkpoint)  # intact: it loads
    logged = [r["step"] for r in run.read_log()]
    assert before <= meta["step"] <= max(logged), (before, meta["step"], logged)  # none lost, none invented
    assert meta["world_size"] == 2


def test_gpu_listing_and_choices_without_a_gpu(monkeypatch):
    gpus = list_gpus()  # this machine's, whatever it has: one entry per visible device
    assert [g["index"] for g in gpus] == list(range(torch.cuda.device_count() if torch.cuda.is_available() else 0))
    assert np.all([g["memory_gb"] > 0 for g in gpus])
    fake = [{"index": 0, "name": "H100", "memory_gb": 80.0}, {"index": 1, "name": "H100", "memory_gb": 80.0}]
    assert "2 GPUs visible" in gpus_markdown(fake) and "| 1 | H100 | 80 GB |" in gpus_markdown(fake)
    assert gpu_count_choices(fake) == ([("1 GPU", 1), ("2 GPUs", 2)], 1)
    # no GPU: an empty listing, and the page offers the CPU
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert list_gpus() == []
    assert "CPU" in gpus_markdown() and gpu_count_choices() == ([("CPU", 1)], 1)
    # two GPUs, as CUDA describes them (properties only): the listing the page and runs read
    props = type("Props", (), {"name": "H100", "total_memory": 80 * 2 ** 30})
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda i: props)
    assert list_gpus() == fake
    assert gpus_markdown() == gpus_markdown(fake) and gpu_count_choices() == gpu_count_choices(fake)


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
        _wait(lambda: job.snapshot()["step"] >= 2 or not job.active, "steps read from rank 0's folder")
        assert job.active, job.error
        manager.stop(job)
        _wait(lambda: not job.active, "stop of both ranks")
    finally:
        job.stop_event.set()
        stop_run(job.run_dir)
    log = (job.run_dir / "launch.log").read_text(errors="replace")[-4000:]
    assert job.state == "stopped", f"{job.error}\n--- launch.log ---\n{log}"
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


def test_a_failed_distributed_run_is_explained_from_its_launch_log(tmp_path):
    """The page's message for a crashed rank names the rank's exception, not only "exit code 1"."""
    from gan_core.training.launch import LOG_FILE, failure_summary
    assert failure_summary(tmp_path) == ""  # no log yet
    (tmp_path / LOG_FILE).write_text(
        "[start] training on CPU x 2 processes\n"
        "Traceback (most recent call last):\n"
        '  File "/x/gan_core/trainer.py", line 3, in run_loop\n'
        "RuntimeError: [../gloo/transport/tcp/pair.cc:534] Connection closed by peer\n"
        "torch.distributed.elastic.multiprocessing.errors.ChildFailedError:\n"
        "  rank      : 1 (local_rank: 1)\n  exitcode  : 1 (pid: 42)\n")
    why = failure_summary(tmp_path)
    assert "RuntimeError" in why and "exitcode  : 1" in why and "trainer.py" not in why

"""The job state machine: a Stop is honoured whenever it is pressed (real tiny training jobs).

Delays are injected at the race points by subclassing the manager, so the same tests run
against any version of it: the worker pausing after it took a job from the queue, and a
trainer pausing before its first step.
"""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from gan_core.data.datasets import save_dataset
from gan_core.training.runfolder import RunFolder
from helpers import tiny_train
from studio import jobs
from studio.jobs import Job
from studio.run_queue import JobManager


@pytest.fixture()
def dataset_dir(tmp_path):
    pictures = (np.random.default_rng(0).random((8, 16, 16)) * 255).astype(np.uint8)
    return save_dataset(pictures, None, tmp_path / "ds")


def make_job(tmp_path, dataset_dir, name="run", steps=2000, visitor="visitor-for-jobs-test-01"):
    return Job(visitor, name, tmp_path / "runs" / name, tiny_train(steps=steps), dataset_dir,
               dataset_info={"name": dataset_dir.name}, meta={"dataset": dataset_dir.name})


PAUSED: list = []


@pytest.fixture(autouse=True)
def release_workers():
    """A failed test must not leave a worker paused (or training) behind it."""
    yield
    for manager in PAUSED:
        for job in list(manager.jobs.values()):
            job.stop_event.set()
        manager.go.set()
    PAUSED.clear()


def wait_until(predicate, timeout=60.0):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("timed out")


class PausingManager(JobManager):
    """Holds the worker between taking a job from the queue and training it."""

    def __init__(self):
        super().__init__()
        self.taken = threading.Event()
        self.go = threading.Event()
        PAUSED.append(self)

    def _execute(self, job):
        self.taken.set()
        assert self.go.wait(30)
        super()._execute(job)


def test_stop_between_taking_a_job_and_training_it_is_honoured(tmp_path, dataset_dir):
    # failed on the old code: Stop answered "The run has already ended." and the run trained on
    manager = PausingManager()
    job = manager.submit(make_job(tmp_path, dataset_dir))
    assert manager.taken.wait(30)
    answer = manager.stop(job)
    assert answer.startswith("Stopping"), answer
    assert job.state == "stopping"
    manager.go.set()
    wait_until(lambda: not job.active)
    assert job.state == "stopped"
    assert job.step == 0  # the trainer saw the stop at its first step
    assert RunFolder(job.run_dir).checkpoint.is_file()  # a run the list shows, resumable or deletable


def test_stop_while_the_trainer_starts_is_honoured(tmp_path, dataset_dir, monkeypatch):
    started = threading.Event()
    real = jobs._training_data

    def slow_data(job):  # the worker marked the job running and is loading its data
        started.set()
        time.sleep(0.5)
        return real(job)

    monkeypatch.setattr(jobs, "_training_data", slow_data)
    manager = JobManager()
    job = manager.submit(make_job(tmp_path, dataset_dir))
    assert started.wait(30)
    assert manager.stop(job).startswith("Stopping")
    wait_until(lambda: not job.active)
    assert (job.state, job.step) == ("stopped", 0)


def test_stop_of_a_queued_job_cancels_it_and_leaves_no_folder(tmp_path, dataset_dir):
    manager = PausingManager()
    first = manager.submit(make_job(tmp_path, dataset_dir, "first", visitor="visitor-for-jobs-test-01"))
    assert manager.taken.wait(30)
    second = manager.submit(make_job(tmp_path, dataset_dir, "second", visitor="visitor-for-jobs-test-02"))
    assert manager.position(second) == 1
    assert manager.stop(second) == "Removed your run from the queue."
    assert second.state == "cancelled"
    assert manager.stop(second) == "The run has already ended."
    assert not second.run_dir.exists()  # its folder is made when it starts
    manager.stop(first)
    manager.go.set()
    wait_until(lambda: not first.active)
    assert first.state == "stopped"


def test_a_job_that_runs_to_its_budget_finishes_and_a_late_stop_says_so(tmp_path, dataset_dir):
    manager = JobManager()
    job = manager.submit(make_job(tmp_path, dataset_dir, steps=4))
    wait_until(lambda: not job.active)
    assert (job.state, job.step) == ("finished", 4)
    assert manager.stop(job) == "The run has already ended."
    assert manager.active_job_for(job.visitor_id) is None
    # the run keeps its dataset's name (config.json and the model card read it)
    assert RunFolder(job.run_dir).read_config()["dataset"]["name"] == "ds"


def test_zerogpu_time_limit_follows_the_steps_budget_at_the_measured_speed(tmp_path, dataset_dir):
    # failed on the old code: every steps budget got 10 minutes + 2 (720 s)
    from studio import estimate
    long_run = make_job(tmp_path, dataset_dir, steps=10**7)
    assert jobs._gpu_seconds(long_run) == 3600  # far beyond 10 minutes: the cap
    short = make_job(tmp_path, dataset_dir, steps=50)
    rate = estimate.steps_per_second(short.config)
    assert jobs._gpu_seconds(short) == int(50 / rate * estimate.SAFETY + estimate.FINISH_SECONDS) < 720
    short.start_step = 40  # a resume: only the steps left count
    assert jobs._gpu_seconds(short) == int(10 / rate * estimate.SAFETY + estimate.FINISH_SECONDS)
    minutes = Job("visitor-for-jobs-test-01", "m", tmp_path / "m", tiny_train(steps=None, minutes=3.0), None)
    assert jobs._gpu_seconds(minutes) == 3 * 60 + estimate.FINISH_SECONDS


def test_a_stop_during_start_up_reaches_a_training_loop_in_another_process(tmp_path, dataset_dir, monkeypatch):
    """ZeroGPU: the loop runs in another process with its own copy of the job (no shared event);
    a Stop pressed before it started must still reach it, through the STOP file."""
    import copy

    def like_zero_gpu(job):
        other = copy.copy(job)
        other.stop_event = threading.Event()
        return jobs._run_job(other)

    monkeypatch.setattr(jobs, "run_job", like_zero_gpu)
    manager = PausingManager()
    job = manager.submit(make_job(tmp_path, dataset_dir))
    assert manager.taken.wait(30)
    assert manager.stop(job).startswith("Stopping")
    manager.go.set()
    wait_until(lambda: not job.active)
    assert (job.state, job.step) == ("stopped", 0)
    assert not (job.run_dir / jobs.STOP_FILE).exists()  # cleaned up for a later resume

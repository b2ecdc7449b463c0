"""The run queue: one worker thread trains one job at a time (one device, one run).

Later requests wait in a visible queue of at most ``max_waiting``; a visitor has at most
``per_visitor`` jobs (one by default) waiting or training, so no one fills the queue, and each
waiting visitor sees their position and an estimated start (``wait_seconds``). ``studio.hosting``
sets both for a shared deployment. What a job is, and how one runs, is ``studio.jobs``.
"""
from __future__ import annotations

import logging
import shutil
import threading
import traceback
from collections import deque
from pathlib import Path

from gan_core.errors import UserError

from . import jobs
from .jobs import Job

log = logging.getLogger(__name__)

MAX_WAITING = 3          # jobs allowed to wait behind the running one


class JobManager:
    """The queue and the worker thread; one per process (one device).

    One state machine under one lock (``_lock``): every change of a job's ``state`` happens
    while it is held, so submit, stop and the worker always agree::

        queued -> running -> stopping -> stopped | finished | failed
        queued -> cancelled                       running -> finished | stopped | failed

    The worker takes a job from the queue and marks it running in one step, so a Stop finds
    the job either waiting (it is cancelled) or running (its stop event is set before the
    trainer's first step, which checks it).
    """

    def __init__(self, max_waiting: int = MAX_WAITING, per_visitor: int = 1):
        self.max_waiting = max_waiting
        self.per_visitor = per_visitor
        self.jobs: dict[str, Job] = {}
        self.waiting: deque[Job] = deque()
        self.current: Job | None = None
        self._lock = threading.Condition()
        self._thread: threading.Thread | None = None

    def configure(self, limits) -> None:
        """The queue's size and the runs per visitor of a ``studio.hosting.Limits``."""
        with self._lock:
            self.max_waiting, self.per_visitor = limits.max_waiting, limits.runs_per_visitor

    def submit(self, job: Job) -> Job:
        with self._lock:
            mine = [j for j in self._active() if j.visitor_id == job.visitor_id]
            if len(mine) >= self.per_visitor:
                what = ", ".join(f"{j.run_name} ({'waiting' if j.state == 'queued' else 'training'})" for j in mine)
                allowed = "one run" if self.per_visitor == 1 else f"{self.per_visitor} runs"
                raise UserError(f"You already have {what}; each visitor may have {allowed} waiting or training "
                                "at once. Stop it before starting another.")
            if any(j.run_dir == job.run_dir for j in self._active()):
                raise UserError(f"Run {job.run_name} is already training.")
            if len(self.waiting) >= self.max_waiting:
                raise UserError(f"The trainer is busy and {len(self.waiting)} runs are already waiting; "
                                "try again in a few minutes.")
            for old in [j for j in self.jobs.values() if j.visitor_id == job.visitor_id and not j.active]:
                del self.jobs[old.id]  # a page re-attaches to a visitor's latest job only
            job._update(state="queued")
            self.jobs[job.id] = job
            self.waiting.append(job)
            self._ensure_worker()
            self._lock.notify_all()
        return job

    def _active(self) -> list[Job]:
        return ([self.current] if self.current is not None else []) + list(self.waiting)

    def position(self, job: Job) -> int:
        """0 while training, 1.. while waiting, -1 when done."""
        with self._lock:
            if job is self.current:
                return 0
            try:
                return list(self.waiting).index(job) + 1
            except ValueError:
                return -1

    def wait_seconds(self, job: Job) -> float | None:
        """Estimated seconds until a waiting ``job`` starts: what is left of the training run plus
        the budgets of the runs ahead of it (0 once it runs; None when a run ahead has a steps
        budget of unmeasured speed)."""
        from .estimate import FINISH_SECONDS, seconds_left
        with self._lock:
            if job is self.current or job not in self.waiting:
                return 0.0
            ahead = list(self.waiting)[:list(self.waiting).index(job)]
            current = self.current
        total = 0.0
        if current is not None:
            if current.eta_seconds is not None:
                left = current.eta_seconds + FINISH_SECONDS
            else:
                left = seconds_left(current.config, current.step - current.start_step, current.seconds)
            if left is None:
                return None
            total += left
        for j in ahead:
            left = seconds_left(j.config)
            if left is None:
                return None
            total += left
        return total

    def active_job_for(self, visitor_id: str) -> Job | None:
        with self._lock:
            for j in self._active():
                if j.visitor_id == visitor_id:
                    return j
        return None

    def latest_job_for(self, visitor_id: str) -> Job | None:
        with self._lock:
            jobs = [j for j in self.jobs.values() if j.visitor_id == visitor_id]
        return max(jobs, key=lambda j: j.created) if jobs else None

    def job_for_run(self, run_dir: Path) -> Job | None:
        with self._lock:
            for j in self._active():
                if j.run_dir == run_dir:
                    return j
        return None

    def busy(self) -> bool:
        return self.current is not None

    def stop(self, job: Job) -> str:
        """Cancel a waiting job or ask a running one to stop; the answer says which happened."""
        with self._lock:
            if job.state == "queued":
                self.waiting.remove(job)
                job._update(state="cancelled", message="removed from the queue")
                return "Removed your run from the queue."
            if job.state == "stopping":
                return "Already stopping; a final checkpoint is being saved."
            if job.state != "running":
                return "The run has already ended."
            job.stop_event.set()
            job._update(state="stopping", message="stopping: saving a final checkpoint")
        try:  # a training loop in another process (ZeroGPU) sees the file
            (job.run_dir / jobs.STOP_FILE).touch()
        except OSError:
            pass
        return "Stopping after the current step; a final checkpoint is being saved."

    def delete_run(self, run_dir: Path) -> None:
        """Delete a run folder unless a job of it waits or trains (checked and done under the
        lock, so no job can start on it meanwhile)."""
        from gan_core.training.runfolder import RunFolder
        with self._lock:
            job = next((j for j in self._active() if j.run_dir == run_dir), None)
            if job is not None and job.state == "queued":  # a waiting run leaves the queue at once
                self.waiting.remove(job)
                job._update(state="cancelled", message="deleted while it waited")
            elif job is not None:
                raise UserError(f"Run {job.run_name} is training; stop it before deleting it.")
            if run_dir.exists():
                RunFolder(run_dir).delete()

    def delete_dataset(self, dataset_dir: Path) -> None:
        """Delete a dataset folder unless a run waits for it or trains on it (checked and done
        under the lock, so no run can start on it meanwhile). Runs keep their own copy of their
        training pictures, so finished runs do not need it."""
        with self._lock:
            job = next((j for j in self._active() if j.dataset_dir == dataset_dir), None)
            if job is not None:
                doing = "waits to train on it" if job.state == "queued" else "is training on it"
                raise UserError(f"Run {job.run_name} {doing}; stop it before deleting dataset "
                                f"{dataset_dir.name}. Nothing was deleted.")
            shutil.rmtree(dataset_dir)

    # ---- worker ------------------------------------------------------------------------
    def _ensure_worker(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._work, name="studio-trainer", daemon=True)
            self._thread.start()

    def _take(self) -> Job:
        """The next job, taken from the queue and marked running in one step."""
        with self._lock:
            while not self.waiting:
                self._lock.wait()
            job = self.current = self.waiting.popleft()
            job._update(state="running", message="starting")
            return job

    def _end(self, job: Job, state: str, **changes) -> None:
        """The job's final state, and the device free, in one step."""
        with self._lock:
            job._update(state=state, **changes)
            self.current = None
            self._lock.notify_all()

    def _work(self) -> None:
        while True:
            job = self._take()
            try:
                self._execute(job)
            finally:
                if job is self.current:  # _execute died before it could end the job
                    self._end(job, "failed", error="training ended unexpectedly")

    def _execute(self, job: Job) -> None:
        try:
            jobs.prepare_folder(job)
            result = jobs.run_job(job)  # looked up at each call: ZeroGPU wraps it, tests replace it
            (job.run_dir / jobs.STOP_FILE).unlink(missing_ok=True)
        except UserError as e:
            job._log(f"failed: {e}")
            self._end(job, "failed", error=str(e), message=str(e))
            return
        except Exception as e:  # a bug or the machine: keep the details in the server log
            log.error("training job %s failed:\n%s", job.id, traceback.format_exc())
            msg = f"training failed ({type(e).__name__}: {str(e)[:200]})"
            job._log(msg)
            self._end(job, "failed", error=msg, message=msg)
            return
        job._log(f"{result.state} at step {result.step}")
        self._end(job, result.state, step=result.step, metrics=result.metrics,
                  message=f"{result.state} at step {result.step}", eta_seconds=0.0,
                  fraction=1.0 if result.state == "finished" else job.fraction)


MANAGER = JobManager()

"""What the studio says about a visitor's runs (state, step, dataset)."""
from __future__ import annotations

import time
from pathlib import Path

from gan_core.generate import WEIGHTS_NAME
from gan_core.runfolder import RunFolder

from .jobs import Job, JobManager
from .workspace import Visitor


def checkpoint_step(run: RunFolder) -> int | None:
    """The step the checkpoint holds (RunFolder.checkpoint_step)."""
    return run.checkpoint_step()


def read_meta(run_dir: Path) -> dict:
    """studio.json of a run (RunFolder.read_studio_meta)."""
    return RunFolder(run_dir).read_studio_meta()


def write_meta(run_dir: Path, **meta) -> None:
    """Merge into studio.json, atomically (RunFolder.write_studio_meta)."""
    RunFolder(run_dir).write_studio_meta(**meta)


def run_info(visitor: Visitor, name: str, manager: JobManager) -> dict:
    """state (queued/running/stopping/finished/stopped/interrupted/failed/new), step, label, has_model."""
    run_dir = visitor.run_dir(name)
    run = RunFolder(run_dir)
    job: Job | None = manager.job_for_run(run_dir)
    meta = read_meta(run_dir)
    if job is not None:
        state, step = job.state, job.step
    else:
        status = run.read_status() if run.status_file.is_file() else {"state": "new", "step": 0}
        state, step = status.get("state", "new"), int(status.get("step", 0) or 0)
        if state == "running":  # written by a process that is gone: the server restarted
            state = "interrupted"
        ck = run.checkpoint_step()
        if ck is not None and state in ("interrupted", "stopped", "failed"):
            step = ck
    labels = {
        "queued": "waiting in the queue",
        "running": f"training · step {step}",
        "stopping": f"stopping · step {step}",
        "finished": f"finished · {step} steps",
        "stopped": f"stopped — resume from step {step}",
        "interrupted": f"stopped (interrupted) — resume from step {step}",
        "failed": f"failed at step {step}" + (f" — resume from step {step}" if run.checkpoint.is_file() else ""),
        "new": "not started",
    }
    return {"name": name, "state": state, "step": step, "label": labels.get(state, state),
            "dataset": meta.get("dataset", ""), "has_model": (run_dir / WEIGHTS_NAME).is_file(),
            "can_resume": job is None and run.checkpoint.is_file(),
            "created": meta.get("created", run_dir.stat().st_mtime if run_dir.exists() else time.time())}


def list_runs(visitor: Visitor, manager: JobManager) -> list[dict]:
    return [run_info(visitor, name, manager) for name in visitor.run_names()]

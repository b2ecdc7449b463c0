"""What the studio says about a visitor's runs (state, step, dataset, what can be done)."""
from __future__ import annotations

import time

from gan_core.design.generate import WEIGHTS_NAME
from gan_core.training.runfolder import RunFolder

from .jobs import Job
from .run_queue import JobManager
from .workspace import Visitor


def run_info(visitor: Visitor, name: str, manager: JobManager) -> dict:
    """state (queued/running/stopping/finished/stopped/interrupted/failed/new), step, label,
    has_model, can_resume (a checkpoint to continue from), can_restart (never got as far as a
    checkpoint, e.g. the server died while it started, and its settings are saved)."""
    run_dir = visitor.run_dir(name)
    run = RunFolder(run_dir)
    job: Job | None = manager.job_for_run(run_dir)
    meta = run.read_studio_meta()
    ck = run.checkpoint_step()
    if job is not None:
        state, step = job.state, job.step
    elif ck is None:  # nothing to resume: whatever status.json says, the run never really started
        state, step = "new", 0
    else:
        status = run.read_status() if run.status_file.is_file() else {"state": "stopped", "step": ck}
        state, step = status.get("state", "stopped"), ck
        if state == "running":  # written by a process that is gone: the server restarted
            state = "interrupted"
        if state == "finished":
            step = int(status.get("step", ck) or ck)
    can_restart = job is None and ck is None and run.config.is_file()
    labels = {
        "queued": "waiting in the queue",
        "running": f"training · step {step}",
        "stopping": f"stopping · step {step}",
        "finished": f"finished · {step} steps",
        "stopped": f"stopped — resume from step {step}",
        "interrupted": f"stopped (interrupted) — resume from step {step}",
        "failed": f"failed at step {step} — resume from step {step}",
        "new": "not started — start it again or delete it" if can_restart else "not started — delete it",
    }
    return {"name": name, "state": state, "step": step, "label": labels.get(state, state),
            "dataset": meta.get("dataset", ""), "has_model": (run_dir / WEIGHTS_NAME).is_file(),
            "can_resume": job is None and ck is not None, "can_restart": can_restart,
            "created": meta.get("created", run_dir.stat().st_mtime if run_dir.exists() else time.time())}


def list_runs(visitor: Visitor, manager: JobManager) -> list[dict]:
    return [run_info(visitor, name, manager) for name in visitor.run_names()]

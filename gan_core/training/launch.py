"""Start a distributed training run as a child process group (for the studio).

``launch_distributed`` runs ``python -m torch.distributed.run --standalone
--nproc_per_node=N -m gan_core train ...`` in its own session, so the whole group (torchrun
and its ranks) can be stopped or killed together. Rank 0 writes the run folder exactly as a
single-process run does (status.json, log.jsonl, grids/), which is what the studio streams;
a Stop is the run folder's ``STOP`` file, which every rank sees and acts on at the same step.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from ..checkpoint import write_json
from ..config import TrainConfig
from ..errors import UserError
from .runfolder import RunFolder

STOP_FILE = "STOP"              # the same name studio/jobs.py and the CLI use
REQUEST_FILE = "launch.json"    # the TrainConfig the CLI's --config reads
LOG_FILE = "launch.log"         # torchrun's and the ranks' terminal output


def launch_command(run_dir: Path, data: str | Path, nproc: int, resume: bool = False) -> list[str]:
    """The torchrun command line for ``run_dir`` (no fixed port: --standalone picks a free one)."""
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
           "-m", "gan_core", "train", "--data", str(data), "--out", str(run_dir),
           "--config", str(Path(run_dir) / REQUEST_FILE)]
    return cmd + (["--resume"] if resume else [])


def launch_distributed(config: TrainConfig, data: str | Path, run_dir: str | Path, nproc: int,
                       devices: list[int] | None = None, resume: bool = False) -> subprocess.Popen:
    """Start ``nproc`` ranks training ``config`` on the images in ``data`` into ``run_dir``.

    ``devices`` are the CUDA GPU indices to use (one per rank; None = the first ``nproc``).
    On ``resume`` the config's budget is this session's (steps = more steps, gan_core.training.resume).
    Returns the torchrun process, leader of its own process group: ``stop_run`` asks it to
    stop after the current step (final checkpoint saved), ``kill_run`` ends the group.
    """
    if not isinstance(nproc, int) or nproc < 1:
        raise UserError(f"nproc must be a whole number >= 1; got {nproc!r}")
    if devices is not None and len(devices) != nproc:
        raise UserError(f"{nproc} processes need {nproc} GPU(s); {len(devices)} were chosen")
    run, data = RunFolder(Path(run_dir).resolve()), Path(data).resolve()  # the child runs elsewhere
    if not resume and run.checkpoint.is_file():
        raise UserError(f"{run.path} already holds a run; resume it or choose a new folder")
    run.path.mkdir(parents=True, exist_ok=True)
    (run.path / STOP_FILE).unlink(missing_ok=True)
    write_json(config.to_dict(), run.path / REQUEST_FILE)
    root = Path(__file__).resolve().parents[2]  # gan_core/training/launch.py -> the checkout
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])))
    if devices is not None:
        env["CUDA_VISIBLE_DEVICES"] = ",".join(str(int(d)) for d in devices)
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))
    log = open(run.path / LOG_FILE, "ab")
    try:
        return subprocess.Popen(launch_command(run.path, data, nproc, resume), env=env, stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                cwd=root)
    finally:
        log.close()  # the child holds its own copy


def failure_summary(run_dir: str | Path, max_chars: int = 600) -> str:
    """Why a distributed run ended badly, from its launch.log: the ranks' last error lines
    (torchrun's "Root Cause" block names the rank and its exception), or '' when none is found."""
    try:
        with open(Path(run_dir) / LOG_FILE, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 64_000))
            lines = f.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return ""
    errors = [ln.strip() for ln in lines
              if any(k in ln for k in ("Error", "error:", "Exception", "exitcode", "Signal", "rank"))
              and not ln.lstrip().startswith("File ")]
    return " | ".join(errors[-6:])[-max_chars:]


def stop_run(run_dir: str | Path) -> None:
    """Ask every rank to stop after the current step (they save a final checkpoint)."""
    (Path(run_dir) / STOP_FILE).touch()


def kill_run(proc: subprocess.Popen, grace_seconds: float = 10.0) -> int:
    """End the whole process group: SIGTERM, then SIGKILL after ``grace_seconds``; returns the code.
    Checkpoints are written atomically, so the last one stays intact."""
    for sig, wait in ((signal.SIGTERM, grace_seconds), (signal.SIGKILL, 30.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            return proc.wait(wait)
        except subprocess.TimeoutExpired:
            continue
    return proc.wait()

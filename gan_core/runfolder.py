"""The run folder: everything one training run writes, in one place.

    config.json            format version, model + training config, dataset summary
    model.safetensors      EMA generator (what Explore and exports use)
    checkpoint.safetensors full training state for an exact resume (G, D, EMA, optimisers, RNG)
    status.json            running / stopped / finished / failed, step, pid, message
    log.jsonl              one JSON object per logged step
    grids/step_XXXXXXX.png progress grids from the fixed latents
    progress.gif           the grids as an animation (written at the end)
    final_grid.png, metrics.json
    dataset.safetensors    the training pictures (uint8), so a design can be compared with them
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from .checkpoint import read_json, write_json
from .errors import UserError
from .export import save_gif
from .images import to_pil

STATES = ("running", "stopped", "finished", "failed")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunFolder:
    def __init__(self, path: str | Path):
        self.path = Path(path)

    # paths
    config = property(lambda self: self.path / "config.json")
    weights = property(lambda self: self.path / "model.safetensors")
    checkpoint = property(lambda self: self.path / "checkpoint.safetensors")
    status_file = property(lambda self: self.path / "status.json")
    log = property(lambda self: self.path / "log.jsonl")
    grids = property(lambda self: self.path / "grids")
    gif = property(lambda self: self.path / "progress.gif")
    final_grid = property(lambda self: self.path / "final_grid.png")
    metrics = property(lambda self: self.path / "metrics.json")
    training_images = property(lambda self: self.path / "dataset.safetensors")
    decoded_images = property(lambda self: self.path / "images.u8")  # large sets (gan_core.datastore)

    def exists(self) -> bool:
        return self.config.is_file()

    def create(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        self.grids.mkdir(exist_ok=True)
        for stale in self.path.glob(".*.tmp"):  # a killed process's unfinished writes
            stale.unlink(missing_ok=True)

    def read_config(self) -> dict:
        return read_json(self.config, "run config.json")

    def write_status(self, state: str, step: int, message: str = "", **extra) -> None:
        assert state in STATES
        write_json({"state": state, "step": step, "message": message, "pid": os.getpid(),
                    "updated": time.time(), **extra}, self.status_file)

    def read_status(self, live_pids: set[int] | None = None) -> dict:
        """status.json, with ``interrupted: True`` added when it says "running" but the
        process that wrote it is gone (a crash or kill -9). Pass ``live_pids`` to also
        treat a living process as gone unless it is listed (e.g. this server's own pid
        while it has no job for the run)."""
        try:
            status = read_json(self.status_file, "status.json")
        except UserError:
            return {"state": "stopped" if self.checkpoint.is_file() else "failed", "step": 0, "message": "",
                    "interrupted": False}
        pid = status.get("pid")
        alive = isinstance(pid, int) and _pid_alive(pid) and (live_pids is None or pid in live_pids)
        status["interrupted"] = status.get("state") == "running" and not alive
        return status

    def write_training_images(self, pictures: np.ndarray) -> None:
        from .checkpoint import save_tensors
        import torch
        save_tensors({"pictures": torch.from_numpy(np.ascontiguousarray(pictures))}, self.training_images)

    def read_training_images(self) -> np.ndarray | None:
        """The run's training pictures (N, H, W[, 3]) uint8, or None for runs without them.
        Large sets come memory-mapped from ``images.u8`` (read as they are used)."""
        if not self.training_images.is_file():
            if self.decoded_images.is_file():
                from .datastore import open_store
                return open_store(self.decoded_images).pictures()
            return None
        from .checkpoint import load_tensors
        tensors, _ = load_tensors(self.training_images)
        return tensors["pictures"].numpy()

    def append_log(self, rows: list[dict]) -> None:
        with open(self.log, "a", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")

    def read_log(self) -> list[dict]:
        if not self.log.is_file():
            return []
        rows = []
        for line in self.log.read_text(encoding="utf-8").splitlines():
            try:
                rows.append(json.loads(line))
            except ValueError:
                continue  # a line cut by a crash
        return rows

    def save_grid(self, step: int, grid: np.ndarray) -> Path:
        self.grids.mkdir(parents=True, exist_ok=True)
        p = self.grids / f"step_{step:07d}.png"
        to_pil(grid).save(p)
        return p

    def grid_files(self) -> list[Path]:
        return sorted(self.grids.glob("step_*.png")) if self.grids.is_dir() else []

    def write_progress_gif(self, max_frames: int = 60, fps: float = 6) -> Path | None:
        files = self.grid_files()
        if not files:
            return None
        idx = np.unique(np.linspace(0, len(files) - 1, min(max_frames, len(files))).round().astype(int))
        from PIL import Image
        frames = [np.asarray(Image.open(files[i])) for i in idx]
        frames += [frames[-1]] * 6  # hold the last grid a moment
        shapes = {f.shape for f in frames}
        if len(shapes) > 1:  # resumed with another grid size: keep the latest shape only
            frames = [f for f in frames if f.shape == frames[-1].shape]
        return save_gif(np.stack(frames), self.gif, fps=fps)

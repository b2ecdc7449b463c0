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
    studio.json            what the studio adds (the dataset it used, when it was made, the preset)

Other code asks this class about the layout; it never parses file names or headers itself.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

import numpy as np

from ..checkpoint import read_json, write_json
from ..data.images import to_pil
from ..errors import UserError
from ..export.animation import save_gif

STATES = ("running", "stopped", "finished", "failed")
_GRID = re.compile(r"step_(\d+)\.png")




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
    studio_meta = property(lambda self: self.path / "studio.json")
    decoded_images = property(lambda self: self.path / "images.u8")  # large sets (gan_core.data.datastore)

    def exists(self) -> bool:
        return self.config.is_file()

    def create(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        self.grids.mkdir(exist_ok=True)
        for stale in self.path.glob(".*.tmp"):  # a killed process's unfinished writes
            stale.unlink(missing_ok=True)

    def read_config(self) -> dict:
        return read_json(self.config, "run config.json")

    def train_config(self):
        """The run's TrainConfig from config.json (a UserError when it has no "train" section)."""
        from ..config import TrainConfig, train_section
        return TrainConfig.from_dict(train_section(self.read_config(), self.config))

    def dataset_info(self) -> dict:
        """config.json's "dataset" section (name, source, cleanup, images), or {}."""
        try:
            info = self.read_config().get("dataset")
        except UserError:
            return {}
        return info if isinstance(info, dict) else {}

    def checkpoint_step(self) -> int | None:
        """The step the checkpoint holds (what a resume continues from), read from its header
        only; None without a checkpoint (or while one is being replaced)."""
        from ..checkpoint import read_metadata
        try:
            step = (read_metadata(self.checkpoint) or {}).get("step")
        except (UserError, OSError):
            return None
        return step if isinstance(step, int) and not isinstance(step, bool) else None

    def read_metrics(self) -> dict | None:
        """metrics.json (the quality numbers of a finished run), or None when absent or damaged."""
        if not self.metrics.is_file():
            return None
        try:
            return read_json(self.metrics, "metrics.json")
        except UserError:
            return None

    def read_studio_meta(self) -> dict:
        """studio.json (what the studio records about the run), or {} when absent or damaged."""
        try:
            return read_json(self.studio_meta, "studio.json")
        except UserError:
            return {}

    def write_studio_meta(self, **meta) -> None:
        """Merge ``meta`` into studio.json (atomically; creates the folder)."""
        self.path.mkdir(parents=True, exist_ok=True)
        write_json({**self.read_studio_meta(), **meta}, self.studio_meta)

    def delete(self) -> None:
        """Remove the run folder. Refuses (UserError) while its status says running and the
        process that wrote it is alive; a folder that is not a run folder is refused too."""
        if not self.path.exists():
            return
        if not self.path.is_dir() or self.path.is_symlink():
            raise UserError(f"{self.path}: not a run folder; nothing deleted")
        known = {p.name for p in (self.config, self.checkpoint, self.status_file, self.studio_meta,
                                  self.weights, self.log)}
        if any(self.path.iterdir()) and not known & {p.name for p in self.path.iterdir()}:
            raise UserError(f"{self.path}: holds no run files (config.json, status.json, ...); nothing deleted")
        if self.status_file.is_file():
            status = self.read_status()
            if status.get("state") == "running" and not status["interrupted"]:
                raise UserError(f"{self.path.name} is training right now (pid {status.get('pid')}); "
                                f"stop it before deleting it")
        # rename first so a half-finished removal never looks like a run
        trash = self.path.with_name(f".{self.path.name}.deleting-{os.getpid()}-{time.time_ns()}")
        os.replace(self.path, trash)
        shutil.rmtree(trash, ignore_errors=True)

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
        from ..checkpoint import save_tensors
        import torch
        save_tensors({"pictures": torch.from_numpy(np.ascontiguousarray(pictures))}, self.training_images)

    def read_training_images(self) -> np.ndarray | None:
        """The run's training pictures (N, H, W[, 3]) uint8, or None for runs without them.
        Large sets come memory-mapped from ``images.u8`` (read as they are used)."""
        if not self.training_images.is_file():
            if self.decoded_images.is_file():
                from ..data.datastore import open_store
                return open_store(self.decoded_images).pictures()
            return None
        from ..checkpoint import load_tensors
        tensors, _ = load_tensors(self.training_images)
        return tensors["pictures"].numpy()

    def append_log(self, rows: list[dict]) -> None:
        with open(self.log, "a", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")

    def truncate_log(self, step: int) -> int:
        """Drop log rows past ``step`` (what a crash logged after the checkpoint a resume goes
        back to), atomically; returns how many rows were dropped."""
        if not self.log.is_file():
            return 0
        keep, dropped = [], 0
        for line in self.log.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
            except ValueError:
                dropped += 1  # a line cut by the crash
                continue
            if isinstance(row, dict) and isinstance(row.get("step"), (int, float)) and row["step"] > step:
                dropped += 1
            else:
                keep.append(line)
        if dropped:
            from ..checkpoint import atomic_write_bytes
            atomic_write_bytes(self.log, "".join(line + "\n" for line in keep).encode())
        return dropped

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
        """Progress grids, oldest step first."""
        if not self.grids.is_dir():
            return []
        return sorted((p for p in self.grids.iterdir() if _GRID.fullmatch(p.name)), key=self.grid_step)

    @staticmethod
    def grid_step(path: str | Path) -> int:
        """The step a progress grid file was saved at (from its name)."""
        m = _GRID.fullmatch(Path(path).name)
        if m is None:
            raise ValueError(f"{Path(path).name} is not a progress grid (step_XXXXXXX.png)")
        return int(m.group(1))

    def latest_grid(self) -> Path | None:
        """The newest progress grid, or None before the first one."""
        files = self.grid_files()
        return files[-1] if files else None

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

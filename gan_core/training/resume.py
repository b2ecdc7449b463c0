"""What a budget means when a run is resumed: the one rule the CLI, the page and the API share.

On resume a steps budget means "this many MORE steps" (a new run counts from step 0).
The trainer stops at a total step count, so the extra steps are added to the step the
checkpoint holds here, and nowhere else.
"""
from __future__ import annotations

from pathlib import Path

from ..config import TrainConfig
from ..errors import UserError
from .runfolder import RunFolder


def resume_config(run_dir: str | Path, minutes: float | None = None, steps: int | None = None,
                  device: str | None = None) -> TrainConfig:
    """The TrainConfig that continues ``run_dir`` from its checkpoint.

    ``steps`` is how many more generator steps to train; ``minutes`` how long this session
    trains. Giving one budget replaces the run's other one (give both to keep both); giving
    neither keeps the run's own budget, its steps counted again from the checkpoint.
    ``device`` replaces the run's device when given.
    """
    run = RunFolder(run_dir)
    if not run.checkpoint.is_file():
        raise UserError(f"{run.path}: no checkpoint.safetensors to resume from; start a new run instead")
    cfg = run.train_config()
    done = run.checkpoint_step()
    if done is None:
        raise UserError(f"{run.checkpoint}: its header holds no step; the checkpoint is damaged")
    if minutes is None and steps is None:  # the run's own budget, again, from where it stopped
        minutes, steps = cfg.minutes, cfg.steps
    if steps is not None:
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise UserError(f"steps must be a whole number of more steps, at least 1; got {steps!r}")
        steps = done + steps
    changes: dict = {"minutes": minutes, "steps": steps}
    if device is not None:
        changes["device"] = device
    return cfg.replace(**changes)

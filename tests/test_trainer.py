import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from gan_core.metrics import quality as M
from gan_core.training import trainer as trainer_module
from gan_core.checkpoint import load_tensors
from gan_core.design.generate import load_generator
from gan_core.errors import UserError
from gan_core.training.runfolder import RunFolder
from gan_core.training.trainer import Trainer, measure_speed, train

from helpers import shapes_dataset, tiny_train

ROOT = Path(__file__).resolve().parents[1]
DATA = shapes_dataset()


@pytest.mark.parametrize("loss", ["wgan-gp", "dcgan", "wgan-clip", "hinge"])
def test_every_loss_trains_with_finite_losses(tmp_path, loss):
    events = []
    result = train(tiny_train(loss, steps=6), DATA, events.append, run_dir=tmp_path / "run", evaluate=False)
    steps = [e for e in events if e.kind == "step"]
    assert result.state == "finished" and result.step == 6
    assert len(steps) >= 3
    assert all(math.isfinite(e.loss_d) and math.isfinite(e.loss_g) for e in steps)
    assert any(e.kind == "grid" and e.grid is not None and e.grid.dtype == np.uint8 for e in events)
    assert events[-1].kind == "done"


def test_run_folder_contents_and_log(tmp_path):
    run = RunFolder(tmp_path / "run")
    train(tiny_train("dcgan", steps=6), DATA, run_dir=run.path, evaluate=True)
    for p in (run.config, run.weights, run.checkpoint, run.log, run.gif, run.final_grid, run.metrics,
              run.training_images):
        assert p.is_file(), p
    assert run.grid_files()
    rows = run.read_log()
    assert [r["step"] for r in rows] == [2, 4, 6]
    assert {"step", "epoch", "seconds", "images_per_second", "loss_d", "loss_g"} <= set(rows[0])
    cfg = json.loads(run.config.read_text())
    assert cfg["model"]["resolution"] == 16 and cfg["train"]["loss"] == "dcgan"
    assert run.read_status()["state"] == "finished"
    np.testing.assert_array_equal(run.read_training_images(), (DATA[:, 0].add(1).mul(127.5)).round().byte().numpy())
    metrics = json.loads(run.metrics.read_text())
    assert metrics["swd"] > 0 and metrics["num_real"] == len(DATA) and metrics["num_fake"] == 500
    # the report is the saved generator's, against the training images: measured again from the
    # run folder alone (the trainer's 500 evaluation latents, seed 12345), every number agrees
    z = torch.randn(500, cfg["model"]["z_dim"], generator=torch.Generator().manual_seed(12345))
    with torch.no_grad():
        fake = load_generator(run.path).G(z)
    again = M.evaluate(DATA, fake)
    assert metrics["coverage"] == again["coverage"] and metrics == json.loads(json.dumps(again))
    # the progress GIF really is animated
    from PIL import Image
    assert Image.open(run.gif).n_frames >= 2


def test_progress_events_carry_eta_and_speed(tmp_path):
    events = []
    train(tiny_train("dcgan", steps=8), DATA, events.append, run_dir=tmp_path / "r", evaluate=False)
    step_events = [e for e in events if e.kind == "step"]
    assert all(e.images_per_second > 0 and e.eta_seconds is not None for e in step_events)
    assert step_events[-1].fraction == pytest.approx(1.0)
    # epochs count images seen (batch 8); the first report may come early on a busy machine (>= 1 s)
    assert all(e.epoch == pytest.approx(e.step * 8 / len(DATA)) for e in step_events)


@pytest.mark.parametrize("loss,dropout", [("wgan-gp", 0.2), ("dcgan", 0.0), ("hinge", 0.0)])
def test_resume_continues_exactly(tmp_path, loss, dropout):
    cfg = tiny_train(loss, steps=8, model={"g_dropout": dropout})
    train(cfg, DATA, run_dir=tmp_path / "a", evaluate=False)
    first = train(cfg.replace(steps=4), DATA, run_dir=tmp_path / "b", evaluate=False)
    assert first.step == 4
    second = train(cfg, DATA, run_dir=tmp_path / "b", resume=True, evaluate=False)
    assert second.step == 8  # the step count continues
    a = load_generator(tmp_path / "a").generate(range(6))
    b = load_generator(tmp_path / "b").generate(range(6))
    np.testing.assert_array_equal(a, b)  # same next samples as the uninterrupted run
    rows = RunFolder(tmp_path / "b").read_log()
    assert [r["step"] for r in rows] == [2, 4, 6, 8]


def test_stop_saves_a_final_checkpoint(tmp_path):
    calls = {"n": 0}

    def should_stop():
        calls["n"] += 1
        return calls["n"] > 3

    result = train(tiny_train("dcgan", steps=1000), DATA, should_stop=should_stop, run_dir=tmp_path / "r",
                   evaluate=False)
    assert result.state == "stopped" and result.step == 3
    _, meta = load_tensors(tmp_path / "r" / "checkpoint.safetensors")
    assert meta["step"] == 3
    assert RunFolder(tmp_path / "r").read_status()["state"] == "stopped"


def test_forced_nan_goes_back_to_the_last_checkpoint(tmp_path):
    cfg = tiny_train("dcgan", steps=12, log_every=1)
    t = Trainer(cfg, DATA, tmp_path / "r", evaluate=False)
    poisoned = {"done": False}

    def on_progress(p):
        t_events.append(p)
        if p.kind == "step" and p.step == 5 and not poisoned["done"]:
            poisoned["done"] = True
            with torch.no_grad():
                next(t.G.parameters()).fill_(float("nan"))  # the generator blows up

    t_events = []
    t.on_progress = on_progress
    result = t.run_loop()
    recovered = [e for e in t_events if e.kind == "recovered"]
    assert len(recovered) == 1 and "checkpoint at step 0" in recovered[0].message
    assert result.recoveries == 1 and result.state == "finished" and result.step == 12
    assert all(torch.isfinite(p).all() for p in t.G.parameters())
    assert all(math.isfinite(e.loss_d) for e in t_events if e.kind == "step")
    assert np.isfinite(load_generator(tmp_path / "r").generate([0]).astype(float)).all()


def test_refuses_mismatched_data_and_existing_run(tmp_path):
    with pytest.raises(UserError, match="32 px"):
        train(tiny_train(), shapes_dataset(size=32), run_dir=tmp_path / "r")
    train(tiny_train(steps=2), DATA, run_dir=tmp_path / "r", evaluate=False)
    with pytest.raises(UserError, match="already holds a run"):
        train(tiny_train(steps=2), DATA, run_dir=tmp_path / "r")
    with pytest.raises(UserError, match="no checkpoint"):
        train(tiny_train(steps=2), DATA, run_dir=tmp_path / "empty", resume=True)


def test_full_disk_during_checkpoint_keeps_the_previous_one(tmp_path):
    """A real write failure (RLIMIT_FSIZE -> EFBIG) while checkpointing, in a subprocess."""
    script = textwrap.dedent(f"""
        import resource, signal, sys
        sys.path[:0] = [{str(ROOT)!r}, {str(Path(__file__).parent)!r}]
        from gan_core.training.trainer import train
        from helpers import shapes_dataset, tiny_train
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
        errors = []
        def on_progress(p):
            if p.kind == "checkpoint" and p.step == 3:
                resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))  # the disk is now "full"
            if p.kind == "error":
                errors.append(p.message)
        r = train(tiny_train("dcgan", steps=6, checkpoint_minutes=0.0), shapes_dataset(),
                  on_progress, run_dir={str(tmp_path / 'r')!r}, evaluate=False)
        print("ERRORS", len(errors), errors[0])
    """)
    # the timeout only turns a hang into a failure: far above what a loaded machine needs
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "ERRORS" in out.stdout and "failed" in out.stdout and "previous checkpoint is kept" in out.stdout
    _, meta = load_tensors(tmp_path / "r" / "checkpoint.safetensors")
    assert meta["step"] == 3  # intact and loadable: the last checkpoint that fit
    assert not list((tmp_path / "r").glob(".*.tmp"))  # no half-written temp files left behind


def test_measure_speed_and_dataset_info(tmp_path):
    assert measure_speed(tiny_train("dcgan"), steps=2) > 0
    train(tiny_train(steps=2), DATA, run_dir=tmp_path / "r", evaluate=False, dataset_info={"name": "shapes"})
    cfg = json.loads((tmp_path / "r" / "config.json").read_text())
    assert cfg["dataset"] == {"name": "shapes", "images": len(DATA)}
    status = RunFolder(tmp_path / "r").read_status()
    assert status["state"] == "finished" and status["interrupted"] is False


def test_init_does_not_touch_the_global_rng(tmp_path):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    Trainer(tiny_train(), DATA, tmp_path / "r", evaluate=False)
    assert torch.equal(torch.rand(3), expected)


def _steps(events) -> int:
    """Steps trained so far, replays included."""
    return sum(e.kind == "step" for e in events)


def _checkpoint_finite(path) -> bool:
    tensors, _ = load_tensors(path)
    return all(torch.isfinite(v).all() for v in tensors.values() if v.is_floating_point())


def test_nan_recovery_keeps_the_back_off_and_gives_up_after_the_cap(tmp_path):
    """Every trajectory from the checkpoint blows up at step 5: each recovery must halve the
    rate again (not start over from the checkpoint's), and after MAX_RECOVERIES the run fails,
    keeping its last good checkpoint. The old code looped until the minutes budget ran out
    (a guard on the number of steps stands for that budget here, so a loaded machine cannot fail it)."""
    cfg = tiny_train("dcgan", steps=12, log_every=1)
    events, lrs = [], []
    # a guard counted in steps, not minutes: the old code would end "stopped" here, not loop for ever
    t = Trainer(cfg, DATA, tmp_path / "r", evaluate=False, should_stop=lambda: _steps(events) > 60)

    def on_progress(p):
        events.append(p)
        if p.kind == "recovered":
            lrs.append(t.opt_g.param_groups[0]["lr"])
        if p.kind == "step" and p.step == 5:
            with torch.no_grad():
                next(t.G.parameters()).fill_(float("nan"))  # the generator blows up, every time

    t.on_progress = on_progress
    result = t.run_loop()
    assert result.state == "failed" and result.recoveries == 3  # trainer.MAX_RECOVERIES
    assert lrs == [cfg.lr_g * 0.5 ** (i + 1) for i in range(3)]  # 1/2, 1/4, 1/8
    assert "after 3 recoveries" in result.messages[-1] and "last good checkpoint (step 0)" in result.messages[-1]
    run = RunFolder(tmp_path / "r")
    assert run.read_status()["state"] == "failed" and "lower learning rate" in run.read_status()["message"]
    assert run.checkpoint_step() == 0 and _checkpoint_finite(run.checkpoint)
    assert [r["step"] for r in run.read_log()] == [1, 2, 3, 4, 5]  # each replay replaced the last one's rows


def test_recovery_count_and_back_off_survive_in_the_checkpoint(tmp_path):
    # the old code could loop for ever on a steps budget (a NaN checkpoint): a guard counted in steps
    cfg = tiny_train("dcgan", steps=12, log_every=1, checkpoint_minutes=0.0)
    poisoned, events = [], []
    t = Trainer(cfg, DATA, tmp_path / "r", evaluate=False, should_stop=lambda: _steps(events) > 60)

    def on_progress(p):
        events.append(p)
        if p.kind == "step" and p.step in (4, 8) and p.step not in poisoned:
            poisoned.append(p.step)
            with torch.no_grad():
                next(t.G.parameters()).fill_(float("nan"))

    t.on_progress = on_progress
    result = t.run_loop()
    assert result.state == "finished" and result.recoveries == 2 and result.step == 12
    _, meta = load_tensors(tmp_path / "r" / "checkpoint.safetensors")
    assert meta["recoveries"] == 2 and meta["lr_scale"] == 0.25
    resumed = Trainer(cfg.replace(steps=14, minutes=None), DATA, tmp_path / "r", evaluate=False, resume=True)
    assert resumed.opt_g.param_groups[0]["lr"] == pytest.approx(cfg.lr_g * 0.25)


def _train_poisoning_ema(run_dir, cfg, at_step: int, value: float):
    """Train, filling one EMA tensor with ``value`` at ``at_step`` (once); every checkpoint
    written on the way must be finite. Returns (result, events)."""
    t = Trainer(cfg, DATA, run_dir, evaluate=False)
    events = []

    def on_progress(p):
        events.append(p)
        if p.kind == "step" and p.step == at_step and not any(e.kind == "recovered" for e in events):
            with torch.no_grad():
                next(t.G_ema.parameters()).fill_(value)
        if p.kind == "checkpoint":
            assert _checkpoint_finite(t.run.checkpoint)

    t.on_progress = on_progress
    return t.run_loop(), events


def test_no_checkpoint_is_written_with_non_finite_weights(tmp_path):
    """NaN in the EMA weights does not show in the losses; the checkpoint check must catch it
    (the old code wrote it, and model.safetensors with it)."""
    cfg = tiny_train("dcgan", steps=10, log_every=1, checkpoint_minutes=0.0)  # a checkpoint every step
    result, events = _train_poisoning_ema(tmp_path / "r", cfg, 5, float("nan"))
    recovered = [e for e in events if e.kind == "recovered"]
    assert len(recovered) == 1 and "G_ema." in recovered[0].message and "checkpoint at step 4" in recovered[0].message
    assert result.state == "finished" and result.step == 10
    assert _checkpoint_finite(tmp_path / "r" / "checkpoint.safetensors")
    assert np.isfinite(load_generator(tmp_path / "r").generate([0]).astype(float)).all()


def test_the_final_checkpoint_is_checked_too(tmp_path):
    cfg = tiny_train("dcgan", steps=8, log_every=1)  # no checkpoint between step 0 and the end
    result, events = _train_poisoning_ema(tmp_path / "r", cfg, 8, float("inf"))
    assert [e.kind for e in events].count("recovered") == 1
    assert result.state == "finished" and result.step == 8  # trained the lost steps again
    assert _checkpoint_finite(tmp_path / "r" / "checkpoint.safetensors")
    assert RunFolder(tmp_path / "r").checkpoint_step() == 8


class _Crash(BaseException):
    """Stands for kill -9 in-process: nothing after the raise runs (see test_crash_safety)."""


def test_resume_after_a_crash_logs_each_step_once(tmp_path):
    cfg = tiny_train("dcgan", steps=10, log_every=1, checkpoint_minutes=0.0)
    t = Trainer(cfg, DATA, tmp_path / "r", evaluate=False)

    def on_progress(p):
        if p.kind == "checkpoint" and p.step == 4:
            t.cfg.checkpoint_minutes = 1e6  # the last checkpoint before the crash
        if p.kind == "step" and p.step == 7:
            raise _Crash

    t.on_progress = on_progress
    with pytest.raises(_Crash):
        t.run_loop()
    run = RunFolder(tmp_path / "r")
    assert load_tensors(run.checkpoint)[1]["step"] == 4 and [r["step"] for r in run.read_log()][-1] == 6
    train(cfg, DATA, run_dir=tmp_path / "r", resume=True, evaluate=False)
    assert [r["step"] for r in run.read_log()] == list(range(1, 11))  # old code: 1..6, 5..10


def test_live_grids_keep_to_their_share_of_the_time():
    from gan_core.training.trainer_report import GRID_TIME_SHARE, grid_interval
    assert grid_interval(5.0, 0.01) == 5.0            # cheap grids: the configured cadence
    assert grid_interval(5.0, 0.5) == pytest.approx(0.5 / GRID_TIME_SHARE)  # dear ones: spaced out
    assert grid_interval(0.0, 0.0) == 0.0


@pytest.mark.parametrize("grid_seconds, grids", [(1.0, 1), (0.0, 40)])
def test_a_dear_grid_spaces_out_the_live_grids(tmp_path, monkeypatch, grid_seconds, grids):
    """sample_seconds 0 asks for a grid after every step; each grid's own cost then sets the pause,
    so far fewer grids than steps are drawn (saved grids every sample_every steps still come).
    On the trainer's own clock, which moves 10 ms a step and ``grid_seconds`` a grid and stands
    still otherwise: the grids are counted, whatever else the machine is doing."""
    clock = [1000.0]
    monkeypatch.setattr(trainer_module, "time", SimpleNamespace(perf_counter=lambda: clock[0]))
    train_step, sample_grid = Trainer.train_step, Trainer.sample_grid

    def timed_step(self):
        clock[0] += 0.01
        return train_step(self)

    def timed_grid(self):
        clock[0] += grid_seconds
        return sample_grid(self)
    monkeypatch.setattr(Trainer, "train_step", timed_step)
    monkeypatch.setattr(Trainer, "sample_grid", timed_grid)
    events = []
    cfg = tiny_train("dcgan", steps=40).replace(sample_seconds=0.0, sample_every=1000)
    train(cfg, DATA, events.append, run_dir=tmp_path / "r", evaluate=False)
    # a 1 s grid spaces the next one 1 s / GRID_TIME_SHARE = 20 s out, beyond the run's 0.4 s of steps;
    # a free one leaves the asked cadence: a grid after every step
    assert [e.kind for e in events].count("grid") == grids

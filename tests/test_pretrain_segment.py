"""scripts/pretrain_base.py's next segment on a machine without a run folder: it starts from the
shipped base, and --lr sets the segment's learning rate (a late segment at a lower one); a bad one
is refused by name. (The training itself is the trainer's, tested with it.)"""
from __future__ import annotations

from pathlib import Path

import helpers

from gan_core.training.runfolder import RunFolder

REPO = Path(__file__).resolve().parents[1]


def load_script():
    return helpers.load_script("pretrain_base")


def test_a_new_segment_starts_from_the_base_at_the_learning_rate_asked(tmp_path, capsys):
    script = load_script()
    cfg, resume = script.segment_config("colour-64", RunFolder(tmp_path / "colour-64"), 30, 1, lr=5e-5)
    assert not resume and cfg.start == str(script.weights_dir() / "base-colour-64")  # (the suite may point it at a copy)
    assert cfg.lr_g == cfg.lr_d == 5e-5 and cfg.minutes == 30 and cfg.threads == 1
    assert "learning rate 5e-05" in capsys.readouterr().err
    default, _ = script.segment_config("colour-64", RunFolder(tmp_path / "colour-64"), 30, 1)
    assert default.lr_g == 2e-4 and default.ema_decay == script.PRETRAIN["ema_decay"]


def test_a_bad_learning_rate_is_refused_by_name(tmp_path):
    import pytest
    from gan_core.errors import UserError
    script = load_script()
    with pytest.raises((UserError, ValueError), match="lr"):
        script.segment_config("colour-64", RunFolder(tmp_path / "colour-64"), 30, 1, lr=-1.0)


def test_a_milestone_keeps_its_checkpoint_after_the_next_one_replaces_it(tmp_path):
    """Milestones: the first checkpoint past each multiple of --keep-every is kept (its bytes, not the
    name's later content), none in between; a milestone is a start point and exports as a base."""
    from gan_core.checkpoint import load_tensors
    from gan_core.training.bases import load_start_point
    from gan_core.training.trainer import train
    from helpers import shapes_dataset, tiny_train
    script = load_script()
    run = tmp_path / "gray-16"
    data = shapes_dataset(16)
    train(tiny_train(steps=3), data, run_dir=run, evaluate=False)
    assert script.keep_milestone(run, 4) is None  # step 3: not past 4 yet
    train(tiny_train(steps=5), data, run_dir=run, resume=True, evaluate=False)
    kept = script.keep_milestone(run, 4)
    assert kept == script.milestone_dir(run, 5) and (kept / "config.json").is_file()
    first, _ = load_tensors(kept / "checkpoint.safetensors")
    assert script.keep_milestone(run, 4) is None  # the same checkpoint: already kept
    train(tiny_train(steps=7), data, run_dir=run, resume=True, evaluate=False)
    assert script.keep_milestone(run, 4) is None  # step 7: still in the same 4-step stretch
    train(tiny_train(steps=9), data, run_dir=run, resume=True, evaluate=False)
    assert script.keep_milestone(run, 4) == script.milestone_dir(run, 9)
    again, meta = load_tensors(kept / "checkpoint.safetensors")
    latest, latest_meta = load_tensors(run / "checkpoint.safetensors")
    assert meta["step"] == 5 and latest_meta["step"] == 9
    assert all(torch_equal(first[k], again[k]) for k in first)  # the milestone did not follow the name
    assert any(not torch_equal(first[k], latest[k]) for k in first)
    start = load_start_point(str(kept), tiny_train().model)
    assert start.name == "step_0000005" and start.D


def test_milestones_are_listed_and_a_missing_one_is_named(tmp_path, monkeypatch, capsys):
    script = load_script()
    monkeypatch.setenv("DESIGN_STUDIO_PRETRAIN_DIR", str(tmp_path))
    assert script.main(["gray-64", "--milestones"]) == 1
    assert "has no milestones yet" in capsys.readouterr().err
    (tmp_path / "gray-64" / "milestones" / "step_0002001").mkdir(parents=True)
    (tmp_path / "gray-64" / "milestones" / "step_0004000.tmp").mkdir()  # half-kept: not listed
    assert script.main(["gray-64", "--milestones"]) == 0
    out = capsys.readouterr().out
    assert "2,001 steps" in out and "4,000" not in out
    assert script.main(["gray-64", "--export", "--milestone", "3000"]) == 2
    assert "step_0003000 holds no checkpoint; see the kept ones: --milestones" in capsys.readouterr().err


def torch_equal(a, b) -> bool:
    import torch
    return torch.equal(a, b)


def test_the_card_says_when_a_kept_milestone_was_exported(tmp_path, monkeypatch):
    """A base exported from a milestone (--export --milestone N) says so in its card; a base exported
    from the run's last checkpoint does not."""
    import json
    script = load_script()
    monkeypatch.setenv("DESIGN_STUDIO_CORPUS_DIR", str(tmp_path))  # no corpus manifest here: the card still reads
    config = json.loads((REPO / "weights" / "base-gray-64" / "config.json").read_text())
    plain = script.card("gray-64", config)
    steps = config["pretraining"]["steps"]
    assert f"| steps trained | {steps:,} in 1 run, resumed in segments |" in plain and "milestone" not in plain
    segment = dict(config["pretraining"]["segments"][-1], milestone=8536)
    config["pretraining"] = dict(config["pretraining"], segments=[segment, segment])
    card = script.card("gray-64", config)
    assert "in 2 runs, each resumed in segments (the last run's milestone at step 8,536, exported by choice)" in card


def test_a_base_record_adds_a_new_run_and_replaces_a_run_exported_again(tmp_path):
    """The base's pretraining record (its card's steps and hours): a run from scratch is one entry; going on
    with it and exporting again replaces that entry; a new run from the shipped base (a fresh machine, or a
    GPU visit) is added after it, and replaces only its own entry when it is exported again."""
    from gan_core.training.bases import export_base
    from gan_core.training.trainer import train
    from helpers import shapes_dataset, tiny_train
    script = load_script()
    data, out = shapes_dataset(16), tmp_path / "base"
    first, second = RunFolder(tmp_path / "first"), RunFolder(tmp_path / "second")

    def start(run):
        return run.read_config().get("start") or {}

    def record(run, steps, history):
        this = {"run": "pretrain/gray-16", "steps": steps, "started_from": start(run).get("name")}
        history = script.add_segment(history, this, script.continues_shipped(start(run), out))
        export_base(run.path, out)
        return history

    train(tiny_train(steps=2), data, run_dir=first.path, evaluate=False)
    history = record(first, 2, [])
    train(tiny_train(steps=4), data, run_dir=first.path, resume=True, evaluate=False)
    history = record(first, 4, history)
    assert [h["steps"] for h in history] == [4]  # the same run, exported again
    train(tiny_train(steps=3, start=str(out)), data, run_dir=second.path, evaluate=False)
    assert script.continues_shipped(start(second), out)
    history = record(second, 3, history)
    assert [h["steps"] for h in history] == [4, 3] and history[1]["started_from"] == "base"
    train(tiny_train(steps=5, start=str(out)), data, run_dir=second.path, resume=True, evaluate=False)
    assert not script.continues_shipped(start(second), out)  # it started from the export before its own
    history = record(second, 5, history)
    assert [h["steps"] for h in history] == [4, 5]
    third = RunFolder(tmp_path / "third")  # another new run from the shipped base: the same name, its own entry
    train(tiny_train(steps=2, start=str(out)), data, run_dir=third.path, evaluate=False)
    assert [h["steps"] for h in record(third, 2, history)] == [4, 5, 2]

"""scripts/pretrain_base.py's next segment on a machine without a run folder: it starts from the
shipped base, and --lr sets the segment's learning rate (a late segment at a lower one); a bad one
is refused by name. (The training itself is the trainer's, tested with it.)"""
from __future__ import annotations

import importlib.util
from pathlib import Path

from gan_core.training.runfolder import RunFolder

REPO = Path(__file__).resolve().parents[1]


def load_script():
    spec = importlib.util.spec_from_file_location("pretrain_base", REPO / "scripts" / "pretrain_base.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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

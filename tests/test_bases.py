"""Start points (gan_core.training.bases): fine-tuning from a base model or a run, FreezeD, refusals."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from gan_core.checkpoint import load_tensors
from gan_core.design.generate import load_generator
from gan_core.errors import UserError
from gan_core.training.bases import (CRITIC_PREFIX, base_label, critic_blocks, export_base, load_start_point,
                                  weights_hash)
from gan_core.training.presets import describe_start, explain_choice, preset
from gan_core.training.runfolder import RunFolder
from gan_core.training.trainer import Trainer, train

from helpers import shapes_dataset, tiny_train
from test_hub import cached_repo, hf_home  # noqa: F401 (a fixture)

DATA = shapes_dataset(16)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A short run (the start point) and its export as a base model folder."""
    root = tmp_path_factory.mktemp("start")
    train(tiny_train(steps=4), DATA, run_dir=root / "run", evaluate=False)
    export_base(root / "run", root / "weights" / "base-gray-16", {"pretraining": {"steps": 4}})
    return root


def _tensors(path, prefix):
    t, _ = load_tensors(path)
    return {k[len(prefix):]: v for k, v in t.items() if k.startswith(prefix)}


@pytest.mark.parametrize("kind", ["run", "base"])
def test_fine_tuning_loads_G_and_D_from_the_start_point(source, tmp_path, kind):
    start = source / "run" if kind == "run" else source / "weights" / "base-gray-16"
    t = Trainer(tiny_train(start=str(start)), DATA, tmp_path / "ft", evaluate=False)
    ckpt = source / "run" / "checkpoint.safetensors"
    g_ema, d = _tensors(ckpt, "G_ema."), _tensors(ckpt, "D.")
    for k, v in t.G.state_dict().items():  # G starts from the start point's EMA generator
        torch.testing.assert_close(v, g_ema[k], rtol=0, atol=0)
    for k, v in t.D.state_dict().items():
        torch.testing.assert_close(v, d[k], rtol=0, atol=0)
    scratch = Trainer(tiny_train(), DATA, tmp_path / "scratch", evaluate=False)
    assert any(not torch.equal(v, g_ema[k]) for k, v in scratch.G.state_dict().items())  # not by chance


def test_frozen_critic_blocks_stay_bit_identical(source, tmp_path):
    cfg = tiny_train(start=str(source / "run"), freeze_d=2, steps=5)
    t = Trainer(cfg, DATA, tmp_path / "ft", evaluate=False)
    before = [[p.detach().clone() for m in block for p in m.parameters()] for block in critic_blocks(t.D)]
    t.run_loop()
    after = [[p.detach() for m in block for p in m.parameters()] for block in critic_blocks(t.D)]
    for b in range(2):
        assert before[b] and all(torch.equal(x, y) for x, y in zip(before[b], after[b])), f"block {b} moved"
    assert any(not torch.equal(x, y) for x, y in zip(before[2], after[2]))  # the others do train


def test_a_run_records_its_start_point_and_keeps_it_on_resume(source, tmp_path):
    base = source / "weights" / "base-gray-16"
    train(tiny_train(start=str(base), steps=2), DATA, run_dir=tmp_path / "ft", evaluate=False)
    record = RunFolder(tmp_path / "ft").read_config()["start"]
    assert record["name"] == "base-gray-16"
    assert record["sha256"] == weights_hash(base / "model.safetensors") and len(record["sha256"]) == 16
    text = (tmp_path / "ft" / "config.json").read_text()  # it goes to the Hub: no server path in it
    assert str(source) not in text and RunFolder(tmp_path / "ft").read_config()["train"]["start"] == "base-gray-16"
    train(tiny_train(start=str(base), steps=4), DATA, run_dir=tmp_path / "ft", resume=True, evaluate=False)
    assert RunFolder(tmp_path / "ft").read_config()["start"] == record
    train(tiny_train(steps=2), DATA, run_dir=tmp_path / "scratch", evaluate=False)
    assert RunFolder(tmp_path / "scratch").read_config()["start"] is None


def test_exact_resume_of_a_fine_tuned_run(source, tmp_path):
    cfg = tiny_train(start=str(source / "run"), freeze_d=1, steps=8)
    train(cfg, DATA, run_dir=tmp_path / "a", evaluate=False)
    train(cfg.replace(steps=4), DATA, run_dir=tmp_path / "b", evaluate=False)
    train(cfg, DATA, run_dir=tmp_path / "b", resume=True, evaluate=False)
    a = load_generator(tmp_path / "a").generate(range(6))
    np.testing.assert_array_equal(a, load_generator(tmp_path / "b").generate(range(6)))
    d_a, d_b = _tensors(tmp_path / "a" / "checkpoint.safetensors", "D."), \
        _tensors(tmp_path / "b" / "checkpoint.safetensors", "D.")
    assert all(torch.equal(d_a[k], d_b[k]) for k in d_a)


@pytest.mark.parametrize("change, named", [({"width": 8}, "width 4 (start point) vs 8 (this run)"),
                                            ({"resolution": 32}, "resolution 16 (start point) vs 32"),
                                            ({"channels": 3}, "channels 1 (start point) vs 3")])
def test_a_mismatched_start_point_is_refused_by_name(source, tmp_path, change, named):
    with pytest.raises(UserError, match=named.replace("(", r"\(").replace(")", r"\)")):
        Trainer(tiny_train(start=str(source / "run"), model=change), shapes_dataset(
            4, change.get("resolution", 16), change.get("channels", 1)), tmp_path / "ft", evaluate=False)
    assert not (tmp_path / "ft" / "checkpoint.safetensors").exists()


def test_missing_or_damaged_start_points_get_a_clear_message(source, tmp_path):
    with pytest.raises(UserError, match="no such folder"):
        load_start_point(str(tmp_path / "nowhere"), tiny_train().model)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text((source / "weights" / "base-gray-16" / "config.json").read_text())
    (broken / "model.safetensors").write_bytes(b"\x00" * 64)
    with pytest.raises(UserError, match="broken") as e:
        load_start_point(str(broken), tiny_train().model)
    assert "model.safetensors" in str(e.value)
    generator_only = tmp_path / "generator-only"
    generator_only.mkdir()
    (generator_only / "config.json").write_text((source / "run" / "config.json").read_text())
    (generator_only / "model.safetensors").write_bytes((source / "run" / "model.safetensors").read_bytes())
    with pytest.raises(UserError, match="no critic"):
        load_start_point(str(generator_only), tiny_train().model)
    pickle = tmp_path / "pickled"
    pickle.mkdir()
    (pickle / "config.json").write_text((source / "run" / "config.json").read_text())
    torch.save({"x": torch.zeros(1)}, pickle / "model.safetensors")
    with pytest.raises(UserError):
        load_start_point(str(pickle), tiny_train().model)


def test_a_base_folder_is_a_model_explore_can_draw_and_holds_the_critic(source):
    base = source / "weights" / "base-gray-16"
    tensors, _ = load_tensors(base / "model.safetensors")
    assert any(k.startswith(CRITIC_PREFIX) for k in tensors) and any(not k.startswith(CRITIC_PREFIX) for k in tensors)
    drawn = load_generator(base).generate(range(4))
    np.testing.assert_array_equal(drawn, load_generator(source / "run").generate(range(4)))
    assert json.loads((base / "config.json").read_text())["pretraining"] == {"steps": 4}
    assert base_label("base-gray-64") == "base: icons (64 px)"
    assert base_label("base-colour-128") == "base: colour objects (128 px)" and base_label("rims-64") is None


def test_presets_start_from_the_matching_base_and_scratch_is_one_choice_away(source, monkeypatch):
    from gan_core.training import presets
    monkeypatch.setenv("STUDIO_WEIGHTS_DIR", str(source / "weights"))
    assert preset("quick", resolution=16, channels=1).start == ""  # not a measured default: scratch
    assert preset("quick", resolution=16, channels=1, start="base").start == "base"  # one choice away
    monkeypatch.setattr(presets, "BASE_DEFAULTS", {(16, 1): "a test measurement"})
    cfg = preset("quick", resolution=16, channels=1)
    assert cfg.start == "base" and "a test measurement" in describe_start(cfg)
    assert cfg.model.width == 4 and cfg.model.z_dim == 8  # the base's architecture, not quick's 32 / 128
    assert "base-gray-16" in describe_start(cfg) and "Starts from" in explain_choice("quick", {"resolution": 16})
    scratch = preset("quick", resolution=16, channels=1, start="scratch")
    assert scratch.start == "" and scratch.model.width == 32 and scratch.freeze_d == 0
    assert "random weights" in describe_start(scratch) and "base-gray-16" in describe_start(scratch)
    assert preset("quick", resolution=16, channels=3).start == ""  # no colour base: from scratch
    assert preset("classic", resolution=16, channels=1).start == ""  # the post's recipe stays as it was
    with pytest.raises(UserError, match="needs a start point"):
        preset("quick", resolution=16, channels=1, start="", freeze_d=2).replace(freeze_d=2)


def test_the_model_card_of_a_fine_tuned_run_names_its_start_point(source, tmp_path):
    from gan_core.hub.modelcard import model_card
    base = source / "weights" / "base-gray-16"
    train(tiny_train(start=str(base), freeze_d=1, steps=2), DATA, run_dir=tmp_path / "ft", evaluate=False)
    config = RunFolder(tmp_path / "ft").read_config()
    assert str(tmp_path) not in json.dumps(config["start"])  # no server path goes to the Hub
    card = model_card(config)
    assert f"started from | base-gray-16 (weights sha256 {weights_hash(base / 'model.safetensors')}" in card
    assert "FreezeD) | 1" in card
    train(tiny_train(steps=2), DATA, run_dir=tmp_path / "scratch", evaluate=False)
    assert "random weights (from scratch)" in model_card(RunFolder(tmp_path / "scratch").read_config())


def test_a_hub_id_start_point_is_read_from_safetensors_in_the_hub_cache(source, tmp_path, hf_home):
    base = source / "weights" / "base-gray-16"
    cached_repo(hf_home / "hub", "org/base", {"config.json": base / "config.json",
                                             "model.safetensors": base / "model.safetensors"})
    t = Trainer(tiny_train(start="org/base"), DATA, tmp_path / "ft", evaluate=False)
    d = _tensors(base / "model.safetensors", CRITIC_PREFIX)
    assert all(torch.equal(v, d[k]) for k, v in t.D.state_dict().items())
    cached_repo(hf_home / "hub", "org/generator-only", {"config.json": source / "run" / "config.json",
                                                       "model.safetensors": source / "run" / "model.safetensors"})
    with pytest.raises(UserError, match="no critic"):
        load_start_point("org/generator-only", tiny_train().model)


@pytest.mark.parametrize("ramp", [True, False])
def test_a_fine_tunes_ema_holds_its_decay_from_the_first_step_without_the_ramp(source, tmp_path, ramp):
    """ema_ramp=False: the EMA generator keeps `decay` of the start point after the first step (the
    ramp would keep only 1/10 of it, as for random weights)."""
    t = Trainer(tiny_train(start=str(source / "run"), ema_decay=0.9, ema_ramp=ramp, steps=1), DATA,
                tmp_path / "ft", evaluate=False)
    start = [p.detach().clone() for p in t.G_ema.parameters()]
    t.train_step()
    kept = 0.9 if not ramp else 0.1  # ramped: min(0.9, (1 + 0) / (10 + 0))
    for s, g, e in zip(start, t.G.parameters(), t.G_ema.parameters()):
        torch.testing.assert_close(e, kept * s + (1 - kept) * g.detach())
    assert any(not torch.equal(s, g) for s, g in zip(start, t.G.parameters()))  # G moved: the test can tell

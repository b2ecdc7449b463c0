"""D's eyes (gan_core.nets.eyes): a frozen feature network read by trainable heads beside D."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from gan_core.checkpoint import save_tensors
from gan_core.design.generate import load_generator
from gan_core.errors import UserError
from gan_core.nets.eyes import TAPS, FeatureNet
from gan_core.training.bases import EYES_FILE, export_base
from gan_core.training.runfolder import RunFolder
from gan_core.training.trainer import Trainer, train

from helpers import shapes_dataset, tiny_train

DATA = shapes_dataset(16)
EYES = dict(d_eyes="eyes-test")


@pytest.fixture()
def weights(tmp_path, monkeypatch):
    """A weights folder with trained-looking eyes (a FeatureNet with its own random weights)."""
    folder = tmp_path / "weights"
    (folder / "eyes-test").mkdir(parents=True)
    torch.manual_seed(7)
    net = FeatureNet(1, classes=5)
    for m in net.modules():  # BatchNorm statistics that are not the defaults, as after training
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    save_tensors(net.state_dict(), folder / "eyes-test" / EYES_FILE)
    monkeypatch.setenv("STUDIO_WEIGHTS_DIR", str(folder))
    return folder, {k: v for k, v in net.state_dict().items() if not k.startswith("classifier.")}


def test_the_eyes_are_loaded_frozen_and_stay_bit_identical(weights, tmp_path):
    _, body = weights
    t = Trainer(tiny_train(model=EYES, steps=5), DATA, tmp_path / "run", evaluate=False)
    for k, v in t.D.eyes.body.state_dict().items():
        torch.testing.assert_close(v, body[k], rtol=0, atol=0)
    heads = [p.detach().clone() for p in t.D.eyes.heads.parameters()]
    t.D.train()  # as any caller may: the body must stay in eval mode
    t.run_loop()
    for k, v in t.D.eyes.body.state_dict().items():  # weights and BatchNorm statistics both
        assert torch.equal(v, body[k]), f"the eyes' {k} moved"
    assert any(not torch.equal(a, b) for a, b in zip(heads, t.D.eyes.heads.parameters()))  # the heads train
    assert not t.D.eyes.body.training  # D.train() leaves the body in eval mode


def test_the_critic_gives_one_logit_per_head_to_the_trainer_and_one_to_others(weights, tmp_path):
    t = Trainer(tiny_train(model=EYES), DATA, tmp_path / "run", evaluate=False)
    x = DATA[:4]
    assert t.D(x, heads=True).shape == (4, 1 + len(TAPS))
    assert t.D(x).shape == (4,)
    torch.testing.assert_close(t.D(x), t.D(x, heads=True)[:, 0])


def test_a_run_records_its_eyes_and_resumes_exactly(weights, tmp_path):
    cfg = tiny_train(model=EYES, steps=8)
    train(cfg, DATA, run_dir=tmp_path / "a", evaluate=False)
    train(cfg.replace(steps=4), DATA, run_dir=tmp_path / "b", evaluate=False)
    record = RunFolder(tmp_path / "b").read_config()["eyes"]
    assert record["name"] == "eyes-test" and len(record["sha256"]) == 16
    train(cfg, DATA, run_dir=tmp_path / "b", resume=True, evaluate=False)
    assert RunFolder(tmp_path / "b").read_config()["eyes"] == record
    np.testing.assert_array_equal(load_generator(tmp_path / "a").generate(range(6)),
                                  load_generator(tmp_path / "b").generate(range(6)))
    assert RunFolder(tmp_path / "a").read_config()["eyes"] == record
    train(tiny_train(steps=2), DATA, run_dir=tmp_path / "plain", evaluate=False)
    assert RunFolder(tmp_path / "plain").read_config()["eyes"] is None


def test_eyes_are_added_to_a_start_point_without_them(weights, tmp_path):
    folder, body = weights
    train(tiny_train(steps=3), DATA, run_dir=tmp_path / "run", evaluate=False)
    export_base(tmp_path / "run", folder / "base-gray-16")
    t = Trainer(tiny_train(model=EYES, start="base-gray-16"), DATA, tmp_path / "ft", evaluate=False)
    plain = Trainer(tiny_train(start="base-gray-16"), DATA, tmp_path / "ft2", evaluate=False)
    for k, v in plain.D.state_dict().items():  # D's own weights come from the base
        torch.testing.assert_close(t.D.state_dict()[k], v, rtol=0, atol=0)
    for k, v in t.D.eyes.body.state_dict().items():  # the eyes from their file
        torch.testing.assert_close(v, body[k], rtol=0, atol=0)


def test_missing_or_wrong_eyes_get_a_clear_message(weights, tmp_path):
    folder, _ = weights
    with pytest.raises(UserError, match=r"D's eyes 'eyes-none': .*missing; train them"):
        Trainer(tiny_train(model=dict(d_eyes="eyes-none")), DATA, tmp_path / "a", evaluate=False)
    with pytest.raises(UserError, match="must name a folder of the weights folder"):
        Trainer(tiny_train(model=dict(d_eyes="../eyes-test")), DATA, tmp_path / "b", evaluate=False)
    (folder / "eyes-test" / EYES_FILE).write_bytes(b"not safetensors")
    with pytest.raises(UserError, match="D's eyes 'eyes-test'"):
        Trainer(tiny_train(model=EYES), DATA, tmp_path / "c", evaluate=False)
    save_tensors({"x": torch.zeros(2)}, folder / "eyes-test" / EYES_FILE)  # another network's
    with pytest.raises(UserError, match="cannot be loaded into this run's critic"):
        Trainer(tiny_train(model=EYES), DATA, tmp_path / "d", evaluate=False)
    for name in "abcd":
        assert not (tmp_path / name / "checkpoint.safetensors").exists()


def test_train_eyes_learns_from_the_corpus_names_and_its_output_loads(tmp_path, monkeypatch, capsys):
    """scripts/train_eyes.py on a tiny corpus: labels from the names, the body written as eyes.safetensors
    (never model.safetensors: Explore would list it as a model), a config with its held-out scores."""
    import json

    from gan_core.data.datastore import write_store
    from gan_core.nets.models import Critic
    from gan_core.config import ModelConfig
    from gan_core.training.bases import load_eyes
    from helpers import load_script
    script = load_script("train_eyes")
    names = [f"{s}:{w}-{i}" for i in range(12) for s, w in (("set-a", "red-apple"), ("set-b", "blue-car"))]
    sets, words, set_of, hot = script.labels(names, min_count=3)
    assert sets == ["set-a", "set-b"] and words == ["apple", "blue", "car", "red"]
    assert hot[0].tolist() == [1, 0, 0, 1] and list(set_of[:2]) == [0, 1]

    monkeypatch.setenv("DESIGN_STUDIO_CORPUS_DIR", str(tmp_path / "corpus"))
    assert script.main(["colour-64", "--minutes", "0.01"]) == 2  # no corpus yet: says how to build it
    assert "build_corpus.py --kind colour" in capsys.readouterr().err
    rng = np.random.default_rng(0)
    write_store(((n, rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)) for n in names),
                tmp_path / "corpus" / "colour-64.u8", 64, 3)
    out = tmp_path / "weights" / "eyes-colour-64"
    assert script.main(["colour-64", "--minutes", "0.02", "--batch", "8", "--min-count", "3",
                        "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["config.json", EYES_FILE]
    info = json.loads((out / "config.json").read_text())
    assert info["kind"] == "eyes" and info["steps"] >= 1 and 0 <= info["held_out"]["set_accuracy"] <= 1
    D = Critic(ModelConfig(resolution=64, channels=3, d_eyes="eyes-colour-64"))
    assert len(load_eyes(D, "eyes-colour-64", tmp_path / "weights")) == 16


def test_a_run_from_before_the_eyes_field_still_resumes(tmp_path):
    """A checkpoint written before ModelConfig had d_eyes (its model section lacks the field) resumes:
    a new field's default is what the old run had (this broke the pretraining runs' resume once)."""
    from gan_core.checkpoint import load_tensors
    run = tmp_path / "old"
    train(tiny_train(steps=2), DATA, run_dir=run, evaluate=False)
    tensors, meta = load_tensors(run / "checkpoint.safetensors")
    del meta["model"]["d_eyes"]
    save_tensors(tensors, run / "checkpoint.safetensors", meta)
    train(tiny_train(steps=4), DATA, run_dir=run, resume=True, evaluate=False)
    assert RunFolder(run).read_config() and load_tensors(run / "checkpoint.safetensors")[1]["step"] == 4
    _, meta = load_tensors(run / "checkpoint.safetensors")  # another model is still refused by name
    meta["model"]["width"] = 99
    save_tensors(tensors, run / "checkpoint.safetensors", meta)
    with pytest.raises(UserError, match="another model configuration"):
        train(tiny_train(steps=6), DATA, run_dir=run, resume=True, evaluate=False)

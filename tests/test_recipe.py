"""The small-data recipe options: LeCam regularisation, the adaptive augmentation and mode seeking."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from gan_core.config import options_on
from gan_core.design.generate import load_generator
from gan_core.hub.modelcard import model_card
from gan_core.training.losses import mode_seeking_loss
from gan_core.training.recipe import AdaptiveAugment, LeCam
from gan_core.training.trainer import Trainer, train

from helpers import shapes_dataset, tiny_train

DATA = shapes_dataset()


def test_lecam_pulls_outputs_towards_the_other_sets_average():
    lecam = LeCam(decay=0.0, device=torch.device("cpu"))  # decay 0: anchors are this batch's means
    real = torch.tensor([2.0, 2.0], requires_grad=True)
    fake = torch.tensor([-2.0, -2.0], requires_grad=True)
    penalty = lecam.penalty(real, fake)
    assert torch.allclose(lecam.anchors, torch.tensor([2.0, -2.0]))
    assert penalty.item() == pytest.approx(16 + 16)
    penalty.backward()
    assert (real.grad > 0).all() and (fake.grad < 0).all()  # descent brings them together
    # uneven outputs: anchors [2, 0]; (1-0)^2 and (3-0)^2 average 5, (0-2)^2 averages 4
    assert lecam.penalty(torch.tensor([1.0, 3.0]), torch.zeros(2)).item() == pytest.approx(5 + 4)
    assert lecam.penalty(torch.zeros(2), torch.zeros(2)).item() == 0  # both at the other's average
    # decay 0.99: the anchors move 1% of the way to this batch's means, then the penalty uses them
    slow = LeCam(decay=0.99, device=torch.device("cpu"))
    penalty = slow.penalty(torch.ones(2), -torch.ones(2))
    assert slow.anchors.tolist() == pytest.approx([0.01, -0.01])
    assert penalty.item() == pytest.approx(2 * 1.01 ** 2)


def test_ada_probability_follows_the_overfitting_signal():
    ada = AdaptiveAugment(target=0.6, images=64, batch_size=8, device=torch.device("cpu"))
    for _ in range(8):
        ada.observe(torch.ones(8))          # D sure of every real image: r_t = 1 > 0.6
    assert ada.p.item() == pytest.approx(1.0)  # 2 adjustments of 8*4/64 = 0.5
    for _ in range(4):
        ada.observe(-torch.ones(8))
    assert ada.p.item() == pytest.approx(0.5)
    x, aug = torch.zeros(1000, 1, 2, 2), torch.ones(1000, 1, 2, 2)
    share = ada.apply(x, aug, torch.Generator().manual_seed(0)).mean().item()
    assert 0.45 < share < 0.55
    ada.p.zero_()
    assert ada.apply(x, aug, torch.Generator()).sum() == 0


def test_mode_seeking_loss_is_low_for_distinct_designs_and_pushes_them_apart():
    z = torch.randn(8, 16, generator=torch.Generator().manual_seed(0))
    same = 0.01 * torch.randn(8, 1, 4, 4, generator=torch.Generator().manual_seed(1))  # one design, faint noise
    apart = torch.linspace(-1, 1, 8).view(8, 1, 1, 1).expand(8, 1, 4, 4)
    collapsed, diverse = mode_seeking_loss(same, z), mode_seeking_loss(apart, z)
    assert collapsed.item() > 20 * diverse.item()
    x = torch.tensor([0.1] * 4 + [-0.1] * 4).view(8, 1, 1, 1).requires_grad_(True)
    mode_seeking_loss(x, z).backward()  # pairs are (x[i], x[i + 4]): descent moves them apart
    step = -x.grad.flatten()
    assert (step[:4] > 0).all() and (step[4:] < 0).all()


def test_recipe_options_train_and_resume_exactly(tmp_path):
    cfg = tiny_train("dcgan", steps=8, lecam_weight=0.3, ada_target=0.6, ada_images=200, mode_seeking_weight=1.0)
    train(cfg, DATA, run_dir=tmp_path / "a", evaluate=False)
    train(cfg.replace(steps=4), DATA, run_dir=tmp_path / "b", evaluate=False)
    train(cfg, DATA, run_dir=tmp_path / "b", resume=True, evaluate=False)
    a = load_generator(tmp_path / "a").generate(range(4))
    b = load_generator(tmp_path / "b").generate(range(4))
    np.testing.assert_array_equal(a, b)
    card = model_card(json.loads((tmp_path / "a" / "config.json").read_text()))
    # the card says what shaped the model, in the words the Train tab's sentence uses (config.options_on)
    assert "| regularisation | LeCam 0.3, mode seeking 1, adaptive augmentation (target 0.6) |" in card


def test_options_in_words_name_each_option_that_is_on():
    assert options_on(tiny_train("dcgan", steps=1).to_dict()) == []
    on = tiny_train("dcgan", steps=1, lecam_weight=0.1, r1_gamma=0.5, r1_every=8,
                    mode_seeking_weight=0.3, ada_target=0.6).to_dict()
    assert options_on(on) == ["LeCam 0.1", "R1 γ 0.5 every 8 steps", "mode seeking 0.3",
                              "adaptive augmentation (target 0.6)"]


def test_options_change_training_and_defaults_are_off(tmp_path):
    base = tiny_train("dcgan", steps=3)
    assert base.lecam_weight == 0 and base.ada_target == 0
    t = Trainer(base, DATA, tmp_path / "x", evaluate=False)
    assert t.lecam is None and t.ada is None
    weights = []
    arms = ({}, {"lecam_weight": 1.0}, {"ada_target": 0.6}, {"mode_seeking_weight": 1.0})
    for i, kw in enumerate(arms):
        t = Trainer(base.replace(**kw), DATA, tmp_path / f"r{i}", evaluate=False)
        for _ in range(3):
            t.train_step()
        weights.append(torch.cat([p.detach().flatten() for p in t.G.parameters()]))
    assert all(not torch.equal(weights[0], w) for w in weights[1:])

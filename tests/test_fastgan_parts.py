"""FastGAN's two parts as options: skip-layer excitation in G and the self-supervised D."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from gan_core.config import ModelConfig
from gan_core.design.generate import load_generator
from gan_core.errors import UserError
from gan_core.hub.modelcard import model_card
from gan_core.nets.models import Critic, Generator
from gan_core.training import losses as L
from gan_core.training.trainer import Trainer, train

from helpers import shapes_dataset, tiny_train


def _model(res: int, **kw) -> ModelConfig:
    return ModelConfig(resolution=res, width=4, z_dim=8, **kw)


@pytest.mark.parametrize("res, pairs", [(16, []), (32, ["16"]), (64, ["16", "32"]), (128, ["16", "32", "64"])])
def test_skip_excitation_gates_the_layers_4x_bigger(res, pairs):
    G = Generator(_model(res, g_skip_excitation=True))
    assert sorted(G.sle, key=int) == pairs
    off = Generator(_model(res))
    assert len(off.sle) == 0 and not any(k.startswith("sle.") for k in off.state_dict())
    # the same weights in G's main path: with every gate forced open (1), G is the plain G
    G.load_state_dict({**off.state_dict(), **{k: v for k, v in G.state_dict().items() if k.startswith("sle.")}})
    z = torch.randn(4, 8)
    if pairs:  # (training mode: BatchNorm on the batch's statistics, pictures of full contrast)
        assert (G(z) - off(z)).abs().max() > 1e-3  # the gates act
    for sle in G.sle.values():
        sle.net = _Ones(sle.net[1].out_channels)
    torch.testing.assert_close(G(z), off(z))


class _Ones(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c

    def forward(self, x):
        return torch.ones(x.shape[0], self.c, 1, 1)


def test_skip_excitation_gates_are_per_channel_and_learn():
    G = Generator(_model(64, g_skip_excitation=True))
    small = torch.randn(3, G.sle["32"].net[1].in_channels, 8, 8)
    gate = G.sle["32"](small)
    assert gate.shape == (3, G.sle["32"].net[1].out_channels, 1, 1)
    assert (gate > 0).all() and (gate < 1).all()
    G(torch.randn(4, 8)).mean().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in G.sle.parameters())


def test_grouped_call_with_skip_excitation_equals_separate_calls():
    G = Generator(_model(32, g_skip_excitation=True)).train()
    z = torch.randn(8, 8)
    torch.testing.assert_close(G(z, groups=2), torch.cat([G(z[:4]), G(z[4:])]))


class _Blocks(nn.Module):
    """A 'decoder' that scales its features up to 32 px: exact for block-constant pictures."""
    SIZE = 32

    def forward(self, x):
        return F.interpolate(x, size=(32, 32), mode="nearest")


def test_self_supervised_loss_rebuilds_the_picture_and_the_matching_quarter():
    # 64 px pictures made of 8x8 constant blocks: D's "features" are the pictures themselves at
    # 8x8 and 16x16, so the perfect decoders rebuild the picture and each quarter exactly
    g = torch.Generator().manual_seed(0)
    real = torch.rand(4, 3, 8, 8, generator=g).mul(2).sub(1).repeat_interleave(8, 2).repeat_interleave(8, 3)
    feats = {8: F.avg_pool2d(real, 8), 16: F.avg_pool2d(real, 4)}
    decoders = {"8": _Blocks(), "16": _Blocks()}
    for seed in range(6):  # every quarter the loss may pick
        assert L.self_supervised_loss(decoders, feats, real, torch.Generator().manual_seed(seed)) < 1e-10
    # the wrong quarter of the features (as a misaligned crop would take) is caught
    shifted = {8: feats[8], 16: torch.roll(feats[16], shifts=8, dims=3)}
    assert L.self_supervised_loss(decoders, shifted, real, torch.Generator().manual_seed(0)) > 0.05


def test_critic_with_decoders_gives_the_same_scores_and_its_8_and_16_px_features():
    D = Critic(_model(64, channels=3, d_decoders=True))
    x = torch.rand(2, 3, 64, 64) * 2 - 1
    scores, feats = D(x, features=True)
    torch.testing.assert_close(scores, D(x))
    assert feats[8].shape[-2:] == (8, 8) and feats[16].shape[-2:] == (16, 16)
    assert D.decoders["8"](feats[8]).shape == (2, 3, 32, 32)
    assert len(Critic(_model(64)).decoders) == 0


def test_decoders_need_32_px():
    with pytest.raises(UserError, match="d_decoders needs D's 16x16 features.*got 16"):
        ModelConfig(resolution=16, d_decoders=True)


def test_both_parts_train_learn_and_resume_exactly(tmp_path):
    data = shapes_dataset(n=12, size=32)
    cfg = tiny_train("dcgan", steps=6, model=dict(resolution=32, g_skip_excitation=True, d_decoders=True))
    t = Trainer(cfg, data, tmp_path / "t", evaluate=False)
    before = [p.detach().clone() for p in t.D.decoders.parameters()]
    t.train_step()
    assert all(not torch.equal(a, b) for a, b in zip(before, t.D.decoders.parameters()))  # D's loss has them
    train(cfg, data, run_dir=tmp_path / "a", evaluate=False)
    train(cfg.replace(steps=3), data, run_dir=tmp_path / "b", evaluate=False)
    train(cfg, data, run_dir=tmp_path / "b", resume=True, evaluate=False)
    a, b = (load_generator(tmp_path / r).generate(range(4)) for r in "ab")
    np.testing.assert_array_equal(a, b)
    card = model_card(json.loads((tmp_path / "a" / "config.json").read_text()))
    assert "skip-layer excitation in G, self-supervised D" in card

import pytest
import torch

from gan_core.config import ModelConfig, TrainConfig
from gan_core.errors import UserError
from gan_core.nets.models import Critic, Generator, count_parameters
from gan_core.training.presets import PRESETS, preset


@pytest.mark.parametrize("res", [32, 64, 128, 256])
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("upsample", ["transpose", "nearest"])
def test_shapes_every_resolution(res, channels, upsample):
    cfg = ModelConfig(resolution=res, channels=channels, width=4, z_dim=8, g_upsample=upsample)
    G, D = Generator(cfg), Critic(cfg)
    x = G(torch.randn(2, 8))
    assert x.shape == (2, channels, res, res)
    assert x.min() >= -1 and x.max() <= 1
    assert D(x).shape == (2,)


def test_classic_preset_is_the_car_rim_networks():
    cfg = preset("classic")
    m = cfg.model
    assert (m.z_dim, m.width, m.resolution, m.channels) == (100, 64, 64, 1)
    G, D = Generator(m), Critic(m)
    # 100 -> 1024 x4x4 -> 512 x8x8 -> 256 x16x16 -> 128 x32x32 -> 1 x64x64: the post's 12.7 M parameters
    assert count_parameters(G) == 12_654_337
    convs = [l for l in G.net if isinstance(l, torch.nn.ConvTranspose2d)]
    assert [c.out_channels for c in convs] == [1024, 512, 256, 128, 1]
    for kind in (torch.nn.BatchNorm2d, torch.nn.LeakyReLU, torch.nn.Dropout):
        assert sum(isinstance(l, kind) for l in G.net) == 4  # one per ConvTranspose block
    assert all(l.negative_slope == 0.2 for l in G.net if isinstance(l, torch.nn.LeakyReLU))
    assert [l.p for l in G.net if isinstance(l, torch.nn.Dropout)] == [0.2] * 4
    assert any(isinstance(l, torch.nn.InstanceNorm2d) for l in D.net)
    assert (cfg.loss, cfg.n_critic, cfg.gp_lambda, cfg.lr_g, cfg.beta1, cfg.beta2, cfg.batch_size) == \
        ("wgan-gp", 5, 10.0, 1e-4, 0.0, 0.9, 8)


def test_nearest_upsampling_has_no_transposed_convolution_after_the_first_block():
    """g_upsample="nearest": every doubling is nearest-neighbour + 3x3 conv, so a constant feature map
    stays constant (no checkerboard); the first block (z -> 4x4) and the first-layer directions keep
    their ConvTranspose2d."""
    G = Generator(ModelConfig(resolution=32, width=4, z_dim=8, g_upsample="nearest"))
    convs = [m for m in G.net if isinstance(m, torch.nn.ConvTranspose2d)]
    assert len(convs) == 1 and convs[0] is G.net[0]
    assert sum(isinstance(m, torch.nn.Upsample) for m in G.net) == 3  # 4 -> 8 -> 16 -> 32
    # a constant input to the last doubling gives a constant picture away from the border
    last = G.net[-3:]
    flat = last(torch.ones(1, last[1].in_channels, 8, 8))
    inner = flat[..., 1:-1, 1:-1]
    assert torch.allclose(inner, inner[..., :1, :1].expand_as(inner), atol=1e-6)
    T = Generator(ModelConfig(resolution=32, width=4, z_dim=8))
    tail = T.net[-2:]
    checker = tail(torch.ones(1, tail[0].in_channels, 8, 8))[..., 2:-2, 2:-2]
    assert not torch.allclose(checker, checker[..., :1, :1].expand_as(checker), atol=1e-6)  # the control


def test_wgan_gp_critic_never_uses_batchnorm():
    for name in PRESETS:
        cfg = preset(name)
        if cfg.loss == "wgan-gp":
            assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in Critic(cfg.model).modules())
    with pytest.raises(UserError, match="BatchNorm"):
        TrainConfig(model=ModelConfig(d_norm="batch"), loss="wgan-gp")


def test_spectral_norm_option():
    D = Critic(ModelConfig(resolution=16, width=4, spectral_norm=True))
    assert any(hasattr(m, "parametrizations") for m in D.modules())


@pytest.mark.parametrize("field,value,needle", [
    ("resolution", 48, "resolution"), ("channels", 2, "channels"), ("z_dim", 10**6, "z_dim"),
    ("width", 0, "width"), ("arch", "resnet", "arch"), ("g_upsample", "bilinear", "g_upsample"),
])
def test_model_config_rejects_bad_values_naming_the_field(field, value, needle):
    with pytest.raises(UserError, match=needle):
        ModelConfig(**{field: value})


def test_train_config_validation():
    with pytest.raises(UserError, match="loss"):
        TrainConfig(loss="magic")
    with pytest.raises(UserError, match="batch_size"):
        TrainConfig(batch_size=0)
    with pytest.raises(UserError, match="augment"):
        TrainConfig(augment="translation,rotate")
    with pytest.raises(UserError, match="budget"):
        TrainConfig(minutes=None, steps=None)
    with pytest.raises(UserError, match="unknown field"):
        TrainConfig.from_dict({"loss": "dcgan", "evil": 1})
    cfg = TrainConfig.from_dict(TrainConfig().to_dict())
    assert cfg == TrainConfig()


def test_preset_budget_override_replaces_the_other():
    cfg = preset("quick", steps=50)
    assert cfg.steps == 50 and cfg.minutes is None
    assert (cfg.replace(minutes=3).minutes, cfg.replace(minutes=3).steps) == (3, None)
    both = cfg.replace(minutes=3, steps=7)
    assert (both.minutes, both.steps) == (3, 7)
    assert cfg.replace(batch_size=8).steps == 50  # other changes keep the budget
    with pytest.raises(UserError, match="preset"):
        preset("fastest")


@pytest.mark.parametrize("fmt", [torch.contiguous_format, torch.channels_last])
def test_grouped_generator_call_equals_separate_calls(fmt):
    """G(z, groups=k): k batches in one call, BatchNorm statistics per batch, as k calls."""
    cfg = ModelConfig(resolution=32, width=8, z_dim=16, max_channels=64)
    torch.manual_seed(0)
    one, grouped = Generator(cfg), Generator(cfg)
    grouped.load_state_dict(one.state_dict())
    grouped.to(memory_format=fmt)
    z = torch.randn(12, 16)
    with torch.no_grad():
        separate = torch.cat([one(part) for part in z.split(4)])
        joint = grouped(z, groups=3)
        pooled = Generator(cfg).requires_grad_(False)
        pooled.load_state_dict(one.state_dict())
        mixed = pooled(z)  # one batch of 12: other statistics, other pictures
    torch.testing.assert_close(joint, separate, rtol=1e-5, atol=1e-5)
    assert (mixed - separate).abs().max() > 1e-3
    for (name, a), b in zip(one.named_buffers(), grouped.buffers()):  # running stats, 3 updates
        torch.testing.assert_close(a.float(), b.float(), rtol=1e-5, atol=1e-6, msg=name)
    assert all(m.groups == 1 for m in grouped.modules() if hasattr(m, "groups"))
    with pytest.raises(ValueError, match="cannot be split into 5 groups"):
        grouped(z, groups=5)


def test_seeded_dropout_drops_its_share_and_rescales():
    from gan_core.nets.models import SeededDropout
    d = SeededDropout(0.2)
    d.generator = torch.Generator().manual_seed(1)
    y = d(torch.ones(200_000))
    assert set(y.unique().tolist()) == {0.0, 1.25}
    assert (y == 0).float().mean().item() == pytest.approx(0.2, abs=0.005)
    d.generator = torch.Generator().manual_seed(1)
    assert torch.equal(d(torch.ones(200_000)), y)  # the run's generator decides the masks


def _bn(G):
    return [m for m in G.modules() if isinstance(m, torch.nn.BatchNorm2d)]


def test_recalibrated_statistics_are_the_mean_of_the_batches_statistics():
    """recalibrate_batchnorm: each layer's running mean/var is the mean over the batches of what
    that layer saw in training mode, so eval-mode designs match what G draws in training."""
    from gan_core.nets.models import recalibrate_batchnorm
    cfg = ModelConfig(resolution=16, channels=1, width=4, z_dim=8)
    G = Generator(cfg).eval()
    for m in _bn(G):  # statistics that belong to other weights (what the EMA generator had)
        m.running_mean.fill_(3.0)
        m.running_var.fill_(0.01)
    z = torch.randn(256, 8, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        before = G(z)
    rng = torch.random.get_rng_state()
    recalibrate_batchnorm(G, samples=64, batch_size=16, seed=5)
    assert torch.equal(torch.random.get_rng_state(), rng)   # its own generator: no other RNG moves
    assert not G.training                                    # left as it was
    # the reference: the same four batches through a training-mode copy with cumulative statistics
    ref = Generator(cfg)
    ref.load_state_dict(G.state_dict())
    for m in _bn(ref):
        m.reset_running_stats()
        m.momentum = None
    ref.train()
    gen = torch.Generator().manual_seed(5)
    with torch.no_grad():
        for _ in range(4):
            ref(torch.randn(16, 8, generator=gen))
    for a, b in zip(_bn(G), _bn(ref)):
        torch.testing.assert_close(a.running_mean, b.running_mean)
        torch.testing.assert_close(a.running_var, b.running_var)
    again = Generator(cfg)
    again.load_state_dict(G.state_dict())
    recalibrate_batchnorm(again, samples=64, batch_size=16, seed=5)
    for a, b in zip(_bn(G), _bn(again)):
        assert torch.equal(a.running_mean, b.running_mean)  # reproducible
    # eval-mode pictures now agree with training-mode ones on a large batch; before, far apart
    with torch.no_grad():
        ev = G(z)
        G.train()
        tr = G(z)
    assert (ev - tr).abs().mean() < 0.2 * (before - tr).abs().mean()


def test_the_saved_generator_carries_statistics_of_its_own_weights(tmp_path):
    """The EMA generator a run saves (model.safetensors) has BatchNorm statistics measured for
    the EMA weights, not G's copied ones (which turned 64 px icons into blobs)."""
    from gan_core.design.generate import load_generator
    from gan_core.nets.models import RECALIBRATION_SAMPLES, recalibrate_batchnorm
    from gan_core.training.trainer import train
    from helpers import shapes_dataset, tiny_train
    cfg = tiny_train("dcgan", steps=12)
    train(cfg, shapes_dataset(), run_dir=tmp_path / "r", evaluate=False)
    saved = load_generator(tmp_path / "r").G
    mine = Generator(cfg.model)
    mine.load_state_dict(saved.state_dict())
    for m in _bn(mine):
        m.running_mean.zero_()
        m.running_var.fill_(1.0)
    recalibrate_batchnorm(mine, RECALIBRATION_SAMPLES, cfg.batch_size, seed=cfg.seed)
    for a, b in zip(_bn(saved), _bn(mine)):
        torch.testing.assert_close(a.running_mean, b.running_mean)
        torch.testing.assert_close(a.running_var, b.running_var)

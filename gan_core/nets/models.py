"""DCGAN-family generator G and critic/discriminator D for 16-256 px squares.

Two architectures share one builder:
- ``classic``: the car-rim post's networks (z 100, feature maps 64, ConvTranspose
  blocks with BatchNorm, LeakyReLU 0.2 and Dropout 0.2 in G; InstanceNorm in D).
- ``compact``: the same shape of network, a fraction of the width, tuned for CPUs.

``g_upsample`` chooses how G doubles its size: DCGAN's transposed convolutions, or
nearest-neighbour doubling and a 3x3 convolution (no checkerboard pattern).
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.parametrizations import spectral_norm as _sn

from ..config import ModelConfig
from .eyes import Eyes


def _levels(resolution: int) -> int:
    """Number of 2x upsamplings from 4x4 to ``resolution``."""
    return int(math.log2(resolution // 4))


def g_channels(cfg: ModelConfig, r: int) -> int:
    """G feature maps at spatial size r (the classic formula: ngf * res / r)."""
    if cfg.arch == "classic":
        return min(cfg.max_channels, cfg.width * cfg.resolution // r)
    return min(cfg.max_channels, cfg.width * cfg.resolution // (2 * r))


def d_channels(cfg: ModelConfig, r: int) -> int:
    """D feature maps at spatial size r (the classic formula: ndf * res / 2r)."""
    return min(cfg.max_channels, cfg.width * cfg.resolution // (2 * r))


class SeededDropout(nn.Dropout):
    """Dropout that draws its masks from ``self.generator`` when one is set.

    The trainer hands it the run's own generator, so a run (and its exact resume)
    never depends on, or disturbs, torch's global RNG.
    """
    generator: torch.Generator | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0 or self.generator is None:
            return super().forward(x)
        # the uniform draws become the mask in place: x * 1[u >= p] / (1 - p), one temporary
        mask = torch.rand(x.shape, device=x.device, generator=self.generator, dtype=x.dtype)
        return x * mask.ge_(self.p).mul_(1.0 / (1.0 - self.p))


class GroupBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm2d that can treat one batch as ``groups`` separate equal batches.

    With ``groups`` > 1 in training mode, each consecutive block of N/groups images
    is normalised with its own statistics and the running statistics are updated
    once per block, in order: exactly what ``groups`` separate calls would compute,
    in one call (bigger, cheaper convolutions around it). Same parameters and
    buffers as ``nn.BatchNorm2d``, so state dicts are interchangeable.
    """
    groups: int = 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g = self.groups
        if g == 1 or not self.training or self.momentum is None:
            return super().forward(x)
        n = x.shape[0] // g
        if n * g != x.shape[0]:
            raise ValueError(f"a batch of {x.shape[0]} cannot be split into {g} groups")
        # the very kernel of g separate calls, each updating the running statistics in turn
        parts = [F.batch_norm(part, self.running_mean, self.running_var, self.weight, self.bias,
                              True, self.momentum, self.eps) for part in x.split(n)]
        if self.track_running_stats:
            self.num_batches_tracked.add_(g)  # as nn.BatchNorm2d's forward does once per call
        return torch.cat(parts)


class GroupSyncBatchNorm2d(nn.SyncBatchNorm):
    """``GroupBatchNorm2d`` for distributed CUDA runs: each group is one SyncBatchNorm call,
    so its statistics span that group's images on every rank (see gan_core.training.distributed)."""
    groups: int = 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g = self.groups
        if g == 1 or not self.training:
            return super().forward(x)
        return torch.cat([super(GroupSyncBatchNorm2d, self).forward(part) for part in x.split(x.shape[0] // g)])


class SkipExcitation(nn.Module):
    """FastGAN's skip-layer excitation (Liu et al. 2021): a low-resolution feature map, pooled to
    4x4, becomes one gate in (0, 1) per channel of a feature map 4x bigger: ``x_big * SLE(x_small)``.
    Shapes flow from coarse to fine layers directly, and the gates can switch styles apart."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.net = nn.Sequential(nn.AdaptiveAvgPool2d(4), nn.Conv2d(cin, cout, 4, 1, 0, bias=False),
                                 nn.LeakyReLU(0.1, inplace=True), nn.Conv2d(cout, cout, 1, 1, 0, bias=False),
                                 nn.Sigmoid())

    def forward(self, small: torch.Tensor) -> torch.Tensor:
        return self.net(small)


class Generator(nn.Module):
    """z (N, z_dim) -> images (N, channels, res, res) in [-1, 1].

    ``G(z, groups=k)`` computes k independent batches in one call: BatchNorm uses
    each block of N/k images' own statistics, as k separate calls would.
    """

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        classic = cfg.arch == "classic"
        act = (lambda: nn.LeakyReLU(0.2, inplace=True)) if classic else (lambda: nn.ReLU(inplace=True))

        def up(cin, cout, bias):
            """Double the size: a transposed convolution, or nearest-neighbour doubling and a 3x3
            convolution (Odena et al. 2016, "Deconvolution and checkerboard artifacts")."""
            if cfg.g_upsample == "nearest":
                return [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(cin, cout, 3, 1, 1, bias=bias)]
            return [nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=bias)]

        def block(cin, cout, first=False):
            conv = [nn.ConvTranspose2d(cin, cout, 4, 1, 0, bias=False)] if first else up(cin, cout, False)
            layers = conv + [GroupBatchNorm2d(cout), act()]
            if cfg.g_dropout > 0:
                layers.append(SeededDropout(cfg.g_dropout))
            return layers

        n = _levels(cfg.resolution)
        layers = block(cfg.z_dim, g_channels(cfg, 4), first=True)  # state: (ch(4)) x 4 x 4
        ends = {len(layers) - 1: 4}  # index of each block's last layer -> its output's size
        r = 4
        for _ in range(n - 1):  # 4 -> res/2
            layers += block(g_channels(cfg, r), g_channels(cfg, 2 * r))
            r *= 2
            ends[len(layers) - 1] = r
        # last upsampling straight to pixels: (channels) x res x res
        layers += up(g_channels(cfg, r), cfg.channels, True) + [nn.Tanh()]
        self.net = nn.Sequential(*layers)
        # skip-layer excitation: the features at size s gate the channels at 4s (inside G only)
        self._ends = ends if cfg.g_skip_excitation else {}
        self.sle = nn.ModuleDict({str(4 * s): SkipExcitation(g_channels(cfg, s), g_channels(cfg, 4 * s))
                                  for s in ends.values() if 4 * s in ends.values()}
                                 if cfg.g_skip_excitation else {})
        _init_weights(self)

    def _run(self, x: torch.Tensor) -> torch.Tensor:
        if not self.sle:
            return self.net(x)
        feats = {}
        for i, layer in enumerate(self.net):
            x = layer(x)
            size = self._ends.get(i)
            if size is not None:
                if str(size) in self.sle:
                    x = x * self.sle[str(size)](feats[size // 4])
                feats[size] = x
        return x

    def forward(self, z: torch.Tensor, groups: int = 1) -> torch.Tensor:
        if z.dim() != 2 or z.shape[1] != self.cfg.z_dim:
            raise ValueError(f"z must be (N, {self.cfg.z_dim}), got {tuple(z.shape)}")
        if groups == 1:
            return self._run(z[:, :, None, None])
        norms = [m for m in self.net if isinstance(m, (GroupBatchNorm2d, GroupSyncBatchNorm2d))]
        for m in norms:
            m.groups = groups
        try:
            return self._run(z[:, :, None, None])
        finally:
            for m in norms:
                m.groups = 1


class Critic(nn.Module):
    """images (N, channels, res, res) -> one score (logit) per image, shape (N,)."""
    DECODED = (8, 16)  # feature sizes the self-supervised decoders read (``d_decoders``)

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        sn = _sn if cfg.spectral_norm else (lambda m: m)

        def norm(c):
            return {"none": nn.Identity(), "batch": nn.BatchNorm2d(c),
                    "instance": nn.InstanceNorm2d(c, affine=True),
                    "layer": nn.GroupNorm(1, c)}[cfg.d_norm]

        r = cfg.resolution // 2
        # first layer has no norm (DCGAN): (ch(res/2)) x res/2 x res/2
        layers = [sn(nn.Conv2d(cfg.channels, d_channels(cfg, r), 4, 2, 1)), nn.LeakyReLU(0.2, inplace=True)]
        taps = {r: len(layers) - 1}  # feature size -> index of the activation that outputs it
        while r > 4:
            has_norm = cfg.d_norm != "none"
            layers += [sn(nn.Conv2d(d_channels(cfg, r), d_channels(cfg, r // 2), 4, 2, 1, bias=not has_norm))]
            layers += [norm(d_channels(cfg, r // 2))] if has_norm else []
            layers += [nn.LeakyReLU(0.2, inplace=True)]
            r //= 2
            taps[r] = len(layers) - 1
        # state: (ch(4)) x 4 x 4 -> 1 x 1 x 1
        layers.append(sn(nn.Conv2d(d_channels(cfg, 4), 1, 4, 1, 0)))
        self.net = nn.Sequential(*layers)
        self._taps = {taps[size]: size for size in self.DECODED} if cfg.d_decoders else {}
        self.decoders = nn.ModuleDict({str(size): Decoder(d_channels(cfg, size), cfg.channels)
                                       for size in self.DECODED} if cfg.d_decoders else {})
        _init_weights(self)
        # D's eyes (gan_core.nets.eyes): built after the DCGAN init, which would overwrite their body
        self.eyes = Eyes(cfg.channels, cfg.resolution) if cfg.d_eyes else None

    def forward(self, x: torch.Tensor, features: bool = False, heads: bool = False):
        """Scores (N,); with ``heads`` and eyes, (N, 1 + heads): D's own logit, then each of its
        eyes' heads' (the trainer applies its loss to each); with ``features``, also {8: D's 8x8
        features, 16: its 16x16 ones} (the self-supervised decoders' inputs; ``d_decoders`` only)."""
        out = self._own(x, features)
        if heads and self.eyes is not None:
            own = out[0] if features else out
            both = torch.cat([own[:, None], self.eyes(x)], dim=1)
            return (both, out[1]) if features else both
        return out

    def _own(self, x: torch.Tensor, features: bool):
        if not features:
            return self.net(x).flatten()
        feats = {}
        for i, layer in enumerate(self.net):
            x = layer(x)
            if i in self._taps:
                feats[self._taps[i]] = x
        return x.flatten(), feats


class Decoder(nn.Module):
    """FastGAN's small decoder for a self-supervised D: an 8x8 feature map -> a 32x32 image in
    [-1, 1] (two nearest-neighbour doublings with 3x3 convolutions; few channels, so cheap)."""
    SIZE = 32

    def __init__(self, cin: int, channels: int, width: int = 16):
        super().__init__()
        self.net = nn.Sequential(
            nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(cin, width, 3, 1, 1, bias=False),
            nn.BatchNorm2d(width), nn.LeakyReLU(0.2, inplace=True),
            nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(width, width // 2, 3, 1, 1, bias=False),
            nn.BatchNorm2d(width // 2), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(width // 2, channels, 3, 1, 1), nn.Tanh())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


RECALIBRATION_SAMPLES = 1024   # latents whose features set the BatchNorm statistics of a saved generator


@torch.no_grad()
def recalibrate_batchnorm(G: "Generator", samples: int = RECALIBRATION_SAMPLES, batch_size: int = 32,
                          seed: int = 0) -> None:
    """Re-measure the running statistics of G's BatchNorm layers for G's own weights.

    The EMA generator averages G's weights over the last few hundred steps, but its BatchNorm
    buffers are G's, measured for G's current weights: the mismatch shifts every feature map,
    and the EMA designs come out as heavy blobs (fa-icons-100, 64 px, 2,058 steps: SWD 99 with
    the copied statistics against 43 for G itself; benchmarks/ABLATIONS.md). Here ``samples``
    latents (a fixed ``seed``, so the result is reproducible and no other RNG is touched) pass
    through G in batches of ``batch_size`` (the training batch: the statistics G was trained
    with), each BatchNorm normalising with its batch's statistics as in training; the running
    statistics become the mean over the batches (what BatchNorm's cumulative mode keeps).
    G stays in eval mode throughout, so no layer communicates (SyncBatchNorm) or updates itself.
    """
    norms = [m for m in G.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats]
    if not norms:
        return
    sums = {m: [torch.zeros_like(m.running_mean), torch.zeros_like(m.running_var), 0] for m in norms}

    def measure(m, inputs, output):
        x = inputs[0].float()
        mean, var = x.mean((0, 2, 3)), x.var((0, 2, 3), unbiased=x.numel() > x.shape[1])
        s = sums[m]
        s[0] += mean
        s[1] += var
        s[2] += 1
        return F.batch_norm(inputs[0], None, None, m.weight, m.bias, True, 0.0, m.eps)

    hooks = [m.register_forward_hook(measure) for m in norms]
    was_training = G.training
    G.eval()
    try:
        device = next(G.parameters()).device
        gen = torch.Generator(device="cpu").manual_seed(seed)
        z_dim = G.cfg.z_dim
        batch_size = max(2, batch_size)  # one latent has no batch statistics
        for _ in range(max(1, samples // batch_size)):
            G(torch.randn(batch_size, z_dim, generator=gen).to(device))
    finally:
        for h in hooks:
            h.remove()
        G.train(was_training)
    for m, (mean, var, n) in sums.items():
        m.running_mean.copy_(mean / n)
        m.running_var.copy_(var / n)


def _init_weights(module: nn.Module) -> None:
    """DCGAN initialisation: N(0, 0.02) convs, N(1, 0.02) norm scales."""
    for m in module.modules():
        if any(p.is_meta for p in m.parameters(recurse=False)):
            continue  # built on the meta device for its shapes only (normal_ there costs a 2 s import)
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            w = m.parametrizations.weight.original if hasattr(m, "parametrizations") else m.weight
            nn.init.normal_(w, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.InstanceNorm2d, nn.GroupNorm)) and m.weight is not None:
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())

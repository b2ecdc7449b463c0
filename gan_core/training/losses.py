"""GAN losses as pure functions of critic outputs (logits/scores).

Each ``d_loss_*`` returns the critic's loss; each ``g_loss_*`` the generator's.
Penalties that need the critic itself (gradient penalty, R1) take it as an argument.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..data.images import resize_tensor


def d_loss_wgan(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """Wasserstein critic loss: E[D(fake)] - E[D(real)]."""
    return fake_scores.mean() - real_scores.mean()


def g_loss_wgan(fake_scores: torch.Tensor) -> torch.Tensor:
    return -fake_scores.mean()


def d_loss_hinge(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    return F.relu(1 - real_scores).mean() + F.relu(1 + fake_scores).mean()


g_loss_hinge = g_loss_wgan  # the hinge generator loss is -E[D(G(z))]


def d_loss_dcgan(real_logits: torch.Tensor, fake_logits: torch.Tensor, smoothing: float = 0.1,
                 flip: float = 0.0, generator: torch.Generator | None = None) -> torch.Tensor:
    """Non-saturating GAN D loss on logits, with one-sided soft labels and rare flips.

    Real targets are ``1 - smoothing``; a share ``flip`` of the labels of both
    batches is swapped, which keeps D from becoming certain on 100 images.
    """
    real_t = torch.full_like(real_logits, 1.0 - smoothing)
    fake_t = torch.zeros_like(fake_logits)
    if flip > 0:
        fr = torch.rand(real_t.shape, device=real_t.device, generator=generator) < flip
        ff = torch.rand(fake_t.shape, device=fake_t.device, generator=generator) < flip
        real_t = torch.where(fr, torch.zeros_like(real_t), real_t)
        fake_t = torch.where(ff, torch.full_like(fake_t, 1.0 - smoothing), fake_t)
    return (F.binary_cross_entropy_with_logits(real_logits, real_t)
            + F.binary_cross_entropy_with_logits(fake_logits, fake_t))


def g_loss_dcgan(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating G loss: -log sigmoid(D(G(z)))."""
    return F.softplus(-fake_logits).mean()


def gradient_penalty(critic, real: torch.Tensor, fake: torch.Tensor,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """WGAN-GP: E[(||grad D(x_hat)||_2 - 1)^2] on random interpolates x_hat (per sample)."""
    eps = torch.rand((real.shape[0], 1, 1, 1), device=real.device, generator=generator, dtype=real.dtype)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    scores = critic(x_hat)
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()


def r1_penalty(real_scores: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """R1 (Mescheder et al. 2018): E[||grad D(x_real)||^2]; ``real`` must require grad."""
    (grad,) = torch.autograd.grad(real_scores.sum(), real, create_graph=True)
    return grad.pow(2).flatten(1).sum(1).mean()


RECON_WEIGHT = 1.0  # the self-supervised D's reconstruction loss, next to its GAN loss (FastGAN's weight)


def self_supervised_loss(decoders, feats: dict, real: torch.Tensor,
                         generator: torch.Generator | None = None) -> torch.Tensor:
    """FastGAN's self-supervision of D (Liu et al. 2021), with an MSE loss (no pretrained network):
    decoder "8" rebuilds each real image (at the decoders' 32 px) from D's 8x8 features, decoder
    "16" one random quarter of it (the same quarter for the batch) from that quarter of the 16x16
    features. D must keep what describes the real images, not only what tells them from fakes."""
    size = decoders["8"].SIZE
    loss = F.mse_loss(decoders["8"](feats[8]).float(), resize_tensor(real, size).float())
    q = int(torch.randint(4, (1,), device=real.device, generator=generator))
    (qy, qx), f, r = divmod(q, 2), feats[16].shape[-1] // 2, real.shape[-1] // 2
    part = feats[16][..., qy * f:(qy + 1) * f, qx * f:(qx + 1) * f]
    target = resize_tensor(real[..., qy * r:(qy + 1) * r, qx * r:(qx + 1) * r], size)
    return loss + F.mse_loss(decoders["16"](part).float(), target.float())


def mode_seeking_loss(fake: torch.Tensor, z: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Mode-seeking regularisation of G (MSGAN, Mao et al. 2019), on the batch's two halves as
    pairs: 1 / (mean |G(z1) - G(z2)| / mean |z1 - z2| + eps). Small when seeds far apart give
    designs far apart, so G is pushed away from drawing one design for many seeds."""
    h = fake.shape[0] // 2
    d_img = (fake[:h] - fake[h:2 * h]).abs().flatten(1).mean(1)
    d_z = (z[:h] - z[h:2 * h]).abs().flatten(1).mean(1)
    return 1.0 / ((d_img / d_z).mean() + eps)

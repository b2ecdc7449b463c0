"""The car-rim post's training loop, rebuilt from its description, as the speed baseline.

Self-contained on purpose: plain ``torch.nn`` layers and the usual WGAN-GP loop, the way
the post's readers copy it, so nothing ``gan_core`` does to go faster can leak into the
baseline. What makes it slow, and what ``classic`` removes while keeping the same math:
- a DataLoader that opens and decodes every image file at every step;
- the critic's loss back-propagates through the generator too (the fake batch is not
  detached), five times per generator step;
- each of the five fake batches is a separate generator call at batch 8.

``reference_step`` is one generator step with every random draw passed in, so
``tests/test_classic_math.py`` can check that ``classic`` computes the same updates.

Why ``classic`` is 1.6-1.9x and not more with the same math (2 cores, bench_train.py):
the five critic updates, each with the gradient penalty's double backward through the
InstanceNorm critic at batch 8, are the same work in both loops and take ~650 of
classic's ~1,080 ms per generator step (oneDNN at batch 8 and 4x4 maps spends much of it
re-laying out weights). The reference's extra work (five G backwards, five separate
G calls, file decoding) is what ``classic`` removes; a free generator would cap the
ratio near 2.9x. Going further means other math (lower precision, fewer critic steps).
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, Dataset

Z_DIM, NGF, NDF, N_CRITIC, LAMBDA_GP, BATCH = 100, 64, 64, 5, 10.0, 8


def generator(channels: int = 1, dropout: float = 0.2) -> nn.Sequential:
    """64 px DCGAN generator with LeakyReLU and Dropout: 12,654,337 parameters."""
    def block(cin, cout, stride, pad):
        return [nn.ConvTranspose2d(cin, cout, 4, stride, pad, bias=False), nn.BatchNorm2d(cout),
                nn.LeakyReLU(0.2, inplace=True), nn.Dropout(dropout)]
    return nn.Sequential(
        *block(Z_DIM, NGF * 16, 1, 0),      # 1024 x 4 x 4
        *block(NGF * 16, NGF * 8, 2, 1),    # 512 x 8 x 8
        *block(NGF * 8, NGF * 4, 2, 1),     # 256 x 16 x 16
        *block(NGF * 4, NGF * 2, 2, 1),     # 128 x 32 x 32
        nn.ConvTranspose2d(NGF * 2, channels, 4, 2, 1), nn.Tanh())  # channels x 64 x 64


def critic(channels: int = 1) -> nn.Sequential:
    """64 px DCGAN critic with InstanceNorm (WGAN-GP forbids BatchNorm)."""
    def block(cin, cout):
        return [nn.Conv2d(cin, cout, 4, 2, 1, bias=False), nn.InstanceNorm2d(cout, affine=True),
                nn.LeakyReLU(0.2, inplace=True)]
    return nn.Sequential(
        nn.Conv2d(channels, NDF, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True),   # 64 x 32 x 32
        *block(NDF, NDF * 2), *block(NDF * 2, NDF * 4), *block(NDF * 4, NDF * 8),  # 512 x 4 x 4
        nn.Conv2d(NDF * 8, 1, 4, 1, 0), nn.Flatten(0))


class FileImages(Dataset):
    """Decodes each file on every access, like an ImageFolder with transforms."""

    def __init__(self, folder: str | Path, size: int = 64):
        self.files = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
        self.size = size

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        img = Image.open(self.files[i]).convert("L").resize((self.size, self.size), Image.BILINEAR)
        x = torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0)[None]
        return (x - 0.5) / 0.5


def gradient_penalty(net_d, real, fake, eps):
    interp = real * eps + fake * (1 - eps)
    scores = net_d(interp)
    grad = torch.autograd.grad(scores, interp, torch.ones_like(scores), create_graph=True, retain_graph=True)[0]
    return ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()


def reference_step(net_g, net_d, opt_g, opt_d, real, noises, epsilons):
    """Five critic updates (fresh fakes each, not detached) and one generator update.

    ``noises``: five (b, 100) latent batches; ``epsilons``: five (b, 1, 1, 1) GP mixes.
    Returns the last critic loss and the generator loss.
    """
    for noise, eps in zip(noises, epsilons):
        fake = net_g(noise[:, :, None, None])  # not detached: the critic loss back-propagates through G
        loss_d = -(net_d(real).mean() - net_d(fake).mean()) + LAMBDA_GP * gradient_penalty(net_d, real, fake, eps)
        net_d.zero_grad()
        loss_d.backward(retain_graph=True)
        opt_d.step()
    loss_g = -net_d(fake).mean()  # the last critic step's fakes serve the generator step
    net_g.zero_grad()
    loss_g.backward()
    opt_g.step()
    return loss_d.detach(), loss_g.detach()


def build(seed: int = 0):
    torch.manual_seed(seed)
    net_g, net_d = generator(), critic()
    opt_g = torch.optim.Adam(net_g.parameters(), lr=1e-4, betas=(0.0, 0.9))
    opt_d = torch.optim.Adam(net_d.parameters(), lr=1e-4, betas=(0.0, 0.9))
    return net_g, net_d, opt_g, opt_d


class ReferenceLoop:
    """The loop as an iterator of generator steps, so a benchmark can interleave it."""

    def __init__(self, folder: str | Path, seed: int = 0):
        self.net_g, self.net_d, self.opt_g, self.opt_d = build(seed)
        self.loader = DataLoader(FileImages(folder), batch_size=BATCH, shuffle=True)
        self.batches = iter(self.loader)
        self.steps = self.images = 0

    def step(self) -> None:
        try:
            real = next(self.batches)  # decodes this batch's files now
        except StopIteration:
            self.batches = iter(self.loader)
            real = next(self.batches)
        n = real.shape[0]
        reference_step(self.net_g, self.net_d, self.opt_g, self.opt_d, real,
                       [torch.randn(n, Z_DIM) for _ in range(N_CRITIC)],
                       [torch.rand(n, 1, 1, 1) for _ in range(N_CRITIC)])
        self.steps += 1
        self.images += n


def run_reference(folder: str | Path, seconds: float = 60.0, max_steps: int | None = None) -> dict:
    """Train the reference loop for ``seconds``; returns generator steps/s and real images/s."""
    loop = ReferenceLoop(folder)
    t0 = time.perf_counter()
    while True:
        loop.step()
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds or (max_steps and loop.steps >= max_steps):
            return {"steps_per_second": loop.steps / elapsed, "images_per_second": loop.images / elapsed,
                    "steps": loop.steps, "seconds": elapsed}

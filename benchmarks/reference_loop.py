"""The car-rim post's training loop, rebuilt from its description, as the speed baseline.

What makes it slow, and what ``classic`` removes while keeping the same math:
- a DataLoader that opens and decodes every image file at every step;
- the critic's loss back-propagates through the generator too (the fake batch is not
  detached), five times per generator step;
- batch 8, 5 critic steps with gradient penalty, 12.7 M-parameter generator.

Why ``classic`` is only ~1.5x faster with the same math (measured 8.7 vs 5.8-6.9 real
images/s on 2 cores): per generator step both run five G forwards (~3.4 GMAC each at batch
8), five critic updates whose gradient-penalty double backward dominates (~8 GMAC each) and
one G backward. The reference adds five G backwards (~6.8 GMAC each, ~34 GMAC) and cheap
file decoding: ~104 vs ~66 GMAC per step, a ceiling of ~1.6x on a compute-bound CPU.
Reaching 2x needs different math (no BatchNorm-coupled batching of the five G forwards,
lower precision), which ``classic`` deliberately does not do.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset

from gan_core.models import Critic, Generator
from gan_core.presets import preset


class FileImages(Dataset):
    """Decodes each file on every access, like torchvision's ImageFolder + transforms."""

    def __init__(self, folder: str | Path, size: int = 64):
        self.files = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
        self.size = size

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        img = Image.open(self.files[i]).convert("L").resize((self.size, self.size), Image.BILINEAR)
        x = torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0)[None]
        return (x - 0.5) / 0.5


def gradient_penalty(critic, real, fake):
    eps = torch.rand(real.shape[0], 1, 1, 1).expand_as(real)
    interp = real * eps + fake * (1 - eps)
    scores = critic(interp)
    grad = torch.autograd.grad(scores, interp, torch.ones_like(scores), create_graph=True, retain_graph=True)[0]
    return ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()


def run_reference(folder: str | Path, seconds: float = 60.0, max_steps: int | None = None) -> dict:
    """Train the reference loop for ``seconds``; returns generator steps/s and real images/s."""
    cfg = preset("classic")
    torch.manual_seed(0)
    gen, critic = Generator(cfg.model), Critic(cfg.model)
    opt_g = torch.optim.Adam(gen.parameters(), lr=1e-4, betas=(0.0, 0.9))
    opt_c = torch.optim.Adam(critic.parameters(), lr=1e-4, betas=(0.0, 0.9))
    loader = DataLoader(FileImages(folder), batch_size=8, shuffle=True)
    steps, images, t0 = 0, 0, time.perf_counter()
    while True:
        for real in loader:
            n = real.shape[0]
            for _ in range(5):
                noise = torch.randn(n, 100)
                fake = gen(noise)  # not detached: the critic loss back-propagates through G
                loss_c = -(critic(real).mean() - critic(fake).mean()) + 10 * gradient_penalty(critic, real, fake)
                critic.zero_grad()
                loss_c.backward(retain_graph=True)
                opt_c.step()
            loss_g = -critic(fake).mean()
            gen.zero_grad()
            loss_g.backward()
            opt_g.step()
            steps += 1
            images += n
            elapsed = time.perf_counter() - t0
            if elapsed >= seconds or (max_steps and steps >= max_steps):
                return {"steps_per_second": steps / elapsed, "images_per_second": images / elapsed,
                        "steps": steps, "seconds": elapsed}

"""Small-data additions to the training loop, each off by default and switched on by
measurement (benchmarks/ablation.py, benchmarks/ABLATIONS.md).

* ``LeCam``: LeCam regularisation of D (Tseng et al. 2021, "Regularizing Generative
  Adversarial Networks under Limited Data"): D's outputs on real images are pulled
  towards a moving average of its outputs on fakes and vice versa, which bounds how
  far apart D can push the two sets. Costs two means and two squares per step.
* ``AdaptiveAugment``: the ADA controller (Karras et al. 2020) applied to DiffAugment:
  each image is augmented with probability p, and p follows the overfitting heuristic
  r_t = E[sign(D(real))]: up when D is too sure of the real images, down otherwise.
  StyleGAN2-ADA moves p by at most 1 per 500k images; a 10-minute CPU run sees ~200k,
  so the speed is a setting (``ada_images``).

Both keep their state in device tensors and never read them back during training (no
host synchronisation); the trainer stores it in the checkpoint.
"""
from __future__ import annotations

import torch


class LeCam:
    """Moving averages of D's mean output on real and fake images, and the penalty."""

    def __init__(self, decay: float, device: torch.device):
        self.decay = float(decay)
        self.anchors = torch.zeros(2, device=device)  # [real, fake]

    def penalty(self, real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
        """||D(real) - mean_fake||^2 + ||D(fake) - mean_real||^2, after updating the averages."""
        with torch.no_grad():
            means = torch.stack([real_scores.detach().mean(), fake_scores.detach().mean()])
            self.anchors.lerp_(means, 1.0 - self.decay)
        return ((real_scores - self.anchors[1]) ** 2).mean() + ((fake_scores - self.anchors[0]) ** 2).mean()


class AdaptiveAugment:
    """Per-image augmentation probability p, adjusted every ``interval`` critic steps."""

    def __init__(self, target: float, images: int, batch_size: int, device: torch.device,
                 interval: int = 4):
        self.target = float(target)
        self.step_size = batch_size * interval / float(images)  # change of p per adjustment
        self.interval = interval
        self.p = torch.zeros((), device=device)
        self.acc = torch.zeros((), device=device)
        self.count = 0

    def apply(self, x: torch.Tensor, augmented: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """``augmented`` where a per-image coin with probability p says so, else ``x``."""
        coin = torch.rand(x.shape[0], 1, 1, 1, device=x.device, generator=generator, dtype=x.dtype)
        return torch.where(coin < self.p, augmented, x)

    def state(self) -> torch.Tensor:
        """[p, partial sum, count] for the checkpoint (an exact resume)."""
        return torch.stack([self.p, self.acc, torch.tensor(float(self.count), device=self.p.device)])

    def load_state(self, t: torch.Tensor) -> None:
        self.p.copy_(t[0])
        self.acc.copy_(t[1])
        self.count = int(t[2])

    def observe(self, real_scores: torch.Tensor) -> None:
        """Accumulate r_t = E[sign(D(real))]; every ``interval`` calls move p towards the target."""
        self.acc += torch.sign(real_scores.detach()).mean()
        self.count += 1
        if self.count >= self.interval:
            rt = self.acc / self.count
            self.p.add_(torch.sign(rt - self.target) * self.step_size).clamp_(0.0, 1.0)
            self.acc.zero_()
            self.count = 0

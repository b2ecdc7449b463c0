"""D's eyes: a frozen feature network trained on the base corpus, read by small trainable heads.

The Projected GAN idea (Sauer et al. 2021) without ImageNet weights: a discriminator that looks
at real and generated pictures through a fixed, pretrained feature network trains G far faster
on little data than one that must learn to see from the 100 pictures themselves. Ours is trained
by this project on its own corpus (``scripts/train_eyes.py``: which set and which named object
each corpus picture is), so nothing is downloaded.

- ``FeatureNet``: the network that is trained on the corpus (a CNN, about as costly as the
  ``quick`` critic, plus a linear classifier that only its training uses).
- ``Eyes``: its body, frozen and always in eval mode, then per feature scale a fixed random 1x1
  projection (Projected GAN's cross-channel mixing) and a small spectrally normalised head that
  outputs one logit per picture. A ``Critic`` with ``ModelConfig.d_eyes`` holds one; the trainer
  applies its loss to D's own logit and every head's, side by side.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as _sn

WIDTHS = (32, 64, 128, 256)   # the body's feature maps at 1/2, 1/4, 1/8 and 1/16 of the input size
TAPS = (1, 2, 3)              # the stages the heads read: 1/4, 1/8 and 1/16
PROJECTED = 64                # channels of each fixed random projection


def _block(cin: int, cout: int, stride: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class FeatureNet(nn.Module):
    """images (N, channels, res, res) in [-1, 1] -> features at 1/2, 1/4, 1/8 and 1/16 of res.

    ``classes`` > 0 adds the linear classifier (global average of the last stage) that training
    on the corpus needs; ``Eyes`` builds the body alone."""

    def __init__(self, channels: int, classes: int = 0):
        super().__init__()
        stages, cin = [], channels
        for i, w in enumerate(WIDTHS):
            layers = _block(cin, w, 2)
            if i > 0:  # one more 3x3 at each size past the first: depth where the maps are small
                layers += _block(w, w, 1)
            stages.append(nn.Sequential(*layers))
            cin = w
        self.stages = nn.ModuleList(stages)
        self.classifier = nn.Linear(WIDTHS[-1], classes) if classes else None

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = []
        for stage in self.stages:
            x = stage(x)
            feats.append(x)
        return feats

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self(x)[-1].mean((2, 3)))


class Head(nn.Module):
    """A fixed random 1x1 projection of one feature scale, then spectrally normalised 4x4 stride-2
    convolutions down to 4x4, a 3x3 and a 1x1 to a map of logits, averaged to one logit per picture."""

    def __init__(self, cin: int, size: int, generator: torch.Generator):
        super().__init__()
        self.register_buffer("projection", torch.randn(PROJECTED, cin, 1, 1, generator=generator) / cin ** 0.5)
        layers, c = [], PROJECTED
        while size > 4:
            layers += [_sn(nn.Conv2d(c, min(2 * c, 256), 4, 2, 1)), nn.LeakyReLU(0.2, inplace=True)]
            c, size = min(2 * c, 256), size // 2
        layers += [_sn(nn.Conv2d(c, c, 3, 1, 1)), nn.LeakyReLU(0.2, inplace=True), _sn(nn.Conv2d(c, 1, 1))]
        self.net = nn.Sequential(*layers)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        return self.net(nn.functional.conv2d(feats, self.projection)).mean((1, 2, 3))


class Eyes(nn.Module):
    """The frozen body of a ``FeatureNet`` and one trainable ``Head`` per tapped scale."""

    def __init__(self, channels: int, resolution: int):
        super().__init__()
        self.body = FeatureNet(channels).requires_grad_(False).eval()
        g = torch.Generator().manual_seed(0)  # the projections are part of the architecture
        self.heads = nn.ModuleList(Head(WIDTHS[t], resolution // 2 ** (t + 1), g) for t in TAPS)

    def train(self, mode: bool = True) -> "Eyes":
        super().train(mode)
        self.body.eval()  # its BatchNorm keeps the corpus's statistics
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = self.body(x)
        return torch.stack([head(feats[t]) for head, t in zip(self.heads, TAPS)], dim=1)

    def load_body(self, state: dict[str, torch.Tensor]) -> None:
        """The trained feature network's weights (its classifier, if present, is left out)."""
        self.body.load_state_dict({k: v for k, v in state.items() if not k.startswith("classifier.")})

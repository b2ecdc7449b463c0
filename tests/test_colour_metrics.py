"""Colour quality metrics: SWD on 7x7x3 patches, colour coverage, palette distance, HOG."""
from __future__ import annotations

import numpy as np
import torch

from gan_core.metrics import features, quality as metrics


def colour_shapes(n: int, size: int = 32, seed: int = 0, hue=(200, 40, 40)) -> torch.Tensor:
    """n colour pictures: 1-3 discs or boxes of one hue (with jitter) on white, in [-1, 1]."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    out = np.full((n, size, size, 3), 255, np.uint8)
    for i in range(n):
        for _ in range(rng.integers(1, 4)):
            cy, cx = rng.uniform(0.2, 0.8, 2) * size
            r = rng.uniform(0.1, 0.3) * size
            mask = ((yy - cy) ** 2 + (xx - cx) ** 2 <= r * r) if rng.random() < 0.5 else \
                (abs(yy - cy) <= r) & (abs(xx - cx) <= r)
            out[i][mask] = np.clip(np.array(hue) + rng.integers(-20, 21, 3), 0, 255)
    return torch.from_numpy(out).permute(0, 3, 1, 2).float() / 127.5 - 1


def test_identical_colour_sets_score_about_zero():
    real = colour_shapes(24)
    r = metrics.evaluate(real, real)
    assert r["channels"] == 3
    assert r["swd"] < 1e-6 and r["palette"] < 1e-6
    assert r["coverage"] == 1.0 and r["hog_coverage"] == 1.0


def test_colour_noise_scores_high():
    real, other = colour_shapes(24, seed=0), colour_shapes(48, seed=1)
    noise = torch.rand(48, 3, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
    good, bad = metrics.evaluate(real, other), metrics.evaluate(real, noise)
    assert bad["swd"] > 3 * good["swd"]
    assert bad["palette"] > 10 * good["palette"]
    assert bad["coverage"] < 0.2 < 0.8 < good["coverage"]
    assert bad["hog_coverage"] < good["hog_coverage"]


def test_a_palette_shift_is_caught_where_grey_shapes_agree():
    real = colour_shapes(24, seed=0, hue=(200, 40, 40))      # red objects
    same = colour_shapes(48, seed=1, hue=(200, 40, 40))
    blue = colour_shapes(48, seed=1, hue=(40, 40, 200))      # the same shapes, in blue
    assert features.palette_distance(real, blue) > 5 * features.palette_distance(real, same)
    assert metrics.sliced_wasserstein(real, blue) > 1.5 * metrics.sliced_wasserstein(real, same)
    # the shape descriptor sees luminance only, so it hardly notices the hue swap
    grey_same = metrics.coverage_density(real, same, features=features.hog)["coverage"]
    grey_blue = metrics.coverage_density(real, blue, features=features.hog)["coverage"]
    assert abs(grey_same - grey_blue) < 0.25


def test_hog_descriptor_shape_and_shift_tolerance():
    x = colour_shapes(4, size=64)
    h = features.hog(x)
    assert h.shape == (4, 7 * 7 * 36) and torch.isfinite(h).all()
    shifted = torch.roll(x, 1, dims=-1)
    other = colour_shapes(4, size=64, seed=9)
    assert (features.hog(shifted) - h).norm() < (features.hog(other) - h).norm()


def test_report_uses_the_colour_scale_and_keeps_gray_numbers():
    real = colour_shapes(20)
    text = metrics.format_report(metrics.evaluate(real, colour_shapes(30, seed=2)))
    assert "colour objects" in text and "Palette" in text and "Shape coverage" in text
    gray = real.mean(1, keepdim=True)
    g = metrics.evaluate(gray, colour_shapes(30, seed=2).mean(1, keepdim=True))
    assert "100 icons" in metrics.format_report(g) and g["channels"] == 1
    # the gray SWD is the one the earlier reports gave: palette/HOG are additions only
    assert g["swd"] == metrics.sliced_wasserstein(gray, colour_shapes(30, seed=2).mean(1, keepdim=True))

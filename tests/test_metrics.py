"""Fast tests for gan_core.metrics.quality on small crafted image sets (CPU, seconds)."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from gan_core.data import images
from gan_core.metrics import quality as metrics

from conftest import fixture_files


def shapes(n: int, size: int = 32, seed: int = 0, colour: bool = False) -> np.ndarray:
    """n uint8 pictures: 1-3 dark discs or boxes of random size and place on white."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    out = np.full((n, size, size), 255, np.uint8)
    for i in range(n):
        for _ in range(rng.integers(1, 4)):
            cy, cx = rng.uniform(0.2, 0.8, 2) * size
            r = rng.uniform(0.08, 0.3) * size
            if rng.random() < 0.5:
                mask = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
            else:
                mask = (abs(yy - cy) <= r) & (abs(xx - cx) <= r * rng.uniform(0.4, 1.0))
            out[i][mask] = rng.integers(0, 80)
    if colour:
        out = np.repeat(out[..., None], 3, axis=-1)
        out[..., 0] = 255 - (255 - out[..., 0]) // 2     # tint so the channels differ
    return out


def noise(n: int, size: int = 32, seed: int = 1) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, size, size, generator=gen) * 2 - 1


def test_identical_sets_score_zero_and_are_fully_memorised():
    real = shapes(40)
    assert metrics.sliced_wasserstein(real, real) < 1
    memo = metrics.memorisation(real, real)
    assert memo["share"] == 1.0
    assert memo["nearest"] == list(range(40))
    cd = metrics.coverage_density(real, real)
    assert cd["coverage"] == 1.0
    assert cd["density"] == pytest.approx(1.0)


def test_noise_scores_high_and_is_not_memorised():
    real = shapes(40)
    assert metrics.sliced_wasserstein(real, noise(40)) > 300
    assert metrics.memorisation(real, noise(40))["share"] == 0.0
    assert metrics.coverage_density(real, noise(40))["coverage"] < 0.1


def test_another_sample_scores_far_below_noise():
    real, other = shapes(40, seed=0), shapes(40, seed=1)
    same_kind = metrics.sliced_wasserstein(real, other)
    assert same_kind < metrics.sliced_wasserstein(real, noise(40)) / 4
    assert metrics.memorisation(real, other)["share"] < 0.3


def test_collapsed_set_has_low_coverage_and_diverse_set_high():
    real = shapes(60, seed=0)
    collapsed = np.repeat(shapes(1, seed=7), 60, axis=0)
    diverse = shapes(60, seed=1)
    assert metrics.coverage_density(real, collapsed)["coverage"] < 0.2
    cd = metrics.coverage_density(real, diverse)
    assert cd["coverage"] > 0.8
    assert 0.5 < cd["density"] < 1.5


def test_same_seed_same_swd_other_seed_differs():
    real, fake = shapes(30, seed=0), shapes(50, seed=1)
    a = metrics.swd_per_level(real, fake, seed=3)
    assert a == metrics.swd_per_level(real, fake, seed=3)
    assert a != metrics.swd_per_level(real, fake, seed=4)
    assert metrics.sliced_wasserstein(real, fake, seed=3) == pytest.approx(
        sum(a.values()) / len(a))


def test_uint8_pictures_and_tensors_give_the_same_numbers():
    real, fake = shapes(30, seed=0), shapes(30, seed=1)
    as_tensor = images.from_uint8(real, channels=1), images.from_uint8(fake, channels=1)
    assert metrics.evaluate(real, fake) == metrics.evaluate(*as_tensor)


def test_colour_pictures_and_mixed_channel_counts():
    real, fake = shapes(20, colour=True), shapes(20, seed=1, colour=True)
    assert images.from_uint8(real).shape == (20, 3, 32, 32)
    assert metrics.sliced_wasserstein(real, real) < 1
    other = metrics.sliced_wasserstein(real, fake)  # other shapes in the same colours: ~94
    assert other > 0
    # the same shapes in other colours (red tint -> blue tint, equal grey levels): far from the
    # real set (~340), where a grey-only SWD would score exactly 0
    assert metrics.sliced_wasserstein(real, np.ascontiguousarray(real[..., ::-1])) > 2 * other
    colour_noise = torch.rand(20, 3, 32, 32, generator=torch.Generator().manual_seed(1)) * 2 - 1
    assert metrics.sliced_wasserstein(real, colour_noise) > 5 * other  # ~1,430
    # A grayscale fake set is compared against a colour real set by replicating it: the same
    # number as the replicated set, and far from the tinted real set (~425)
    grey = shapes(20, seed=1)
    as_rgb = metrics.sliced_wasserstein(real, np.repeat(grey[..., None], 3, axis=-1))
    assert metrics.sliced_wasserstein(real, grey) == pytest.approx(as_rgb) and as_rgb > 2 * other


@pytest.mark.parametrize("size, levels", [(8, [8]), (16, [16]), (32, [32, 16]),
                                          (128, [128, 64, 32, 16])])
def test_pyramid_levels_go_down_to_16_px(size, levels):
    real, fake = shapes(6, size, seed=0), shapes(6, size, seed=1)
    per_level = metrics.swd_per_level(real, fake)
    assert list(per_level) == levels
    assert all(v > 0 and np.isfinite(v) for v in per_level.values())


def test_laplacian_pyramid_reconstructs_the_image():
    x = images.from_uint8(shapes(4, 64), channels=1)
    pyr = metrics.laplacian_pyramid(x, 3)
    assert [p.shape[-1] for p in pyr] == [64, 32, 16]
    rebuilt = pyr[-1]
    for band in reversed(pyr[:-1]):
        rebuilt = band + metrics._pyr_up(rebuilt, tuple(band.shape[-2:]))
    assert torch.allclose(rebuilt, x, atol=1e-5)


def test_nearest_training_image_on_a_crafted_case():
    real = shapes(10)
    nudged = real[3].astype(int)
    nudged[:2] = np.clip(nudged[:2] - 30, 0, 255)           # a slightly changed copy of 3
    fake = np.stack([nudged.astype(np.uint8), real[7], real[0], shapes(1, seed=99)[0]])
    memo = metrics.memorisation(real, fake)
    assert memo["nearest"][:3] == [3, 7, 0]
    assert memo["distances"][1] == 0.0 and memo["distances"][2] == 0.0
    assert 0 < memo["distances"][0] < memo["distances"][3]
    assert memo["threshold"] > 0


def test_duplicates_in_real_give_zero_threshold_and_copies_still_count():
    real = np.concatenate([shapes(10), shapes(10)])          # every image twice
    memo = metrics.memorisation(real, shapes(5))
    assert memo["threshold"] == 0.0
    assert memo["share"] == 1.0


def test_evaluate_is_json_ready_and_report_reads():
    real, fake = shapes(20, seed=0), shapes(30, seed=1)
    result = metrics.evaluate(real, fake)
    assert json.loads(json.dumps(result)) == result
    assert result["num_real"] == 20 and result["num_fake"] == 30
    assert len(result["nearest"]) == 30 and len(result["nearest_distances"]) == 30
    assert set(result["swd_levels"]) == {"32", "16"}
    assert result["memorised_count"] == round(result["memorised_share"] * 30)
    report = metrics.format_report(result)
    assert "SWD" in report and "Coverage" in report and "Memorised" in report
    assert len(report.splitlines()) >= 4


def test_bad_inputs_raise_clear_errors():
    real = shapes(10, 32)
    with pytest.raises(ValueError, match="resolution"):
        metrics.sliced_wasserstein(real, shapes(10, 64))
    with pytest.raises(ValueError, match="k=5"):
        metrics.coverage_density(real[:5], real)
    with pytest.raises(ValueError, match="uint8"):
        metrics.sliced_wasserstein(real.astype(np.float32), real)
    with pytest.raises(ValueError, match="float tensor"):
        metrics.sliced_wasserstein(torch.from_numpy(real), real)
    with pytest.raises(ValueError, match="at least 7 px"):
        metrics.sliced_wasserstein(shapes(4, 6), shapes(4, 6))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_same_numbers_on_gpu():
    real, fake = shapes(30, seed=0), shapes(40, seed=1)
    cpu = metrics.evaluate(real, fake)
    gpu = metrics.evaluate(images.from_uint8(real, channels=1).cuda(),
                           images.from_uint8(fake, channels=1).cuda())
    assert gpu["swd"] == pytest.approx(cpu["swd"], rel=1e-3)
    assert gpu["nearest"] == cpu["nearest"]
    assert gpu["coverage"] == cpu["coverage"]


def test_real_icons_score_near_each_other_and_far_from_noise():
    """12 icons of the training set vs 12 other icons (tests/fixtures); noise far above both."""
    train, others = fixture_files("fa-icons-train", "*.png"), fixture_files("fa-icons", "*.png")
    assert len(train) == len(others) == 12 and not {p.name for p in train} & {p.name for p in others}
    from PIL import Image

    def load(paths):
        return np.stack([np.asarray(Image.open(p).convert("L").resize((32, 32), Image.BOX))
                         for p in paths])

    real, other = load(train), load(others)
    floor = metrics.sliced_wasserstein(real, other)  # ~100 for 12 vs 12 (~35 for 100 vs 575 at 64 px)
    assert floor < 150
    assert metrics.sliced_wasserstein(real, noise(12)) > 3 * floor


def test_tiny_training_sets_still_get_a_report():
    from gan_core.metrics.quality import evaluate, format_report
    fake = torch.rand(20, 1, 16, 16) * 2 - 1
    for n in (1, 2, 5):
        r = evaluate(torch.rand(n, 1, 16, 16) * 2 - 1, fake)
        assert r["swd"] > 0 and len(r["nearest"]) == 20
        assert (r["coverage"] is None) == (n == 1) and (r["memorised_share"] is None) == (n == 1)
        assert "SWD" in format_report(r)


def test_nearest_training_image_per_design():
    from gan_core.metrics.quality import nearest_training
    from helpers import shapes_dataset
    real = shapes_dataset(12, size=16)
    designs = torch.cat([real[[5]], torch.full((1, 1, 16, 16), -1.0)])  # a copy, and an all-black square
    out = nearest_training(designs, real)
    assert out[0]["index"] == 5 and out[0]["distance"] == 0 and out[0]["memorised"] is True
    assert out[1]["memorised"] is False

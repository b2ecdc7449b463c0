"""Presets that pick settings from the dataset, and the sentence that says which and why."""
from __future__ import annotations

import pytest

from gan_core.errors import UserError
from gan_core.training.presets import PRESETS, data_choices, explain_choice, preset

CASES = [(res, ch, 100) for res in (64, 128) for ch in (1, 3)]


@pytest.mark.parametrize("res,ch,count", CASES)
def test_preset_applies_its_data_rules_and_explains_them(res, ch, count):
    cfg = preset("quick", resolution=res, channels=ch, count=count)
    assert (cfg.model.resolution, cfg.model.channels) == (res, ch)
    text = explain_choice("quick", {"resolution": res, "channels": ch, "images": count})
    assert f"{res} px" in text and str(count) in text and ("colour" if ch == 3 else "grayscale") in text
    assert f"width {cfg.model.width}" in text and f"batch {cfg.batch_size}" in text
    for changes, why in data_choices("quick", res, ch, count):
        assert why in text
        for k, v in changes.items():
            got = getattr(cfg.model, k) if hasattr(cfg.model, k) else getattr(cfg, k)
            assert got == v


def test_a_data_rule_applies_and_explicit_settings_win(monkeypatch):
    """The mechanism, with a rule of its own (DATA_RULES holds only measured rules; it may be empty)."""
    from gan_core.training import presets
    rule = (lambda res, ch, n: res >= 128, ("quick",), dict(width=16), "a test rule")
    monkeypatch.setattr(presets, "DATA_RULES", [rule])
    assert preset("quick", resolution=128, channels=3, count=100).model.width == 16
    assert preset("quick", resolution=64, channels=3, count=100).model.width == 32
    assert preset("quick", resolution=128, channels=3, count=100, width=48).model.width == 48
    assert "a test rule" in explain_choice("quick", {"resolution": 128, "channels": 3, "images": 100})


def test_presets_without_rules_say_so_and_bad_names_fail():
    assert "keeps its own settings" in explain_choice("classic", {"resolution": 64, "channels": 1})
    with pytest.raises(UserError, match="preset must be one of"):
        explain_choice("fastest", {})
    assert set(PRESETS) >= {"quick", "balanced", "quality", "classic"}


def test_quick_turns_skip_layer_excitation_on_for_colour_at_64_px_only():
    """The measured colour rule (benchmarks/ABLATIONS.md: SWD 67 vs 82 in colour, worse in gray)."""
    assert preset("quick", resolution=64, channels=3, count=100).model.g_skip_excitation
    for res, ch in ((64, 1), (128, 3), (32, 3)):
        assert not preset("quick", resolution=res, channels=ch, count=100).model.g_skip_excitation
    text = explain_choice("quick", {"resolution": 64, "channels": 3, "images": 100})
    assert "skip-layer excitation on: in colour at 64 px" in text and "g_skip_excitation" not in text
    assert not preset("quick", resolution=64, channels=3, count=100, g_skip_excitation=False).model.g_skip_excitation


def test_quick_seeks_modes_without_cutout_for_grayscale_at_64_px_only():
    """The measured gray rule (benchmarks/ABLATIONS.md: SWD 33.5 vs 41.7 on 100 icons in 10 minutes, HOG coverage unchanged)."""
    gray = preset("quick", resolution=64, channels=1, count=100)
    assert (gray.mode_seeking_weight, gray.augment) == (0.3, "translation,color")
    for res, ch in ((64, 3), (128, 1), (32, 1)):
        other = preset("quick", resolution=res, channels=ch, count=100)
        assert (other.mode_seeking_weight, other.augment) == (0.0, "translation,cutout,color")
    text = explain_choice("quick", {"resolution": 64, "channels": 1, "images": 100})
    assert "mode seeking 0.3, DiffAugment translation,color: in grayscale at 64 px" in text
    assert preset("quick", resolution=64, channels=1, count=100, augment="translation").augment == "translation"


def test_the_sentence_names_each_setting_one_way():
    """What the preset has and what it picked use the same words (SETTING_NAMES), so a designer
    reading "augment ..." and then "DiffAugment ..." does not look for two settings."""
    text = explain_choice("quick", {"resolution": 64, "channels": 1, "images": 100})
    start, settings = text.split("\n\n")  # where the run starts first (gan_core.training.presets.describe_start)
    assert start.startswith("**Starts from")
    assert settings.startswith("quick: width 32, batch 32, dcgan loss, DiffAugment translation,color")
    assert " augment " not in text.lower().replace("diffaugment", "")


def test_a_fine_tuning_rule_applies_from_a_start_point_only_and_says_why(monkeypatch):
    """The mechanism, with a rule of its own (FINE_TUNE_RULES holds only measured rules; it may be empty):
    runs from a start point take it, runs from scratch, other data and other presets do not, and what
    is asked explicitly wins."""
    from gan_core.training import presets
    rule = (lambda res, ch: ch == 1, ("quick",), dict(ema_decay=0.999, ema_ramp=False), "a test fine-tuning rule")
    monkeypatch.setattr(presets, "FINE_TUNE_RULES", [rule])
    tuned = preset("quick", resolution=64, channels=1, count=100, start="base")
    assert (tuned.ema_decay, tuned.ema_ramp) == (0.999, False)
    for kw in (dict(channels=1, start="scratch"), dict(channels=3, start="base")):
        cfg = preset("quick", resolution=64, count=100, **kw)
        assert (cfg.ema_decay, cfg.ema_ramp) == (0.99, True)
    assert preset("quality", resolution=64, channels=1, start="base").ema_decay == 0.9995
    assert preset("quick", resolution=64, channels=1, start="base", ema_decay=0.99).ema_decay == 0.99  # asked wins
    text = explain_choice("quick", {"resolution": 64, "channels": 1, "images": 100}, start="base")
    assert "EMA decay 0.999, EMA ramp-up off: a test fine-tuning rule" in text
    assert "a test fine-tuning rule" not in explain_choice("quick", {"resolution": 64, "channels": 1, "images": 100},
                                                          start="scratch")


def test_colour_64_fine_tunes_hold_the_ema_from_the_first_step():
    """The one measured fine-tuning rule (benchmarks/ABLATIONS.md): quick from a colour 64 px base holds
    its generator's average at 0.995 from the first step; from scratch, and gray from its base, keep quick's
    ramped 0.99. The Train tab says so."""
    cfg = preset("quick", resolution=64, channels=3, count=100)  # colour 64 px starts from its base by itself
    assert cfg.start == "base" and (cfg.ema_decay, cfg.ema_ramp) == (0.995, False)
    for kw in (dict(channels=3, start="scratch"), dict(channels=1, start="base"), dict(channels=3, resolution=128)):
        other = preset("quick", **{"resolution": 64, "count": 100, **kw})
        assert (other.ema_decay, other.ema_ramp) == (0.99, True), kw
    text = explain_choice("quick", {"resolution": 64, "channels": 3, "images": 100})
    assert "EMA decay 0.995, EMA ramp-up off: a base already draws" in text

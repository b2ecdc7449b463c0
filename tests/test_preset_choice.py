"""Presets that pick settings from the dataset, and the sentence that says which and why."""
from __future__ import annotations

import pytest

from gan_core.errors import UserError
from gan_core.presets import DATA_RULES, PRESETS, data_choices, explain_choice, preset

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


def test_explicit_settings_win_over_data_rules():
    for test, presets, changes, _ in DATA_RULES:
        for k, v in changes.items():
            other = v * 2 if isinstance(v, (int, float)) and not isinstance(v, bool) else v
            cfg = preset(presets[0], resolution=128, channels=3, count=100, **{k: other})
            got = getattr(cfg.model, k) if hasattr(cfg.model, k) else getattr(cfg, k)
            assert got == other


def test_presets_without_rules_say_so_and_bad_names_fail():
    assert "keeps its own settings" in explain_choice("classic", {"resolution": 64, "channels": 1})
    with pytest.raises(UserError, match="preset must be one of"):
        explain_choice("fastest", {})
    assert set(PRESETS) >= {"quick", "balanced", "quality", "classic"}

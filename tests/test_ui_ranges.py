"""UI ranges beside validation ranges: the page's sliders offer what a designer would pick, and
any valid value typed outside them (or sent through the API) is still accepted."""
from __future__ import annotations

import gradio as gr
import pytest

from gan_core.config import ModelConfig, TrainConfig, field_spec
from studio.fields import range_slider


@pytest.mark.parametrize("cls, name, ui, valid", [(ModelConfig, "width", (8, 128), (1, 256)),
                                                  (TrainConfig, "batch_size", (4, 256), (1, 4096)),
                                                  (TrainConfig, "n_critic", (1, 5), (1, 20))])
def test_fields_carry_a_ui_range_inside_their_validation_range(cls, name, ui, valid):
    s = field_spec(cls, name)
    assert (s.ui_lo, s.ui_hi) == ui and (s.lo, s.hi) == valid
    assert s.lo <= s.ui_lo <= s.default <= s.ui_hi <= s.hi


def test_a_field_without_a_ui_range_offers_its_validation_range():
    s = field_spec(TrainConfig, "r1_every")
    assert (s.ui_lo, s.ui_hi) == (s.lo, s.hi) == (1, 64)


def test_the_slider_offers_the_ui_range_and_accepts_any_valid_value():
    with gr.Blocks():
        width = range_slider(8, 128, valid=(1, 256), value=32, step=1, label="Network width", elem_id="width")
    assert (width.minimum, width.maximum) == (8, 128) and width.get_block_name() == "slider"  # drawn as a slider
    config = width.get_config()  # what the page receives: the label, value and id survive
    assert (config["label"], config["value"], config["elem_id"]) == ("Network width", 32, "width")
    assert width.preprocess(200) == 200 and width.preprocess(4) == 4  # outside the UI range, valid
    with pytest.raises(gr.Error, match="Network width must be between 1 and 256; got 300"):
        width.preprocess(300)

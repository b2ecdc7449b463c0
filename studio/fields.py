"""Input components whose range and choice errors name the field.

Gradio checks ranges and choices of inputs before a handler runs ("Value 300 is greater
than maximum value 255."); API callers then cannot tell which argument was wrong. These
subclasses keep the checks and put the field's label and the allowed values in the message
("Tolerance must be between 0 and 255; got 300."). The class names stay Gradio's so the page
uses the same frontend components.

They live in their own module because Gradio writes a type stub (``fields.pyi``, git-ignored)
next to the module of every component subclass.
"""
from __future__ import annotations

import math

import gradio as gr

from gan_core.errors import UserError


def number(label: str, value, whole: bool = False) -> float | int:
    """``value`` as a finite number (an int when ``whole``), or a UserError naming the field.

    The one parser of the page's number fields: what the browser sends and what API callers
    pass (strings, None, NaN) go through it before gan_core checks the ranges."""
    try:
        f = float(value)
    except (TypeError, ValueError):
        raise UserError(f"{label} must be a number; got {value!r}") from None
    if not math.isfinite(f):
        raise UserError(f"{label} must be a finite number; got {value!r}")
    if whole:
        if not f.is_integer():
            raise UserError(f"{label} must be a whole number; got {value!r}")
        return int(f)
    return f


def _fmt(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


class _NamedErrors:
    """Mixin: Gradio's own preprocess, with a message that names the field."""

    def preprocess(self, payload):
        try:
            return super().preprocess(payload)
        except Exception:
            raise gr.Error(self._bad_value_message(payload), print_exception=False) from None

    def _bad_value_message(self, payload) -> str:
        label = self.label or "This value"
        choices = getattr(self, "choices", None)
        if choices is not None:
            values = ", ".join(_fmt(v) for _, v in choices)
            got = [v for v in payload if v not in [c for _, c in choices]] if isinstance(payload, list) else payload
            if isinstance(got, list) and len(got) == 1:
                got = got[0]
            return f"{label} must be one of {values}; got {got!r}."
        lo, hi = getattr(self, "minimum", None), getattr(self, "maximum", None)
        if isinstance(payload, bool) or not isinstance(payload, (int, float)):
            return f"{label} must be a number; got {payload!r}."
        if lo is not None and hi is not None:
            return f"{label} must be between {_fmt(lo)} and {_fmt(hi)}; got {_fmt(payload)}."
        if lo is not None:
            return f"{label} must be at least {_fmt(lo)}; got {_fmt(payload)}."
        return f"{label} must be at most {_fmt(hi)}; got {_fmt(payload)}."


class Slider(_NamedErrors, gr.Slider):
    pass


class RangeSlider(Slider):
    """A slider that offers a designer's range (``minimum``..``maximum``, a field's UI range) but
    accepts any value the engine validates (``valid``), typed in its box or sent through the API."""

    # no __init__ of its own: Gradio sends the page the parameters of the component's __init__
    # signature, so one with (**kw) would lose the label, value and elem_id. Build it with range_slider.
    valid: tuple = (None, None)

    def get_block_name(self) -> str:
        return "slider"  # the page draws it with Gradio's own slider

    def preprocess(self, payload):
        try:
            gr.Number.raise_if_out_of_bounds(payload, *self.valid)
            return gr.Number.round_to_precision(payload, self.precision)
        except Exception:
            lo, hi = self.valid
            raise gr.Error(f"{self.label or 'This value'} must be between {_fmt(lo)} and {_fmt(hi)}; "
                           f"got {payload!r}.", print_exception=False) from None


class Number(_NamedErrors, gr.Number):
    pass


class Dropdown(_NamedErrors, gr.Dropdown):
    pass


class Radio(_NamedErrors, gr.Radio):
    pass


class CheckboxGroup(_NamedErrors, gr.CheckboxGroup):
    pass


def range_slider(minimum, maximum, valid: tuple, **kw) -> RangeSlider:
    """A RangeSlider offering ``minimum``..``maximum`` that accepts anything in ``valid``."""
    slider = RangeSlider(minimum, maximum, **kw)
    slider.valid = valid
    return slider

"""Sketch to design: bad pads refused with their own message, ink placed where it was drawn,
designs through the encoder or (without one) the optimiser; morph keyframes of two models refused."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from gan_core.design.encoder import load_encoder
from gan_core.design.generate import load_generator
from gan_core.design.latent import z_from_seed
from gan_core.design.record import Design
from gan_core.design.render import morph_designs, render
from gan_core.design.sketch import design_from_sketch, sketch_ink, sketch_target
from gan_core.errors import UserError

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def rims():
    return load_generator(REPO / "weights" / "rims-64")


@pytest.fixture(scope="module")
def colour():
    return load_generator(REPO / "weights" / "rims-colour-64")


def pad(size=256, mode="RGBA") -> Image.Image:
    return Image.new(mode, (size, size), (255, 255, 255, 0) if mode == "RGBA" else "white")


def half_filled(mode="RGBA", ink=(0, 0, 0, 255)) -> Image.Image:
    """A ring (it sets the crop box) with its left half filled."""
    im = pad(256, mode)
    d = ImageDraw.Draw(im)
    d.ellipse((28, 28, 228, 228), outline=ink, width=8)
    d.pieslice((28, 28, 228, 228), 90, 270, fill=ink)
    return im


@pytest.mark.parametrize("image, message", [
    (None, "the sketch is empty"),
    (np.zeros((0, 0, 3), np.uint8), "the sketch is empty"),
    (np.zeros((256, 256, 4), np.uint8), "empty \\(all transparent\\)"),
    (np.full((256, 256, 3), 255, np.uint8), "only the background colour"),
    (np.full((256, 256), 250, np.uint8), "only the background colour"),
    (np.zeros((256, 256, 3), np.float32), "uint8 picture"),
    (np.zeros((256, 256, 5), np.uint8), "1-4 channels"),
    (np.zeros((8, 8, 3), np.uint8), "between 16 and 4096 pixels"),
    (Image.new("I;16", (64, 64)), "gave a I;16 image"),
    ("a string", "not a data URL"),
    (3.5, "got a float"),
])
def test_bad_sketches_are_refused_with_their_message(rims, image, message):
    with pytest.raises(UserError, match=message):
        sketch_target(image, rims)


def test_sketch_is_cleaned_like_the_training_pictures(rims, colour):
    t = sketch_target(half_filled(), rims)
    assert t.shape == (64, 64) and t.dtype == np.uint8
    assert t[0].min() == 255 and t[:, 0].min() == 255  # cropped with the model's margin: white border
    assert t.min() == 0                                # binary cleanup: ink is black
    c = sketch_target(np.asarray(half_filled(ink=(31, 58, 147, 255))), colour)
    assert c.shape == (64, 64, 3) and c[32, 20, 2] > c[32, 20, 0] + 40  # the blue ink kept its colour
    gradio_value = {"background": None, "layers": [], "composite": np.asarray(half_filled())}
    assert np.array_equal(sketch_target(gradio_value, rims), t)


def _left_minus_right_ink(picture: np.ndarray) -> float:
    ink = 255 - picture.astype(np.float32)
    return float(ink[:, :32].mean() - ink[:, 32:].mean())


@pytest.mark.parametrize("name", ["rims-64", "rims-colour-64"])
@pytest.mark.parametrize("with_encoder", [True, False])
def test_ink_in_one_region_gives_more_ink_there(name, with_encoder, request):
    """A ring with its left half filled, and the same sketch mirrored: the design of the first has
    more ink on its left (relative to its right) than the design of the second, by > 15 grey levels.
    (A rims model draws rims, so a filled half disc becomes a rim heavier on that side.)"""
    model = request.getfixturevalue("rims" if name == "rims-64" else "colour")
    E = load_encoder(REPO / "weights" / name, model)[0] if with_encoder else None
    assert (E is not None) == with_encoder
    left = design_from_sketch(model, E, half_filled(), model_ref=f"bundled/{name}")
    assert left.origin == "sketch" and left.model == f"bundled/{name}"
    right = design_from_sketch(model, E, half_filled().transpose(Image.FLIP_LEFT_RIGHT))
    shift = _left_minus_right_ink(render(left, model)) - _left_minus_right_ink(render(right, model))
    assert shift > 15, shift


def test_sketch_ink_per_model(rims, colour):
    assert sketch_ink(rims) == "#000000"
    assert sketch_ink(colour).startswith("#") and sketch_ink(colour) != "#000000"


def test_morph_of_designs_from_two_models_is_refused_naming_both(rims):
    a = Design(model="bundled/rims-64", latent=z_from_seed(1, 128).numpy(), origin="sketch")
    b = Design(model="run/my-logos", latent=z_from_seed(2, 128).numpy(), origin="projection")
    with pytest.raises(UserError, match="'bundled/rims-64' and 'run/my-logos'"):
        morph_designs([a, b], rims, frames=4)
    c = Design(model="bundled/rims-64", latent=z_from_seed(3, 128).numpy(), origin="breed")
    frames = morph_designs([a, c], rims, frames=5)
    assert np.array_equal(frames[0], render(a, rims)) and np.array_equal(frames[-1], render(c, rims))


def _png_url(image: Image.Image) -> str:
    import base64
    import io
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def test_pad_data_url_is_read_like_the_picture(rims):
    """The page's pad sends its canvas as a PNG data URL: read as the same picture would be."""
    assert np.array_equal(sketch_target(_png_url(half_filled()), rims), sketch_target(half_filled(), rims))
    with pytest.raises(UserError, match="empty \\(all transparent\\)"):  # a cleared pad
        sketch_target(_png_url(pad()), rims)


def test_bad_data_urls_are_refused_with_their_message(rims):
    import base64
    import io
    from gan_core.design.sketch import MAX_SKETCH_BYTES, sketch_from_data_url
    jpeg = io.BytesIO()
    half_filled().convert("RGB").save(jpeg, format="JPEG")
    wide = io.BytesIO()
    Image.new("L", (5000, 20), 255).save(wide, format="PNG")
    deep = io.BytesIO()
    Image.new("I;16", (64, 64)).save(deep, format="PNG")
    raw = base64.b64decode(_png_url(half_filled()).split(",", 1)[1])
    cases = [
        ("", "the sketch is empty"),
        ("hello", "not a data URL"),
        ("data:image/jpeg;base64," + base64.b64encode(jpeg.getvalue()).decode(), "must be a PNG picture"),
        ("data:image/png;base64,@@not base64@@", "not valid base64"),
        ("data:image/png;base64," + base64.b64encode(jpeg.getvalue()).decode(), "not a PNG picture"),
        ("data:image/png;base64," + "A" * (MAX_SKETCH_BYTES * 4 // 3 + 8), "too large"),
        ("data:image/png;base64," + base64.b64encode(raw[:len(raw) // 2]).decode(), "PNG is damaged"),  # cut short
        ("data:image/png;base64," + base64.b64encode(wide.getvalue()).decode(), "between 16 and 4096 pixels"),
        ("data:image/png;base64," + base64.b64encode(deep.getvalue()).decode(), "gave a I;16 image"),
    ]
    for url, message in cases:
        with pytest.raises(UserError, match=message):
            sketch_target(url, rims)
    with pytest.raises(UserError, match="got a bytes"):
        sketch_from_data_url(b"data:image/png;base64,")

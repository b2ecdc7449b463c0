"""Colour cleanup on crafted product photos: white backdrop, the object's colours kept."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from gan_core.data.colour_cleanup import backdrop, clean_colour
from gan_core.data.preprocess import CleanupConfig, clean_image

RED, BLUE, DARK = (200, 30, 40), (40, 90, 210), (45, 40, 50)


def photo(light: bool = True, size: int = 128, seed: int = 0) -> np.ndarray:
    """A tinted, unevenly lit backdrop (a gradient and a vignette), noise and blur, with a red
    disc holding a blue square and a dark bar, slightly off centre."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size] / (size - 1)
    top, bottom = (np.array([215, 195, 225]), np.array([160, 175, 150])) if light else \
        (np.array([70, 55, 60]), np.array([30, 40, 35]))
    bg = top + (bottom - top) * (0.6 * yy + 0.4 * xx)[..., None]
    bg *= (1 - 0.15 * ((yy - 0.5) ** 2 + (xx - 0.5) ** 2))[..., None]
    img = bg.copy()
    c = np.array([0.55, 0.45]) * size
    disc = (np.mgrid[:size, :size][0] - c[0]) ** 2 + (np.mgrid[:size, :size][1] - c[1]) ** 2 <= (0.25 * size) ** 2
    img[disc] = RED
    img[int(0.45 * size):int(0.6 * size), int(0.35 * size):int(0.5 * size)] = BLUE
    img[int(0.68 * size):int(0.76 * size), int(0.35 * size):int(0.55 * size)] = DARK
    img = cv2.GaussianBlur(img.astype(np.float32), (0, 0), 0.8) + rng.normal(0, 3, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("light", [True, False])
def test_backdrop_becomes_white_and_colours_stay(light):
    raw = photo(light)
    out, alpha = clean_colour(raw)
    # everywhere the backdrop was, even at the darker, tinted corner, is now white
    assert out[:10, :10].min() >= 250 and out[-10:, -10:].min() >= 250
    assert (out[:, :15] >= 250).mean() > 0.99
    # inside the object the photo's colours are kept
    size = raw.shape[0]
    for colour, (y, x) in ((RED, (0.55, 0.62)), (BLUE, (0.52, 0.42)), (DARK, (0.72, 0.45))):
        got = out[int(y * size) - 2:int(y * size) + 2, int(x * size) - 2:int(x * size) + 2].reshape(-1, 3).mean(0)
        assert np.abs(got - colour).max() < 12, (colour, got)
    assert alpha.min() >= 0 and alpha.max() <= 1


def test_backdrop_model_follows_the_gradient():
    raw = photo(True)
    model, noise = backdrop(raw.astype(np.float32))
    clean_bg = photo(True, seed=1).astype(np.float32)  # same lighting, other noise
    corners = [(2, 2), (2, -3), (-3, 2), (-3, -3)]
    for y, x in corners:
        assert np.abs(model[y, x] - clean_bg[y, x]).max() < 12
    assert 1 <= noise < 10


def test_colour_mode_crops_centres_and_sizes():
    image = Image.fromarray(photo(False))
    out = np.asarray(clean_image(image, CleanupConfig(mode="color", crop=True, margin=0.05, size=32)))
    assert out.shape == (32, 32, 3)
    dark = (255 - out.astype(int)).max(-1) > 40
    ys, xs = np.nonzero(dark)
    # the object fills the frame, less the margin, and is centred
    assert max(ys.max() - ys.min(), xs.max() - xs.min()) >= 26
    assert abs((ys.max() + ys.min()) / 2 - 15.5) <= 2 and abs((xs.max() + xs.min()) / 2 - 15.5) <= 2
    assert out[0, 0].min() >= 250 and out[-1, -1].min() >= 250
    inverted = np.asarray(clean_image(image, CleanupConfig(mode="color", crop=True, invert=True, size=32)))
    assert inverted[0, 0].max() <= 5


def test_see_through_holes_become_white_dark_parts_stay():
    """A ring (a wheel's lip, a handle's eye) on a tinted backdrop: the hole shows the backdrop
    itself and becomes white, while the dark bar inside the disc (close to a dark backdrop's
    colour, but not it) stays object (see test_backdrop_becomes_white_and_colours_stay)."""
    size, rng = 128, np.random.default_rng(3)
    yy, xx = np.mgrid[:size, :size] / (size - 1)
    img = (np.array([225, 210, 190]) * (1 - 0.12 * (0.7 * yy + 0.3 * xx))[..., None]).astype(np.float32)
    r = np.hypot(yy - 0.5, xx - 0.5)
    img[(r <= 0.3) & (r >= 0.08)] = BLUE  # the hole is ~8% of the ring: a 'small' hole
    img = np.clip(cv2.GaussianBlur(img, (0, 0), 0.8) + rng.normal(0, 3, img.shape), 0, 255).astype(np.uint8)
    out, alpha = clean_colour(img)
    hole = r <= 0.05
    assert out[hole].min() >= 245 and alpha[hole].max() < 0.05
    ring = (r <= 0.28) & (r >= 0.12)
    assert np.abs(out[ring].reshape(-1, 3).mean(0) - BLUE).max() < 12

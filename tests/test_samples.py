import numpy as np
from PIL import Image

from gan_core.data.preprocess import clean_image
from gan_core.data.samples import (SAMPLE_CLEANUP, SAMPLE_COLOUR_CLEANUP, make_sample_rims, render_colour_rim,
                                   render_rim, write_sample_rims)

from conftest import FIXTURES, fixture_files


def test_same_seed_same_pixels_different_seeds_differ():
    a, b = np.asarray(render_rim(7, 64)), np.asarray(render_rim(7, 64))
    assert a.dtype == np.uint8 and a.shape == (64, 64, 3)
    np.testing.assert_array_equal(a, b)
    others = [np.asarray(render_rim(s, 64)) for s in range(8, 12)]
    assert all(np.abs(o.astype(int) - a).mean() > 5 for o in others)


def test_photo_looks_like_a_light_rim_on_a_dark_background():
    a = np.asarray(render_rim(3, 128).convert("L")).astype(int)
    border = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
    assert border.mean() < 90  # dark background
    assert np.percentile(a, 90) > 150  # light metal


def test_make_and_write_sample_rims(tmp_path):
    rims = make_sample_rims(count=3, seed=1, size=64)
    assert [n for n, _ in rims] == ["rim_000.jpg", "rim_001.jpg", "rim_002.jpg"]
    assert all(im.mode == "RGB" and im.size == (64, 64) for _, im in rims)
    assert not np.array_equal(np.asarray(rims[0][1]), np.asarray(make_sample_rims(1, seed=2, size=64)[0][1]))
    paths = write_sample_rims(tmp_path / "rims", count=2, seed=1, size=64)
    assert [p.name for p in paths] == ["rim_000.jpg", "rim_001.jpg"]
    assert Image.open(paths[0]).format == "JPEG" and Image.open(paths[0]).size == (64, 64)


def test_sample_cleanup_gives_a_centred_black_rim_on_white():
    for seed in range(4):
        out = np.asarray(clean_image(render_rim(seed), SAMPLE_CLEANUP))
        assert out.shape == (64, 64)
        dark = out < 128
        assert not dark[:3].any() and not dark[-3:].any()  # margin above and below
        assert not dark[:, :3].any() and not dark[:, -3:].any()
        # The outer ring crosses the middle row and column near both ends.
        assert dark[32, 4:12].any() and dark[32, 52:60].any()
        assert dark[4:12, 32].any() and dark[52:60, 32].any()
        assert 0.15 < dark.mean() < 0.8


def test_sample_cleanup_also_works_on_real_raw_icons():
    errors = []
    for raw in fixture_files("fa-icons-raw", "*.jpg", 10):  # every 4th of the first 40 icons
        clean = FIXTURES / "fa-icons" / (raw.stem + ".png")
        ref = np.asarray(Image.open(clean).convert("L").resize((64, 64), Image.BOX)).astype(float)
        out = np.asarray(clean_image(Image.open(raw), SAMPLE_CLEANUP)).astype(float)
        errors.append(np.abs(out - ref).mean())
    # The raw photos are rotated a little, so 0 is out of reach. These settings score
    # about 16; without crop 27, with the fixed threshold 44, the classic recipe 61.
    assert np.mean(errors) < 22, errors


def test_colour_rims_are_painted_wheels_on_a_light_tinted_backdrop():
    a = np.asarray(render_colour_rim(5, 128)).astype(int)
    np.testing.assert_array_equal(a, np.asarray(render_colour_rim(5, 128)))
    border = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
    assert border.mean() > 150  # a light studio backdrop
    sats = [np.ptp(np.asarray(render_colour_rim(s, 64)).astype(int), axis=2) for s in range(8)]
    assert sum(np.percentile(s, 95) > 80 for s in sats) >= 5  # most wheels are saturated colours
    # the colour set and the gray set are separate: colour=True changes the pixels, not the designs' names
    rims = make_sample_rims(count=2, seed=0, size=64, colour=True)
    assert [n for n, _ in rims] == ["rim_000.jpg", "rim_001.jpg"]
    assert not np.array_equal(np.asarray(rims[0][1]), np.asarray(render_rim(0, 64)))


def test_colour_sample_cleanup_keeps_the_paint_and_whitens_the_gaps():
    for seed in range(4):
        out = np.asarray(clean_image(render_colour_rim(seed), SAMPLE_COLOUR_CLEANUP)).astype(int)
        assert out.shape == (64, 64, 3)
        white = out.min(axis=2) >= 240
        assert white[:2].all() and white[-2:].all()  # the backdrop is white around the wheel
        # the gaps between the spokes are white too: a good share of the wheel's disc is white
        yy, xx = np.mgrid[:64, :64]
        inside = np.hypot(yy - 31.5, xx - 31.5) < 20
        assert 0.15 < white[inside].mean() < 0.9
        assert np.percentile(np.ptp(out, axis=2)[~white], 75) > 40 or out[~white].mean() < 90  # paint or black kept

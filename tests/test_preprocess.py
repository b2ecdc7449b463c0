import numpy as np
import pytest
from PIL import Image

from gan_core.data.preprocess import CleanupConfig, clean_image, detail_mask, pad_to_square
from gan_core.errors import UserError

B, D = 255, 0  # background and detail in the classic output


def test_classic_recipe_bit_for_bit_on_crafted_image():
    # Corner (0, 0) is 30: every 30 is background, everything < 50 is background,
    # 50 itself (exactly the threshold) and above is detail.
    pixels = np.array([[30, 30, 49, 50],
                       [51, 30, 200, 29],
                       [255, 0, 31, 30],
                       [100, 30, 49, 60]], dtype=np.uint8)
    expected = np.array([[B, B, B, D],
                         [D, B, D, B],
                         [D, B, B, B],
                         [D, B, B, D]], dtype=np.uint8)
    out = clean_image(Image.fromarray(pixels), CleanupConfig.classic(threshold=50))
    assert out.mode == "L" and out.size == (4, 4)
    np.testing.assert_array_equal(np.asarray(out), expected)


def test_classic_corner_above_threshold_only_removes_that_exact_value():
    pixels = np.array([[120, 119, 121],
                       [120, 10, 120],
                       [70, 120, 69]], dtype=np.uint8)
    expected = np.array([[B, D, D],
                         [B, B, B],
                         [D, B, B]], dtype=np.uint8)
    out = clean_image(Image.fromarray(pixels), CleanupConfig.classic(threshold=70))
    np.testing.assert_array_equal(np.asarray(out), expected)


def test_classic_on_rgb_uses_pil_grayscale_exactly():
    rgb = np.random.default_rng(0).integers(0, 256, (24, 24, 3), dtype=np.uint8)
    rgb[0, 0] = rgb[5, 5] = rgb[7, 9] = (90, 60, 200)  # several pixels equal to the corner
    image = Image.fromarray(rgb)
    gray = image.convert("L")
    bg = gray.getpixel((0, 0))
    expected = np.array([[B if (gray.getpixel((x, y)) == bg or gray.getpixel((x, y)) < 60) else D
                          for x in range(24)] for y in range(24)], dtype=np.uint8)
    out = clean_image(image, CleanupConfig.classic(threshold=60))
    np.testing.assert_array_equal(np.asarray(out), expected)
    assert (expected == D).any() and (expected == B).any()


def test_classic_settings():
    c = CleanupConfig.classic(threshold=42)
    assert (c.background, c.tolerance, c.threshold, c.auto_threshold, c.invert, c.crop,
            c.size, c.mode) == ("corner", 0, 42, False, False, False, None, "binary")


def test_border_median_with_tolerance():
    a = np.full((20, 20), 100, np.uint8)
    a[0, 0] = 200                # a bright speck in the corner would fool "corner"
    a[5, 5], a[5, 6] = 105, 106  # within / just outside a tolerance of 5
    a[10, 10], a[10, 11] = 95, 94
    mask = detail_mask(a, CleanupConfig(background="border", tolerance=5, threshold=0))
    assert not mask[5, 5] and mask[5, 6]
    assert not mask[10, 10] and mask[10, 11]
    assert mask[0, 0] and mask.sum() == 3
    corner = detail_mask(a, CleanupConfig(background="corner", threshold=0))
    assert corner.sum() == 20 * 20 - 1  # corner is the speck: all the rest counts as detail


def test_otsu_separates_noisy_background_from_object():
    rng = np.random.default_rng(1)
    a = rng.integers(85, 116, (40, 40)).astype(np.uint8)  # uneven noisy background
    obj = np.zeros((40, 40), bool)
    obj[10:30, 15:25] = True
    a[obj] = rng.integers(170, 200, obj.sum())
    auto = detail_mask(a, CleanupConfig(background="border", auto_threshold=True))
    np.testing.assert_array_equal(auto, obj)
    manual = detail_mask(a, CleanupConfig(background="border", threshold=50))
    assert manual.sum() > obj.sum() + 100  # a fixed low threshold keeps the noise


def test_invert_swaps_colours():
    a = np.array([[0, 0, 0], [0, 200, 0], [0, 0, 0]], np.uint8)
    out = np.asarray(clean_image(Image.fromarray(a), CleanupConfig(invert=True)))
    np.testing.assert_array_equal(out, np.where(a == 200, 255, 0))


def test_modes_grayscale_and_color():
    rgb = np.zeros((3, 3, 3), np.uint8)
    rgb[1, 1] = (200, 180, 160)
    rgb[0, 2] = (90, 120, 60)
    image = Image.fromarray(rgb)
    gray = np.asarray(image.convert("L"))
    g = clean_image(image, CleanupConfig(mode="grayscale"))
    assert g.mode == "L"
    assert np.asarray(g)[1, 1] == 255 - gray[1, 1] and np.asarray(g)[0, 0] == 255
    assert np.asarray(g)[0, 2] == 255 - gray[0, 2]
    c = clean_image(image, CleanupConfig(mode="color"))
    assert c.mode == "RGB"
    assert tuple(np.asarray(c)[1, 1]) == (200, 180, 160) and tuple(np.asarray(c)[2, 2]) == (255,) * 3
    gi = clean_image(image, CleanupConfig(mode="grayscale", invert=True))
    assert np.asarray(gi)[1, 1] == gray[1, 1] and np.asarray(gi)[0, 0] == 0


def _object_photo(h=80, w=100, box=(10, 50, 30, 60)):
    """Dark photo with a light rectangle at x0, y0, x1, y1 (exclusive)."""
    a = np.full((h, w), 20, np.uint8)
    x0, y0, x1, y1 = box
    a[y0:y1, x0:x1] = 220
    return a


def test_crop_centres_off_centre_object_with_margin():
    out = np.asarray(clean_image(Image.fromarray(_object_photo()), CleanupConfig(crop=True, margin=0.1)))
    # Object 20 x 10; margin 0.1 of the longer side = 2 px on every side.
    assert out.shape == (14, 24)
    expected = np.full((14, 24), 255, np.uint8)
    expected[2:12, 2:22] = 0
    np.testing.assert_array_equal(out, expected)


def test_crop_centres_object_touching_the_edge_by_padding():
    a = _object_photo(box=(0, 0, 10, 10))  # the corner is the object: use the border median
    config = CleanupConfig(background="border", crop=True, margin=0.2)
    out = np.asarray(clean_image(Image.fromarray(a), config))
    expected = np.full((14, 14), 255, np.uint8)
    expected[2:12, 2:12] = 0
    np.testing.assert_array_equal(out, expected)


def test_crop_ignores_noise_specks():
    a = _object_photo()
    a[2, 95] = 230  # one bright speck far away
    out = np.asarray(clean_image(Image.fromarray(a), CleanupConfig(crop=True, margin=0.1)))
    assert out.shape == (14, 24)


def test_crop_of_empty_image_keeps_whole_image():
    a = np.full((30, 40), 10, np.uint8)
    out = clean_image(Image.fromarray(a), CleanupConfig(crop=True, size=16, background="border"))
    assert out.size == (16, 16) and np.asarray(out).min() == 255


def test_size_pads_to_square_keeping_aspect():
    out = np.asarray(clean_image(Image.fromarray(_object_photo()),
                                 CleanupConfig(crop=True, margin=0.0, size=40)))
    assert out.shape == (40, 40)
    rows, cols = np.nonzero(out < 128)
    width, height = cols.max() - cols.min() + 1, rows.max() - rows.min() + 1
    assert width == 40 and height == 20  # 2:1 object stays 2:1, centred vertically
    assert rows.min() == 10


def test_pad_to_square_colour_fill():
    a = np.zeros((4, 8, 3), np.uint8)
    sq = pad_to_square(a, (1, 2, 3))
    assert sq.shape == (8, 8, 3)
    assert tuple(sq[0, 0]) == (1, 2, 3) and tuple(sq[2, 0]) == (0, 0, 0) and tuple(sq[7, 7]) == (1, 2, 3)


def test_exif_orientation_is_honoured(tmp_path):
    a = np.full((40, 80, 3), 10, np.uint8)
    a[:20, :20] = 240  # light block in the top-left corner of the stored pixels
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    path = tmp_path / "rotated.jpg"
    Image.fromarray(a).save(path, exif=exif, quality=95)
    out = np.asarray(clean_image(Image.open(path), CleanupConfig(background="border", threshold=128)))
    assert out.shape == (80, 40)  # upright: tall
    assert out[10, 30] == 0 and out[10, 10] == 255  # the block moved to the top-right


@pytest.mark.parametrize("field, kwargs", [
    ("background", dict(background="middle")), ("tolerance", dict(tolerance=-1)),
    ("threshold", dict(threshold=256)), ("threshold", dict(threshold=1.5)),
    ("margin", dict(margin=2.0)), ("size", dict(size=4)), ("mode", dict(mode="sepia")),
    ("crop", dict(crop="yes")),
])
def test_config_rejects_bad_values_naming_the_field(field, kwargs):
    with pytest.raises(UserError, match=field):
        CleanupConfig(**kwargs)

"""Print-size PNG: up to 2048 px, crisp two-tone edges without a staircase, transparent option."""
import numpy as np
import pytest
from PIL import Image

from gan_core.errors import UserError
from gan_core.export.printpng import print_png

from pictures import ring, rims


def _edge_radius(img: np.ndarray, centre: float, angles: int = 180) -> np.ndarray:
    """Radius where the ring's outer edge crosses mid-grey, sampled along rays (sub-pixel)."""
    out = []
    for a in np.linspace(0, 2 * np.pi, angles, endpoint=False):
        rs = np.arange(0, img.shape[0] / 2 - 1, 0.25)
        xs, ys = centre + rs * np.cos(a), centre + rs * np.sin(a)
        v = img[np.rint(ys).astype(int), np.rint(xs).astype(int)].astype(float)
        inside = np.flatnonzero(v < 128)
        out.append(rs[inside[-1]] if inside.size else 0)
    return np.array(out)


def test_sizes_and_validation():
    pic = rims([0])[0]
    for size in (64, 300, 2048):
        assert print_png(pic, size).size == (size, size)
    for bad in (63, 2049, 0, "big", 1.5, None, True):
        with pytest.raises(UserError, match="64 to 2048"):
            print_png(pic, bad)


def test_binary_design_has_smooth_crisp_edges_not_a_staircase():
    r = ring(64, r0=10, r1=26)                        # outer radius 26 design px
    big = np.asarray(print_png(r, 1024))              # 16x
    assert big.ndim == 2
    radius = _edge_radius(big, (1024 - 1) / 2)
    # a nearest-neighbour upscale of the same ring wobbles by up to half a design pixel (8 px here)
    nearest = np.asarray(Image.fromarray(r).resize((1024, 1024), Image.NEAREST))
    assert np.ptp(_edge_radius(nearest, (1024 - 1) / 2)) > 8
    assert np.ptp(radius) < 4 and abs(radius.mean() - 26 * 16) < 4
    # crisp: only a thin anti-aliased edge between the two tones
    between = ((big > 30) & (big < 225)).mean()
    assert between < 0.01


def test_grey_and_colour_use_a_smooth_resample():
    yy, xx = np.mgrid[0:64, 0:64]
    grey = np.where(np.hypot(xx - 32, yy - 32) < 24, 40 + 6 * np.hypot(xx - 32, yy - 32), 255).astype(np.uint8)
    img = print_png(grey, 512)
    assert img.mode == "L" and len(np.unique(np.asarray(img))) > 100   # shading kept, not thresholded
    colour = np.dstack([grey, np.full_like(grey, 80), 255 - grey])
    assert print_png(colour, 256).mode == "RGB"


def test_transparent_background():
    img = print_png(ring(64), 256, transparent=True)
    assert img.mode == "LA"
    a = np.asarray(img)[..., 1]
    assert a[0, 0] == 0 and a[128, 128] == 0 and a[128, 128 + 72] == 255    # corner, hole, ring
    colour = np.full((64, 64, 3), 255, np.uint8)
    colour[20:44, 20:44] = (200, 40, 40)
    rgba = np.asarray(print_png(colour, 256, transparent=True))
    assert rgba.shape[2] == 4 and rgba[0, 0, 3] == 0 and rgba[128, 128, 3] == 255
    assert np.abs(rgba[128, 128, :3].astype(int) - [200, 40, 40]).max() <= 2

"""symmetrize: N-fold rotations and mirrors about the design's own centre, crisp and seamless."""
import cv2
import numpy as np
import pytest

from gan_core.design.symmetry import design_centre, parse_symmetry, symmetrize
from gan_core.design.tones import analyse
from gan_core.errors import UserError

from pictures import ink_mask, iou, ring, rims


def _warp(picture, matrix):
    return cv2.warpAffine(picture.astype(np.float32), matrix, picture.shape[1::-1], flags=cv2.INTER_CUBIC,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=(255, 255, 255))


def rotated(picture, degrees, centre):
    return _warp(picture, cv2.getRotationMatrix2D(centre, degrees, 1.0))


def mirrored(picture, axis, centre):
    cx, cy = centre
    m = {"lr": [[-1, 0, 2 * cx], [0, 1, 0]], "tb": [[1, 0, 0], [0, -1, 2 * cy]]}[axis]
    return _warp(picture, np.array(m, np.float64))


def blob(size=64, offset=(0, 0)):
    """An asymmetric two-tone shape (a bar, a disc and a triangle) shifted by ``offset``."""
    p = np.full((size, size), 255, np.uint8)
    ox, oy = offset
    cv2.rectangle(p, (14 + ox, 26 + oy), (40 + ox, 35 + oy), 0, -1)
    cv2.circle(p, (40 + ox, 19 + oy), 8, 0, -1, lineType=cv2.LINE_AA)
    cv2.fillPoly(p, [np.array([[16 + ox, 35 + oy], [30 + ox, 35 + oy], [20 + ox, 48 + oy]])], 0, lineType=cv2.LINE_AA)
    return p


def _close(a, b, tol=0.035):
    """Mean difference below ``tol`` of full scale, and the ink shapes nearly the same."""
    diff = np.abs(a.astype(np.float32) - b.astype(np.float32)).mean() / 255
    assert diff < tol, f"mean difference {diff:.3f}"
    assert iou(ink_mask(a), ink_mask(np.clip(b, 0, 255))) > 0.9


@pytest.mark.parametrize("n", [2, 3, 5, 8, 12])
def test_n_fold_design_equals_itself_rotated(n):
    for pic in [rims([7])[0], blob()]:
        out = symmetrize(pic, f"rot{n}")
        assert out.shape == pic.shape and out.dtype == np.uint8
        _close(out, rotated(out, 360 / n, design_centre(out)))
        # and it was not symmetric before: the test can tell the difference
    with pytest.raises(AssertionError):
        _close(blob(), rotated(blob(), 360 / 5, design_centre(blob())))


@pytest.mark.parametrize("spec,axes", [("mirror-lr", ["lr"]), ("mirror-tb", ["tb"]), ("mirror-both", ["lr", "tb"])])
def test_mirrored_design_equals_its_mirror(spec, axes):
    for pic in [rims([3])[0], blob()]:
        out = symmetrize(pic, spec)
        for axis in axes:
            # the check re-mirrors about the output's own measured centre (sub-pixel, interpolated):
            # ~0.5-3.7% of full scale on symmetrised rims, against 9-26% for the rims as drawn
            _close(out, mirrored(out, axis, design_centre(out)))
            with pytest.raises(AssertionError):  # the design as drawn was not symmetric: the check can tell
                _close(pic, mirrored(pic, axis, design_centre(pic)))


def test_binary_stays_binary():
    exact = np.where(rims([1])[0] < 128, 0, 255).astype(np.uint8)   # exactly two values
    for spec in ("rot5", "mirror-lr", "mirror-both"):
        assert set(np.unique(symmetrize(exact, spec))) <= {0, 255}
    soft = rims([2])[0]                                             # GAN output: two tones + soft edge
    assert analyse(soft).binary
    out = symmetrize(soft, "rot7")
    assert analyse(out).binary
    # crisp: no more in-between pixels than the generator's own anti-aliasing
    between = lambda p: ((p > 40) & (p < 215)).mean()
    assert between(out) <= max(0.12, 1.2 * between(soft))


def test_grey_and_colour_keep_their_tones():
    yy, xx = np.mgrid[0:64, 0:64]
    r = np.hypot(xx - 31.5, yy - 31.5)
    grey = np.where(r < 24, 40 + 7 * r, 255).clip(0, 255).astype(np.uint8)   # a shaded dome
    assert not analyse(grey).binary
    out = symmetrize(grey, "rot4")
    assert not analyse(out).binary and len(np.unique(out)) > 20
    colour = np.full((64, 64, 3), 255, np.uint8)
    cv2.circle(colour, (26, 30), 12, (200, 40, 40), -1, lineType=cv2.LINE_AA)
    out = symmetrize(colour, "mirror-lr")
    assert out.shape == colour.shape
    assert (np.abs(out.astype(int) - [200, 40, 40]).sum(axis=2) < 30).sum() > 100  # the red survives


def test_off_centre_design_is_symmetrised_about_its_own_centre():
    pic = blob(offset=(14, 10))
    cx, cy = design_centre(pic)
    assert cx > 40 and cy > 36                       # well away from the canvas centre (31.5)
    out = symmetrize(pic, "rot4")
    ox, oy = design_centre(out)
    assert abs(ox - cx) < 1.5 and abs(oy - cy) < 1.5
    _close(out, rotated(out, 90, (ox, oy)))
    about_canvas = np.abs(out.astype(np.float32) - rotated(out, 90, (31.5, 31.5))).mean() / 255
    assert about_canvas > 0.05                       # symmetric about the design, not the canvas


def test_ring_stays_a_ring_and_none_is_identity():
    r = ring(centre=(30, 34))
    out = symmetrize(r, "rot6")
    assert iou(ink_mask(out), ink_mask(r)) > 0.95
    p = rims([0])[0]
    assert symmetrize(p, "none") is p


def test_bad_specs_and_pictures():
    with pytest.raises(UserError, match="rot2..rot12"):
        parse_symmetry("rot13")
    with pytest.raises(UserError, match="symmetry must be"):
        symmetrize(rims([0])[0], "spiral")
    with pytest.raises(UserError, match="uint8"):
        symmetrize(np.zeros((8, 8), np.float32), "rot4")


def test_symmetric_augmentation_policies():
    import torch
    from gan_core.config import TrainConfig
    from gan_core.training.augment import diff_augment
    assert TrainConfig(augment="rot4,flip", steps=1).augment_policies == ["rot4", "flip"]
    assert TrainConfig(augment="translation,rot10", steps=1).augment_policies == ["translation", "rot10"]
    with pytest.raises(UserError, match="augment must be one of"):
        TrainConfig(augment="rot13", steps=1)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(16, 1, 16, 16, requires_grad=True)
    y = diff_augment(x, ["rot4"], g)
    for a, b in zip(x.detach(), y.detach()):     # each image turned by 0, 90, 180 or 270 degrees, exactly
        assert min(float((torch.rot90(a, k, dims=(1, 2)) - b).abs().max()) for k in range(4)) < 1e-5
    assert len({tuple(b.flatten()[:4].tolist()) for b in y.detach()}) > 1
    y.sum().backward()                           # differentiable, as DiffAugment needs
    assert x.grad is not None and torch.isfinite(x.grad).all()
    xs = torch.rand(64, 1, 16, 16, generator=torch.Generator().manual_seed(1))  # no image is its own mirror
    f = diff_augment(xs, ["flip"], g)
    kept = [torch.equal(b, a) for a, b in zip(xs, f)]
    mirrored = [torch.equal(b, a.flip(2)) for a, b in zip(xs, f)]   # left-right, exactly
    assert all(k or m for k, m in zip(kept, mirrored))
    assert 16 <= sum(mirrored) <= 48                                 # about half of them (p = 1/2)
    r5 = diff_augment(torch.ones(4, 3, 16, 16), ["rot5"], g)     # a plain image stays plain (edge repeats)
    assert torch.allclose(r5, torch.ones_like(r5), atol=1e-5)

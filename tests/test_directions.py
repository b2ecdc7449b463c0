"""Directions (SeFa, GANSpace), preview strips, and edited designs round-tripping exactly."""
from pathlib import Path

import numpy as np
import pytest
import torch

from gan_core.design.directions import directions_for, ganspace_directions, sefa_directions
from gan_core.design.generate import load_generator
from gan_core.design.record import Design
from gan_core.design.render import direction_strips, render, strips_picture
from gan_core.errors import UserError
from gan_core.nets.models import Generator

from helpers import tiny_model

BUNDLED = Path(__file__).resolve().parents[1] / "weights" / "rims-64"


@pytest.fixture(scope="module")
def rims():
    return load_generator(BUNDLED)


@pytest.mark.parametrize("find", [sefa_directions, lambda G, k: ganspace_directions(G, k, samples=300)])
def test_directions_are_orthonormal_and_sorted(find):
    torch.manual_seed(0)
    G = Generator(tiny_model(z_dim=16)).eval()
    dirs, values = find(G, 10)
    assert dirs.shape == (10, 16)
    assert torch.allclose(dirs @ dirs.T, torch.eye(10), atol=1e-5)
    assert (values[:-1] >= values[1:]).all() and (values >= 0).all()
    again, _ = find(G, 10)
    assert torch.equal(dirs, again)  # same directions (and signs) every time


def test_sefa_on_the_bundled_model_is_orthonormal_sorted_and_cached(rims):
    dirs, values = sefa_directions(rims.G)
    assert torch.allclose(dirs @ dirs.T, torch.eye(dirs.shape[0]), atol=1e-5)
    assert (values[:-1] >= values[1:]).all()
    assert directions_for(rims) is directions_for(rims)


def test_top_direction_changes_the_picture_more_than_a_random_direction(rims):
    seeds = range(16)
    top = directions_for(rims)[0]
    rnd = torch.randn(rims.z_dim, generator=torch.Generator().manual_seed(0))
    rnd = rnd / rnd.norm()

    def change(direction):
        z = torch.stack([torch.randn(rims.z_dim, generator=torch.Generator().manual_seed(s)) for s in seeds])
        a, b = rims.from_latents(z - 3 * direction), rims.from_latents(z + 3 * direction)
        return np.abs(a.astype(np.float32) - b.astype(np.float32)).mean()

    assert change(top) > 1.5 * change(rnd)


def test_strips_show_the_design_at_each_amount(rims):
    base = Design.from_seed("weights/rims-64", 3, rims.z_dim)
    strips = direction_strips(rims, base, count=3)
    assert strips.shape == (3, 3, 64, 64) and strips.dtype == np.uint8
    # each tile is the design at that amount; the strips are drawn in one batch and a single design
    # alone, so a pixel may round one grey level apart (CPU kernels differ by batch size)
    def same_picture(a, b):
        return np.abs(a.astype(int) - b).max() <= 1 and (a != b).mean() < 0.001

    assert same_picture(strips[1, 1], render(base, rims))          # amount 0 is the design itself
    assert same_picture(strips[2, 2], render(base.replace(edits={2: 3.0}), rims))
    assert not same_picture(strips[2, 2], render(base.replace(edits={2: 1.5}), rims))
    assert not np.array_equal(strips[0, 0], strips[0, 2])
    picture = strips_picture(strips)
    assert picture.ndim == 2 and picture.shape[0] > 3 * 64


def test_edited_design_saved_and_reopened_gives_identical_pixels(rims, tmp_path):
    design = Design.from_seed("weights/rims-64", 11, rims.z_dim, truncation=0.8).replace(
        edits={0: 2.25, 3: -1.7}, name="thick spokes")
    before = render(design, rims)
    design.save(tmp_path / "d.json")
    again = Design.load(tmp_path / "d.json")
    assert np.array_equal(again.latent, design.latent) and again.edits == design.edits
    assert np.array_equal(render(again, rims), before)
    assert not np.array_equal(before, render(design.replace(edits={}), rims))  # the edits do something


@pytest.mark.parametrize("edits,message", [({0: 3.5}, "between -3 and 3"), ({0: "x"}, "not a number"),
                                           ({"-1": 1.0}, "whole number from 0"),
                                           ({0: float("nan")}, "between -3 and 3")])
def test_edit_values_out_of_range_are_refused(edits, message):
    with pytest.raises(UserError, match=message):
        Design(model="m", latent=np.zeros(8, np.float32), edits=edits)

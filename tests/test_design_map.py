"""The map of designs: similar designs in neighbouring cells, computed once and cached, and a
click on a cell gives the design drawn there."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import make_tiny_model
from gan_core.design.generate import load_generator
from gan_core.errors import UserError
from gan_core.metrics.atlas import grid_layout
from gan_core.train.designmap import PADDING, design_map
from gan_core.design.render import render


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return load_generator(make_tiny_model(tmp_path_factory.mktemp("map") / "m", resolution=16))


def test_map_is_cached_and_a_click_gives_the_design_in_that_cell(tiny, tmp_path):
    m = design_map(tiny, tmp_path, count=36, seed=5, model_ref="run/tiny")
    assert not m.from_cache and (m.cols, m.rows, m.cell) == (6, 6, 16 + PADDING)
    assert sorted(m.seeds.tolist()) == list(range(5, 41))
    again = design_map(tiny, tmp_path, count=36, seed=5, model_ref="run/tiny")
    assert again.from_cache and np.array_equal(again.picture, m.picture) and np.array_equal(again.seeds, m.seeds)
    for row, col in ((0, 0), (2, 3), (5, 5)):
        x0, y0 = PADDING + col * m.cell, PADDING + row * m.cell
        d = m.design_at(x0 + 8, y0 + 8)
        assert d.seed == m.seeds[row * m.cols + col] and d.model == "run/tiny"
        assert np.array_equal(render(d, tiny), m.picture[y0:y0 + 16, x0:x0 + 16])  # the very pixels shown
    with pytest.raises(UserError, match="outside the map"):
        m.design_at(10_000, 5)


def test_layout_puts_similar_pictures_side_by_side():
    """Two kinds of pictures (a disc, a bar, each with small variations) land in two regions:
    most grid neighbours are of the same kind, far more than a random layout gives."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:32, :32]
    pics, kinds = [], []
    for i in range(64):
        kind = i % 2
        r = rng.uniform(6, 10)
        shape = ((yy - 16) ** 2 + (xx - 16) ** 2 < r * r) if kind == 0 else (np.abs(xx - 16) < r / 3)
        pics.append(np.where(shape, 0, 255).astype(np.uint8))
        kinds.append(kind)
    cells, cols, rows = grid_layout(np.stack(pics))
    kinds = np.array(kinds)
    grid = kinds[cells].reshape(rows, cols)
    same = np.mean(np.concatenate([(grid[:, 1:] == grid[:, :-1]).ravel(), (grid[1:] == grid[:-1]).ravel()]))
    assert same > 0.8, same  # random placement: about 0.5


def test_bad_counts_are_refused(tiny, tmp_path):
    with pytest.raises(UserError, match="count must be"):
        design_map(tiny, tmp_path, count=3)

"""Projection: seeds and training images of the bundled model come back; bad input is named."""
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from gan_core.design.generate import load_generator
from gan_core.design.latent import z_from_seeds
from gan_core.design.project import (CLOSE_ERROR, iter_projection, load_critic, picture_error, prepare_target,
                                     project)
from gan_core.design.record import Design
from gan_core.design.render import render
from gan_core.errors import UserError
from gan_core.training.runfolder import RunFolder

from conftest import make_tiny_model
from helpers import shapes_dataset, tiny_train

BUNDLED = Path(__file__).resolve().parents[1] / "weights" / "rims-64"
QUICK = dict(steps=60, starts=2, candidates=200)  # short runs: the tests check direction, the benchmark quality


@pytest.fixture(scope="module")
def rims():
    return load_generator(BUNDLED)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return load_generator(make_tiny_model(tmp_path_factory.mktemp("tiny"), resolution=16))


def test_a_seed_design_is_reconstructed_and_beats_the_best_random_start(rims):
    target = rims.design(1234)
    r = project(rims, target, **QUICK)
    # 0.035 (~9 grey levels on average) is well inside "close" (0.06); 150-step runs reach ~0.013
    assert r.error < 0.035 and r.match == "close"
    assert r.error < r.start_error
    assert r.latent.dtype == np.float32 and abs(np.linalg.norm(r.latent) - np.sqrt(rims.z_dim)) < 1e-3
    d = r.design("weights/rims-64")
    assert d.origin == "projection" and np.array_equal(render(d, rims), r.picture)


def test_a_training_image_ends_closer_than_the_nearest_of_1000_seeds(rims):
    target = RunFolder(BUNDLED).read_training_images()[5]
    seeds = rims.from_latents(z_from_seeds(range(1000), rims.z_dim), batch_size=250)
    nearest = min(picture_error(p, target) for p in seeds)
    r = project(rims, target, **QUICK)
    assert r.error < nearest


def test_stop_keeps_the_best_so_far(tiny):
    target = tiny.design(5)
    calls = []
    events = list(iter_projection(tiny, target, steps=50, starts=2, candidates=50,
                                  should_stop=lambda: len(calls) >= 3 or calls.append(1)))
    r = events[-1].result
    assert events[-1].done and r.stopped and r.steps == 3 and len(events) == 5  # start, 3 steps, done
    assert any("stopped after 3 of 50" in n for n in r.notes)
    assert events[-1].loss == min(e.loss for e in events[:-1])     # the best loss ever seen
    assert np.array_equal(tiny.from_latents(torch.from_numpy(r.latent)[None])[0], r.picture)


def test_colour_target_for_a_grayscale_model_is_converted_and_said(tiny, tmp_path):
    rgb = np.zeros((40, 40, 3), np.uint8)
    rgb[..., 0], rgb[10:30, 10:30] = 200, (10, 120, 250)
    Image.fromarray(rgb).save(tmp_path / "c.png")
    target, notes = prepare_target(tmp_path / "c.png", tiny)
    assert target.shape == (16, 16) and target.dtype == np.uint8
    assert "converted a colour image to grayscale for this grayscale model" in notes
    assert any("resized 40x40" in n for n in notes)


def test_a_design_as_target_needs_no_conversion(tiny):
    design = Design.from_seed("tiny", 2, tiny.z_dim)
    target, notes = prepare_target(design, tiny)
    assert np.array_equal(target, render(design, tiny)) and notes == []


@pytest.mark.parametrize("content,message", [(b"", "empty file"), (b"hello, not a picture", "not a readable image")])
def test_non_image_and_empty_files_are_refused(tiny, tmp_path, content, message):
    (tmp_path / "x.png").write_bytes(content)
    with pytest.raises(UserError, match=message):
        prepare_target(tmp_path / "x.png", tiny)


def test_wrong_sized_target_is_refused(tiny):
    with pytest.raises(UserError, match="16x16 uint8 picture"):
        list(iter_projection(tiny, np.zeros((32, 32), np.uint8), steps=2))


def test_a_model_without_critic_uses_pixel_terms_and_says_so(tiny):
    r = project(tiny, tiny.design(1), steps=3, starts=1, candidates=20)
    assert any("no critic" in n for n in r.notes)


def test_a_run_with_its_critic_uses_it(tmp_path):
    from gan_core.training.trainer import train
    train(tiny_train("dcgan", steps=2), shapes_dataset(), run_dir=tmp_path / "run", evaluate=False)
    assert load_critic(tmp_path / "run") is not None
    model = load_generator(tmp_path / "run")
    target = model.design(7)

    def losses(critic):
        seen = []
        r = project(model, target, steps=3, starts=1, candidates=20, critic=critic, on_progress=seen.append)
        return r, [p.loss for p in seen if p.step > 0]

    r, auto = losses("auto")
    assert not any("no critic" in n for n in r.notes)
    # "auto" takes the run's own critic: step for step the losses of passing that critic, and
    # above the pixel-only ones from the same start (the critic's feature term is added)
    _, given = losses(load_critic(tmp_path / "run"))
    _, pixels = losses(None)
    assert auto == given
    assert auto[0] > pixels[0]
    assert load_critic(tmp_path) is None  # a folder without checkpoint.safetensors

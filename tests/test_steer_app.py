"""Issue 11 through the real app and gradio_client: /directions, /edit, /project, /breed.

Tiny model (bundled/tiny-64 from conftest: 64 px, width 4, z_dim 32), few projection steps.
"""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from conftest import photos

from gan_core.design.generate import load_generator
from gan_core.design.project import picture_error
from gan_core.design.record import Design
from gan_core.design.render import render

MODEL = "bundled/tiny-64"


@pytest.fixture(scope="module")
def client(client_factory):
    return client_factory()


@pytest.fixture(scope="module")
def tiny(studio_app):
    return load_generator(studio_app.weights / "tiny-64")


def seed_design(seed: int, **kw) -> Design:
    return Design.from_seed(MODEL, seed, 32, **kw)


def pixels(path) -> np.ndarray:
    return np.asarray(Image.open(path))


def test_directions_give_strips_and_info(client):
    strips, info = client.predict(MODEL, 5, api_name="/directions")
    assert len(strips) == 5 and info["method"] == "sefa" and len(info["directions"]) == 5
    values = [d["eigenvalue"] for d in info["directions"]]
    assert values == sorted(values, reverse=True)
    first = pixels(strips[0]["image"])
    assert first.shape[1] > 2.5 * first.shape[0]  # three pictures side by side
    for count, message in ((0, "count must be a whole number between 1 and 32"), (2.5, "count must be"),
                           (99, "count must be")):
        with pytest.raises(AppError, match=message):
            client.predict(MODEL, count, api_name="/directions")


def test_edit_gives_the_pixels_a_saved_design_renders(client, tiny, tmp_path):
    design = seed_design(3)
    picture, edited_json = client.predict(json.dumps(design.to_dict()), '{"0": 2.5, "2": -1.5}', api_name="/edit")
    edited = Design.from_dict(json.loads(edited_json))
    assert edited.edits == {0: 2.5, 2: -1.5} and np.array_equal(edited.latent, design.latent)
    # saved as a file and opened again: the same pixels, here and through the API
    reopened = Design.load(edited.save(tmp_path / "design.json"))
    assert np.array_equal(pixels(picture), render(reopened, tiny))
    again, _ = client.predict(json.dumps(reopened.to_dict()), '{"0": 2.5, "2": -1.5}', api_name="/edit")
    assert Path(again).read_bytes() == Path(picture).read_bytes()
    plain, _ = client.predict(json.dumps(design.to_dict()), "{}", api_name="/edit")
    assert not np.array_equal(pixels(plain), pixels(picture))  # the edits do change the design


@pytest.mark.parametrize("design, edits, message", [
    ("not json", "{}", "design_json: expected a JSON object"),
    ("0123456789ab", "{}", "design_json: That design is no longer on your board"),
    ('{"model": "bundled/tiny-64"}', "{}", "design_json: missing latent"),
    (None, '{"0": 5}', "edits: direction 0 amount must be between -3 and 3"),
    (None, '{"x": 1}', "edits: direction 'x' must be a whole number"),
    (None, "{0: 1", "edits_json is not JSON"),
])
def test_edit_bad_inputs(client, design, edits, message):
    design = design or json.dumps(seed_design(1).to_dict())
    with pytest.raises(AppError, match=message):
        client.predict(design, edits, api_name="/edit")


def target_file(tiny, tmp_path: Path, seed: int = 11) -> Path:
    path = tmp_path / f"seed{seed}.png"
    Image.fromarray(tiny.design(seed)).save(path)
    return path


def test_project_streams_and_finishes(client, tiny, tmp_path):
    job = client.submit(handle_file(str(target_file(tiny, tmp_path))), MODEL, 40, api_name="/project")
    result = job.result(timeout=120)
    outputs = job.outputs()
    assert len(outputs) >= 3, outputs  # the starts, at least one step, the result
    assert any("Step " in o[2] for o in outputs)
    target, recon, status, design_json = result
    assert "match" in status and "no critic" in status  # a bundled model keeps no critic
    design = Design.from_dict(json.loads(design_json))
    assert design.origin == "projection" and design.model == MODEL
    # the error the page reports is the saved design's own: its pixels against the target
    said = float(re.search(r"error (\d\.\d+)", status).group(1))
    assert abs(said - picture_error(render(design, tiny), tiny.design(11))) < 6e-4, status


def test_project_bad_inputs(client, tiny, tmp_path):
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    for path, message in ((empty, "empty file"), (text, "not a readable image|cannot identify|not an image")):
        with pytest.raises(AppError, match=message):
            client.submit(handle_file(str(path)), MODEL, 20, api_name="/project").result(timeout=60)
    with pytest.raises(AppError, match="Steps must be"):
        client.submit(handle_file(str(target_file(tiny, tmp_path))), MODEL, 5, api_name="/project").result(timeout=60)
    # a colour photo for this grayscale model: converted, and said
    status = client.submit(handle_file(str(photos(1)[0])), MODEL, 10, api_name="/project").result(timeout=120)[2]
    assert "converted a colour image to grayscale" in status.lower()


def test_stop_keeps_the_best_match_so_far(client, tiny, tmp_path):
    job = client.submit(handle_file(str(target_file(tiny, tmp_path, 5))), MODEL, 1000, api_name="/project")
    t0 = time.time()
    while not any("Step " in o[2] for o in job.outputs()) and time.time() - t0 < 60:
        time.sleep(0.05)
    client.predict(api_name="/project_stop")
    *_, status, design_json = job.result(timeout=60)
    assert "stopped after" in status and design_json
    assert Design.from_dict(json.loads(design_json)).origin == "projection"


def test_breed_is_reproducible_and_checks_its_parents(client):
    a, b = (json.dumps(seed_design(s).to_dict()) for s in (1, 2))
    parents = f"[{a}, {b}]"
    def children(seed):
        tiles, kids = client.predict(parents, 8, 0.3, seed, api_name="/breed")
        assert len(tiles) == 8
        kids = [Design.from_dict(k) for k in json.loads(kids)]
        assert all(k.origin == "breed" for k in kids)
        return [k.latent.tolist() for k in kids], [pixels(t["image"]).tolist() for t in tiles]

    first = children(7)
    assert children(7) == first  # the same latents and pixels for the same seed
    assert children(8)[0] != first[0]
    foreign = json.dumps(Design.from_seed("bundled/other", 4, 32).to_dict())
    for args, message in (
        (f"[{a}]", "breeding needs at least two parent designs; got [01]"),
        ("[]", "breeding needs at least two parent designs; got [01]"),
        (f"[{a}, {foreign}]", "the parents come from different models"),
        ("{oops", "parents_json is not JSON"),
        (f"[{a}, 3]", "parent 2"),
    ):
        with pytest.raises(AppError, match=message):
            client.predict(args, 8, 0.3, 0, api_name="/breed")
    for children, mutation, seed, message in ((0, 0.3, 0, "children must be"),
                                              (8, 1.5, 0, "mutation must be a number between 0 and 1"),
                                              (8, 0.3, -1, "Breeding seed")):
        with pytest.raises(AppError, match=message):
            client.predict(parents, children, mutation, seed, api_name="/breed")


def test_a_stop_reaches_a_projection_still_in_the_queue():
    """The page arms a stop event before its projection queues; Stop sets every armed one, so a
    projection that starts after Stop was pressed ends at once (and an API call gets its own)."""
    from studio.explore.project import StopEvents
    stops = StopEvents()
    stops.arm("v1")
    stops.arm("v1")
    assert stops.stop("v1") == 2
    first, second = stops.take("v1"), stops.take("v1")
    assert first is not second and first.is_set() and second.is_set()
    stops.release("v1", first)
    stops.release("v1", second)
    fresh = stops.take("v1")  # nothing armed (an API call): a fresh event, not a stale stop
    assert not fresh.is_set() and stops.stop("v2") == 0
    stops.release("v1", fresh)
    assert stops.stop("v1") == 0

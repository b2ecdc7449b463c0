"""directions, project, breed and generate --design as a user runs them: subprocesses, real files."""
import json

import numpy as np
import pytest
from PIL import Image

from gan_core.design.generate import load_generator
from gan_core.design.record import Design
from gan_core.design.render import render

from conftest import make_tiny_model
from test_cli import cli


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = make_tiny_model(tmp_path_factory.mktemp("tiny"), resolution=16)
    return folder, load_generator(folder)


@pytest.fixture(scope="module")
def parents(tiny, tmp_path_factory):
    folder, model = tiny
    d = tmp_path_factory.mktemp("parents")
    paths = []
    for s in (1, 2):
        paths.append(Design.from_seed(str(folder), s, model.z_dim).replace(edits={0: 1.5}).save(d / f"p{s}.json"))
    return paths


@pytest.mark.parametrize("cmd", ["directions", "project", "breed"])
def test_help(cmd):
    r = cli(cmd, "--help")
    assert r.returncode == 0 and "usage" in r.stdout


def test_directions_writes_strips_and_directions(tiny, tmp_path):
    folder, model = tiny
    r = cli("directions", "--model", folder, "--out", tmp_path, "--count", 4)
    assert r.returncode == 0, r.stderr
    dirs = np.array(json.loads((tmp_path / "directions.json").read_text())["directions"])
    assert dirs.shape == (4, model.z_dim) and np.allclose(dirs @ dirs.T, np.eye(4), atol=1e-5)
    assert Image.open(tmp_path / "strips.png").size[0] > 3 * 16


def test_project_writes_design_png_and_json_and_prints_the_error(tiny, tmp_path):
    folder, model = tiny
    Image.fromarray(model.design(9)).convert("RGB").resize((40, 40)).save(tmp_path / "target.jpg")
    r = cli("project", "--model", folder, "--image", tmp_path / "target.jpg", "--out", tmp_path / "o",
            "--steps", 5)
    assert r.returncode == 0, r.stderr
    assert "step 5/5" in r.stderr and "resized 40x40" in r.stderr
    assert "error 0." in r.stdout and "match" in r.stdout
    design = Design.load(tmp_path / "o" / "design.json")
    assert design.origin == "projection"
    assert np.array_equal(np.asarray(Image.open(tmp_path / "o" / "design.png")), render(design, model))


def test_project_refuses_an_empty_file(tiny, tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    r = cli("project", "--model", tiny[0], "--image", tmp_path / "empty.png", "--out", tmp_path / "o")
    assert r.returncode == 2 and "empty file (0 bytes)" in r.stderr and "Traceback" not in r.stderr


def test_breed_writes_a_png_and_a_design_per_child(tiny, parents, tmp_path):
    folder, model = tiny
    r = cli("breed", "--model", folder, "--parents", ",".join(map(str, parents)), "--out", tmp_path,
            "--children", 3, "--seed", 4, "--mutation", 0.2)
    assert r.returncode == 0, r.stderr
    for i in (1, 2, 3):
        kid = Design.load(tmp_path / f"child{i:02d}.json")
        assert kid.origin == "breed"
        assert np.array_equal(np.asarray(Image.open(tmp_path / f"child{i:02d}.png")), render(kid, model))


def test_breed_with_one_parent_is_refused(tiny, parents, tmp_path):
    r = cli("breed", "--model", tiny[0], "--parents", parents[0], "--out", tmp_path)
    assert r.returncode == 2 and "at least two parent designs; got 1" in r.stderr


def test_generate_design_renders_the_saved_design_exactly(tiny, parents, tmp_path):
    folder, model = tiny
    r = cli("generate", "--model", folder, "--design", parents[0], "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    assert np.array_equal(np.asarray(Image.open(tmp_path / "p1.png")), render(Design.load(parents[0]), model))
    r = cli("generate", "--model", folder, "--out", tmp_path)
    assert r.returncode == 2 and "either --seeds" in r.stderr

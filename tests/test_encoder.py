"""The instant-projection encoder: trains, saves, loads; a missing, corrupt or stale file falls
back with a one-line reason; the bundled encoders reconstruct held-out designs far better than a
random latent does; projection starts from its guess."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import make_tiny_model
from gan_core.design.encoder import ENCODER_FILE, encode, load_encoder, train_encoder
from gan_core.design.generate import load_generator
from gan_core.design.latent import z_from_seeds
from gan_core.design.project import picture_error, project
from gan_core.errors import UserError

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = make_tiny_model(tmp_path_factory.mktemp("enc") / "m", resolution=16)
    model = load_generator(folder)
    train_encoder(model, folder, steps=40, seconds=60)
    return folder, model


def test_trains_saves_and_loads_the_same_encoder(tiny):
    folder, model = tiny
    path = folder / ENCODER_FILE
    assert path.is_file() and path.stat().st_size < 2_000_000
    E, why = load_encoder(folder, model)
    assert E is not None and why == ""
    pic = model.generate([5])[0]
    z1 = encode(model, E, pic)
    E2, _ = load_encoder(folder, model)
    assert torch.equal(z1, encode(model, E2, pic))  # same file -> same z
    assert z1.shape == (model.z_dim,) and abs(float(z1.norm()) - model.z_dim ** 0.5) < 1e-3


def test_missing_corrupt_and_stale_files_fall_back_with_a_reason(tiny, tmp_path):
    folder, model = tiny
    E, why = load_encoder(tmp_path, model)
    assert E is None and "no encoder" in why and "optimiser" in why
    (tmp_path / ENCODER_FILE).write_bytes(b"\x00garbage" * 10)
    E, why = load_encoder(tmp_path, model)
    assert E is None and "unreadable" in why and "optimiser" in why
    other = load_generator(make_tiny_model(tmp_path / "other", resolution=16, seed=1))
    (tmp_path / ENCODER_FILE).write_bytes((folder / ENCODER_FILE).read_bytes())
    E, why = load_encoder(tmp_path, other)  # trained for another generator's weights
    assert E is None and "another version" in why


def test_bad_inputs_are_refused(tiny):
    folder, model = tiny
    with pytest.raises(UserError, match="seconds must be between"):
        train_encoder(model, folder, seconds=0)
    E, _ = load_encoder(folder, model)
    with pytest.raises(UserError, match="16x16 uint8 picture"):
        encode(model, E, np.zeros((64, 64), np.uint8))
    with pytest.raises(UserError, match="init_z must be"):
        project(model, model.generate([1])[0], steps=2, init_z=np.zeros(3))


@pytest.mark.parametrize("name", ["rims-64", "rims-colour-64"])
def test_bundled_encoder_beats_a_random_latent_on_held_out_designs(name):
    folder = REPO / "weights" / name
    model = load_generator(folder)
    E, why = load_encoder(folder, model)
    assert E is not None, why
    targets = model.from_latents(z_from_seeds(range(2_000_000, 2_000_012), model.z_dim))
    guesses = model.from_latents(torch.stack([encode(model, E, t) for t in targets]))
    randoms = model.from_latents(z_from_seeds(range(12), model.z_dim))
    e_err = np.mean([picture_error(g, t) for g, t in zip(guesses, targets)])
    r_err = np.mean([picture_error(r, t) for r, t in zip(randoms, targets)])
    assert e_err < 0.6 * r_err, (e_err, r_err)


def test_projection_from_the_encoders_guess_keeps_or_improves_it(tiny):
    folder, model = tiny
    E, _ = load_encoder(folder, model)
    target = model.generate([123])[0]
    z = encode(model, E, target)
    start = picture_error(model.from_latents(z[None])[0], target)
    r = project(model, target, steps=10, starts=2, seconds=5.0, init_z=z, critic=None)
    assert r.steps >= 1 and r.error <= start * 1.05 + 0.002  # loss and error rank alike, not exactly


def test_a_finished_run_trains_its_encoder_when_asked(tmp_path):
    from gan_core.training.presets import preset
    from gan_core.training.trainer import train
    data = torch.rand(8, 1, 16, 16) * 2 - 1
    cfg = preset("quick", resolution=16, steps=3, width=4, z_dim=8, batch_size=4, sample_every=10**6)
    plain = train(cfg, data, run_dir=tmp_path / "plain", evaluate=False)
    assert plain.state == "finished" and not (tmp_path / "plain" / ENCODER_FILE).exists()
    r = train(cfg, data, run_dir=tmp_path / "run", evaluate=False, encoder_seconds=1.0)
    assert r.state == "finished" and any("encoder" in m for m in r.messages)
    E, why = load_encoder(tmp_path / "run", load_generator(tmp_path / "run"))
    assert E is not None, why


def test_cli_trains_an_encoder_beside_the_model(tmp_path, capsys):
    from gan_core.cli import main
    folder = make_tiny_model(tmp_path / "m", resolution=16)
    assert main(["encoder", "--model", str(folder), "--seconds", "1"]) == 0
    assert "wrote" in capsys.readouterr().out
    assert load_encoder(folder, load_generator(folder))[0] is not None
    assert main(["encoder", "--model", str(folder), "--seconds", "0"]) == 2
    assert "seconds must be between 1 and 3600" in capsys.readouterr().err


def test_cli_trains_a_fixed_number_of_steps_and_refuses_a_bad_count(tmp_path, capsys):
    from gan_core.checkpoint import load_tensors
    from gan_core.cli import main
    folder = make_tiny_model(tmp_path / "m", resolution=16)
    assert main(["encoder", "--model", str(folder), "--steps", "7"]) == 0
    assert "7 steps" in capsys.readouterr().err
    _, meta = load_tensors(folder / ENCODER_FILE)
    assert meta["training"]["steps"] == 7
    for bad in ("0", "-3"):
        assert main(["encoder", "--model", str(folder), "--steps", bad]) == 2
        assert "steps must be a whole number between 1 and 100000" in capsys.readouterr().err

"""scripts/pretrain_on_device.py on this CPU (the device machine runs the same code on its GPU): the corpus
packs and unpacks byte for byte, a segment from the shipped base is exported and its files come back, the
base that came back replaces the shipped one only when it loads as that base, and a missing pack or a
foreign base is named."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

import helpers

REPO = Path(__file__).resolve().parents[1]


def load_script():
    return helpers.load_script("pretrain_on_device")


def tiny_corpus(folder: Path, n: int = 48) -> Path:
    """A gray 64 px corpus as build_corpus.py writes it: squares and discs, with a manifest."""
    from gan_core.data.datastore import write_store
    rng = np.random.default_rng(0)
    pictures = []
    for i in range(n):
        img = np.full((64, 64), 255, np.uint8)
        x, y, r = rng.integers(12, 52), rng.integers(12, 52), rng.integers(4, 12)
        yy, xx = np.mgrid[:64, :64]
        img[((xx - x) ** 2 + (yy - y) ** 2 < r * r) if i % 2 else ((abs(xx - x) < r) & (abs(yy - y) < r))] = 0
        pictures.append((f"shape-{i}", img))
    folder.mkdir(parents=True)
    write_store(pictures, folder / "gray-64.u8", 64, 1)
    (folder / "gray.manifest.json").write_text(json.dumps({"images": n, "sets": []}))
    return folder


def test_a_segment_packs_runs_there_and_comes_back_into_weights(tmp_path, monkeypatch, capsys):
    script = load_script()
    corpus = tiny_corpus(tmp_path / "corpus")
    weights = tmp_path / "weights"
    shutil.copytree(REPO / "weights" / "base-gray-64", weights / "base-gray-64")
    monkeypatch.setenv("DESIGN_STUDIO_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("STUDIO_WEIGHTS_DIR", str(weights))
    pack = tmp_path / "pack"
    assert script.pack("gray-64", pack) == 0
    assert script.unpack_corpus("gray-64", pack, tmp_path / "again")
    assert (tmp_path / "again" / "gray-64.u8").read_bytes() == (corpus / "gray-64.u8").read_bytes()
    assert "warning" not in capsys.readouterr().err
    monkeypatch.setattr(script, "CARRY_LIMIT", 2**20)  # a call that carries 1 MiB: the tree alone is over
    assert script.pack("gray-64", pack) == 0 and "MiB over the 1 MiB a device call carries; move aside" in \
        capsys.readouterr().err

    # "there": another machine's weights/ (the same shipped base), the corpus only from the pack
    there = tmp_path / "there"
    shutil.copytree(weights, there)
    monkeypatch.setenv("STUDIO_WEIGHTS_DIR", str(there))
    monkeypatch.setenv("DESIGN_STUDIO_CORPUS_DIR", str(tmp_path / "nowhere"))
    out = tmp_path / "out"
    assert script.run("gray-64", 0.05, out, pack, threads=1) == 0
    back = out / "base-gray-64"
    assert sorted(p.name for p in back.iterdir()) == sorted(script.BACK)
    segments = json.loads((back / "config.json").read_text())["pretraining"]["segments"]
    shipped = json.loads((weights / "base-gray-64" / "config.json").read_text())["pretraining"]["segments"]
    assert segments[:-1] == shipped and segments[-1]["started_from"] == "base-gray-64"  # a run of its own

    # back here: it replaces the shipped base, which it loads as
    monkeypatch.setenv("STUDIO_WEIGHTS_DIR", str(weights))
    assert script.unpack("gray-64", back) == 0
    here = weights / "base-gray-64"
    assert (here / "model.safetensors").read_bytes() == (back / "model.safetensors").read_bytes()
    assert "probe it before you commit it" in capsys.readouterr().out


def test_a_missing_pack_and_a_foreign_base_are_named(tmp_path, monkeypatch, capsys):
    script = load_script()
    weights = tmp_path / "weights"
    shutil.copytree(REPO / "weights" / "base-gray-64", weights / "base-gray-64")
    monkeypatch.setenv("STUDIO_WEIGHTS_DIR", str(weights))
    assert script.run("gray-64", 0.05, tmp_path / "out", tmp_path / "no-pack") == 2
    assert "gray-64.u8.xz is missing: run 'pack gray-64'" in capsys.readouterr().err
    before = (weights / "base-gray-64" / "model.safetensors").read_bytes()
    assert script.unpack("gray-64", REPO / "weights" / "base-colour-64") == 2  # 3 channels, not 1
    assert "is not a gray-64 base" in capsys.readouterr().err
    assert (weights / "base-gray-64" / "model.safetensors").read_bytes() == before


def test_the_repository_fits_what_a_device_call_carries():
    """A GPU machine is lent with the working tree copied over, 64 MiB at most with what is carried: a
    repository over it could run no GPU check and no pretraining segment there (the shipped bases carry
    no animation for this reason). The pack of a 64 px corpus needs ~15 MiB more."""
    import pytest
    script = load_script()
    tree = script.tree_bytes()
    if not tree:
        pytest.skip("not a git checkout")
    assert tree < script.CARRY_LIMIT, f"{tree / 2**20:.1f} MiB of files would travel"

"""The generator shipped in weights/: Explore opens on it, so it must load fast and be complete."""
import json
from pathlib import Path

import numpy as np
import pytest

from gan_core.checkpoint import load_tensors
from gan_core.design.generate import load_generator
from gan_core.training.bases import CRITIC_PREFIX, base_label
from gan_core.training.runfolder import RunFolder
from studio.models_cache import bundled_models

WEIGHTS = Path(__file__).resolve().parents[1] / "weights"
BUNDLED = bundled_models(WEIGHTS)  # what Explore lists
BASES = [p for p in BUNDLED if base_label(p.name)]
DESIGN_MODELS = [p for p in BUNDLED if not base_label(p.name)]


def test_there_is_a_bundled_64px_model():
    assert any(load_generator(p).config.resolution == 64 for p in BUNDLED)


@pytest.mark.parametrize("folder", BUNDLED, ids=lambda p: p.name)
def test_bundled_model_loads_and_generates_on_cpu(folder):
    # how fast (the 1 s bound Explore needs) is measured by benchmarks/bench_generate.py, not asserted here
    model = load_generator(folder, device="cpu")
    pics = model.generate(range(16))
    assert pics.shape[0] == 16 and pics.dtype == np.uint8
    assert len({p.tobytes() for p in pics}) == 16  # different seeds, different designs
    # the same design alone as in a batch of 16; batch and single CPU kernels may round one pixel one grey
    # level apart (seen on base-colour-64: 1 of 12,288 values, 53 vs 54), never more
    alone = model.generate([3])[0].astype(int)
    assert np.abs(alone - pics[3].astype(int)).max() <= 1 and (alone != pics[3]).mean() < 0.001


@pytest.mark.parametrize("folder", DESIGN_MODELS, ids=lambda p: p.name)
def test_bundled_model_is_small_and_documented(folder):
    assert (folder / "model.safetensors").stat().st_size < 8 * 2**20  # a few MB
    card = (folder / "README.md").read_text(encoding="utf-8")
    for needle in ("## Training data", "hardware", "python -m gan_core train", "final_grid.png"):
        assert needle in card
    # its own settings, not a preset's name: presets change, the card's command must still reproduce it
    assert f"--config weights/{folder.name}/config.json" in card and "--preset" not in card
    assert (folder / "final_grid.png").is_file()
    assert not list(folder.glob("checkpoint*")) and not list(folder.glob("*.pt"))
    pictures = RunFolder(folder).read_training_images()  # for Explore's nearest-training-image view
    assert pictures is not None and pictures.shape[1:3] == (64, 64)


@pytest.mark.parametrize("folder", BASES, ids=lambda p: p.name)
def test_base_model_holds_G_and_D_and_its_card_names_corpus_licences_and_time(folder):
    tensors, _ = load_tensors(folder / "model.safetensors")
    assert any(k.startswith(CRITIC_PREFIX) for k in tensors)  # fine-tuning needs D too
    assert (folder / "model.safetensors").stat().st_size < 16 * 2**20
    card = (folder / "README.md").read_text(encoding="utf-8")
    for needle in ("## Training data", "CORPUS.md", "CC-BY", "hardware", "scripts/pretrain_base.py",
                   "final_grid.png", "steps"):
        assert needle in card, needle
    info = json.loads((folder / "config.json").read_text())
    assert info["pretraining"]["steps"] > 0 and info["pretraining"]["seconds"] > 0
    assert (folder / "final_grid.png").is_file() and not list(folder.glob("checkpoint*"))

"""The generator shipped in weights/: Explore opens on it, so it must load fast and be complete."""
from pathlib import Path

import numpy as np
import pytest

from gan_core.generate import load_generator
from gan_core.runfolder import RunFolder
from studio.models_cache import bundled_models

WEIGHTS = Path(__file__).resolve().parents[1] / "weights"
BUNDLED = bundled_models(WEIGHTS)  # what Explore lists


def test_there_is_a_bundled_64px_model():
    assert any(load_generator(p).config.resolution == 64 for p in BUNDLED)


@pytest.mark.parametrize("folder", BUNDLED, ids=lambda p: p.name)
def test_bundled_model_loads_and_generates_on_cpu(folder):
    # how fast (the 1 s bound Explore needs) is measured by benchmarks/bench_generate.py, not asserted here
    model = load_generator(folder, device="cpu")
    pics = model.generate(range(16))
    assert pics.shape[0] == 16 and pics.dtype == np.uint8
    assert len({p.tobytes() for p in pics}) == 16  # different seeds, different designs
    np.testing.assert_array_equal(model.generate([3])[0], pics[3])


@pytest.mark.parametrize("folder", BUNDLED, ids=lambda p: p.name)
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

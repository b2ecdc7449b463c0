"""Colour end to end: colour photos -> colour cleanup -> 3-channel dataset -> training ->
grids, generation, morph, PNG/GIF export and the quality report, all in colour."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageSequence

from gan_core.data.datasets import load_dataset, save_dataset
from gan_core.data.images import save_png
from gan_core.data.preprocess import CleanupConfig
from gan_core.design.generate import load_generator
from gan_core.export.animation import save_gif
from gan_core.metrics.quality import format_report
from gan_core.training.runfolder import RunFolder
from gan_core.training.trainer import train

from helpers import tiny_train
from test_colour_cleanup import photo


def _is_colour(pictures: np.ndarray) -> bool:
    """Channels that differ somewhere: not a grey picture stored as RGB."""
    p = pictures.astype(int)
    return p.shape[-1] == 3 and np.abs(p[..., 0] - p[..., 2]).max() > 10


@pytest.mark.parametrize("upsample", ["transpose", "nearest"])
def test_three_channel_train_generate_morph_export(tmp_path, upsample):
    raw = tmp_path / "raw"
    raw.mkdir()
    for i in range(10):
        Image.fromarray(photo(light=i % 2 == 0, size=64, seed=i)).save(raw / f"p{i}.jpg", quality=92)
    data = load_dataset(raw, resolution=16, channels=3, cleanup=CleanupConfig(mode="color", crop=True, size=16))
    assert data.images.shape == (10, 3, 16, 16) and _is_colour(data.pictures())
    folder = save_dataset(data, None, tmp_path / "clean")
    again = load_dataset(folder, resolution=16, channels=3)
    assert _is_colour(again.pictures())

    cfg = tiny_train("dcgan", steps=6, model={"channels": 3, "g_upsample": upsample}, lecam_weight=0.1, ada_target=0.6)
    result = train(cfg, again, run_dir=tmp_path / "run")
    assert result.state == "finished"
    grid = np.asarray(Image.open(result.run_dir / "final_grid.png"))
    assert grid.ndim == 3 and grid.shape[2] == 3 and _is_colour(grid)
    # the progress GIF: one frame per saved grid (steps 3 and 6), each that grid, in colour
    saved = [np.asarray(Image.open(p).convert("RGB")).astype(int) for p in RunFolder(result.run_dir).grid_files()]
    frames = [np.asarray(f.convert("RGB")).astype(int)
              for f in ImageSequence.Iterator(Image.open(result.run_dir / "progress.gif"))]
    shown = [f for i, f in enumerate(frames) if i == 0 or not np.array_equal(f, frames[i - 1])]  # less the hold
    assert len(saved) == 2 and len(shown) == len(saved)
    for frame, saved_grid in zip(shown, saved):
        assert _is_colour(saved_grid) and _is_colour(frame) and np.abs(frame - saved_grid).mean() < 3
    assert result.metrics["channels"] == 3 and result.metrics["palette"] > 0
    assert "Palette" in format_report(result.metrics)

    model = load_generator(result.run_dir)
    assert model.config.g_upsample == upsample
    designs = model.generate([1, 2, 3])
    assert designs.shape == (3, 16, 16, 3) and all(_is_colour(d) for d in designs)
    np.testing.assert_array_equal(designs[0], model.design(1))
    png = Image.open(save_png(designs[0], tmp_path / "d.png", upscale_factor=2))
    assert png.mode == "RGB" and png.size == (32, 32) and _is_colour(np.asarray(png))
    frames = model.morph([1, 2], frames=6)
    assert frames.shape == (6, 16, 16, 3) and all(_is_colour(f) for f in frames)
    gif = Image.open(save_gif(frames, tmp_path / "m.gif"))
    assert gif.n_frames == 6
    gif.seek(0)
    first = np.asarray(gif.convert("RGB")).astype(int)
    assert first.shape == (16, 16, 3) and np.abs(first - frames[0]).mean() < 3  # the frame, in RGB
    assert _is_colour(first)

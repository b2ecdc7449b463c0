import imageio.v2 as imageio
import numpy as np
import pytest
import torch
from PIL import Image

from gan_core.data.images import from_uint8, make_grid, save_png, to_uint8
from gan_core.design.generate import load_generator, save_generator
from gan_core.errors import UserError
from gan_core.export.animation import save_animation, save_gif, save_grid, save_mp4
from gan_core.nets.models import Generator

from helpers import tiny_model


@pytest.fixture
def model_dir(tmp_path):
    torch.manual_seed(0)
    G = Generator(tiny_model(channels=3))
    return save_generator(G, tmp_path / "gen")


def test_save_load_identical_images(tmp_path):
    torch.manual_seed(0)
    G = Generator(tiny_model()).eval()
    save_generator(G, tmp_path / "g")
    loaded = load_generator(tmp_path / "g")
    z = torch.randn(4, 8)
    with torch.no_grad():
        np.testing.assert_array_equal(to_uint8(G(z)), loaded.from_latents(z))
    assert set(p.name for p in (tmp_path / "g").iterdir()) == {"config.json", "model.safetensors"}


def test_same_seed_same_image_and_batch_independent(model_dir):
    m = load_generator(model_dir)
    a = m.generate([5, 6, 7])
    assert a.shape == (3, 16, 16, 3) and a.dtype == np.uint8
    np.testing.assert_array_equal(m.design(6), a[1])  # batch composition does not matter
    assert not np.array_equal(a[0], a[1])
    np.testing.assert_array_equal(load_generator(model_dir / "model.safetensors").design(5), a[0])


def test_load_refuses_pickles_and_bad_folders(tmp_path, model_dir):
    (tmp_path / "evil").mkdir()
    (tmp_path / "evil" / "model.pt").write_bytes(b"\x80\x04not really")
    with pytest.raises(UserError, match="only safetensors"):
        load_generator(tmp_path / "evil")
    with pytest.raises(UserError, match="only .safetensors"):
        load_generator(tmp_path / "evil" / "model.pt")
    with pytest.raises(UserError, match="no such folder"):
        load_generator(tmp_path / "missing")
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "model.safetensors").write_bytes(b"garbage bytes")
    (tmp_path / "junk" / "config.json").write_text('{"model": {}}')
    with pytest.raises(UserError, match="not a valid safetensors"):
        load_generator(tmp_path / "junk")


def test_config_is_validated_before_building(model_dir):
    import json
    cfg = json.loads((model_dir / "config.json").read_text())
    cfg["model"]["width"] = 10**6
    (model_dir / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(UserError, match="width"):
        load_generator(model_dir)


def test_image_conversions_round_trip():
    pics = np.random.default_rng(0).integers(0, 256, (3, 8, 8), dtype=np.uint8)
    np.testing.assert_array_equal(to_uint8(from_uint8(pics, channels=1)), pics)
    rgb = np.random.default_rng(1).integers(0, 256, (2, 8, 8, 3), dtype=np.uint8)
    np.testing.assert_array_equal(to_uint8(from_uint8(rgb)), rgb)
    grid = make_grid(pics, nrow=3, padding=2)
    assert grid.shape == (12, 32)


def test_png_upscale_and_grid(tmp_path, model_dir):
    m = load_generator(model_dir)
    p = save_png(m.design(1), tmp_path / "d.png", upscale_factor=4)
    assert Image.open(p).size == (64, 64)
    g = save_grid(m.generate(range(9)), tmp_path / "grid.png", nrow=3)
    assert Image.open(g).size == (3 * 16 + 4 * 2,) * 2


def test_morph_gif_and_browser_playable_mp4(tmp_path, model_dir):
    m = load_generator(model_dir)
    frames = m.morph([3, 7, 11], frames=12, loop=True)
    assert frames.shape == (12, 16, 16, 3)
    gif = save_gif(frames, tmp_path / "m.gif", scale=2)
    assert Image.open(gif).n_frames == 12
    mp4 = save_mp4(frames, tmp_path / "m.mp4", scale=2)
    reader = imageio.get_reader(str(mp4))
    meta = reader.get_meta_data()
    assert meta["codec"] == "h264" and meta.get("pix_fmt", "").startswith("yuv420p")
    assert sum(1 for _ in reader) == 12
    with pytest.raises(UserError, match=".gif or .mp4"):
        save_animation(frames, tmp_path / "m.avi")

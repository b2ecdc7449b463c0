import json
import shutil
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from badfiles import design, make_bad_corpus, make_good_corpus, png_bytes, zip_bytes
from conftest import photos
from gan_core.data.collect import collect_images
from gan_core.data.datasets import Dataset, cleanup_folder, load_dataset, save_dataset
from gan_core.data.imagefile import ImageReadError, read_image
from gan_core.data.preprocess import CleanupConfig
from gan_core.errors import UserError


@pytest.fixture
def mixed(tmp_path):
    folder = tmp_path / "mixed"
    bad = make_bad_corpus(folder)
    good = make_good_corpus(folder)
    (folder / ".DS_Store").write_bytes(b"junk")  # hidden: ignored silently
    return folder, good, bad


def test_every_bad_file_is_reported_with_its_reason(mixed):
    folder, good, bad = mixed
    assert len(bad) >= 12
    found, skipped = collect_images(folder)
    reasons = {s.name: s.reason for s in skipped}
    assert set(reasons) == set(bad)
    for name, expected in bad.items():
        assert expected in reasons[name], (name, reasons[name])
    assert {name: im.mode for name, im in found} == good


def test_awkward_formats_are_converted_faithfully(mixed):
    folder, _, _ = mixed
    images = dict(collect_images(folder)[0])
    d = design(32)
    disc, paper = np.argwhere(d == 0)[0], np.argwhere(d == 255)[0]
    for name, im in images.items():
        a = np.asarray(im.convert("L")).astype(int)
        tol = 12 if name.endswith(".jpg") else 0
        if name == "palette.png":  # blue disc on transparent -> blue on white
            assert tuple(np.asarray(im)[tuple(disc)]) == (0, 0, 255)
            assert tuple(np.asarray(im)[tuple(paper)]) == (255, 255, 255)
            continue
        assert abs(a[tuple(disc)] - 0) <= tol and abs(a[tuple(paper)] - 255) <= tol, name


def test_read_image_raises_user_error_naming_the_file(tmp_path):
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    with pytest.raises(UserError, match="empty.png: empty file"):
        read_image(path)
    Image.fromarray(design(64)).save(tmp_path / "big.png")
    with pytest.raises(ImageReadError, match="too many pixels: 64x64") as e:
        read_image(tmp_path / "big.png", max_pixels=1000)
    assert e.value.reason.startswith("too many pixels")


def test_exif_orientation_applied_when_reading(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.new("RGB", (40, 20), "white").save(tmp_path / "r.jpg", exif=exif)
    assert read_image(tmp_path / "r.jpg").size == (20, 40)


def test_load_dataset_tensor(mixed):
    folder, good, bad = mixed
    ds = load_dataset(folder, resolution=16, channels=1)
    assert isinstance(ds, Dataset) and len(ds) == len(good)
    assert ds.images.shape == (len(good), 1, 16, 16) and ds.images.dtype == torch.float32
    assert ds.images.is_contiguous()
    assert ds.images.min() >= -1 and ds.images.max() <= 1
    assert ds.images.min() < -0.9 and ds.images.max() > 0.9
    assert ds.names == sorted(good) and ds.resolution == 16 and ds.channels == 1
    assert len(ds.skipped) == len(bad)
    pics = ds.pictures()
    assert pics.dtype == np.uint8 and pics.shape == (len(good), 16, 16)
    rgb = load_dataset(folder, resolution=32, channels=3)
    assert rgb.images.shape == (len(good), 3, 32, 32) and rgb.to("cpu").images.shape == rgb.images.shape


def test_uncleaned_images_are_padded_with_their_border_colour(tmp_path):
    a = np.full((20, 40), 100, np.uint8)
    a[5:15, 15:25] = 0
    Image.fromarray(a).save(tmp_path / "wide.png")
    pic = load_dataset(tmp_path, resolution=16).pictures()[0]
    assert pic[0, 0] == 100 and pic[15, 15] == 100 and pic[8, 8] < 50


def test_cleanup_is_applied(tmp_path):
    photo = np.full((60, 90, 3), 40, np.uint8)
    photo[10:40, 20:50] = 210  # light square on a dark background, off-centre
    Image.fromarray(photo).save(tmp_path / "photo.png")
    cfg = CleanupConfig(background="border", auto_threshold=True, crop=True, margin=0.0)
    pic = load_dataset(tmp_path, resolution=32, cleanup=cfg).pictures()[0]
    assert (pic == 0).all()  # the square fills the frame, black
    cfg = CleanupConfig(background="border", auto_threshold=True, invert=True)
    pic = load_dataset(tmp_path, resolution=32, cleanup=cfg).pictures()[0]
    assert pic[0, 0] == 0 and pic[-1, -1] == 0  # inverted: padding is black too


def test_no_usable_images_message(tmp_path):
    bad = make_bad_corpus(tmp_path / "bad")
    with pytest.raises(UserError) as e:
        load_dataset(tmp_path / "bad")
    msg = str(e.value)
    assert msg.startswith(f"No usable images in {tmp_path / 'bad'}: {len(bad)} files skipped")
    assert "README: not an image file type (no extension)" in msg and "Add at least one PNG" in msg
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="it holds no files"):
        load_dataset(tmp_path / "empty")
    with pytest.raises(UserError, match="does not exist"):
        load_dataset(tmp_path / "nowhere")


@pytest.mark.parametrize("kwargs, field", [(dict(resolution=48), "resolution"),
                                           (dict(channels=2), "channels")])
def test_load_dataset_validates(tmp_path, kwargs, field):
    with pytest.raises(UserError, match=field):
        load_dataset(tmp_path, **kwargs)


def test_zip_input_with_a_traversal_entry(tmp_path):
    z = tmp_path / "designs.zip"
    z.write_bytes(zip_bytes({"a.png": png_bytes(0), "sub/b.png": png_bytes(1), "../evil.png": png_bytes(2),
                             "__MACOSX/._a.png": b"x", "notes.txt": b"hi", "inner.zip": b"PK"}))
    ds = load_dataset(z, resolution=16)
    assert ds.names == ["a.png", "sub/b.png"]
    reasons = {s.name: s.reason for s in ds.skipped}
    assert "outside the extraction folder" in reasons["../evil.png"]
    assert "not an image file type" in reasons["notes.txt"]
    assert "zip inside a zip" in reasons["inner.zip"]
    assert not (tmp_path / "evil.png").exists()


def test_list_input_like_a_gradio_upload(tmp_path):
    (tmp_path / "u1").mkdir()
    (tmp_path / "u2").mkdir()
    (tmp_path / "u1" / "same.png").write_bytes(png_bytes(0))
    (tmp_path / "u2" / "same.png").write_bytes(png_bytes(1))  # two uploads with one name
    (tmp_path / "u2" / "pack.zip").write_bytes(zip_bytes({"z.png": png_bytes(2)}))
    (tmp_path / "u2" / "bad.png").write_bytes(b"")
    files = [str(tmp_path / "u1" / "same.png"), tmp_path / "u2" / "same.png",
             str(tmp_path / "u2" / "pack.zip"), str(tmp_path / "u2" / "bad.png"),
             str(tmp_path / "gone.png")]
    ds = load_dataset(files, resolution=16)
    assert ds.names == ["same.png", "same~2.png", "z.png"]
    assert {s.name: s.reason for s in ds.skipped} == {"bad.png": "empty file (0 bytes)",
                                                       "gone.png": "file not found"}
    assert not torch.equal(ds.images[0], ds.images[1])
    with pytest.raises(UserError, match="No usable images in the 1 uploaded file: 1 files skipped"):
        load_dataset([str(tmp_path / "u2" / "bad.png")])


def test_save_dataset_round_trip(tmp_path, mixed):
    folder, good, bad = mixed
    ds = load_dataset(folder, resolution=32, channels=3)
    out = save_dataset(ds, None, tmp_path / "saved")
    meta = json.loads((out / "dataset.json").read_text())
    assert meta["count"] == len(good) and meta["resolution"] == 32 and meta["channels"] == 3
    assert len(meta["skipped"]) == len(bad)
    again = load_dataset(out, resolution=32, channels=3)
    assert again.skipped == []  # dataset.json is ours, not a skipped file
    assert torch.equal(again.images, ds.images)
    with pytest.raises(UserError, match="already exists"):
        save_dataset(ds, None, out)
    pics = np.stack([design(16, 0), design(16, 1)])
    save_dataset(pics, ["x/a.png", "b c.jpg"], out, overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "b_c.png", "dataset.json"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left


def test_cleanup_folder_writes_same_stems(tmp_path):
    src = tmp_path / "raw"
    src.mkdir()
    photo = np.full((40, 60, 3), 30, np.uint8)
    photo[10:30, 10:20] = 220
    Image.fromarray(photo).save(src / "one.jpg", quality=95)
    Image.fromarray(photo[:, ::-1]).save(src / "two.png")
    (src / "notes.txt").write_text("x")
    cfg = CleanupConfig(background="border", auto_threshold=True)
    written, skipped = cleanup_folder(src, tmp_path / "clean", cfg)
    assert [p.name for p in written] == ["one.png", "two.png"]
    assert Image.open(written[1]).size == (60, 40) and Image.open(written[1]).mode == "L"
    assert [s.name for s in skipped] == ["notes.txt"]
    with pytest.raises(UserError, match="inside the input folder"):
        cleanup_folder(src, src / "out", cfg)


def test_real_raw_icons_load_with_cleanup(tmp_path):
    files = photos(4)
    z = tmp_path / "raw.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for f in files:
            zf.write(f, f.name)
    shutil.copy(files[0], tmp_path / "extra.jpg")
    cfg = CleanupConfig(background="border", auto_threshold=True, crop=True)
    ds = load_dataset([z, tmp_path / "extra.jpg"], resolution=32, cleanup=cfg)
    assert len(ds) == 5 and ds.skipped == []
    pics = ds.pictures()
    assert (pics[:, 0, :] > 200).all()  # white margins: the icon is cropped and centred

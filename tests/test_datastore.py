"""Datasets of thousands: uint8 on the device, memory-mapped past the budget, prepared on all cores."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from gan_core.data import datastore
from gan_core.data.collect import POOL_MIN_FILES
from gan_core.data.datasets import cleanup_folder, load_dataset
from gan_core.data.images import from_uint8
from gan_core.data.preprocess import CleanupConfig
from gan_core.training.runfolder import RunFolder
from gan_core.training.trainer import Trainer

from helpers import shapes_dataset, tiny_train


def test_uint8_store_gives_the_float_batches_bit_for_bit(tmp_path):
    pictures = np.random.default_rng(0).integers(0, 256, (10, 16, 16, 3), dtype=np.uint8)  # every grey level
    x = from_uint8(pictures, channels=3)  # what load_dataset hands the trainer
    store = datastore.to_store(x, torch.device("cpu"), budget_bytes=10 ** 9, spill_path=None)
    assert store.u8 is not None and store.u8.dtype == torch.uint8 and store.nbytes == x.numel()  # 4x smaller
    idx = torch.tensor([3, 0, 7])
    assert torch.equal(store.batch(idx), x[idx])
    noisy = torch.rand(4, 1, 16, 16) * 2 - 1  # not uint8 values: kept as float, nothing rounded
    assert datastore.to_store(noisy, torch.device("cpu"), 10 ** 9, None).float_images is not None


def test_over_budget_streams_from_a_memory_mapped_file_with_the_same_batches(tmp_path):
    x = shapes_dataset(12)
    path = tmp_path / "images.u8"
    store = datastore.to_store(x, torch.device("cpu"), budget_bytes=100, spill_path=path)
    assert store.streaming and path.is_file() and path.stat().st_size == x.numel()
    idx = torch.tensor([5, 1, 11, 1])
    assert torch.equal(store.batch(idx), x[idx])
    with pytest.raises(Exception, match="over the memory budget"):
        datastore.to_store(x, torch.device("cpu"), budget_bytes=100, spill_path=None)


def test_training_from_the_mapped_file_equals_training_in_memory(tmp_path):
    """Streaming changes where the bytes come from, not one bit of the training."""
    x = shapes_dataset(12)
    weights = []
    for name, gb in (("memory", 0.0), ("stream", 1e-6)):  # 1e-6 GB = 1 KB: the 3 KB set streams
        t = Trainer(tiny_train("dcgan", steps=3, data_memory_gb=gb), x, tmp_path / name, evaluate=False)
        assert t.data.streaming == (name == "stream")
        t.run_loop()
        weights.append(t.G.state_dict())
    assert (tmp_path / "stream" / "images.u8").is_file()
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])


def _photos(folder, n):
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        a = np.full((20, 24, 3), 230, np.uint8)
        a[4 + i % 8:12 + i % 8, 5:15] = rng.integers(0, 60, 3)
        Image.fromarray(a).save(folder / f"p{i:04d}.png")
    (folder / f"p{n // 2:04d}b.png").write_bytes(b"not a png")   # a bad file in the middle
    (folder / "notes.txt").write_text("x")


def test_large_upload_is_prepared_in_a_process_pool_with_progress_same_result(tmp_path):
    _photos(tmp_path / "in", POOL_MIN_FILES + 8)
    calls = []
    pooled = load_dataset(tmp_path / "in", 16, 3, progress=lambda d, t: calls.append((d, t)), workers=2)
    serial = load_dataset(tmp_path / "in", 16, 3, workers=1)
    total = POOL_MIN_FILES + 9  # the files with an image extension
    assert calls[-1] == (total, total) and len(calls) == total
    assert pooled.names == serial.names and torch.equal(pooled.images, serial.images)
    assert [(s.name, s.reason) for s in pooled.skipped] == [(s.name, s.reason) for s in serial.skipped]
    assert {s.name for s in pooled.skipped} == {f"p{(POOL_MIN_FILES + 8) // 2:04d}b.png", "notes.txt"}
    # the store the CLI and distributed runs use: the same pictures, straight into the file
    run = RunFolder(tmp_path / "run")
    skipped = datastore.prepare_store(tmp_path / "in", run.decoded_images, 16, 3, workers=2)
    assert len(skipped) == 2
    store = datastore.open_store(run.decoded_images)
    assert store.streaming and torch.equal(store.batch(torch.arange(len(store))), serial.images)
    loaded = datastore.to_store(store, torch.device("cpu"), budget_bytes=10 ** 9, spill_path=None)
    assert not loaded.streaming and torch.equal(loaded.batch(torch.arange(len(store))), serial.images)
    assert np.array_equal(run.read_training_images(), serial.pictures())
    # cleanup_folder's pool writes the same files as one process
    cfg = CleanupConfig(size=16)
    a, _ = cleanup_folder(tmp_path / "in", tmp_path / "clean-pool", cfg, workers=2)
    b, _ = cleanup_folder(tmp_path / "in", tmp_path / "clean-one", cfg, workers=1)
    assert [p.name for p in a] == [p.name for p in b]
    assert all(pa.read_bytes() == pb.read_bytes() for pa, pb in zip(a, b))

"""RunFolder owns the run-folder layout; the rules around it (resume budgets, configs, files)."""
import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest
import torch

from gan_core.checkpoint import PICKLE_SUFFIXES, load_tensors, save_tensors, write_json
from gan_core.config import ModelConfig, TrainConfig, field_spec, field_specs
from gan_core.errors import UserError
from gan_core.training.resume import resume_config
from gan_core.training.runfolder import RunFolder
from gan_core.training.trainer import train

from helpers import shapes_dataset, tiny_train


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A real 6-step run (grids at 3 and 6, a checkpoint at 6)."""
    path = tmp_path_factory.mktemp("runs") / "r"
    train(tiny_train(steps=6), shapes_dataset(), run_dir=path, evaluate=True,
          dataset_info={"name": "shapes", "cleanup": {"mode": "binary"}})
    return RunFolder(path)


def test_layout_questions_are_answered_by_the_run_folder(finished_run):
    run = finished_run
    assert run.checkpoint_step() == 6
    assert [run.grid_step(p) for p in run.grid_files()] == [0, 3, 6] or \
        [run.grid_step(p) for p in run.grid_files()][-2:] == [3, 6]
    assert run.latest_grid().name == "step_0000006.png" and run.grid_step(run.latest_grid()) == 6
    assert run.read_metrics()["num_fake"] == 500
    assert run.dataset_info() == {"name": "shapes", "cleanup": {"mode": "binary"}, "images": 12}
    assert run.train_config().steps == 6
    with pytest.raises(ValueError):
        run.grid_step("final_grid.png")


def test_empty_and_damaged_folders(tmp_path):
    run = RunFolder(tmp_path / "nothing")
    assert run.checkpoint_step() is None and run.latest_grid() is None and run.read_metrics() is None
    assert run.read_studio_meta() == {} and run.dataset_info() == {} and run.truncate_log(5) == 0
    run.path.mkdir()
    run.checkpoint.write_bytes(b"\x08\x00")  # cut short while being written
    run.metrics.write_text("{not json")
    (run.grids).mkdir()
    (run.grids / "step_12.png.tmp").write_bytes(b"")
    assert run.checkpoint_step() is None and run.read_metrics() is None and run.latest_grid() is None


def test_studio_meta_merges_atomically(tmp_path):
    run = RunFolder(tmp_path / "r")
    run.write_studio_meta(dataset="rims", created=1.5)
    run.write_studio_meta(preset="quick")
    assert run.read_studio_meta() == {"dataset": "rims", "created": 1.5, "preset": "quick"}
    assert json.loads(run.studio_meta.read_text())["preset"] == "quick"


def test_truncate_log_drops_rows_past_the_checkpoint(tmp_path):
    run = RunFolder(tmp_path / "r")
    run.path.mkdir()
    run.append_log([{"step": s, "loss_d": 1.0} for s in (10, 20, 30, 40)])
    with open(run.log, "a") as f:
        f.write('{"step": 5')  # a line cut by kill -9
    assert run.truncate_log(20) == 3
    assert [r["step"] for r in run.read_log()] == [10, 20]
    assert run.truncate_log(20) == 0
    assert not list(run.path.glob(".*.tmp"))


def test_delete_refuses_a_live_run_and_removes_a_dead_one(tmp_path):
    run = RunFolder(tmp_path / "r")
    run.path.mkdir()
    write_json({"format_version": 1}, run.config)
    run.write_status("running", 3)  # this process: alive
    with pytest.raises(UserError, match="training right now"):
        run.delete()
    assert run.path.is_dir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    status = json.loads(run.status_file.read_text())
    write_json({**status, "pid": int(dead.stdout)}, run.status_file)  # a crashed process
    run.delete()
    assert not run.path.exists() and not list(tmp_path.iterdir())
    run.delete()  # already gone: nothing to do

    other = tmp_path / "photos"
    other.mkdir()
    (other / "a.png").write_bytes(b"x")
    with pytest.raises(UserError, match="holds no run files"):
        RunFolder(other).delete()
    assert (other / "a.png").is_file()


def test_resume_config_counts_more_steps(finished_run, tmp_path):
    assert resume_config(finished_run.path, steps=4).steps == 10  # checkpoint at 6, 4 more
    cfg = resume_config(finished_run.path, minutes=2.0)
    assert cfg.minutes == 2.0 and cfg.steps is None  # a budget given replaces the other
    assert resume_config(finished_run.path).steps == 12  # the run's own budget, again
    assert resume_config(finished_run.path, steps=1, device="cpu").device == "cpu"
    with pytest.raises(UserError, match="at least 1"):
        resume_config(finished_run.path, steps=0)
    with pytest.raises(UserError, match="no checkpoint"):
        resume_config(tmp_path)


def test_config_without_a_train_section_is_a_clear_error(tmp_path, finished_run):
    """It used to raise KeyError('train') in resume and push a card with no training facts."""
    import shutil
    from gan_core.hub.modelcard import model_card
    from gan_core.hub.transfer import build_push_folder
    run = RunFolder(tmp_path / "r")
    shutil.copytree(finished_run.path, run.path)
    config = run.read_config()
    del config["train"]
    write_json(config, run.config)
    for call in (lambda: resume_config(run.path, steps=1), run.train_config,
                 lambda: model_card(config), lambda: build_push_folder(run.path, tmp_path / "stage", None)):
        with pytest.raises(UserError, match='no "train" section'):
            call()
    assert not (tmp_path / "stage").exists()


def test_load_tensors_reads_tensors_and_metadata_from_the_same_bytes(tmp_path):
    """A checkpoint replaced while it is read must never pair one version's tensors with the
    other's metadata (the old code read the file twice)."""
    path = tmp_path / "c.safetensors"
    versions = []
    for step in (1, 2):
        save_tensors({"w": torch.full((64,), float(step))}, path, {"step": step})
        versions.append(path.read_bytes())
    stop = threading.Event()

    def replace_forever():
        i = 0
        while not stop.is_set():
            tmp = tmp_path / f".c{i % 2}.tmp"
            tmp.write_bytes(versions[i % 2])
            os.replace(tmp, path)
            i += 1

    writer = threading.Thread(target=replace_forever, daemon=True)
    writer.start()
    try:
        for _ in range(400):
            tensors, meta = load_tensors(path)
            assert float(tensors["w"][0]) == meta["step"]
    finally:
        stop.set()
        writer.join()


def test_one_list_of_pickle_suffixes(tmp_path):
    from gan_core.design.generate import load_generator
    assert {".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".bin"} <= set(PICKLE_SUFFIXES)
    for suffix in PICKLE_SUFFIXES:
        f = tmp_path / f"model{suffix}"
        f.write_bytes(b"\x80\x04")
        with pytest.raises(UserError, match="only .safetensors"):
            load_tensors(f)
    folder = tmp_path / "gen"
    folder.mkdir()
    (folder / "weights.pickle").write_bytes(b"\x80\x04")  # generate._resolve missed .pickle
    with pytest.raises(UserError, match="has weights.pickle"):
        load_generator(folder)


def test_field_specs_are_the_one_source_of_ranges():
    s = field_spec(TrainConfig, "batch_size")
    assert (s.default, s.lo, s.hi, s.whole) == (32, 1, 4096, True) and "critic step" in s.help
    assert field_spec(TrainConfig, "loss").choices == ("wgan-gp", "dcgan", "wgan-clip", "hinge")
    assert field_spec(ModelConfig, "resolution").choices == (16, 32, 64, 128, 256)
    assert field_spec(TrainConfig, "lr_g").whole is False
    assert field_spec(TrainConfig, "steps").optional and field_spec(TrainConfig, "augment").many
    assert "model" not in field_specs(TrainConfig) and "seed" in field_specs(TrainConfig)
    for cls in (TrainConfig, ModelConfig):  # validation reads the same numbers
        for name, spec in field_specs(cls).items():
            if spec.hi is not None and not spec.optional:
                with pytest.raises(UserError, match=name):
                    (TrainConfig(**{name: spec.hi * 2 + 1}) if cls is TrainConfig
                     else ModelConfig(**{name: spec.hi * 2 + 1}))
    with pytest.raises(KeyError):
        field_spec(TrainConfig, "nope")


def test_hinge_turns_spectral_norm_on_in_one_place():
    from gan_core.training.presets import preset
    assert preset("quick", loss="hinge").model.spectral_norm is True
    assert preset("quick", loss="hinge", spectral_norm=False).model.spectral_norm is False
    assert TrainConfig().replace(loss="hinge").model.spectral_norm is True
    assert preset("quick", loss="dcgan").model.spectral_norm is False


def test_hidden_files_and_saved_dataset_info(tmp_path):
    from gan_core.data.datasets import dataset_info, save_dataset
    from gan_core.data.preprocess import CleanupConfig
    from gan_core.data.safezip import is_hidden
    assert is_hidden(".DS_Store") and is_hidden("__MACOSX/a.png") and is_hidden("a/.thumbs/b.png")
    assert is_hidden(("x", "__MACOSX", "y.png")) and not is_hidden("rims/a.png")
    pictures = np.full((3, 16, 16), 255, np.uint8)
    save_dataset(pictures, None, tmp_path / "rims", cleanup=CleanupConfig(crop=True))
    info = dataset_info(tmp_path / "rims")
    assert {k: info[k] for k in ("name", "count", "resolution", "channels")} == \
        {"name": "rims", "count": 3, "resolution": 16, "channels": 1}
    assert info["cleanup"]["crop"] is True
    save_dataset(pictures, None, tmp_path / "plain")
    assert dataset_info(tmp_path / "plain")["cleanup"] is None
    with pytest.raises(UserError, match="no dataset.json"):
        dataset_info(tmp_path)

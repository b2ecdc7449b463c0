"""The command line as a user runs it: subprocesses, real files, exit codes, one-line errors."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def cli(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "gan_core", *map(str, args)], cwd=cwd or ROOT,
                          capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", **(env or {})})


def photos(folder: Path, n: int = 10) -> Path:
    """Light shapes on a dark, slightly uneven background, like the raw photos."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        a = (20 + rng.integers(0, 10, (48, 48))).astype(np.uint8)
        r = 6 + i % 8
        a[24 - r:24 + r, 24 - r // 2:24 + r // 2] = 220
        Image.fromarray(a).convert("RGB").save(folder / f"p{i}.png")
    (folder / "notes.txt").write_text("not an image")
    (folder / "broken.png").write_bytes(b"this is text")
    return folder


@pytest.mark.parametrize("cmd", ["preprocess", "train", "generate", "morph", "recalibrate", "samples", "push"])
def test_help(cmd):
    r = cli(cmd, "--help")
    assert r.returncode == 0 and "usage" in r.stdout


def test_preprocess_reports_every_skipped_file(tmp_path):
    raw = photos(tmp_path / "raw")
    r = cli("preprocess", "--input", raw, "--output", tmp_path / "clean", "--threshold", "60")
    assert r.returncode == 0, r.stderr
    assert "skipped notes.txt" in r.stderr and "skipped broken.png" in r.stderr
    assert "cleaned 10 image(s)" in r.stdout
    out = np.asarray(Image.open(tmp_path / "clean" / "p3.png"))
    assert set(np.unique(out)) <= {0, 255}


def test_train_generate_morph_end_to_end(tmp_path):
    raw = photos(tmp_path / "raw")
    run = tmp_path / "run"
    r = cli("train", "--data", raw, "--out", run, "--resolution", "16", "--steps", "6", "--batch-size", "4",
            "--clean", "--auto-threshold", "--crop", "--threads", "1")
    assert r.returncode == 0, r.stderr
    assert "finished at step 6" in r.stdout and "step 6/6" in r.stderr
    assert "SWD" in r.stdout  # quality metrics printed
    dataset = json.loads((run / "config.json").read_text())["dataset"]  # --clean is recorded
    assert dataset["name"] == "raw" and dataset["source"] == str(raw.resolve())
    assert dataset["cleanup"]["auto_threshold"] is True and dataset["cleanup"]["crop"] is True
    r = cli("train", "--data", raw, "--out", run, "--steps", "2", "--resume")  # 2 more steps
    assert r.returncode == 0, r.stderr
    assert "finished at step 8" in r.stdout
    again = tmp_path / "again"  # a run's config.json trains a new run with exactly its settings
    r = cli("train", "--data", raw, "--out", again, "--config", run / "config.json", "--steps", "1",
            "--clean", "--auto-threshold", "--crop")
    assert r.returncode == 0, r.stderr
    first, second = (json.loads((d / "config.json").read_text())["train"] for d in (run, again))
    assert second.pop("steps") == 1 and second.pop("minutes") is None
    assert second == {k: v for k, v in first.items() if k not in ("steps", "minutes")}
    assert second["batch_size"] == 4 and second["model"]["resolution"] == 16 and first["threads"] == 1
    r = cli("generate", "--model", run, "--seeds", "0-3,9", "--out", tmp_path / "designs", "--upscale", "2",
            "--grid")
    assert r.returncode == 0, r.stderr
    names = sorted(p.name for p in (tmp_path / "designs").iterdir())
    assert names == ["grid.png", "seed000000.png", "seed000001.png", "seed000002.png", "seed000003.png",
                     "seed000009.png"]
    assert Image.open(tmp_path / "designs" / "seed000000.png").size == (32, 32)
    for out in ("m.gif", "m.mp4"):
        r = cli("morph", "--model", run, "--seeds", "3,7,11", "--frames", "10", "--loop", "--out", tmp_path / out)
        assert r.returncode == 0, r.stderr
        assert (tmp_path / out).stat().st_size > 0
    assert Image.open(tmp_path / "m.gif").n_frames == 10


@pytest.mark.parametrize("args,needle", [
    (["generate", "--model", "/nonexistent/run", "--seeds", "1", "--out", "x"], "no such folder"),
    (["train", "--data", "/nonexistent", "--out", "r", "--steps", "1"], "does not exist"),
    (["morph", "--model", ".", "--seeds", "3", "--out", "m.gif"], "at least two"),
    (["morph", "--model", ".", "--seeds", "3,4", "--out", "m.avi"], ".gif or .mp4"),
    (["generate", "--model", ".", "--seeds", "9-1", "--out", "x"], "backwards"),
    (["train", "--data", ".", "--out", "r", "--steps", "1", "--threads", "-1"], "threads"),
])
def test_user_mistakes_get_one_line_and_no_traceback(tmp_path, args, needle):
    r = cli(*args, cwd=tmp_path)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], r.stderr


def test_train_with_no_usable_images(tmp_path):
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "a.png").write_bytes(b"")
    r = cli("train", "--data", tmp_path / "bad", "--out", tmp_path / "r", "--steps", "1")
    assert r.returncode == 2 and "No usable images" in r.stderr and "Traceback" not in r.stderr


def test_recalibrate_fixes_an_old_generator_in_place(tmp_path):
    """A generator saved with another generator's BatchNorm statistics (what runs before the fix
    saved) gets statistics of its own weights back: its designs change, and running it again
    changes nothing more."""
    from gan_core.checkpoint import load_tensors, save_tensors
    from gan_core.design.generate import load_generator
    raw = photos(tmp_path / "raw")
    run = tmp_path / "run"
    assert cli("train", "--data", raw, "--out", run, "--resolution", "16", "--steps", "4", "--batch-size", "4",
               "--clean", "--auto-threshold").returncode == 0
    weights = run / "model.safetensors"
    good = load_generator(run).generate(range(4))
    tensors, meta = load_tensors(weights)
    for k in tensors:  # the old trainer's copies: statistics that belong to other weights
        if k.endswith("running_mean"):
            tensors[k] = tensors[k] + 0.5
    save_tensors(tensors, weights, meta)
    assert not np.array_equal(load_generator(run).generate(range(4)), good)
    r = cli("recalibrate", "--model", run)
    assert r.returncode == 0, r.stderr
    assert "re-measured" in r.stdout
    np.testing.assert_array_equal(load_generator(run).generate(range(4)), good)  # what the trainer saved
    assert json.loads((run / "config.json").read_text())["recalibrated"]["samples"] == 1024
    r = cli("recalibrate", "--model", tmp_path / "nothing-here")
    assert r.returncode != 0 and "Traceback" not in r.stderr and r.stderr.strip()


def test_colour_samples_then_colour_preprocess(tmp_path):
    """samples --colour, then preprocess --mode color with the sample set's settings: colour wheels on white."""
    r = cli("samples", "--out", tmp_path / "raw", "--count", "3", "--size", "96", "--colour")
    assert r.returncode == 0, r.stderr
    assert "wrote 3 colour sample rim photo(s)" in r.stdout
    r = cli("preprocess", "--input", tmp_path / "raw", "--output", tmp_path / "clean", "--mode", "color",
            "--background", "border", "--crop", "--size", "32")
    assert r.returncode == 0, r.stderr
    pics = [np.asarray(Image.open(p).convert("RGB")).astype(int) for p in sorted((tmp_path / "clean").glob("*.png"))]
    assert len(pics) == 3
    for a in pics:
        assert a.shape == (32, 32, 3) and a[0].min() >= 235  # a white top row
    assert max(np.ptp(a, axis=2).max() for a in pics) > 80  # and colour in the wheels


def test_train_with_eyes_and_its_refusals(tmp_path):
    """--eyes NAME gives D the eyes that scripts/train_eyes.py wrote into the weights folder; missing ones,
    and --eyes on --resume, get a one-line message and no run folder."""
    import torch
    from gan_core.checkpoint import save_tensors
    from gan_core.nets.eyes import FeatureNet
    from gan_core.training.bases import EYES_FILE
    raw = photos(tmp_path / "raw")
    weights = tmp_path / "weights"
    (weights / "eyes-x").mkdir(parents=True)
    torch.manual_seed(0)
    save_tensors(FeatureNet(1).state_dict(), weights / "eyes-x" / EYES_FILE)
    def env_cli(*args):
        return cli(*args, env={"STUDIO_WEIGHTS_DIR": str(weights)})
    common = ("--data", raw, "--resolution", "16", "--batch-size", "4", "--threads", "1", "--from", "scratch")
    r = env_cli("train", *common, "--out", tmp_path / "none", "--steps", "2", "--eyes", "eyes-missing")
    assert r.returncode != 0 and "D's eyes 'eyes-missing'" in r.stderr and "train_eyes.py" in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "none" / "checkpoint.safetensors").exists()
    r = env_cli("train", *common, "--out", tmp_path / "run", "--steps", "3", "--eyes", "eyes-x")
    assert r.returncode == 0, r.stderr
    info = json.loads((tmp_path / "run" / "config.json").read_text())
    assert info["model"]["d_eyes"] == "eyes-x" and info["eyes"]["name"] == "eyes-x"
    r = env_cli("train", "--data", raw, "--out", tmp_path / "run", "--steps", "1", "--resume", "--eyes", "eyes-x")
    assert r.returncode != 0 and "--eyes choose how a new run starts" in r.stderr

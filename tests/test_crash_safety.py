"""kill -9 in the middle of training loses at most the steps since the last checkpoint."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from gan_core.checkpoint import load_tensors
from gan_core.design.generate import load_generator
from gan_core.training.runfolder import RunFolder

ROOT = Path(__file__).resolve().parents[1]


def test_kill_9_during_training_then_resume(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    rng = np.random.default_rng(0)
    for i in range(8):
        a = np.full((16, 16), 255, np.uint8)
        y, x = rng.integers(2, 10, 2)
        a[y:y + 5, x:x + 5] = 0
        Image.fromarray(a).save(data / f"{i}.png")
    run = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # checkpoint every ~0.3 s; a step budget far beyond what we let it reach
    code = ("import sys; from gan_core.training.trainer import train; from gan_core.data.datasets import load_dataset; "
            "from gan_core.training.presets import preset; "
            f"cfg = preset('quick', resolution=16, steps=10**6, width=4, z_dim=8, batch_size=4, "
            "checkpoint_minutes=0.005, log_every=1); "
            f"train(cfg, load_dataset({str(data)!r}, resolution=16), run_dir={str(run)!r}, evaluate=False)")
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.PIPE)
    ckpt = run / "checkpoint.safetensors"
    deadline = time.time() + 120
    while time.time() < deadline:
        if ckpt.is_file() and load_tensors(ckpt)[1]["step"] >= 20:
            break
        time.sleep(0.2)
    else:
        proc.kill()
        raise AssertionError("no checkpoint past step 20: " + proc.stderr.read().decode()[-1000:])
    time.sleep(0.5)  # let it get between checkpoints, or in the middle of writing one
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    status = RunFolder(run).read_status()
    assert status["state"] == "running" and status["interrupted"]  # what a crash leaves behind
    _, meta = load_tensors(ckpt)  # whole and readable: never half-written
    steps_logged = max(r["step"] for r in RunFolder(run).read_log())
    assert meta["step"] >= 20 and steps_logged - meta["step"] < 400
    load_generator(run).generate([0])  # the EMA weights beside it are whole too
    r = subprocess.run([sys.executable, "-m", "gan_core", "train", "--data", str(data), "--out", str(run),
                        "--resume", "--steps", "5"], env=env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert f"finished at step {meta['step'] + 5}" in r.stdout
    assert RunFolder(run).read_status()["state"] == "finished"
    assert not RunFolder(run).read_status()["interrupted"]
    assert not list(run.glob(".*.tmp"))  # temp files a kill may leave are swept on resume
    # the rows logged after the checkpoint were dropped on resume, not logged twice
    # (the old log read ..., 90, 100, 110, 90, 100, ... and the loss curve ran backwards)
    steps = [r["step"] for r in RunFolder(run).read_log()]
    assert steps == sorted(set(steps)) and steps[-1] == meta["step"] + 5  # test_trainer has the exact case

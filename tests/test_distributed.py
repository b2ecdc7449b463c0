"""Data-parallel training on CPU: 2 real processes over gloo, a FileStore (file://), no ports.

One 2-process run (BatchNorm in D, two critic steps per G step so the grouped generator call
runs, EMA on) is asked to stop by rank 1 alone; the tests then check what each rank holds and
wrote, resume the run on one process, and kill a rank of another run.
"""
from __future__ import annotations

import json
import multiprocessing as mp
import time
from pathlib import Path

import pytest
import torch

from gan_core.checkpoint import load_tensors
from gan_core.nets.models import Critic, Generator, GroupBatchNorm2d, GroupSyncBatchNorm2d
from gan_core.training import distributed
from gan_core.training.runfolder import RunFolder
from gan_core.training.trainer import Trainer

from dist_worker import run_rank
from helpers import shapes_dataset, tiny_train

CFG = tiny_train("dcgan", steps=8, n_critic=2, batch_size=4, log_every=1, sample_every=2, threads=1,
                 model={"d_norm": "batch"}).to_dict()


def spawn(tmp: Path, name: str, mode: str, world: int = 2, timeout: float = 400.0, resume: bool = False,
          run_dir: Path | None = None) -> tuple[Path, list[dict]]:
    """Run ``world`` ranks to the end; returns (run folder, each rank's result)."""
    run_dir = run_dir or tmp / name / "run"
    out = tmp / name / f"out-{mode}-{int(resume)}"
    out.mkdir(parents=True)
    init_file = out / "store"  # the FileStore rendezvous: a file, not a port
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=run_rank, args=(r, world, str(init_file), str(run_dir), str(out), CFG, mode, resume))
             for r in range(world)]
    for p in procs:
        p.start()
    deadline = time.monotonic() + timeout
    for p in procs:
        p.join(max(1.0, deadline - time.monotonic()))
    alive = [p for p in procs if p.is_alive()]
    for p in alive:
        p.kill()
    assert not alive, f"{len(alive)} rank(s) still running after {timeout} s (a hang)"
    results = [json.loads(f.read_text()) for f in sorted(out.glob("result*.json"))]
    return run_dir, results


@pytest.fixture(scope="module")
def stopped_run(tmp_path_factory):
    return spawn(tmp_path_factory.mktemp("dist"), "stop", "stop")


def test_stop_from_one_rank_stops_both_at_the_same_step(stopped_run):
    _, results = stopped_run
    assert [r.get("error") for r in results] == [None, None]
    assert [(r["state"], r["step"]) for r in results] == [("stopped", 5), ("stopped", 5)]


def test_both_ranks_hold_identical_G_D_and_EMA(stopped_run):
    run_dir, _ = stopped_run
    w0, _ = load_tensors(run_dir.parent / "out-stop-0" / "weights0.safetensors")
    w1, _ = load_tensors(run_dir.parent / "out-stop-0" / "weights1.safetensors")
    assert w0.keys() == w1.keys() and any(k.startswith("G_ema.") for k in w0)
    for k in w0:  # bit for bit: same averaged gradients, same steps, rank 0's buffers
        assert torch.equal(w0[k], w1[k]), k
    bn_stats = [k for k in w0 if k.startswith("D.") and k.endswith("running_mean")]
    assert bn_stats, "the test config must put BatchNorm in D"
    # and the ranks really trained on different batches: the logged losses are averages
    ck, meta = load_tensors(RunFolder(run_dir).checkpoint)
    assert meta["world_size"] == 2 and meta["step"] == 5 and len(meta["cursors"]) == 2
    assert not torch.equal(ck["rng.gen"], ck["rank1.rng.gen"])  # per-rank random streams


def test_only_rank_0_wrote_files(stopped_run):
    run_dir, results = stopped_run
    run = RunFolder(run_dir)
    assert results[0]["writes"] and results[1]["writes"] == []
    assert run.read_status()["pid"] == results[0]["pid"]
    assert [r["step"] for r in run.read_log()] == [1, 2, 3, 4, 5]  # one line per step, not two
    assert run.checkpoint.is_file() and run.weights.is_file() and run.final_grid.is_file()


def test_two_process_run_resumes_on_one_process_and_continues_the_step_count(stopped_run, tmp_path):
    run_dir, _ = stopped_run
    import shutil
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    cfg = tiny_train("dcgan", steps=8, n_critic=2, batch_size=4, log_every=1, sample_every=2,
                     model={"d_norm": "batch"})
    t = Trainer(cfg, shapes_dataset(13), copy, resume=True, evaluate=False)
    assert t.step == 5 and t.images_seen == 5 * 2 * 4 * 2  # global images: steps x critic steps x batch x ranks
    result = t.run_loop()
    assert (result.state, result.step) == ("finished", 8)
    assert any("2-process run on 1 process" in m for m in result.messages)
    assert [r["step"] for r in RunFolder(copy).read_log()] == [1, 2, 3, 4, 5, 6, 7, 8]


def test_one_process_run_resumes_on_two_processes(tmp_path):
    run_dir = tmp_path / "one"
    cfg = tiny_train("dcgan", steps=3, n_critic=2, batch_size=4, log_every=1, sample_every=2,
                     model={"d_norm": "batch"})
    Trainer(cfg, shapes_dataset(13), run_dir, evaluate=False).run_loop()
    _, results = spawn(tmp_path, "one", "plain", resume=True, run_dir=run_dir)
    assert [r.get("error") for r in results] == [None, None]
    assert [(r["state"], r["step"]) for r in results] == [("finished", 8), ("finished", 8)]
    assert load_tensors(RunFolder(run_dir).checkpoint)[1]["world_size"] == 2


def test_a_killed_rank_makes_the_other_exit_with_a_message(tmp_path):
    run_dir, results = spawn(tmp_path, "die", "die")
    assert len(results) == 1  # rank 1 was killed with SIGKILL and wrote nothing
    r0 = results[0]
    assert r0["kind"] == "RankLostError" and "lost the other processes" in r0["error"], r0
    assert "--resume" in r0["error"]
    # counted, not timed: rank 1 died before its 4th step, and rank 0 gave up at the first collective
    # of that step (no step, no retry after the loss; the spawn above fails on a hang)
    assert "during the stop/budget check" in r0["error"], r0["error"]
    run = RunFolder(run_dir)
    assert [r["step"] for r in run.read_log()] == [1, 2, 3]
    _, meta = load_tensors(run.checkpoint)  # the last checkpoint (step 0) is intact
    assert meta["step"] == 0
    assert run.read_status()["state"] == "failed"


def test_sync_batchnorm_conversion_keeps_weights_and_grouping():
    """The CUDA path's SyncBatchNorm cannot run on CPU; its conversion can be checked."""
    cfg = tiny_train(model={"d_norm": "batch"}).model
    G, D = Generator(cfg), Critic(cfg)
    before = {k: v.clone() for k, v in {**G.state_dict(), **{f"D.{k}": v for k, v in D.state_dict().items()}}.items()}
    G2, D2 = distributed.convert_sync_batchnorm(G), distributed.convert_sync_batchnorm(D)
    assert not any(isinstance(m, GroupBatchNorm2d) for m in G2.modules())
    assert any(isinstance(m, GroupSyncBatchNorm2d) for m in G2.modules())
    assert any(isinstance(m, torch.nn.SyncBatchNorm) for m in D2.modules())
    after = {**G2.state_dict(), **{f"D.{k}": v for k, v in D2.state_dict().items()}}
    assert after.keys() == before.keys() and all(torch.equal(before[k], after[k]) for k in before)
    G2.eval()  # eval mode needs no process group: what sampling on rank 0 does
    assert G2(torch.randn(2, cfg.z_dim)).shape == (2, 1, 16, 16)


def test_rank_seeds_are_distinct_and_rank_0_keeps_the_run_seed():
    assert distributed.rank_seed(7, 0) == 7
    assert len({distributed.rank_seed(7, r) for r in range(64)}) == 64
    assert distributed.SINGLE.any(True, False) == (True, False)  # one process: no collectives

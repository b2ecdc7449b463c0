"""Data-parallel throughput: generator steps/s and images/s for 1, 2, ... processes.

    python benchmarks/bench_distributed.py [--device cpu] [--procs 1,2] [--preset quick]
        [--resolution 64] [--batch-size 32] [--seconds 20]

Each process count runs as real ranks (torch.multiprocessing, a file:// rendezvous, gloo on
CPU, NCCL on CUDA), each rank timing the same training step the run loop takes (critic and
generator updates, the gradient all-reduce, the buffer broadcast, the per-step stop check).
The batch size is per rank, so N ranks push N times the images per step; scaling efficiency
is images/s at N over N times images/s at 1.

On a 2-core CPU, 2 ranks share the same 2 cores (1 thread each instead of 2 for one process)
and add an all-reduce per update: expect overhead, not speed-up. Speed-up needs one device per
rank (``bench_gpu_scaling.py``). Numbers, not assertions.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]


def _rank(rank: int, world: int, init: str, out: str, a: dict) -> None:
    import torch
    from gan_core.training import distributed
    from gan_core.training.presets import preset
    from gan_core.training.trainer import Trainer
    if world > 1:
        distributed.init(rank, world, f"file://{init}", "nccl" if a["device"] == "cuda" else "gloo")
    cfg = preset(a["preset"], resolution=a["resolution"], channels=3, batch_size=a["batch_size"],
                 device=a["device"], steps=10 ** 6, minutes=None)
    pictures = torch.randint(0, 256, (a["images"], 3, a["resolution"], a["resolution"]), dtype=torch.uint8,
                             generator=torch.Generator().manual_seed(0))
    data = pictures.float() / 127.5 - 1  # uint8-exact: the trainer keeps it as uint8 on the device
    with tempfile.TemporaryDirectory() as d:
        t = Trainer(cfg, data, Path(d) / "run", evaluate=False)
        dist = t.dist

        def step():
            dist.any(False, False, False)  # the run loop's per-step stop/budget/checkpoint check
            t.train_step()

        for _ in range(3):
            step()
        t.sync()
        dist.barrier("the benchmark start")
        steps, t0 = 0, time.perf_counter()
        while True:
            step()
            steps += 1
            done = dist.any(time.perf_counter() - t0 >= a["seconds"])[0]  # all ranks stop together
            if done:
                break
        t.sync()
        secs = time.perf_counter() - t0
    if rank == 0:
        images = steps * cfg.batch_size * cfg.n_critic * world
        Path(out).write_text(json.dumps({"procs": world, "steps_per_s": steps / secs, "images_per_s": images / secs,
                                         "device": str(t.device), "threads": torch.get_num_threads()}))
    if world > 1:
        distributed.shutdown()


def measure(procs: int, a: dict) -> dict:
    import torch.multiprocessing as mp
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "result.json"
        mp.start_processes(_rank, args=(procs, str(Path(d) / "store"), str(out), a), nprocs=procs,
                           start_method="spawn")
        return json.loads(out.read_text())


def parse(argv=None, device="cpu", procs="1,2"):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default=device, choices=("cpu", "cuda"))
    p.add_argument("--procs", default=procs, help="comma-separated process counts")
    p.add_argument("--preset", default="quick")
    p.add_argument("--resolution", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=32, help="per process")
    p.add_argument("--images", type=int, default=512)
    p.add_argument("--seconds", type=float, default=20.0)
    return p.parse_args(argv)


def main(argv=None, device="cpu", procs="1,2") -> list[dict]:
    a = parse(argv, device, procs)
    opts = {k: getattr(a, k) for k in ("device", "preset", "resolution", "batch_size", "images", "seconds")}
    rows = []
    print(f"preset {a.preset}, {a.resolution} px colour, batch {a.batch_size} per process, {a.seconds:g} s each")
    for n in [int(x) for x in a.procs.split(",")]:
        r = measure(n, opts)
        base = rows[0] if rows and rows[0]["procs"] == 1 else None
        eff = r["images_per_s"] / (n * base["images_per_s"]) if base else None
        rows.append(r)
        print(f"{n} process(es) on {r['device']} ({r['threads']} thread(s) each): {r['steps_per_s']:.2f} steps/s, "
              f"{r['images_per_s']:.0f} img/s" + (f", scaling efficiency {100 * eff:.0f}%" if eff else ""),
              flush=True)
    return rows


if __name__ == "__main__":
    main()

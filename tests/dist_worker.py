"""One rank of a CPU (gloo) distributed run, started by tests/test_distributed.py.

Each rank records the files it opened for writing inside the run folder (an audit hook:
the real ``open``/``os.replace`` calls, no mocks), trains, and saves its weights and
result in ``out/`` for the test to compare.
"""
from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path


def run_rank(rank: int, world: int, init_file: str, run_dir: str, out_dir: str, cfg: dict, mode: str,
             resume: bool = False) -> None:
    import torch
    torch.set_num_threads(1)  # two ranks on a 2-core machine
    from gan_core.checkpoint import save_tensors
    from gan_core.config import TrainConfig
    from gan_core.training import distributed
    from gan_core.training.trainer import Trainer
    from helpers import shapes_dataset

    run_path = os.path.realpath(run_dir)
    writes: list[str] = []

    def audit(event, args):
        if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
            path, mode_ = os.fsdecode(args[0]), args[1] if len(args) > 1 else "r"
            flags = args[2] if len(args) > 2 else 0
            writing = (isinstance(mode_, str) and any(c in mode_ for c in "wax+")) or (
                isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
            if writing and os.path.realpath(path).startswith(run_path):
                writes.append(path)
        elif event in ("os.rename", "os.replace", "os.mkdir") and os.fsdecode(args[0]).startswith(run_path):
            writes.append(f"{event} {os.fsdecode(args[0])}")

    sys.addaudithook(audit)
    distributed.init(rank, world, f"file://{init_file}", "gloo", timeout_s=15)
    calls = [0]

    def should_stop() -> bool:
        calls[0] += 1  # once per step, before it
        if mode == "stop" and rank == world - 1 and calls[0] > 5:
            return True  # only the last rank asks: the request must reach the others
        if mode == "die" and rank == world - 1 and calls[0] > 3:
            os.kill(os.getpid(), signal.SIGKILL)  # kill -9: no goodbye to the others
        return False

    out = Path(out_dir)
    result = {"rank": rank, "pid": os.getpid()}
    try:
        trainer = Trainer(TrainConfig.from_dict(cfg), shapes_dataset(13), run_dir, should_stop=should_stop,
                          resume=resume, evaluate=False)
        res = trainer.run_loop()
        result.update(state=res.state, step=res.step, messages=res.messages)
        tensors = {f"{name}.{k}": v for name, mod in (("G", trainer.G), ("D", trainer.D), ("G_ema", trainer.G_ema))
                   for k, v in mod.state_dict().items()}
        save_tensors(tensors, out / f"weights{rank}.safetensors")
    except distributed.RankLostError as e:
        result.update(error=str(e), kind="RankLostError")
    except Exception as e:  # noqa: BLE001 - reported to the test, which fails on it
        result.update(error=f"{type(e).__name__}: {e}", kind=type(e).__name__)
    result["writes"] = writes
    (out / f"result{rank}.json").write_text(json.dumps(result))
    if "error" not in result:
        distributed.shutdown()

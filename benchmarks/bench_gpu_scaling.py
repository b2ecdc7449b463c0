"""GPU scaling: images/s and scaling efficiency for 1..N GPUs (one rank per GPU, NCCL).

    python benchmarks/bench_gpu_scaling.py [--procs 1,2,4,8] [--preset balanced] [--resolution 128]
        [--batch-size 64] [--seconds 30]

Needs a machine with several CUDA GPUs (--procs defaults to 1..all visible, doubling).
Efficiency = images/s on N GPUs / (N x images/s on 1 GPU); the batch size is per GPU.
Same measurement as bench_distributed.py, which documents it. Numbers, not assertions.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent)]

import torch  # noqa: E402

from bench_distributed import main  # noqa: E402

if __name__ == "__main__":
    if not torch.cuda.is_available():
        sys.exit("no CUDA GPU here: run this on a multi-GPU machine (bench_distributed.py measures the CPU)")
    n = torch.cuda.device_count()
    counts = [k for k in (1, 2, 4, 8, 16) if k <= n] + ([n] if n not in (1, 2, 4, 8, 16) else [])
    print(f"{n} GPU(s): {', '.join(torch.cuda.get_device_name(i) for i in range(n))}")
    defaults = ["--preset", "balanced", "--resolution", "128", "--batch-size", "64", "--seconds", "30"]
    main(defaults + sys.argv[1:], device="cuda", procs=",".join(map(str, counts)))

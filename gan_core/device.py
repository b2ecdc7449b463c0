"""Device choice and per-device speed settings."""
from __future__ import annotations

import os

import torch

from .errors import UserError


def pick_device(name: str = "auto") -> torch.device:
    """auto = CUDA, then MPS, then CPU; an explicit name must be available."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    dev = torch.device(name)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise UserError("device cuda was asked for but no CUDA GPU is available here; use auto or cpu")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise UserError(f"device {name}: only {torch.cuda.device_count()} CUDA GPU(s) here")
    if dev.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise UserError("device mps was asked for but Apple MPS is not available here; use auto or cpu")
    return dev


def describe_device(device: torch.device | str) -> str:
    """Human name: the GPU's model, or the CPU with its core count."""
    device = torch.device(device)
    if device.type == "cuda":
        return f"GPU: {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "GPU: Apple MPS"
    return f"CPU ({os.cpu_count()} cores)"


def configure(device: torch.device, threads: int = 0) -> None:
    """Speed switches: TF32 on CUDA, cuDNN autotune, CPU threads from the cores."""
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    elif device.type == "cpu":
        n = threads or len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (threads or os.cpu_count())
        torch.set_num_threads(max(1, n))


def list_gpus() -> list[dict]:
    """Every visible CUDA GPU: index, name and total memory (GB); [] without CUDA.

    Reads device properties only: no CUDA context is created, so a server can call it at
    start-up without holding memory on every GPU.
    """
    if not torch.cuda.is_available():
        return []
    gpus = []
    for i in range(torch.cuda.device_count()):
        p = torch.cuda.get_device_properties(i)
        gpus.append({"index": i, "name": p.name, "memory_gb": round(p.total_memory / 2 ** 30, 1)})
    return gpus

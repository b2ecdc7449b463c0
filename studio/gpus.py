"""What the Train tab shows about the GPUs, and the "GPUs for this run" choices.

The integrator wires these into the Train tab (see README, Scale out); the numbers come from
``gan_core.device.list_gpus`` and runs on more than one GPU start with
``gan_core.training.launch.launch_distributed``.
"""
from __future__ import annotations

from gan_core.device import list_gpus
from gan_core.errors import UserError

DEFAULT_GPUS = 1  # one GPU per run unless the user picks more


def gpus_markdown(gpus: list[dict] | None = None) -> str:
    """A Markdown table of the visible GPUs (or a line saying training runs on the CPU)."""
    gpus = list_gpus() if gpus is None else gpus
    if not gpus:
        return "No CUDA GPU is visible: training runs on the CPU (one process)."
    rows = "\n".join(f"| {g['index']} | {g['name']} | {g['memory_gb']:g} GB |" for g in gpus)
    return f"**{len(gpus)} GPU{'s' * (len(gpus) != 1)} visible**\n\n| # | GPU | memory |\n| --- | --- | --- |\n{rows}"


def gpu_count_choices(gpus: list[dict] | None = None) -> tuple[list[tuple[str, int]], int]:
    """(choices, default) for a "GPUs for this run" dropdown: 1..N GPUs, default 1."""
    gpus = list_gpus() if gpus is None else gpus
    n = max(1, len(gpus))
    return [(f"{k} GPU{'s' * (k != 1)}" if gpus else "CPU", k) for k in range(1, n + 1)], DEFAULT_GPUS


def check_gpus(value, gpus: list[dict] | None = None) -> int:
    """The number of GPUs a run asks for: 1 (the default, also on the CPU) up to the visible ones."""
    try:
        n = int(float(value if value not in (None, "") else DEFAULT_GPUS))
    except (TypeError, ValueError):
        raise UserError(f"GPUs for this run must be a whole number; got {value!r}.") from None
    visible = len(list_gpus() if gpus is None else gpus)
    if n == 1:
        return 1
    if not 2 <= n <= visible:
        raise UserError(f"GPUs for this run: {n} asked for, but {visible} GPU(s) are visible"
                        f"{' (training runs on the CPU, one process)' if not visible else ''}.")
    return n

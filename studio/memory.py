"""Bounds on what the server keeps in memory, so a busy Space stays flat instead of growing
until it is restarted (``benchmarks/soak_generate.py`` measures it; ``soak_memory_trace.py``
shows what grows).

Three things grew with every ``/generate`` call, none of them in the studio's own caches:

- Gradio's queue keeps a record of each of the last 10,000 calls for its /monitoring summary
  (~0.4 KB each), and rebuilds a DataFrame of all of them after every call.
- Gradio keeps the state of the last 10,000 sessions, ~0.5 MB each for this page (a copy of every
  component's config): up to ~5 GB. Every API call made without a ``session_hash`` is a
  session of its own.
- glibc raises its mmap threshold each time a large block is freed, so that after the first
  few pictures every picture-sized buffer (PIL images, PNG bytes, tensors) is carved from the
  handler threads' malloc arenas, and freed space there is kept, not returned: each new handler
  thread's arena grew to ~4 MB and went on growing.
"""
from __future__ import annotations

import ctypes
import os
import sys

ANALYTICS_EVENTS = 1000          # calls Gradio's queue remembers for /monitoring (Gradio: 10,000)
GRADIO_SESSIONS = 500            # sessions whose state Gradio keeps, least recently used dropped first
                                 # (Gradio: 10,000); a dropped page's gr.State values start again empty
MMAP_THRESHOLD = 128 * 1024      # blocks this large or larger get their own mapping, returned on free
                                 # (glibc's own starting value, kept fixed instead of climbing)
_M_MMAP_THRESHOLD = -3           # mallopt parameter number in glibc's malloc.h


def bound_queue_records(demo) -> None:
    """Keep only the last ANALYTICS_EVENTS call records in ``demo``'s queue (after ``demo.queue()``).

    Gradio has no public setting for it (only GRADIO_ANALYTICS_MAX_EVENTS, read when the queue is
    made); the queue trims its records to this attribute on every call."""
    demo._queue.ANALYTICS_MAX_EVENTS = ANALYTICS_EVENTS


def fix_mmap_threshold(threshold: int = MMAP_THRESHOLD) -> bool:
    """Fix glibc's mmap threshold for this process, so that large freed blocks go back to the
    system instead of staying in the arenas. True when set; False off glibc, or when the
    MALLOC_MMAP_THRESHOLD_ environment variable already chose one (that choice is kept)."""
    if not sys.platform.startswith("linux") or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return mallopt(_M_MMAP_THRESHOLD, threshold) == 1  # musl's mallopt does nothing and returns 0

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

With those bounded, what still grew (+4%, filling over ~10,000 calls, then flat) was neither Python
objects nor memory in use: ``benchmarks/soak_memory_trace.py`` shows tracemalloc's total and glibc's
bytes in use flat from 1,000 to 3,000 calls while the free bytes glibc keeps in its arenas grow
(9.0 -> 13.1 MB), whatever the arena count (MALLOC_ARENA_MAX=1 too) or the mmap threshold (16 KB
too): fragmentation. And what tracemalloc misses because it collects first: cyclic garbage (a
request's frames, futures, exceptions) waits in Python's oldest generation, which this server (~420,000
objects) collects only after ~100,000 more survive. A daemon thread runs a full collection and then
``malloc_trim(0)`` (hands the whole free pages inside the arenas back; ~1 ms) every TRIM_EVERY seconds:
over 6,000 soak calls after a 400-call warm-up the RSS grew +9.9 MB with it, +18.5 MB without. The
objects the studio made as it started are frozen first (``gc.freeze``), so that a full collection
takes ~0 ms instead of 190-390 ms holding the GIL (measured under load ~5).

Gradio also rebuilds a pandas DataFrame of all its call records after every call for that
/monitoring summary: ANALYTICS_SUMMARY_EVERY makes it every 100th (~15% less time per /generate).
"""
from __future__ import annotations

import ctypes
import gc
import os
import sys
import threading
import time

ANALYTICS_EVENTS = 1000          # calls Gradio's queue remembers for /monitoring (Gradio: 10,000)
GRADIO_SESSIONS = 500            # sessions whose state Gradio keeps, least recently used dropped first
                                 # (Gradio: 10,000); a dropped page's gr.State values start again empty
ANALYTICS_SUMMARY_EVERY = 100    # calls between two /monitoring summaries (Gradio: 1, a DataFrame per call)
TRIM_EVERY = 30.0                # seconds between two full collections + malloc_trim(0)
MMAP_THRESHOLD = 128 * 1024      # blocks this large or larger get their own mapping, returned on free
                                 # (glibc's own starting value, kept fixed instead of climbing)
_M_MMAP_THRESHOLD = -3           # mallopt parameter number in glibc's malloc.h


def bound_queue_records(demo) -> None:
    """Keep only the last ANALYTICS_EVENTS call records in ``demo``'s queue (after ``demo.queue()``).

    Gradio has no public setting for it (only GRADIO_ANALYTICS_MAX_EVENTS, read when the queue is
    made); the queue trims its records to this attribute on every call."""
    demo._queue.ANALYTICS_MAX_EVENTS = ANALYTICS_EVENTS
    if "GRADIO_ANALYTICS_CACHE_FREQUENCY" not in os.environ:  # (sic: Gradio's attribute name)
        demo._queue.ANAYLTICS_CACHE_FREQUENCY = ANALYTICS_SUMMARY_EVERY


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


def _glibc():
    """glibc's C library (ctypes), or None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # musl has no such function
        libc.malloc_trim.argtypes, libc.malloc_trim.restype = [ctypes.c_size_t], ctypes.c_int
        return libc
    except (OSError, AttributeError):
        return None


def trim_heap() -> bool:
    """Hand the free pages in glibc's arenas back to the system (``malloc_trim(0)``: inside the
    heaps, not only at their tops). False off glibc."""
    libc = _glibc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True


_trimmer: threading.Thread | None = None


def start_heap_trimmer(every: float = TRIM_EVERY) -> bool:
    """A daemon thread that runs a full garbage collection and ``trim_heap`` every ``every`` seconds
    (one per process). False off glibc."""
    global _trimmer
    if _glibc() is None:
        return False
    if _trimmer is None or not _trimmer.is_alive():
        def loop():
            time.sleep(every)
            gc.collect()
            gc.freeze()  # what the studio made as it started stays: full collections skip it (~250 ms -> ~0)
            while True:
                trim_heap()
                time.sleep(every)
                gc.collect()  # what waits for Python's rare full collection first: then its pages can go
        _trimmer = threading.Thread(target=loop, name="studio-heap-trim", daemon=True)
        _trimmer.start()
    return True

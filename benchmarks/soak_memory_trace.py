"""What grows per ``/generate`` call: tracemalloc, gc counts and glibc's heap inside a soaked studio.

Starts the studio like ``soak_generate.py`` (same child-process server, same calls). After the
warm-up the server starts ``tracemalloc`` (so the imports are not traced and the server starts in
seconds) and takes a snapshot; it takes another at each ``--every`` calls (on SIGUSR1). At the end
this prints, against snapshot ``--base``, the allocation sites that grew most (grouped by
traceback), the object types whose gc count grew, Gradio's per-event bookkeeping, and glibc's
heap (``mallinfo2``: bytes in use, free bytes kept in the arenas) with the RSS before and after a
``malloc_trim(0)``: what Python objects hold versus what the allocator keeps.

    python benchmarks/soak_memory_trace.py --calls 4000 --every 1000
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from soak_generate import call, free_port, rss_mb  # noqa: E402

SERVER = """
import sys, time, tracemalloc, gc, signal, json, collections, ctypes, threading
sys.path.insert(0, {repo!r})
from studio.app import build_demo, launch_options
demo = build_demo()
demo.launch(**launch_options(), server_name="127.0.0.1", server_port={port}, prevent_thread_lock=True, quiet=True)
out, n = {out!r}, [0]

class MallInfo2(ctypes.Structure):
    _fields_ = [(f, ctypes.c_size_t) for f in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                               "fsmblks", "uordblks", "fordblks", "keepcost")]
libc = ctypes.CDLL(None)
libc.mallinfo2.restype = MallInfo2
libc.malloc_trim.argtypes, libc.malloc_trim.restype = [ctypes.c_size_t], ctypes.c_int

def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

def heap():
    m = libc.mallinfo2()
    return {{"arena MB": round(m.arena / 2**20, 1), "in use MB": round(m.uordblks / 2**20, 1),
             "free kept MB": round(m.fordblks / 2**20, 1), "mmapped MB": round(m.hblkhd / 2**20, 1)}}

def sizes():
    q = demo._queue
    app = demo.server_app
    return {{
        "queue.event_analytics": len(q.event_analytics),
        "queue.event_ids_to_events": len(q.event_ids_to_events),
        "app.iterators": len(app.iterators) if app else None,
        "blocks.temp_file_sets": sum(len(s) for s in demo.temp_file_sets),
        "state_holder sessions": len(demo.state_holder.session_data),
        "traced MB": round(tracemalloc.get_traced_memory()[0] / 2**20, 1) if tracemalloc.is_tracing() else 0,
        **heap(),
    }}

def snap(*_):
    if not tracemalloc.is_tracing():
        tracemalloc.start({frames})
    gc.collect()
    counts = collections.Counter(type(o).__qualname__ for o in gc.get_objects())
    tracemalloc.take_snapshot().dump(f"{{out}}/snap{{n[0]}}.tm")
    tmp = __import__("pathlib").Path(out) / f".gc{{n[0]}}.json"
    tmp.write_text(json.dumps({{"types": counts, "sizes": sizes()}}))
    tmp.rename(tmp.with_name(tmp.name[1:]))  # whole, so the soak never reads half a file
    n[0] += 1

def trim(*_):
    before = rss()
    t0 = time.perf_counter()
    libc.malloc_trim(0)
    took = time.perf_counter() - t0
    tmp = __import__("pathlib").Path(out) / ".trim.json"
    tmp.write_text(json.dumps({{"rss before": before, "rss after": rss(), "ms": 1000 * took, **heap()}}))
    tmp.rename(tmp.with_name(tmp.name[1:]))

signal.signal(signal.SIGUSR1, lambda *a: threading.Thread(target=snap).start())
signal.signal(signal.SIGUSR2, lambda *a: threading.Thread(target=trim).start())
import threading  # the studio imports scikit-learn in the background when it starts: RSS is measured after it
while any(t.name == "map-preload" for t in threading.enumerate()):
    time.sleep(0.1)
print("ready", flush=True)
while True:
    time.sleep(3600)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repo", type=Path, default=Path(__file__).resolve().parent.parent)
    ap.add_argument("--calls", type=int, default=4000)
    ap.add_argument("--every", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--base", type=int, default=1, help="snapshot to compare the last with (0: after warm-up)")
    ap.add_argument("--model", default="bundled/rims-64")
    a = ap.parse_args()
    import tracemalloc
    repo = a.repo.resolve()
    with tempfile.TemporaryDirectory(prefix="soaktrace-") as tmp:
        root = Path(tmp)
        out = root / "snaps"
        for f in ("workspace", "gradio", "tmp", "snaps"):
            (root / f).mkdir()
        port = free_port()
        env = {**os.environ, "STUDIO_WORKSPACE": str(root / "workspace"), "STUDIO_WEIGHTS_DIR": str(repo / "weights"),
               "STUDIO_SECRET": "soak-secret", "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
               "GRADIO_TEMP_DIR": str(root / "gradio"), "TMPDIR": str(root / "tmp")}
        code = SERVER.format(repo=str(repo), port=port, out=str(out), frames=a.frames)
        server = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True, cwd=str(repo))
        taken = [0]

        def snapshot(label: str) -> None:
            server.send_signal(signal.SIGUSR1)
            taken[0] += 1
            while not (out / f"gc{taken[0] - 1}.json").exists():
                time.sleep(0.5)
            threads = next(ln.split()[1] for ln in Path(f"/proc/{server.pid}/status").read_text().splitlines()
                           if ln.startswith("Threads:"))
            print(f"{label:>14}: RSS {rss_mb(server.pid):7.1f} MB, {threads} threads  "
                  f"{json.loads((out / f'gc{taken[0] - 1}.json').read_text())['sizes']}", flush=True)

        try:
            assert server.stdout.readline().strip() == "ready", "the studio did not start"
            url = f"http://127.0.0.1:{port}/"
            with httpx.Client(timeout=300) as c:
                for s in range(20):
                    call(c, url, a.model, 10**6 + s, "soakwarmup")
            snapshot("after warm-up")
            for start in range(0, a.calls, a.every):
                def worker(k: int) -> None:
                    with httpx.Client(timeout=300) as c:
                        for seed in range(start + k, min(start + a.every, a.calls), a.threads):
                            call(c, url, a.model, seed, f"soakthread{k}")
                threads = [threading.Thread(target=worker, args=(k,)) for k in range(a.threads)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                snapshot(f"{min(start + a.every, a.calls)} calls")
            first = tracemalloc.Snapshot.load(str(out / f"snap{a.base}.tm"))
            last = tracemalloc.Snapshot.load(str(out / f"snap{taken[0] - 1}.tm"))
            print(f"\n== tracemalloc: top growth from snapshot {a.base} to the last, by traceback ==")
            for st in last.compare_to(first, "traceback")[:a.top]:
                print(f"{st.size_diff / 1024:+9.1f} KiB {st.count_diff:+7d} blocks")
                for line in st.traceback.format()[-2 * min(a.frames, 8):]:
                    print("      " + line)
            t0 = json.loads((out / f"gc{a.base}.json").read_text())["types"]
            t1 = json.loads((out / f"gc{taken[0] - 1}.json").read_text())["types"]
            grew = sorted(((t1[k] - t0.get(k, 0), k) for k in t1 if t1[k] - t0.get(k, 0) > 0), reverse=True)
            print(f"\n== gc objects by type: growth from snapshot {a.base} to the last ==")
            for d, k in grew[:a.top]:
                print(f"{d:+8d} {k}")
            server.send_signal(signal.SIGUSR2)  # malloc_trim(0): what glibc keeps but could give back
            while not (out / "trim.json").exists():
                time.sleep(0.5)
            print(f"\n== malloc_trim(0) at the end ==\n{json.loads((out / 'trim.json').read_text())}")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()

"""Soak: many ``/generate`` calls against a local studio; RSS and disk use must stay flat.

Starts the studio of ``--repo`` in a child process (temporary workspace, Gradio temp folder and
system temp folder under one directory, the bundled models of ``--repo``), then makes ``--calls``
raw HTTP calls of ``/generate`` (Gradio's ``/gradio_api/call/generate`` POST + event stream GET)
from ``--threads`` threads (one Gradio session each, as a page or a gradio_client has), every
call a different seed, as a visitor moving the slider would.
Prints the server's RSS and the disk use of the workspace, the Gradio temp folder and the system
temp folder (download copies) before, at each tenth, and after, and the RSS growth from the warm-up.

The server counts as started once its background import of scikit-learn (the design map's) is
done. Warm-up: 20 calls from one session (the model loaded), then ``--warmup`` calls (400) from the
soak's own threads and sessions, so that what the load needs once (a state per session, a malloc
arena and a thread per concurrent handler) is there before the growth is measured. Both RSS values
are printed; ``--warmup 0`` measures from the first 20 calls.

    python benchmarks/soak_generate.py                        # this checkout, 10,000 calls
    python benchmarks/soak_generate.py --repo /tmp/before     # another checkout (before/after)
    python benchmarks/soak_generate.py --trace /tmp/mem.jsonl # and what holds the memory at each report
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

VISITOR = "soak-visitor-0123456789abcdef"  # long enough for chosen-id rules


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SERVER = """
import sys, time
sys.path.insert(0, {repo!r})
from studio.app import build_demo, launch_options
demo = build_demo()
demo.launch(**launch_options(), server_name="127.0.0.1", server_port={port}, prevent_thread_lock=True, quiet=True)
import threading  # the studio imports scikit-learn in the background when it starts: RSS is measured after it
while any(t.name == "map-preload" for t in threading.enumerate()):
    time.sleep(0.1)
if {trace!r}:  # --trace: on SIGUSR1, one JSON line of what holds memory (no tracemalloc: full speed)
    import collections, ctypes, gc, io, json, os, re, signal
    class MallInfo2(ctypes.Structure):
        _fields_ = [(f, ctypes.c_size_t) for f in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                   "fsmblks", "uordblks", "fordblks", "keepcost")]
    libc = ctypes.CDLL(None)
    libc.mallinfo2.restype = MallInfo2

    def pymalloc():  # Python's own allocator (its 256 KB arenas are mmapped: glibc does not see them)
        r, w = os.pipe()
        saved = os.dup(2)
        os.dup2(w, 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(w)
        text = b""
        while chunk := os.read(r, 1 << 16):
            text += chunk
        os.close(r)
        found = {{k: int(v.replace(",", "")) for k, v in re.findall(r"# (.+?)\\s*=\\s*([\\d,]+)", text.decode())}}
        if "arenas allocated current" not in found:  # PYTHONMALLOC=malloc: no arenas of its own
            return {{}}
        grab = lambda key: found[key.lstrip("# ")]
        return {{"py arenas": grab("# arenas allocated current"),
                 "py arenas MB": round(grab("# arenas allocated current") * 256 / 1024, 1),
                 "py blocks MB": round(grab("# bytes in allocated blocks") / 2**20, 1)}}

    def dump(*_):
        gc.collect()
        m = libc.mallinfo2()
        status = dict(l.split(":", 1) for l in open("/proc/self/status"))
        kb = lambda key: round(int(status[key].split()[0]) / 1024, 1)
        line = {{"rss MB": kb("VmRSS"), "anon MB": kb("RssAnon"), "file MB": kb("RssFile"),
                 "threads": threading.active_count(), "gc objects": len(gc.get_objects()),
                 "glibc in use MB": round(m.uordblks / 2**20, 1), "glibc free kept MB": round(m.fordblks / 2**20, 1),
                 "glibc mmapped MB": round(m.hblkhd / 2**20, 1), **pymalloc()}}
        with open({trace!r}, "a") as f:
            f.write(json.dumps(line) + "\\n")

    signal.signal(signal.SIGUSR1, lambda *a: threading.Thread(target=dump).start())
print("ready", flush=True)
while True:
    time.sleep(3600)
"""


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def disk(folder: Path) -> tuple[float, int]:
    """(MB, files) under ``folder``."""
    size, count = 0, 0
    for dirpath, _, files in os.walk(folder):
        for f in files:
            try:
                size += os.lstat(os.path.join(dirpath, f)).st_size
                count += 1
            except OSError:
                pass
    return size / 2**20, count


def call(client: httpx.Client, url: str, model: str, seed: int, session: str) -> None:
    r = client.post(f"{url}gradio_api/call/generate",
                    json={"data": [model, seed, 1.0, VISITOR], "session_hash": session})
    r.raise_for_status()
    event = r.json()["event_id"]
    with client.stream("GET", f"{url}gradio_api/call/generate/{event}") as s:
        kind = None
        for line in s.iter_lines():
            if line.startswith("event:"):
                kind = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and kind in ("complete", "error"):
                if kind == "error":
                    raise RuntimeError(f"seed {seed}: {line}")
                json.loads(line[5:])
                return
    raise RuntimeError(f"seed {seed}: stream ended without a result")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repo", type=Path, default=Path(__file__).resolve().parent.parent)
    ap.add_argument("--calls", type=int, default=10_000)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--warmup", type=int, default=400, help="calls after the first 20 and before the soak, from "
                    "its threads and sessions (0: the first 20 calls only, one session)")
    ap.add_argument("--model", default="bundled/rims-64")
    ap.add_argument("--trace", type=Path, help="at each report the server appends what holds its memory to this "
                    "file (glibc's heap, Python's allocator, threads, gc objects) and it is printed")
    a = ap.parse_args()
    trace_lock = threading.Lock()
    if a.trace:
        a.trace = a.trace.resolve()
        a.trace.unlink(missing_ok=True)
    repo = a.repo.resolve()
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        root = Path(tmp)
        folders = {"workspace": root / "workspace", "gradio temp": root / "gradio", "system temp": root / "tmp"}
        for f in folders.values():
            f.mkdir()
        port = free_port()
        env = {**os.environ, "STUDIO_WORKSPACE": str(folders["workspace"]), "STUDIO_WEIGHTS_DIR": str(repo / "weights"),
               "STUDIO_SECRET": "soak-secret", "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
               "GRADIO_TEMP_DIR": str(folders["gradio temp"]), "TMPDIR": str(folders["system temp"])}
        code = SERVER.format(repo=str(repo), port=port, trace=str(a.trace or ""))
        server = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True, cwd=str(repo))
        try:
            assert server.stdout.readline().strip() == "ready", "the studio did not start"
            url = f"http://127.0.0.1:{port}/"

            def report(label: str) -> None:
                parts = [f"RSS {rss_mb(server.pid):7.1f} MB"]
                for name, f in folders.items():
                    mb, n = disk(f)
                    parts.append(f"{name} {mb:7.2f} MB / {n:5d} files")
                print(f"{label:>14}: " + " | ".join(parts), flush=True)
                if a.trace:
                    with trace_lock:
                        n = len(a.trace.read_text().splitlines()) if a.trace.exists() else 0
                        server.send_signal(signal.SIGUSR1)
                        deadline = time.monotonic() + 30
                        while (len(a.trace.read_text().splitlines()) if a.trace.exists() else 0) == n:
                            if time.monotonic() > deadline:
                                raise RuntimeError("the server wrote no --trace line in 30 s")
                            time.sleep(0.1)
                        print(f"{'':>14}  {a.trace.read_text().splitlines()[-1]}", flush=True)

            done, lock, errors = [0], threading.Lock(), []

            def worker(k: int, calls: int, first_seed: int, every: int) -> None:
                with httpx.Client(timeout=120) as c:
                    for seed in range(first_seed + k, first_seed + calls, a.threads):
                        try:
                            call(c, url, a.model, seed, f"soakthread{k}")
                        except Exception as e:  # counted and shown; the soak goes on
                            errors.append(str(e)[:200])
                        with lock:
                            done[0] += 1
                            n = done[0]
                        if every and n % every == 0:
                            report(f"{n} calls")

            def run(calls: int, first_seed: int, every: int) -> None:
                threads = [threading.Thread(target=worker, args=(k, calls, first_seed, every))
                           for k in range(a.threads)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()

            with httpx.Client(timeout=120) as c:
                for s in range(20):  # the model loaded, the first pictures made
                    call(c, url, a.model, 10**6 + s, "soakwarmup")
            report("after 20 calls")
            if a.warmup:  # the soak's own load once: its threads and sessions, every path taken concurrently
                run(a.warmup, 2 * 10**6, 0)
                done[0] = 0
                report("after warm-up")
            start = rss_mb(server.pid)
            t0 = time.perf_counter()
            run(a.calls, 0, max(1, a.calls // 10))
            elapsed = time.perf_counter() - t0
            report("after")
            print(f"{a.calls} /generate calls ({a.threads} threads) in {elapsed:.0f} s "
                  f"({1000 * elapsed / a.calls * a.threads:.0f} ms per call per thread); errors: {len(errors)}"
                  + (f" (first: {errors[0]})" if errors else ""))
            end = rss_mb(server.pid)
            print(f"RSS {start:.1f} MB after warm-up -> {end:.1f} MB after {a.calls} calls: "
                  f"{end - start:+.1f} MB ({100 * (end - start) / start:+.1f}%)")
            print(f"load average: {os.getloadavg()[0]:.2f}")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()

"""Soak: many ``/generate`` calls against a local studio; RSS and disk use must stay flat.

Starts the studio of ``--repo`` in a child process (temporary workspace, Gradio temp folder and
system temp folder under one directory, the bundled models of ``--repo``), then makes ``--calls``
raw HTTP calls of ``/generate`` (Gradio's ``/gradio_api/call/generate`` POST + event stream GET)
from ``--threads`` threads (one Gradio session each, as a page or a gradio_client has), every
call a different seed, as a visitor moving the slider would.
Prints the server's RSS and the disk use of the workspace, the Gradio temp folder and the system
temp folder (download copies) before, at each tenth, and after.

    python benchmarks/soak_generate.py                        # this checkout, 10,000 calls
    python benchmarks/soak_generate.py --repo /tmp/before     # another checkout (before/after)
"""
from __future__ import annotations

import argparse
import json
import os
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
    ap.add_argument("--model", default="bundled/rims-64")
    a = ap.parse_args()
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
        server = subprocess.Popen([sys.executable, "-c", SERVER.format(repo=str(repo), port=port)], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=str(repo))
        try:
            assert server.stdout.readline().strip() == "ready", "the studio did not start"
            url = f"http://127.0.0.1:{port}/"

            def report(label: str) -> None:
                parts = [f"RSS {rss_mb(server.pid):7.1f} MB"]
                for name, f in folders.items():
                    mb, n = disk(f)
                    parts.append(f"{name} {mb:7.2f} MB / {n:5d} files")
                print(f"{label:>14}: " + " | ".join(parts), flush=True)

            with httpx.Client(timeout=120) as c:
                for s in range(20):  # warm up: model loaded, caches filled
                    call(c, url, a.model, 10**6 + s, "soakwarmup")
            report("after warm-up")
            done, lock, errors = [0], threading.Lock(), []
            t0 = time.perf_counter()

            def worker(k: int) -> None:
                with httpx.Client(timeout=120) as c:
                    for seed in range(k, a.calls, a.threads):
                        try:
                            call(c, url, a.model, seed, f"soakthread{k}")
                        except Exception as e:  # counted and shown; the soak goes on
                            errors.append(str(e)[:200])
                        with lock:
                            done[0] += 1
                            n = done[0]
                        if n % max(1, a.calls // 10) == 0:
                            report(f"{n} calls")

            threads = [threading.Thread(target=worker, args=(k,)) for k in range(a.threads)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.perf_counter() - t0
            report("after")
            print(f"{a.calls} /generate calls ({a.threads} threads) in {elapsed:.0f} s "
                  f"({1000 * elapsed / a.calls * a.threads:.0f} ms per call per thread); errors: {len(errors)}"
                  + (f" (first: {errors[0]})" if errors else ""))
            print(f"load average: {os.getloadavg()[0]:.2f}")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()

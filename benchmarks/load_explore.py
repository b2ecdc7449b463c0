"""Load: many visitors exploring while one run trains on the same machine (loopback only).

Starts the studio of this checkout in a child process (temporary workspace, bundled models), has
one visitor save the sample set as a small dataset and start a run, lets the run train alone
for ``--alone`` seconds, then lets ``--visitors`` simulated designers work for ``--seconds``
seconds at a designer's pace: each drags the seed (a few /generate calls 0.15 s apart), now and
then saves a design on the board (/save_design), opens a saved one (/board_list, then its
picture) or exports a print PNG (/design_png), and thinks 1-3 s between actions. Then the run
is stopped and the server closed; nothing outside 127.0.0.1 is reached.

Prints, per endpoint and for all of Explore, the latency of each call measured on the loopback
(request to result, so it includes the wait in Gradio's queue: what the page feels), the
training run's steps/s alone and under load (from its log.jsonl, polled every second), the
errors (there must be none) and the machine's load average.

    python benchmarks/load_explore.py                            # 20 visitors, 60 s
    python benchmarks/load_explore.py --visitors 5 --seconds 20 --alone 15
"""
from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from soak_generate import SERVER, free_port, rss_mb  # noqa: E402

CLEANUP = ["corner", 0, 50, False, False, True, 0.1, 32, "binary"]   # background … mode; 32 px
TRAIN = ["quick", "dcgan", 32, 8, 16, 2e-4, 1, ["translation"]]      # preset … augment
EXPLORE = ("generate", "save_design", "board_list", "design_png")


def call(client: httpx.Client, url: str, api: str, data: list, session: str) -> object:
    """One raw Gradio API call (POST, then the event stream); the result's data, or RuntimeError."""
    r = client.post(f"{url}gradio_api/call/{api}", json={"data": data, "session_hash": session})
    r.raise_for_status()
    event = r.json()["event_id"]
    result, kind = None, None
    with client.stream("GET", f"{url}gradio_api/call/{api}/{event}") as s:
        for line in s.iter_lines():
            if line.startswith("event:"):
                kind = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and kind == "error":
                raise RuntimeError(f"{api}: {line[5:].strip()[:200]}")
            elif line.startswith("data:") and kind == "complete":
                return json.loads(line[5:])
            elif line.startswith("data:") and kind == "generating":
                result = line
    if result is None:
        raise RuntimeError(f"{api}: stream ended without a result")
    return result


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = {a: [] for a in EXPLORE}
        self.errors: list[str] = []

    def timed(self, client, url, api, data, session):
        t0 = time.perf_counter()
        try:
            out = call(client, url, api, data, session)
        except Exception as e:  # counted and shown
            with self.lock:
                self.errors.append(f"{api}: {str(e)[:160]}")
            return None
        with self.lock:
            self.times[api].append(1000 * (time.perf_counter() - t0))
        return out


def visitor(rec: Recorder, url: str, model: str, deadline: float, seed: int) -> None:
    rng = random.Random(seed)
    vid, session = secrets.token_urlsafe(24), f"load{seed:04d}{secrets.token_hex(4)}"
    current = rng.randrange(10**6)
    with httpx.Client(timeout=120) as c:
        time.sleep(rng.uniform(0, 3))  # visitors arrive spread out
        while time.monotonic() < deadline:
            roll = rng.random()
            if roll < 0.6:  # drag the seed slider: a few moves
                for _ in range(rng.randint(3, 8)):
                    current += rng.choice((-1, 1)) * rng.randint(1, 5)
                    rec.timed(c, url, "generate", [model, current, 1.0, vid], session)
                    time.sleep(0.15)
            elif roll < 0.75:
                rec.timed(c, url, "save_design", [model, current, 1.0, vid], session)
            elif roll < 0.9:  # open a saved design
                saved = rec.timed(c, url, "board_list", ["", False, vid], session)
                designs = (saved or [[]])[0] or []
                if designs:
                    current = int(rng.choice(designs).get("seed") or current)
                    rec.timed(c, url, "generate", [model, current, 1.0, vid], session)
            else:
                rec.timed(c, url, "design_png", [model, current, 1.0, 4, vid], session)
            time.sleep(rng.uniform(1.0, 3.0))  # a designer looks before the next move


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--visitors", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60, help="how long the visitors work")
    ap.add_argument("--alone", type=float, default=30, help="seconds the run trains alone first")
    ap.add_argument("--model", default="bundled/rims-64")
    a = ap.parse_args()
    repo = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory(prefix="load-") as tmp:
        root = Path(tmp)
        for sub in ("workspace", "gradio", "tmp"):
            (root / sub).mkdir()
        port = free_port()
        env = {**os.environ, "STUDIO_WORKSPACE": str(root / "workspace"), "STUDIO_WEIGHTS_DIR": str(repo / "weights"),
               "STUDIO_SECRET": "load-secret", "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
               "GRADIO_TEMP_DIR": str(root / "gradio"), "TMPDIR": str(root / "tmp")}
        server = subprocess.Popen([sys.executable, "-c", SERVER.format(repo=str(repo), port=port)], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=str(repo))
        try:
            assert server.stdout.readline().strip() == "ready", "the studio did not start"
            url = f"http://127.0.0.1:{port}/"
            trainer = secrets.token_urlsafe(24)
            with httpx.Client(timeout=300) as c:
                call(c, url, "use_sample_set", [trainer], "loadtrainer01")
                call(c, url, "save_dataset", ["rims", *CLEANUP, trainer], "loadtrainer01")
                for s in range(5):  # the model loaded, as after the first visitor
                    call(c, url, "generate", [a.model, s, 1.0, trainer], "loadwarmup01")
            minutes = (a.alone + a.seconds + 120) / 60
            stream = threading.Thread(target=lambda: _drain(url, ["rims", *TRAIN, "minutes", minutes, trainer, 1, "auto"]),
                                      daemon=True)
            stream.start()
            runs = root / "workspace" / "visitors" / trainer / "runs"
            steps: list[tuple[float, int]] = []
            stop_poll = threading.Event()
            poller = threading.Thread(target=_poll_steps, args=(runs, steps, stop_poll), daemon=True)
            poller.start()
            t_wait = time.monotonic()
            while not steps and time.monotonic() - t_wait < 180:
                time.sleep(0.5)
            assert steps, "the run did not start within 3 minutes"
            time.sleep(a.alone)
            t_load = time.monotonic()
            rec = Recorder()
            deadline = t_load + a.seconds
            threads = [threading.Thread(target=visitor, args=(rec, url, a.model, deadline, k)) for k in range(a.visitors)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            t_end = time.monotonic()
            rss = rss_mb(server.pid)
            try:  # the server is closed next anyway
                with httpx.Client(timeout=120) as c:
                    call(c, url, "stop", [trainer], "loadtrainer01")
            except Exception as e:
                print(f"stop: {str(e)[:120]}", flush=True)
            stop_poll.set()
            alone = _speed(steps, steps[0][0], t_load)
            loaded = _speed(steps, t_load, t_end)
            _table(rec, a, alone, loaded, rss)
        finally:
            server.terminate()
            server.wait(timeout=30)


def _drain(url: str, data: list) -> None:
    with httpx.Client(timeout=None) as c:
        try:
            call(c, url, "train", data, "loadtrainer01")
        except Exception as e:  # stopped or ended: shown only when it failed
            if "stopped" not in str(e):
                print(f"train stream: {str(e)[:200]}", flush=True)


def _poll_steps(runs: Path, out: list, stop: threading.Event) -> None:
    while not stop.is_set():
        for log in runs.glob("*/log.jsonl"):
            try:
                rows = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
            except (OSError, ValueError):
                continue
            step = max((r.get("step", 0) for r in rows), default=0)
            if step:
                out.append((time.monotonic(), step))
        time.sleep(1.0)


def _speed(samples: list[tuple[float, int]], t0: float, t1: float) -> float:
    inside = [(t, s) for t, s in samples if t0 <= t <= t1]
    if len(inside) < 2 or inside[-1][0] == inside[0][0]:
        return float("nan")
    return (inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0])


def _table(rec: Recorder, a, alone: float, loaded: float, rss: float) -> None:
    every = [x for api in EXPLORE for x in rec.times[api]]
    print(f"\n{a.visitors} visitors for {a.seconds:.0f} s while one run trains (loopback; ms from request to result)")
    print(f"| {'endpoint':<12} | {'calls':>5} | {'median ms':>9} | {'p95 ms':>7} | {'max ms':>7} |")
    print(f"| {'-' * 12} | {'-' * 5} | {'-' * 9} | {'-' * 7} | {'-' * 7} |")
    for api in EXPLORE + ("all Explore",):
        xs = every if api == "all Explore" else rec.times[api]
        if xs:
            print(f"| {api:<12} | {len(xs):>5} | {statistics.median(xs):>9.0f} | {pct(xs, 0.95):>7.0f} | {max(xs):>7.0f} |")
    ratio = loaded / alone if alone == alone and alone else float("nan")
    print(f"\ntraining: {alone:.2f} steps/s alone, {loaded:.2f} steps/s with the visitors ({100 * ratio:.0f}%)")
    print(f"errors: {len(rec.errors)}" + (f" (first: {rec.errors[0]})" if rec.errors else ""))
    print(f"server RSS {rss:.0f} MB; load average {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} CPUs")
    if every and pct(every, 0.95) > 300:
        print("Explore's p95 is over 300 ms")


if __name__ == "__main__":
    main()

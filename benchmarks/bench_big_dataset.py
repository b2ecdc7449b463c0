"""Thousands of photos: prepare, load and train on 20,000 generated 256 px colour rims.

    python benchmarks/bench_big_dataset.py [--images 20000] [--steps 50] [--memory-gb 0]
        [--work /tmp/design-studio-big] [--batch-size 16]

1. renders ``--images`` sample rim photos (gan_core.data.samples, 256 px JPEGs; kept in --work
   and reused by the next run), on every core;
2. prepares them once into the run folder's memory-mapped store of decoded pictures
   (gan_core.data.datastore.prepare_store: a process pool, with progress);
3. trains the ``quick`` preset at 256 px colour for ``--steps`` steps: the store is copied to
   memory as uint8 when it fits the budget (--memory-gb, default half the free memory), else
   every batch is a slice of the memory-mapped file.

Prints each stage's time and the peak resident memory of this process (and of the pool's
workers). 20,000 x 256 x 256 x 3 bytes is 3.7 GiB as uint8 (14.6 GiB as float32).
Numbers, not assertions.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]


def _render(args) -> None:
    from gan_core.data.samples import render_rim
    folder, i = args
    render_rim(i, 256).save(Path(folder) / f"rim_{i:05d}.jpg", format="JPEG", quality=92)


def rss_gb(who=resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 2 ** 20  # ru_maxrss is in KiB on Linux


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=20_000)
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--memory-gb", type=float, default=0.0, help="dataset budget (0 = auto); small = stream")
    p.add_argument("--work", default="/tmp/design-studio-big")
    a = p.parse_args(argv)
    import shutil

    import torch
    from gan_core.data.datastore import open_store, prepare_store
    from gan_core.training.presets import preset
    from gan_core.training.runfolder import RunFolder
    from gan_core.training.trainer import Trainer

    photos = Path(a.work) / f"rims-{a.images}"
    cores = len(os.sched_getaffinity(0))
    if len(list(photos.glob("*.jpg"))) != a.images:
        shutil.rmtree(photos, ignore_errors=True)
        photos.mkdir(parents=True)
        t0 = time.perf_counter()
        with ProcessPoolExecutor(cores) as ex:
            list(ex.map(_render, [(str(photos), i) for i in range(a.images)], chunksize=64))
        print(f"rendered {a.images} photos (256 px JPEG) in {time.perf_counter() - t0:.0f} s on {cores} cores")
    run = RunFolder(Path(a.work) / "run")
    shutil.rmtree(run.path, ignore_errors=True)
    run.path.mkdir(parents=True)

    t0, last = time.perf_counter(), [0.0]

    def progress(done, total):
        if done == total or time.perf_counter() - last[0] > 10:
            last[0] = time.perf_counter()
            print(f"  preparing {done}/{total} ({done / max(1e-9, last[0] - t0):.0f} images/s)", flush=True)

    prepare_store(photos, run.decoded_images, 256, 3, None, progress)
    prep = time.perf_counter() - t0
    size = run.decoded_images.stat().st_size
    print(f"prepared {a.images} images in {prep:.0f} s into {run.decoded_images.name} ({size / 2 ** 30:.2f} GiB "
          f"uint8; float32 would be {4 * size / 2 ** 30:.1f} GiB); peak RSS so far {rss_gb():.2f} GiB, "
          f"pool workers {rss_gb(resource.RUSAGE_CHILDREN):.2f} GiB")

    cfg = preset("quick", resolution=256, channels=3, steps=a.steps, minutes=None, batch_size=a.batch_size,
                 data_memory_gb=a.memory_gb, log_every=10, sample_every=10 ** 6, checkpoint_minutes=60.0)
    t0 = time.perf_counter()
    trainer = Trainer(cfg, open_store(run.decoded_images), run.path, resume=False, evaluate=False)
    print(f"loaded: {trainer.data.describe()} in {time.perf_counter() - t0:.1f} s; peak RSS {rss_gb():.2f} GiB")
    t0 = time.perf_counter()
    result = trainer.run_loop()
    secs = time.perf_counter() - t0
    print(f"trained {result.step} steps at 256 px (batch {a.batch_size}) in {secs:.0f} s "
          f"({result.step / secs:.2f} steps/s, torch threads {torch.get_num_threads()})")
    print(f"peak RSS of this process: {rss_gb():.2f} GiB (machine budget 24 GB); "
          f"of the preparation workers: {rss_gb(resource.RUSAGE_CHILDREN):.2f} GiB")


if __name__ == "__main__":
    main()

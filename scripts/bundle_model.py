"""Turn a finished run into a bundled generator folder under weights/ (config, weights, card).

    python scripts/bundle_model.py RUN_DIR weights/rims-64 --dataset "..." --reproduce "..."

Copies config.json + model.safetensors + final_grid.png (+ progress.gif, metrics.json) with
gan_core.hub.transfer.build_push_folder, adds the training pictures (dataset.safetensors) so Explore
can show each design's nearest training image, and writes the model card (README.md).
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gan_core.hub.transfer import build_push_folder  # noqa: E402
from gan_core.training.runfolder import RunFolder  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir")
    ap.add_argument("out_dir")
    ap.add_argument("--title", default=None)
    ap.add_argument("--dataset", default=None, help="one sentence on the training images")
    ap.add_argument("--hardware", default=None)
    ap.add_argument("--reproduce", default=None, help="the exact commands that made this model")
    ap.add_argument("--notes", default=None)
    a = ap.parse_args()
    out = Path(a.out_dir)
    if out.exists():
        shutil.rmtree(out)
    extra = {k: v for k, v in dict(title=a.title, dataset=a.dataset, hardware=a.hardware, reproduce=a.reproduce,
                                   notes=a.notes, model_path=str(out)).items() if v}
    build_push_folder(a.run_dir, out, None, extra=extra)
    run = RunFolder(a.run_dir)
    if run.training_images.is_file():
        shutil.copyfile(run.training_images, out / run.training_images.name)
    for p in sorted(out.iterdir()):
        print(f"{p.stat().st_size / 1024:8.0f} KB  {p}")


if __name__ == "__main__":
    main()

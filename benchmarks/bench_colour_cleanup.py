"""Colour cleanup against ground truth: twemoji-objects-raw -> twemoji-objects.

Each raw "product photo" (256 px, tinted uneven backdrop, noise, blur, a small rotation
and scale) is cleaned at 64 px (crop, margin 0) and compared with its clean original
(64 px, the emoji on white). Printed, per method, means over all photos (grey levels
0..255, per channel):

* MAE: mean |cleaned - truth| over every pixel (includes the raw photos' rotation, which
  no cleanup can undo);
* MAE blurred: the same after a Gaussian blur (sigma 1.5 px) of both, less sensitive to
  that misalignment;
* backdrop left: mean darkness (255 - value) of cleaned pixels where the truth is white
  and at least 3 px from the object: what is left of the backdrop;
* object colour: distance between the mean colour of the object in the cleaned picture
  and in the truth (pixels at least 2 px inside the object): did the colours survive.

    python benchmarks/bench_colour_cleanup.py [--data ../shared/data] [--save grid.png]

``--save`` writes a grid (raw | cleaned | truth) of the first 12 photos for a look.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gan_core.data.preprocess import CleanupConfig, clean_image  # noqa: E402

METHODS = {
    # the colour mode before the backdrop model: the grey border median +- tolerance
    "border median (old colour mode)": CleanupConfig(background="border", tolerance=12, threshold=0,
                                                     crop=True, margin=0.0, size=64, mode="binary"),
    "backdrop model (colour mode)": CleanupConfig(crop=True, margin=0.0, size=64, mode="color"),
}


def old_colour(image: Image.Image, cfg: CleanupConfig) -> np.ndarray:
    """The old colour mode: RGB where the grey mask says object, white elsewhere."""
    from gan_core.data.preprocess import crop_centred, detail_mask, object_box, pad_to_square, resize_square
    rgb = np.asarray(image.convert("RGB"))
    mask = detail_mask(np.asarray(image.convert("L")), cfg)
    out = np.where(mask[..., None], rgb, np.uint8(255))
    box = object_box(mask)
    if box is not None:
        out = crop_centred(out, box, cfg.margin, 255)
    return resize_square(pad_to_square(out, 255), cfg.size)


def scores(clean: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    c, t = clean.astype(np.float32), truth.astype(np.float32)
    obj = (255 - t).max(-1) > 30
    far = cv2.dilate(obj.astype(np.uint8), np.ones((7, 7), np.uint8)) == 0
    inner = cv2.erode(obj.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    blur = lambda a: cv2.GaussianBlur(a, (0, 0), 1.5)  # noqa: E731
    return {
        "MAE": float(np.abs(c - t).mean()),
        "MAE blurred": float(np.abs(blur(c) - blur(t)).mean()),
        "backdrop left": float((255 - c[far]).mean()) if far.any() else 0.0,
        "object colour": float(np.linalg.norm(c[inner].mean(0) - t[inner].mean(0))) if inner.any() else 0.0,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--limit", type=int, default=0, help="first N photos only (0: all)")
    ap.add_argument("--save", type=Path, default=None, help="write a raw | cleaned | truth grid here")
    a = ap.parse_args()
    raws = sorted((a.data / "twemoji-objects-raw").glob("*.jpg"))
    if a.limit:
        raws = raws[:a.limit]
    if not raws:
        sys.exit(f"no photos under {a.data / 'twemoji-objects-raw'}")
    rows, shown = {}, []
    for name, cfg in METHODS.items():
        t0, results = time.perf_counter(), []
        for k, path in enumerate(raws):
            image = Image.open(path).convert("RGB")
            truth = np.asarray(Image.open(a.data / "twemoji-objects" / (path.stem + ".png")).convert("RGB"))
            clean = old_colour(image, cfg) if cfg.mode == "binary" else np.asarray(clean_image(image, cfg))
            results.append(scores(clean, truth))
            if cfg.mode == "color" and k < 12:
                shown.append((np.asarray(image.resize((64, 64), Image.BOX)), clean, truth))
        ms = (time.perf_counter() - t0) / len(raws) * 1000
        rows[name] = ({key: np.mean([r[key] for r in results]) for key in results[0]}, ms)
    keys = list(next(iter(rows.values()))[0])
    print(f"{len(raws)} photos of {a.data / 'twemoji-objects-raw'} at 64 px (grey levels, lower is better)")
    print(f"{'method':<34}" + "".join(f"{k:>15}" for k in keys) + f"{'ms/photo':>10}")
    for name, (vals, ms) in rows.items():
        print(f"{name:<34}" + "".join(f"{vals[k]:>15.1f}" for k in keys) + f"{ms:>10.1f}")
    if a.save:
        tiles = [np.concatenate(t, axis=1) for t in shown]
        grid = np.concatenate([np.concatenate(tiles[i:i + 3], axis=1) for i in range(0, len(tiles) - 2, 3)])
        Image.fromarray(grid).resize((grid.shape[1] * 2, grid.shape[0] * 2), Image.NEAREST).save(a.save)
        print(f"grid: {a.save}")


if __name__ == "__main__":
    main()

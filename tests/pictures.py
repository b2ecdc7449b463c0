"""Small real design pictures for the symmetry, SVG, print-PNG and board tests."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
BUNDLED = REPO / "weights" / "rims-64"


@lru_cache(maxsize=1)
def bundled_model():
    from gan_core.design.generate import load_generator
    return load_generator(BUNDLED)


def rims(seeds=(0, 1, 2, 3, 4)) -> np.ndarray:
    """(N, 64, 64) uint8 rims drawn by the bundled generator: dark ink on white, anti-aliased."""
    return bundled_model().generate(list(seeds))


def ring(size: int = 64, r0: float = 12, r1: float = 24, centre=None, ink: int = 0, bg: int = 255) -> np.ndarray:
    """An anti-aliased ring (a shape with a hole), drawn at 4x and area-averaged."""
    k = 4
    cx, cy = centre if centre is not None else ((size - 1) / 2, (size - 1) / 2)
    yy, xx = np.mgrid[0:size * k, 0:size * k]
    r = np.hypot((xx + 0.5) / k - 0.5 - cx, (yy + 0.5) / k - 0.5 - cy)
    cover = cv2.resize(((r >= r0) & (r <= r1)).astype(np.float32), (size, size), interpolation=cv2.INTER_AREA)
    return np.rint(bg + cover * (ink - bg)).astype(np.uint8)


def icon(name_part: str = "", size: int = 64) -> np.ndarray:
    """The first Font Awesome icon of tests/fixtures/fa-icons-train whose name holds ``name_part``."""
    from PIL import Image
    from conftest import fixture_files
    path = fixture_files("fa-icons-train", f"*{name_part}*.png")[0]
    return np.asarray(Image.open(path).convert("L").resize((size, size), Image.LANCZOS))


def ink_mask(picture: np.ndarray) -> np.ndarray:
    """True where a dark-on-light picture has ink (below mid-grey)."""
    g = picture if picture.ndim == 2 else picture[..., :3].mean(axis=2)
    return g < 128


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))

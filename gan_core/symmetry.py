"""Symmetry for designs: N-fold rotation (rot2..rot12) or mirrors (mirror-lr, mirror-tb, mirror-both).

Specs are short strings so they travel in design records and API calls:
``none``, ``rotN`` (N = 2..12), ``mirror-lr`` (left-right), ``mirror-tb`` (top-bottom),
``mirror-both``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .errors import UserError

MIRRORS = ("mirror-lr", "mirror-tb", "mirror-both")
MIN_FOLD, MAX_FOLD = 2, 12


@dataclass(frozen=True)
class Symmetry:
    spec: str
    fold: int = 0          # N for rotN, else 0
    mirror: str = ""       # lr | tb | both | ""


def parse_symmetry(spec) -> Symmetry:
    s = str(spec if spec is not None else "none").strip().lower()
    if s in ("", "none", "off"):
        return Symmetry("none")
    if s in MIRRORS:
        return Symmetry(s, mirror=s.split("-")[1])
    m = re.fullmatch(r"rot(?:ation)?[-_ ]?(\d+)", s)
    if m and MIN_FOLD <= int(m.group(1)) <= MAX_FOLD:
        return Symmetry(f"rot{int(m.group(1))}", fold=int(m.group(1)))
    raise UserError(f"symmetry must be none, rot{MIN_FOLD}..rot{MAX_FOLD} (N-fold rotation), "
                    f"{', '.join(MIRRORS)}; got {spec!r}")


def symmetrize(picture: np.ndarray, spec) -> np.ndarray:
    """The picture (H, W[, 3]) uint8 made symmetric (placeholder: mirrors only; see issue 12)."""
    sym = parse_symmetry(spec)
    if sym.spec == "none":
        return picture
    raise NotImplementedError("symmetry is being built (issue 12)")

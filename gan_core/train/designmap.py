"""A map of a model's designs: ~400 seeds laid out so that similar designs sit together
(``gan_core.metrics.atlas``: HOG + t-SNE + a grid assignment), computed once per model and cached.

It lives in the train stage because it needs both ``design`` (the designs) and ``metrics`` (the
layout); the page calls ``design_map`` and ``DesignMap.design_at`` for a click.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..checkpoint import atomic_write_bytes
from ..data.images import make_grid
from ..design.encoder import weights_hash
from ..design.latent import check_seed, z_from_seeds
from ..design.record import Design
from ..errors import UserError
from ..metrics.atlas import grid_layout

MAP_FORMAT = 1
PADDING = 2               # white pixels around each design on the picture (make_grid's)
MIN_COUNT, MAX_COUNT = 16, 2000


@dataclass
class DesignMap:
    picture: np.ndarray   # uint8 (H, W[, 3]): the atlas, ``cols`` x ``rows`` designs
    seeds: np.ndarray     # int64 (rows * cols,): the seed drawn in each cell, row-major; -1: empty
    cols: int
    rows: int
    cell: int             # pixels from one design's corner to the next (its side + PADDING)
    model_ref: str
    z_dim: int
    from_cache: bool = False

    def cell_at(self, x, y) -> int:
        """The row-major cell index under pixel (x, y) of ``picture`` (a click's coordinates)."""
        try:
            x, y = float(x), float(y)
        except (TypeError, ValueError):
            raise UserError(f"a map position must be two numbers; got {x!r}, {y!r}") from None
        h, w = self.picture.shape[:2]
        if not (0 <= x < w and 0 <= y < h):
            raise UserError(f"({x:g}, {y:g}) is outside the map ({w}x{h} pixels)")
        col = min(self.cols - 1, max(0, int((x - PADDING / 2) // self.cell)))
        row = min(self.rows - 1, max(0, int((y - PADDING / 2) // self.cell)))
        return row * self.cols + col

    def design_at(self, x, y) -> Design:
        """The design drawn at pixel (x, y) of the map picture."""
        seed = int(self.seeds[self.cell_at(x, y)])
        if seed < 0:
            raise UserError("no design in this corner of the map; click a design")
        return Design.from_seed(self.model_ref, seed, self.z_dim, note="from the map")


def _cache_path(model, cache_dir, count: int, seed: int) -> Path:
    return Path(cache_dir) / f"map-{weights_hash(model)}-{count}-{seed}.npz"


def design_map(model, cache_dir, count: int = 400, seed: int = 0, model_ref: str | None = None) -> DesignMap:
    """The map of ``count`` designs (seeds ``seed`` .. ``seed + count - 1``) of ``model``, read from
    ``cache_dir`` when it was computed before for these weights, else computed and cached there."""
    if isinstance(count, bool) or not isinstance(count, int) or not MIN_COUNT <= count <= MAX_COUNT:
        raise UserError(f"count must be a whole number between {MIN_COUNT} and {MAX_COUNT}; got {count!r}")
    seed = check_seed(seed)
    check_seed(seed + count - 1)
    ref = model_ref or model.source or "model"
    res = model.config.resolution
    path = _cache_path(model, cache_dir, count, seed)
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as f:
                if int(f["format"]) == MAP_FORMAT:
                    return DesignMap(f["picture"], f["seeds"], int(f["cols"]), int(f["rows"]), res + PADDING,
                                     ref, model.z_dim, from_cache=True)
        except (OSError, ValueError, KeyError):
            pass  # an unreadable cache is computed again
    seeds = np.arange(seed, seed + count, dtype=np.int64)
    pictures = model.from_latents(z_from_seeds(seeds.tolist(), model.z_dim), batch_size=200)
    cells, cols, rows = grid_layout(pictures, seed=seed)
    blank = np.full_like(pictures[0], 255)
    tiles = np.stack([pictures[i] if i >= 0 else blank for i in cells])
    picture = make_grid(tiles, nrow=cols, padding=PADDING)
    cell_seeds = np.where(cells >= 0, seeds[np.maximum(cells, 0)], -1)
    buf = io.BytesIO()
    np.savez_compressed(buf, format=MAP_FORMAT, picture=picture, seeds=cell_seeds, cols=cols, rows=rows)
    atomic_write_bytes(path, buf.getvalue())
    return DesignMap(picture, cell_seeds, cols, rows, res + PADDING, ref, model.z_dim)

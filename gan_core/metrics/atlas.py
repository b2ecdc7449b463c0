"""A map of pictures: similar ones side by side on a grid, from the project's own features.

HOG descriptors (``features.hog``: shape, tolerant of small shifts; no downloaded network; colour
pictures add their coarse mean colours),
reduced to 50-D with PCA and to 2-D with t-SNE (scikit-learn), then snapped to the cells of a
grid with the assignment that moves the points least in total (scipy's
``linear_sum_assignment``): neighbours in t-SNE stay neighbours on the grid, every cell holds
at most one picture.
"""
from __future__ import annotations

import math

import numpy as np

from ..data.images import from_uint8
from ..errors import UserError
from .features import hog

PCA_DIMS = 50
PERPLEXITY = 30.0
TSNE_ITERATIONS = 500    # 250 of early exaggeration + 250: ~0.6 s for 400 designs (1000: ~1.2 s)


def grid_shape(count: int) -> tuple[int, int]:
    """(cols, rows) of the squarest grid that holds ``count`` pictures."""
    cols = max(1, math.ceil(math.sqrt(count)))
    return cols, math.ceil(count / cols)


def preload() -> None:
    """Import the layout's libraries (scikit-learn, scipy: ~1.3 s on this CPU) ahead of the first map;
    the studio calls it in a background thread when it starts, so the first map does not wait for them."""
    from scipy.optimize import linear_sum_assignment  # noqa: F401
    from sklearn.decomposition import PCA  # noqa: F401
    from sklearn.manifold import TSNE  # noqa: F401


def grid_layout(pictures: np.ndarray, seed: int = 0) -> tuple[np.ndarray, int, int]:
    """(cells, cols, rows): ``cells[k]`` is the index of the picture drawn in cell k (row-major),
    -1 for an empty cell. ``pictures``: (N, H, W[, 3]) uint8, N >= 8."""
    from scipy.optimize import linear_sum_assignment
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE
    pictures = np.asarray(pictures)
    if pictures.dtype != np.uint8 or pictures.ndim not in (3, 4) or pictures.shape[0] < 8:
        raise UserError(f"a map needs at least 8 uint8 pictures (N, H, W[, 3]); got {pictures.dtype} {pictures.shape}")
    n = pictures.shape[0]
    channels = 1 if pictures.ndim == 3 else pictures.shape[3]
    x = from_uint8(pictures, channels=channels)
    feats = hog(x).numpy().astype(np.float64)
    if channels == 3:  # HOG sees luminance only: colour designs also carry their 4 x 4 mean colours,
        import torch.nn.functional as F  # weighed like the shape (same mean norm after centring)
        colour = F.adaptive_avg_pool2d(x, 4).flatten(1).numpy().astype(np.float64)
        colour -= colour.mean(0)
        shape = feats - feats.mean(0)
        colour *= np.linalg.norm(shape, axis=1).mean() / max(np.linalg.norm(colour, axis=1).mean(), 1e-9)
        feats = np.concatenate([feats, colour], axis=1)
    feats = PCA(n_components=min(PCA_DIMS, n - 1, feats.shape[1]), random_state=seed).fit_transform(feats)
    xy = TSNE(n_components=2, perplexity=min(PERPLEXITY, (n - 1) / 3), init="pca", random_state=seed,
              method="barnes_hut", max_iter=TSNE_ITERATIONS).fit_transform(feats)
    cols, rows = grid_shape(n)
    xy = (xy - xy.min(0)) / np.maximum(np.ptp(xy, axis=0), 1e-9)   # the cloud stretched over the grid
    gx, gy = np.meshgrid((np.arange(cols) + 0.5) / cols, (np.arange(rows) + 0.5) / rows)
    centres = np.stack([gx.ravel(), gy.ravel()], 1)                # (cells, 2), row-major
    cost = ((xy[:, None, :] - centres[None]) ** 2).sum(-1)          # (N, cells)
    picture_idx, cell_idx = linear_sum_assignment(cost)
    cells = np.full(cols * rows, -1, dtype=np.int64)
    cells[cell_idx] = picture_idx
    return cells, cols, rows

"""Quality metrics for a generated set against the training set, with no downloads.

Everything is pure torch on whatever device the inputs live on; randomness comes
from a CPU ``torch.Generator`` so a seed gives the same numbers on CPU and GPU.

Inputs (``real``, ``fake``) are either float tensors (N, C, H, W) in [-1, 1] or
uint8 picture stacks (N, H, W) / (N, H, W, 3) (converted by ``images.from_uint8``).

* ``sliced_wasserstein`` / ``swd_per_level``: multi-scale sliced Wasserstein
  distance on Laplacian-pyramid patches (Karras et al. 2018, Progressive GAN).
* ``coverage_density``: Naeem et al. 2020, "Reliable Fidelity and Diversity
  Metrics for Generative Models", on 32x32 pixels.
* ``memorisation``: which generated designs are near-copies of a training image.
* ``palette_distance`` and HOG coverage (``coverage_density(..., features=hog)``):
  see ``gan_core.metrics.features``; colour sets need the first, shapes the second.
* ``evaluate`` bundles them into a JSON-ready dict; ``format_report`` explains it.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..data import images
from .features import hog, palette_distance
from .wasserstein import quantile_steps, wasserstein_1d

# SWD settings (ProGAN uses 128 patches per image; 64 keeps 500 fakes CPU-fast).
PATCH_SIZE = 7           # side of the square patch descriptors
PATCHES_PER_IMAGE = 64   # random patches drawn from every image at every level
DIR_REPEATS = 4          # independent sets of random directions, averaged
DIRS_PER_REPEAT = 128    # random unit directions per set
MIN_LEVEL = 16           # the pyramid stops at the first level below this size
FEATURE_SIZE = 32        # side of the pixel features for coverage/density/memorisation
MEMO_PERCENTILE = 5.0    # copy threshold: this percentile of real nearest-neighbour distances

# Measured by benchmarks/metrics_floor.py at 64 px grayscale: fa-icons-100 vs the other
# 575 icons, and vs uniform noise pictures made at 128 px and area-downsampled like the
# icons. format_report quotes them to give the SWD number a scale.
SWD_FLOOR_64 = 35.0
SWD_NOISE_64 = 540.0
# The same for colour (7x7x3 patches), from /work/shared/data/README.md and
# benchmarks/metrics_floor.py --colour: twemoji-objects-100 vs the other 114 objects at 64 px.
SWD_FLOOR_COLOUR_64 = 49.0
SWD_NOISE_COLOUR_64 = 1290.0
PALETTE_FLOOR_COLOUR = 11.0   # palette distance of the other real objects (blurred ≈ 38)

# A binomial 5-tap filter, the kernel of cv2.pyrDown (and of ProGAN's pyr_down).
_BINOMIAL = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0


# ----------------------------------------------------------------------------- inputs

def _as_tensor(x, device: torch.device | None = None) -> torch.Tensor:
    """A set of images as float (N, C, H, W) in [-1, 1]."""
    if isinstance(x, torch.Tensor):
        if not x.is_floating_point():
            raise ValueError(f"expected a float tensor in [-1, 1], got {x.dtype}; "
                             "pass uint8 pictures as a numpy array")
        t = x.detach().float()
    else:
        a = np.asarray(x)
        if a.dtype != np.uint8:
            raise ValueError(f"expected a float tensor or uint8 pictures, got {a.dtype} array")
        if a.ndim == 3:      # (N, H, W): a grayscale stack, whatever W is
            t = images.from_uint8(a, channels=1)
        elif a.ndim == 4:    # (N, H, W, C)
            t = images.from_uint8(a)
        else:
            raise ValueError(f"expected pictures (N,H,W) or (N,H,W,3), got shape {a.shape}")
    if t.dim() != 4:
        raise ValueError(f"expected images (N,C,H,W), got shape {tuple(t.shape)}")
    if t.shape[0] == 0:
        raise ValueError("expected at least one image, got an empty set")
    return t if device is None else t.to(device)


def _as_pair(real, fake) -> tuple[torch.Tensor, torch.Tensor]:
    """Both sets on real's device with real's channel count; sizes must agree."""
    r = _as_tensor(real)
    f = _as_tensor(fake, r.device)
    if f.shape[1] != r.shape[1]:
        if f.shape[1] == 3 and r.shape[1] == 1:   # same luminance weights as images.py
            w = torch.tensor([0.299, 0.587, 0.114], device=f.device).view(1, 3, 1, 1)
            f = (f * w).sum(1, keepdim=True)
        elif f.shape[1] == 1 and r.shape[1] == 3:
            f = f.expand(-1, 3, -1, -1)
        else:
            raise ValueError(f"real has {r.shape[1]} channels but fake has {f.shape[1]}")
    if f.shape[-2:] != r.shape[-2:]:
        raise ValueError(f"real images are {tuple(r.shape[-2:])} but fake are "
                         f"{tuple(f.shape[-2:])}; compare sets at one resolution")
    return r, f


# ----------------------------------------------------------------------------- SWD

def _blur(x: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Separable 5x5 filter with mirror borders (scipy 'mirror' == torch 'reflect').

    Written as shifted sums: on CPU this is ~8x faster than a 1x5 depthwise conv2d.
    """
    h, w = x.shape[-2:]
    k = kernel.tolist()
    x = F.pad(x, (2, 2, 2, 2), mode="reflect")
    x = sum(k[i] * x[..., :, i:i + w] for i in range(5))
    return sum(k[i] * x[..., i:i + h, :] for i in range(5))


def _pyr_down(x: torch.Tensor) -> torch.Tensor:
    return _blur(x, _BINOMIAL)[:, :, ::2, ::2]


def _pyr_up(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    n, c, h, w = x.shape
    up = x.new_zeros(n, c, 2 * h, 2 * w)
    up[:, :, ::2, ::2] = x
    # x2 per axis restores the brightness lost to the inserted zeros (cv2.pyrUp).
    return _blur(up, _BINOMIAL * 2.0)[:, :, :size[0], :size[1]]


def _levels(size: int) -> list[int]:
    """Pyramid sizes: full resolution halved down to MIN_LEVEL (just the image if smaller)."""
    out = [size]
    while (out[-1] + 1) // 2 >= MIN_LEVEL:
        out.append((out[-1] + 1) // 2)
    return out


def laplacian_pyramid(x: torch.Tensor, num_levels: int) -> list[torch.Tensor]:
    """Band-pass levels, finest first; the last one is the Gaussian (low-pass) residual."""
    pyramid = [x]
    for _ in range(1, num_levels):
        low = _pyr_down(pyramid[-1])
        pyramid[-1] = pyramid[-1] - _pyr_up(low, tuple(pyramid[-1].shape[-2:]))
        pyramid.append(low)
    return pyramid


def _patch_centres(n: int, h: int, w: int,
                   gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """PATCHES_PER_IMAGE random patch centres for each of n images, keeping patches inside."""
    r = PATCH_SIZE // 2
    ys = torch.randint(r, h - r, (n, PATCHES_PER_IMAGE), generator=gen)
    xs = torch.randint(r, w - r, (n, PATCHES_PER_IMAGE), generator=gen)
    return ys, xs


def _patches(level: torch.Tensor, ys: torch.Tensor, xs: torch.Tensor) -> torch.Tensor:
    """The patches around the first N rows of centres -> (N*P, C*PATCH_SIZE^2)."""
    n = level.shape[0]
    off = torch.arange(-(PATCH_SIZE // 2), PATCH_SIZE // 2 + 1)
    img = torch.arange(n).view(n, 1, 1, 1)
    ys = ys[:n, :, None, None] + off.view(1, 1, -1, 1)
    xs = xs[:n, :, None, None] + off.view(1, 1, 1, -1)
    dev = level.device
    p = level[img.to(dev), :, ys.to(dev), xs.to(dev)]   # (N, P, k, k, C)
    return p.permute(0, 1, 4, 2, 3).reshape(n * ys.shape[1], -1)


def swd_per_level(real, fake, seed: int = 0) -> dict[int, float]:
    """Sliced Wasserstein distance x 1000 at each Laplacian-pyramid level, keyed by size.

    ProGAN's recipe: a Laplacian pyramid from full size down to 16 px (the coarsest level
    is the low-pass residual), PATCHES_PER_IMAGE random 7x7 patches per image and level,
    DIR_REPEATS x DIRS_PER_REPEAT random unit directions, W1 of the projections.
    Two deliberate differences:

    * Patches are normalised by the *real* set's per-dimension mean and std, applied to
      both sets, so a fake set that is too faint or too contrasty is penalised. ProGAN
      normalises each set by its own per-channel statistics, which hides such shifts
      (on fa-icons that variant gives a floor of ~24 and noise ~190).
    * The sets may differ in size: the exact W1 between the two empirical distributions
      is used (see ``wasserstein_1d``), which is ProGAN's mean |sorted difference| when
      the counts are equal; no patches are thrown away.

    The score has a floor set by sampling: two independent sets of real designs do not
    score 0. On fa-icons at 64 px, the 100 training icons vs the other 575 score about
    SWD_FLOOR_64 (35; 128 px: 33), vs 500 of them also 35, but 100 vs 100 other icons
    ~65 and 50 vs 500 ~73. So the floor depends on the set sizes: compare numbers only
    between evaluations with the same sizes (the trainer's 500 generated designs vs
    ~100 training images). Uniform noise pictures made at 128 px and area-downsampled
    like the icons score about SWD_NOISE_64 (540); noise drawn per pixel at 64 px ~700.
    A 16-px-or-smaller set gives one level; below 7 px there is no room for a patch.
    """
    r, f = _as_pair(real, fake)
    h, w = r.shape[-2:]
    if min(h, w) < PATCH_SIZE:
        raise ValueError(f"images must be at least {PATCH_SIZE} px for SWD, got {h}x{w}")
    sizes = _levels(min(h, w))
    gen = torch.Generator().manual_seed(int(seed))
    out: dict[int, float] = {}
    for size, lr, lf in zip(sizes, laplacian_pyramid(r, len(sizes)),
                            laplacian_pyramid(f, len(sizes))):
        # Image i of both sets uses the same patch positions (common random numbers):
        # no bias, since the two sets are unrelated, but identical sets score exactly 0.
        ys, xs = _patch_centres(max(lr.shape[0], lf.shape[0]), *lr.shape[-2:], gen)
        pr, pf = _patches(lr, ys, xs), _patches(lf, ys, xs)
        mean = pr.mean(0, keepdim=True)
        std = pr.std(0, keepdim=True).clamp_min(1e-8)
        pr, pf = (pr - mean) / std, (pf - mean) / std
        steps = quantile_steps(pr.shape[0], pf.shape[0], pr.device)
        results = []
        for _ in range(DIR_REPEATS):
            dirs = torch.randn(pr.shape[1], DIRS_PER_REPEAT, generator=gen)
            dirs = (dirs / dirs.norm(dim=0, keepdim=True)).to(pr.device)
            results.append(wasserstein_1d((pr @ dirs).T.contiguous(),
                                           (pf @ dirs).T.contiguous(), steps))
        out[size] = float(torch.stack(results).mean()) * 1000.0
    return out


def sliced_wasserstein(real, fake, seed: int = 0) -> float:
    """Multi-scale SWD x 1000 (lower is better): the mean of ``swd_per_level``."""
    levels = swd_per_level(real, fake, seed)
    return float(sum(levels.values()) / len(levels))


# ----------------------------------------------------------------------------- neighbours

def _features(x: torch.Tensor) -> torch.Tensor:
    """Area-downsampled FEATURE_SIZE^2 pixels, flattened: (N, C*FEATURE_SIZE^2)."""
    return F.adaptive_avg_pool2d(x, FEATURE_SIZE).flatten(1)


def _cdist(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    # The direct (non-matmul) form gives exact zeros for identical rows and identical
    # values for d(a,b) and d(b,a), which the ball-membership ties below rely on.
    # In row blocks: the direct form holds a (rows, len(b), dims) difference, 0.7 GB for
    # 1000 HOG descriptors against 100, which would set the evaluation's peak memory.
    rows = max(1, 2**24 // max(1, b.shape[0] * a.shape[1]))
    return torch.cat([torch.cdist(a[i:i + rows], b, compute_mode="donot_use_mm_for_euclid_dist")
                      for i in range(0, a.shape[0], rows)]) if a.shape[0] else a.new_zeros(0, b.shape[0])


def coverage_density(real, fake, k: int = 5, features=None) -> dict[str, float]:
    """Coverage and density of Naeem et al. 2020 on 32x32 pixel features
    (C x 32 x 32: colour counts), or on ``features(x) -> (N, D)`` (e.g. ``features.hog``).

    Each real image owns a ball reaching its k-th nearest other real image.
    coverage: share of real balls holding at least one fake (diversity; 1 is best).
    density: fakes-in-balls counted with multiplicity / (k * num_fake); about 1 when
    fake matches real, above 1 when fakes crowd the common designs.
    Membership is strict (``<``), as in the paper's code, so a set against itself has
    density exactly 1.
    """
    r, f = _as_pair(real, fake)
    if r.shape[0] <= k:
        raise ValueError(f"coverage/density needs more than k={k} real images, got {r.shape[0]}")
    feat = features or _features
    fr, ff = feat(r), feat(f)
    d_rr = _cdist(fr, fr)
    radii = d_rr.kthvalue(k + 1, dim=1).values        # k+1: skip the zero self-distance
    inside = _cdist(ff, fr) < radii.unsqueeze(0)      # (fake, real)
    return {
        "coverage": float(inside.any(0).float().mean()),
        "density": float(inside.float().sum() / (k * f.shape[0])),
    }


def memorisation(real, fake) -> dict:
    """Which fakes are near-copies of a training image, on 32x32 pixel features.

    threshold: the MEMO_PERCENTILE-th percentile of each training image's distance to
    its nearest *other* training image. A fake is memorised when its nearest training
    image is at distance <= threshold; ``<=`` so that an exact copy (distance 0) counts
    even when duplicates in the training set make the threshold 0.
    Returns share (0..1), nearest (training index per fake), distances, threshold.
    """
    r, f = _as_pair(real, fake)
    if r.shape[0] < 2:
        raise ValueError(f"memorisation needs at least 2 real images, got {r.shape[0]}")
    fr, ff = _features(r), _features(f)
    d_rr = _cdist(fr, fr)
    d_rr.fill_diagonal_(float("inf"))
    nn_real = d_rr.min(1).values
    threshold = float(torch.quantile(nn_real.double(), MEMO_PERCENTILE / 100.0))
    dist, nearest = _cdist(ff, fr).min(1)
    return {
        "share": float((dist.double() <= threshold).float().mean()),
        "nearest": [int(i) for i in nearest.cpu()],
        "distances": [float(d) for d in dist.cpu()],
        "threshold": threshold,
    }


# ----------------------------------------------------------------------------- bundle

def evaluate(real, fake, seed: int = 0, k: int = 5) -> dict:
    """All metrics as plain floats/ints/lists/str-keyed dicts, ready for json.dump.

    Keys: swd, swd_levels ({"64": ..., "32": ..., "16": ...}), coverage, density,
    hog_coverage, hog_density (the same on HOG shape descriptors), palette (colour
    distance, see ``features.palette_distance``), memorised_share, memorised_count,
    memorised_threshold, nearest (training index per fake), nearest_distances, num_real,
    num_fake, resolution, channels, k, seed.
    """
    r, f = _as_pair(real, fake)
    levels = swd_per_level(r, f, seed)
    n = r.shape[0]
    # tiny datasets: k shrinks to what the set allows; one image has no neighbours at all
    k = min(k, n - 1)
    cd = coverage_density(r, f, k) if k >= 1 else {"coverage": None, "density": None}
    hd = coverage_density(r, f, k, features=hog) if k >= 1 else {"coverage": None, "density": None}
    if n >= 2:
        memo = memorisation(r, f)
    else:
        d = _cdist(_features(f), _features(r))[:, 0]
        memo = {"share": None, "nearest": [0] * f.shape[0], "distances": [float(x) for x in d], "threshold": None}
    memorised = None if memo["threshold"] is None else sum(d <= memo["threshold"] for d in memo["distances"])
    return {
        "swd": float(sum(levels.values()) / len(levels)),
        "swd_levels": {str(size): v for size, v in levels.items()},
        "coverage": cd["coverage"],
        "density": cd["density"],
        "hog_coverage": hd["coverage"],
        "hog_density": hd["density"],
        "palette": palette_distance(r, f, seed),
        "memorised_share": memo["share"],
        "memorised_count": None if memorised is None else int(memorised),
        "memorised_threshold": memo["threshold"],
        "nearest": memo["nearest"],
        "nearest_distances": memo["distances"],
        "num_real": int(r.shape[0]),
        "num_fake": int(f.shape[0]),
        "resolution": int(r.shape[-1]),
        "channels": int(r.shape[1]),
        "k": int(k),
        "seed": int(seed),
    }


def format_report(metrics: dict) -> str:
    """A few lines a person can read: each number and which way is good."""
    levels = " · ".join(f"{s} px {v:.0f}" for s, v in metrics["swd_levels"].items())
    n_fake = metrics.get("num_fake", len(metrics.get("nearest", [])))
    colour = metrics.get("channels", 1) == 3
    scale = (f"on 100 colour objects at 64 px the real-vs-real floor is ≈ {SWD_FLOOR_COLOUR_64:.0f}, "
             f"random noise ≈ {SWD_NOISE_COLOUR_64:,.0f}" if colour else
             f"on 100 icons at 64 px the real-vs-real floor is ≈ {SWD_FLOOR_64:.0f}, "
             f"random noise ≈ {SWD_NOISE_64:.0f}")
    lines = [
        f"SWD {metrics['swd']:.0f} (lower is better; {scale})",
        f"  per level: {levels}  (fine detail first, overall shape last)",
    ]
    if metrics.get("palette") is not None:
        lines.append(f"Palette {metrics['palette']:.0f} (colour distance, lower is better"
                     + (f"; new real objects ≈ {PALETTE_FLOOR_COLOUR:.0f}, blurred ones ≈ 38)" if colour
                        else "; grey levels only)"))
    if metrics.get("coverage") is not None:
        lines += [
            f"Coverage {metrics['coverage']:.2f} (share of training designs with a generated "
            f"design nearby; 1 is best, low means the generator repeats a few designs)",
            f"Density {metrics['density']:.2f} (≈ 1 when generated designs sit among the real "
            f"ones; well below 1 means off-style, above 1 crowding on common designs)",
        ]
        if metrics.get("hog_coverage") is not None:
            lines.append(f"Shape coverage {metrics['hog_coverage']:.2f} (the same on HOG shape "
                         f"descriptors, density {metrics['hog_density']:.2f})")
    if metrics.get("memorised_share") is not None:
        lines.append(
            f"Memorised {100 * metrics['memorised_share']:.0f}% "
            f"({metrics.get('memorised_count', '?')} of {n_fake} generated designs are "
            f"near-copies of a training image; lower is better, though new real designs "
            f"score ≈ {MEMO_PERCENTILE:.0f}% by construction)")
    if metrics.get("coverage") is None or metrics.get("memorised_share") is None:
        lines.append(f"(coverage, density and memorisation need more training images; "
                     f"this set has {metrics.get('num_real', '?')})")
    return "\n".join(lines)


def nearest_training(designs, training) -> list[dict]:
    """For each design: the index of its nearest training image, the distance, and
    whether it counts as a near-copy (same rule and threshold as ``memorisation``)."""
    r, f = _as_pair(training, designs)
    if r.shape[0] >= 2:
        m = memorisation(r, f)
        return [{"index": i, "distance": d, "memorised": d <= m["threshold"]}
                for i, d in zip(m["nearest"], m["distances"])]
    d = _cdist(_features(f), _features(r))[:, 0]
    return [{"index": 0, "distance": float(x), "memorised": None} for x in d]

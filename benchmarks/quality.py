"""Shared by quality_run.py and ablation.py: one timed training run and its target table.

A run trains a preset (with overrides) for N minutes on a folder, then generates
``count`` designs from its EMA generator and compares them with the training images:
multi-scale SWD and its coarsest level, each against the real-vs-real floor measured on
the same data (the training images vs the other images of the full folder, at the same
resolution and channels), the palette distance, pixel and HOG coverage, the memorised
share and the peak RSS.
"""
from __future__ import annotations

import copy
import json
import resource
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gan_core.data.datasets import load_dataset  # noqa: E402
from gan_core.data.images import make_grid, save_png, to_uint8  # noqa: E402
from gan_core.metrics import quality as metrics  # noqa: E402
from gan_core.nets.models import RECALIBRATION_SAMPLES, recalibrate_batchnorm  # noqa: E402
from gan_core.training.presets import preset  # noqa: E402
from gan_core.training.trainer import Trainer  # noqa: E402
from gan_core.training.trainer_step import ema_decay_at  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
FULL = {"fa-icons-100": "fa-icons", "twemoji-objects-100": "twemoji-objects"}  # floor references


def parse_overrides(items: list[str]) -> dict:
    """["lecam_weight=0.1", "width=16", "augment=translation"] -> typed values (JSON where it parses)."""
    out = {}
    for item in items or []:
        key, _, value = item.partition("=")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


def floor(data_dir: Path, resolution: int, channels: int, seed: int = 0) -> dict | None:
    """SWD levels and palette of the training images vs the rest of the full folder (cached)."""
    full = data_dir.parent / FULL.get(data_dir.name, "")
    if data_dir.name not in FULL or not full.is_dir():
        return None
    cache = Path("/tmp") / f"floor-{data_dir.name}-{resolution}-{channels}-{seed}.json"
    if cache.is_file():
        return json.loads(cache.read_text())
    names = {p.name for p in data_dir.iterdir()}
    others = [p for p in sorted(full.glob("*.png")) if p.name not in names]
    real = load_dataset(data_dir, resolution, channels).images
    other = load_dataset(others, resolution, channels).images
    levels = metrics.swd_per_level(real, other, seed)
    out = {"swd": sum(levels.values()) / len(levels), "levels": {str(k): v for k, v in levels.items()},
           "palette": metrics.palette_distance(real, other, seed), "others": len(others)}
    cache.write_text(json.dumps(out))
    return out


def _designs(G, count: int, z_dim: int) -> torch.Tensor:
    with torch.no_grad():
        z = torch.randn(count, z_dim, generator=torch.Generator().manual_seed(12345))
        return torch.cat([G(z[i:i + 100]).float() for i in range(0, count, 100)])


def _evaluate(t: Trainer, G, count: int, grid: Path, seed: int) -> dict:
    """``count`` designs of G against the training images (gan_core.metrics.quality.evaluate); the first
    16 (the same latents for every generator) are saved as a grid."""
    designs = _designs(G, count, t.cfg.model.z_dim)
    save_png(make_grid(to_uint8(designs[:16]), nrow=4), grid)
    return metrics.evaluate(t.real.float().cpu(), designs, seed=seed)


def _summary(m: dict) -> dict:
    coarse = min(m["swd_levels"], key=int)
    return {"swd": m["swd"], "coarsest": m["swd_levels"][coarse], "palette": m["palette"],
            "coverage": m["coverage"], "hog_coverage": m["hog_coverage"], "memorised_share": m["memorised_share"]}


class _MoreEmas(Trainer):
    """A Trainer that also keeps EMA generators of other decays (same ramp-up as the trainer's),
    so one training trajectory shows every decay: a paired comparison, no seed-to-seed noise."""

    def __init__(self, *args, decays: tuple[float, ...] = (), flat: tuple[float, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        # key -> (decay, ramped): "0.995" ramps up like the trainer's; "0.995flat" holds its decay from
        # step 0 (from a start point the first weights are a base's, not noise worth forgetting)
        self.decays = {f"{d:g}": (d, True) for d in decays} | {f"{d:g}flat": (d, False) for d in flat}
        self.more = {k: copy.deepcopy(self.G).eval().requires_grad_(False) for k in self.decays}

    @torch.no_grad()
    def _update_ema(self) -> None:
        super()._update_ema()
        for k, G in self.more.items():
            d, ramped = self.decays[k]
            decay = ema_decay_at(d, self.step, self.cfg.ema_start, ramped)
            torch._foreach_lerp_(list(G.parameters()), list(self.G.parameters()), 1.0 - decay)


def run(preset_name: str, data_dir: Path, resolution: int, channels: int, minutes: float | None,
        steps: int | None, out: Path, count: int = 1000, overrides: dict | None = None,
        seed: int = 0, also_g: bool = False, also_ema: tuple[float, ...] = (),
        also_ema_flat: tuple[float, ...] = ()) -> dict:
    """Train, generate ``count`` designs, evaluate; returns a JSON-ready dict of the table's numbers.

    ``also_g``: evaluate the training generator G itself too (a copy, its BatchNorm statistics
    recalibrated as the EMA generator's are), as ``row["g_itself"]``: the EMA-or-not comparison
    on the very same run. ``also_ema``: other EMA decays kept beside the run's own on the same
    trajectory, each evaluated (recalibrated) as ``row["ema_<decay>"]``; ``also_ema_flat``: the same
    without the ramp-up (``row["ema_<decay>flat"]``)."""
    budget = {"steps": steps} if steps else {"minutes": minutes}
    data = load_dataset(data_dir, resolution=resolution, channels=channels)
    cfg = preset(preset_name, resolution=resolution, channels=channels, count=len(data), seed=seed,
                 **budget, **(overrides or {}))
    t = _MoreEmas(cfg, data, out, evaluate=False, dataset_info={"name": data_dir.name}, decays=tuple(also_ema),
                  flat=tuple(also_ema_flat))
    t0 = time.perf_counter()
    r = t.run_loop()
    rss_train = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    m = _evaluate(t, t.G_ema, count, out / f"grid_ema_{cfg.ema_decay:g}.png", seed)
    f = floor(data_dir, resolution, channels, seed)
    coarse = min(m["swd_levels"], key=int)
    row = {"preset": preset_name, "overrides": overrides or {}, "data": data_dir.name, "resolution": resolution,
           "channels": channels, "images": len(data), "steps": r.step, "train_seconds": round(r.seconds, 1),
           **_summary(m), "swd_levels": m["swd_levels"], "density": m["density"], "fakes": count,
           "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
           "peak_rss_train_gb": round(rss_train, 2), "wall_seconds": round(time.perf_counter() - t0, 1),
           "run_dir": str(out), "config": cfg.to_dict()}
    others = ({"g_itself": copy.deepcopy(t.G).eval()} if also_g else {}) | {f"ema_{k}": G for k, G in t.more.items()}
    for key, G in others.items():
        recalibrate_batchnorm(G, RECALIBRATION_SAMPLES, cfg.batch_size, seed=cfg.seed)
        row[key] = _summary(_evaluate(t, G, count, out / f"grid_{key}.png", seed))
    if f:
        row.update(floor_swd=f["swd"], floor_coarsest=f["levels"][coarse], floor_palette=f["palette"],
                   swd_ratio=m["swd"] / f["swd"], coarsest_ratio=m["swd_levels"][coarse] / f["levels"][coarse])
    (out / "quality.json").write_text(json.dumps(row, indent=2))
    return row


def table(row: dict) -> str:
    """The issue's target table for one run."""
    def ratio(key):
        return f" ({row[key]:.2f}x floor)" if key in row else ""
    lines = [
        f"{row['data']}, {'colour' if row['channels'] == 3 else 'gray'}, {row['resolution']} px, "
        f"{row['images']} images; preset {row['preset']} {row['overrides'] or ''}".rstrip(),
        f"  {row['steps']} steps in {row['train_seconds'] / 60:.1f} min; {row['fakes']} generated designs",
        f"  SWD              {row['swd']:7.1f}" + (f"   floor {row['floor_swd']:.1f}" if "floor_swd" in row else "")
        + ratio("swd_ratio"),
        f"  coarsest level   {row['coarsest']:7.1f}"
        + (f"   floor {row['floor_coarsest']:.1f}" if "floor_coarsest" in row else "") + ratio("coarsest_ratio"),
        f"  palette          {row['palette']:7.1f}"
        + (f"   floor {row['floor_palette']:.1f}" if "floor_palette" in row else ""),
        f"  coverage         pixels {row['coverage']:.2f}, HOG {row['hog_coverage']:.2f}  (density {row['density']:.2f})",
        f"  memorised share  {100 * row['memorised_share']:.1f}%",
        f"  peak RSS         {row['peak_rss_gb']:.2f} GB (training {row['peak_rss_train_gb']:.2f} GB)",
    ]
    for key in sorted(k for k in row if k == "g_itself" or k.startswith("ema_")):
        g = row[key]
        lines.append(f"  {'G itself' if key == 'g_itself' else 'EMA ' + key[4:]:<16} SWD {g['swd']:.1f}, coarsest {g['coarsest']:.1f}, palette {g['palette']:.1f}, "
                     f"coverage {g['coverage']:.2f} / HOG {g['hog_coverage']:.2f}, "
                     f"memorised {100 * g['memorised_share']:.1f}%")
    return "\n".join(lines)

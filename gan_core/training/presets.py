"""Named training presets, chosen by measurement (see benchmarks/).

- ``quick``: CPU first. Compact networks, non-saturating loss with soft labels,
  DiffAugment and EMA: recognisable designs from ~100 images in ~10 minutes on 2 cores.
- ``balanced`` / ``quality``: wider networks and bigger batches for a GPU, 64-256 px.
- ``classic``: the car-rim post's WGAN-GP recipe exactly, for comparison.
"""
from __future__ import annotations

from ..checkpoint import read_json
from ..config import ModelConfig, TrainConfig, options_on
from ..errors import UserError
from .bases import base_for, base_label, resolve

PRESETS: dict[str, dict] = {
    "quick": dict(
        description="Quick try-out on a laptop CPU (~10 min, 64 px)",
        # BatchNorm in D halved SWD at 1000 steps on fa-icons-100 (56 vs 83)
        model=dict(arch="compact", width=32, z_dim=128, d_norm="batch"),
        train=dict(loss="dcgan", batch_size=32, lr_g=2e-4, lr_d=2e-4, beta1=0.5, beta2=0.999,
                   n_critic=1, augment="translation,cutout,color",
                   # EMA 0.99 (a ~100-step horizon): on one trajectory each (benchmarks/ABLATIONS.md),
                   # colour SWD 64.9 vs 74.8 (0.995) and 75.4 (0.999), gray 35.2 vs 42.0 (0.999)
                   ema_decay=0.99,
                   # LeCam (lecam_weight) is an option, off until a quiet-machine 64 px A/B shows it
                   # helps: the only evidence so far is 32 px / 600 steps on a shared CPU (ABLATIONS.md)
                   minutes=10.0, sample_every=200),
    ),
    "balanced": dict(
        description="Balanced: GPU, a few minutes, 64-128 px",
        model=dict(arch="compact", width=64, z_dim=128, d_norm="batch"),
        train=dict(loss="dcgan", batch_size=64, lr_g=2e-4, lr_d=2e-4, beta1=0.5, beta2=0.999,
                   n_critic=1, augment="translation,cutout,color", ema_decay=0.999,
                   minutes=5.0, sample_every=250),
    ),
    "quality": dict(
        description="Best quality on a GPU (hinge + spectral norm, wider, longer)",
        model=dict(arch="compact", width=64, z_dim=128, spectral_norm=True),
        train=dict(loss="hinge", batch_size=64, lr_g=2e-4, lr_d=2e-4, beta1=0.0, beta2=0.99,
                   n_critic=1, augment="translation,cutout,color", ema_decay=0.9995,
                   minutes=20.0, sample_every=500),
    ),
    "classic": dict(
        description="Classic car-rim WGAN-GP recipe (slow; for comparison)",
        model=dict(arch="classic", width=64, z_dim=100, d_norm="instance", g_dropout=0.2,
                   max_channels=1024),
        train=dict(loss="wgan-gp", batch_size=8, lr_g=1e-4, lr_d=1e-4, beta1=0.0, beta2=0.9,
                   n_critic=5, gp_lambda=10.0, augment="", reuse_real_batch=True,
                   label_smoothing=0.0, label_flip=0.0, ema_decay=0.999,
                   minutes=10.0, sample_every=50),
    ),
}


# how the Train tab's sentence names a setting
SETTING_NAMES = {"g_skip_excitation": "skip-layer excitation", "mode_seeking_weight": "mode seeking",
                 "augment": "DiffAugment", "ema_decay": "EMA decay", "ema_ramp": "EMA ramp-up"}


def _setting(key: str, value) -> str:
    """"width 16", "skip-layer excitation on": one picked setting as a designer reads it."""
    name = SETTING_NAMES.get(key, key.replace("_", " "))
    return f"{name} {('on' if value else 'off') if isinstance(value, bool) else value}"


def data_choices(name: str, resolution: int, channels: int, count: int | None) -> list[tuple[dict, str]]:
    """Settings a preset picks from the dataset: (field overrides, why) in the order applied.

    Each rule is a measurement in benchmarks/ABLATIONS.md; without one a preset keeps its
    own settings. Explicit overrides given to ``preset`` always win.
    """
    rules: list[tuple[dict, str]] = []
    for test, presets, changes, why in DATA_RULES:
        if name in presets and test(resolution, channels, count):
            rules.append((dict(changes), why))
    return rules


def explain_choice(name: str, dataset_info: dict, start: str | None = None) -> str:
    """A sentence or two for the Train tab: which settings the preset picked for this data, and why.

    ``dataset_info`` holds resolution, channels and the image count ("count" or "images");
    ``start`` a start point other than the preset's own choice ("scratch", a folder).
    """
    if name not in PRESETS:
        raise UserError(f"preset must be one of {', '.join(PRESETS)}; got {name!r}")
    res = int(dataset_info.get("resolution") or PRESETS[name]["model"].get("resolution", 64))
    ch = int(dataset_info.get("channels") or 1)
    n = dataset_info.get("count", dataset_info.get("images"))
    what = f"{n} {'colour' if ch == 3 else 'grayscale'} images at {res} px" if n else \
        f"{'colour' if ch == 3 else 'grayscale'} images at {res} px"
    cfg = preset(name, resolution=res, channels=ch, count=n, **({} if start is None else {"start": start}))
    base = (f"{name}: width {cfg.model.width}, batch {cfg.batch_size}, {cfg.loss} loss, "
            f"{_setting('augment', cfg.augment or 'off')}")
    extras = options_on(cfg.to_dict())
    if extras:
        base += ", " + ", ".join(extras)
    # (cfg.start is "" from scratch: TrainConfig reads "scratch" so)
    choices = data_choices(name, res, ch, n) + (fine_tune_choices(name, res, ch) if cfg.start else [])
    start = describe_start(cfg)
    if not choices:
        return f"{start}\n\n{base}. For {what} the preset keeps its own settings."
    picked = "; ".join(f"{', '.join(_setting(k, v) for k, v in c.items())}: {why}" for c, why in choices)
    return f"{start}\n\n{base}. Picked for {what}: {picked}."


# (test on (resolution, channels, count), presets, overrides, why) -- see data_choices.
# Only measured rules belong here (benchmarks/ABLATIONS.md).
DATA_RULES: list[tuple] = [
    # fa-icons-100, 128 px, 10 quiet CPU-minutes each (2,360 vs 968 steps: width 16 is 2.4x as fast):
    # SWD 36.1 vs 63.3 (floor 33.0), palette 12.3 vs 21.7, HOG coverage 0.76 vs 0.63; width 32 only
    # won the coarsest level (29.8 vs 36.2). benchmarks/ABLATIONS.md
    (lambda res, ch, n: res >= 128, ("quick",), dict(width=16),
     "at 128 px and up, half-width networks train 2.4x as many steps in the same minutes; measured on "
     "100 icons at 128 px: SWD 36 vs 63 for width 32 (real floor 33)"),
    # twemoji-objects-100, colour 64 px, equal wall time (1,437 vs 1,500 steps), 2 seeds each:
    # SWD 67.1 vs 81.5 (floor 49.9), coarsest level 55.3 vs 87.1, palette 16.6 vs 22.4, both seeds
    # better. On gray icons (fa-icons-100) it lost SWD in both seeds (46.6 vs 41.3): colour only.
    (lambda res, ch, n: ch == 3 and res == 64, ("quick",), dict(g_skip_excitation=True),
     "in colour at 64 px, skip-layer excitation in G (FastGAN) lets coarse features gate fine ones; "
     "measured on 100 colour objects: SWD 67 vs 82, palette 16.6 vs 22.4 at equal time (off for "
     "grayscale, where it lost)"),
    # fa-icons-100, gray 64 px, 3,337 steps each (10 quiet minutes; the same time per step side by
    # side), seeds 0/1/2: SWD 33.5 vs 41.7 (floor ~35) and coarsest level 26.1 vs 38.2, better in every
    # seed; palette 9.6 vs 9.5, HOG coverage 0.80 vs 0.80, memorised <= 0.1%. benchmarks/ABLATIONS.md
    (lambda res, ch, n: ch == 1 and res == 64, ("quick",),
     dict(mode_seeking_weight=0.3, augment="translation,color"),
     "in grayscale at 64 px, mode seeking (MSGAN) and DiffAugment without cutout draw outlined shapes "
     "closer to the training ones, fewer solid blobs; measured on 100 icons in 10 minutes, 3 seeds: SWD "
     "33.5 vs 41.7, overall shape 26 vs 38, palette and shape coverage unchanged (off in colour)"),
]


def default_preset_name() -> str:
    """quick without a GPU, balanced with one."""
    import torch
    return "balanced" if torch.cuda.is_available() else "quick"


def preset(name: str, resolution: int | None = None, channels: int | None = None, count: int | None = None,
           **overrides) -> TrainConfig:
    """A TrainConfig from a preset, with optional size and any field overridden by name.

    ``count`` (images in the dataset) lets a preset pick settings from the data, as do
    ``resolution`` and ``channels``; ``explain_choice`` says which and why."""
    if name not in PRESETS:
        raise UserError(f"preset must be one of {', '.join(PRESETS)}; got {name!r}")
    p = PRESETS[name]
    model = dict(p["model"])
    if resolution is not None:
        model["resolution"] = resolution
    if channels is not None:
        model["channels"] = channels
    train = dict(p["train"])
    res, ch = model.get("resolution", 64), model.get("channels", 1)
    for changes, _ in data_choices(name, res, ch, count):
        for k, v in changes.items():
            (model if k in ModelConfig.__dataclass_fields__ else train)[k] = v
    start = overrides.pop("start", None)
    if start is None:  # the preset's own choice: the base for this data, where it measured better
        start = "base" if name in FINE_TUNED and (res, ch) in BASE_DEFAULTS and base_for(res, ch) is not None else ""
    if start and start != "scratch":  # a start point brings its architecture (config.json) and the fine-tuning recipe
        model.update({k: v for k, v in start_architecture(start, res, ch).items() if k not in ("resolution", "channels")})
        for changes, _ in fine_tune_choices(name, res, ch):
            train.update(changes)
    cfg = TrainConfig(model=ModelConfig(**model), preset=name, start=start, **train)
    return cfg.replace(**overrides) if overrides else cfg


# Presets that start from a base model when one matches the data (classic is the post's recipe, kept as is).
FINE_TUNED = ("quick", "balanced", "quality")
# (resolution, channels) whose shipped base beat training from scratch at 10 minutes' steps; only there
# do the presets start from it by themselves (the Train tab's "Start from", --from base, offer it anywhere).
# benchmarks/ABLATIONS.md, 2026-12-05: colour 64 px, 3,058 steps, seed 0: SWD 37.1 vs 64.8 (floor 49.9),
# HOG coverage 0.90 vs 0.80, coarsest 0.97x vs 1.10x; palette 16.5 vs 14.9, memorised 5.1% vs 3.7%.
# Gray 64 px lost (SWD 38.0 vs 33.1, coarsest 43.6 vs 30.8): its first-segment base is not good enough yet.
# Colour 128 px, 2,090 steps, seeds 0/1: SWD 86.7 / 76.6 vs 114.3 / 116.0 (floor 48), HOG coverage 0.81 / 0.89 vs
# 0.69 / 0.70; palette 24.2 / 18.2 vs 23.7 / 22.6. Gray 128 px lost (SWD 42.9 / 61.5 vs 36.1 / 30.8).
# The colour 128 px base re-exported at 13,159 steps: SWD 84.7 / 74.2, palette 17.6 / 14.5, HOG 0.90 / 0.91.
# The gray 128 px base re-exported at 14,724 steps: SWD 41.9 / 39.1, still behind scratch (36.1 / 30.8).
BASE_DEFAULTS = {(64, 3): "measured on 100 colour objects at 10 minutes' steps: SWD 37 vs 65 from scratch",
                 (128, 3): "measured on 100 colour objects at 128 px, 10 minutes' steps, two seeds: SWD 79 vs 115 "
                           "from scratch"}
# What fine-tuning changes from a preset's recipe, by data: (test on (resolution, channels), presets,
# changes, why), as DATA_RULES. Only measured rules (benchmarks/ABLATIONS.md, "Fine-tuning recipes" and "The
# colour EMA held from the first step"). Measured and lost: learning rate 1e-4, DiffAugment translation only,
# FreezeD. EMA 0.999 held from the first step (ema_ramp=False) wins gray fine-tunes at 3 minutes' steps
# (SWD 31 vs 42, 3 seeds) but loses at 10 (42.6 vs 37.8, 2 seeds), so it is an option, not a rule.
# Colour 64 px from the base, 3,058 steps (10 quiet minutes), EMA 0.995 held from the first step against
# quick's ramped 0.99, paired on the same runs, seeds 0-3: SWD 36.1 / 49.7 / 36.4 / 46.7 vs 41.0 / 51.4 / 40.0 /
# 50.2 (floor ~50), palette better in 3 of 4 (18.4 vs 19.2 on the mean), HOG coverage and near-copies level.
FINE_TUNE_RULES: list[tuple] = [
    (lambda res, ch: ch == 3 and res == 64, ("quick",), dict(ema_decay=0.995, ema_ramp=False),
     "a base already draws, so its generator's average need not forget a random start; measured on 100 colour "
     "objects in 10 minutes: SWD 42 vs 46, better in each of 4 seeds"),
]


def fine_tune_choices(name: str, resolution: int, channels: int) -> list[tuple[dict, str]]:
    """What fine-tuning from a start point changes in preset ``name`` for this data: (field overrides, why)."""
    return [(dict(changes), why) for test, presets, changes, why in FINE_TUNE_RULES
            if name in presets and test(resolution, channels)]


def start_architecture(start: str, resolution: int, channels: int) -> dict:
    """The model section of a start point's config.json ({} when it cannot be read: the run then
    fails at its start with the start point's own, specific message)."""
    try:
        path = resolve(start, ModelConfig(resolution=resolution, channels=channels))
        info = read_json(path / "config.json", "start point config.json") if path is not None else {}
    except UserError:
        return {}
    model = info.get("model")
    return dict(model) if isinstance(model, dict) else {}


def describe_start(cfg: TrainConfig) -> str:
    """The Train tab's sentence on where a run starts, and why."""
    m = cfg.model
    if not cfg.start:
        base = base_for(m.resolution, m.channels)
        if base is None:
            return (f"**Starts from random weights**: there is no base model for {'colour' if m.channels == 3 else 'grayscale'} "
                    f"{m.resolution} px yet.")
        return f"**Starts from random weights** (from scratch); the base model {base.name} is one choice away."
    try:
        path = resolve(cfg.start, m)
    except UserError as e:
        return str(e)
    label = base_label(path.name) if path is not None else None
    why = ("it has already learnt to draw from tens of thousands of licence-clean icons and emoji, so a few "
           "minutes teach it your designs instead of drawing from zero")
    measured = BASE_DEFAULTS.get((m.resolution, m.channels))
    why += f" ({measured})" if measured else ""
    return f"**Starts from the base model {path.name}** ({label}): {why}." if label else \
        f"**Starts from {path.name}**: fine-tuning its G and D on your pictures."

"""Configuration dataclasses: one per concern, validated on creation.

The studio reads ranges, defaults and choices from here, the CLI builds its
flags from here, and every run writes its TrainConfig to ``config.json``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from .errors import UserError

RESOLUTIONS = (16, 32, 64, 128, 256)  # 16 is for tests and tiny try-outs
LOSSES = ("wgan-gp", "dcgan", "wgan-clip", "hinge")
ARCHS = ("classic", "compact")
D_NORMS = ("none", "instance", "batch", "layer")
AUGMENTS = ("translation", "cutout", "color", "flip", "rot4")
AUGMENT_ROTATIONS = tuple(f"rot{n}" for n in range(2, 13))  # symmetric augmentation, any N-fold (gan_core.augment)
FORMAT_VERSION = 1


def _check_choice(name: str, value: Any, choices) -> None:
    if value not in choices:
        raise UserError(f"{name} must be one of {', '.join(map(str, choices))}; got {value!r}")


def _check_range(name: str, value, lo, hi) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
        raise UserError(f"{name} must be a number between {lo} and {hi}; got {value!r}")


@dataclass
class ModelConfig:
    """Shape of the generator G and critic/discriminator D."""
    resolution: int = 64        # square output size in pixels: 16, 32, 64, 128 or 256
    channels: int = 1           # 1 = grayscale, 3 = colour
    z_dim: int = 128            # latent size; the classic recipe uses 100
    width: int = 32             # feature maps of the widest-resolution layer (DCGAN's ngf/ndf)
    arch: str = "compact"       # "classic" = car-rim post networks, "compact" = fast CPU networks
    d_norm: str = "none"        # critic normalisation; WGAN-GP forbids "batch"
    spectral_norm: bool = False  # spectral normalisation on D (hinge loss uses it)
    g_dropout: float = 0.0      # dropout in G blocks (classic: 0.2)
    max_channels: int = 512     # cap on feature maps so 256 px stays small

    def __post_init__(self):
        _check_choice("resolution", self.resolution, RESOLUTIONS)
        _check_choice("channels", self.channels, (1, 3))
        _check_range("z_dim", self.z_dim, 2, 1024)
        _check_range("width", self.width, 1, 256)
        _check_choice("arch", self.arch, ARCHS)
        _check_choice("d_norm", self.d_norm, D_NORMS)
        _check_range("g_dropout", self.g_dropout, 0.0, 0.9)
        _check_range("max_channels", self.max_channels, 4, 2048)
        for f in ("resolution", "channels", "z_dim", "width", "max_channels"):
            if not isinstance(getattr(self, f), int):
                raise UserError(f"{f} must be a whole number; got {getattr(self, f)!r}")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        return _from_dict(cls, d, "model config")


@dataclass
class TrainConfig:
    """Everything a training run needs besides the data."""
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: str = "dcgan"             # wgan-gp | dcgan | wgan-clip | hinge
    batch_size: int = 32            # real images per critic step
    lr_g: float = 2e-4              # generator learning rate
    lr_d: float = 2e-4              # critic/discriminator learning rate
    beta1: float = 0.5              # Adam beta1 (unused by RMSprop)
    beta2: float = 0.999            # Adam beta2
    n_critic: int = 1               # critic steps per generator step
    gp_lambda: float = 10.0         # gradient penalty weight (wgan-gp)
    clip: float = 0.01              # weight clipping bound (wgan-clip)
    r1_gamma: float = 0.0           # R1 penalty weight on real images (0 = off)
    r1_every: int = 4               # lazy R1: apply every N critic steps
    label_smoothing: float = 0.1    # dcgan: real targets are 1 - this (soft labels)
    label_flip: float = 0.02        # dcgan: share of real/fake labels swapped per batch
    augment: str = "translation,cutout,color"  # DiffAugment policies, comma separated; "" = off
    reuse_real_batch: bool = False  # classic: one real batch serves all n_critic steps
    ema_decay: float = 0.999        # EMA of G weights used for samples and exports (0 = off)
    ema_start: int = 0              # steps before the EMA starts tracking
    minutes: float | None = 10.0    # time budget (None = use steps)
    steps: int | None = None        # generator-step budget (None = use minutes)
    sample_every: int = 100         # steps between progress grids
    sample_seconds: float = 5.0     # also send a grid at least this often (seconds)
    grid_size: int = 16             # fixed latents in each progress grid
    checkpoint_minutes: float = 2.0  # minutes between checkpoints
    log_every: int = 10             # steps between log.jsonl lines
    device: str = "auto"            # auto | cpu | cuda | cuda:N | mps
    mixed_precision: bool = True    # bf16 autocast on CUDA (ignored elsewhere)
    compile: bool = False           # torch.compile on CUDA
    threads: int = 0                # CPU threads (0 = one per core)
    seed: int = 0                   # seed for weights, batches and grid latents
    preset: str = "custom"          # name of the preset this came from

    def __post_init__(self):
        if isinstance(self.model, dict):
            self.model = ModelConfig.from_dict(self.model)
        _check_choice("loss", self.loss, LOSSES)
        _check_range("batch_size", self.batch_size, 1, 4096)
        _check_range("lr_g", self.lr_g, 1e-7, 1.0)
        _check_range("lr_d", self.lr_d, 1e-7, 1.0)
        _check_range("beta1", self.beta1, 0.0, 0.9999)
        _check_range("beta2", self.beta2, 0.0, 0.99999)
        _check_range("n_critic", self.n_critic, 1, 20)
        _check_range("gp_lambda", self.gp_lambda, 0.0, 1000.0)
        _check_range("clip", self.clip, 1e-5, 10.0)
        _check_range("r1_gamma", self.r1_gamma, 0.0, 1000.0)
        _check_range("r1_every", self.r1_every, 1, 64)
        _check_range("label_smoothing", self.label_smoothing, 0.0, 0.5)
        _check_range("label_flip", self.label_flip, 0.0, 0.5)
        _check_range("ema_decay", self.ema_decay, 0.0, 0.99999)
        _check_range("sample_every", self.sample_every, 1, 10**7)
        _check_range("sample_seconds", self.sample_seconds, 0.0, 3600.0)
        _check_range("grid_size", self.grid_size, 1, 256)
        _check_range("checkpoint_minutes", self.checkpoint_minutes, 0.0, 1440.0)
        _check_range("log_every", self.log_every, 1, 10**6)
        _check_range("threads", self.threads, 0, 256)
        for f in ("batch_size", "n_critic", "r1_every", "sample_every", "grid_size", "log_every",
                  "threads", "seed", "ema_start"):
            v = getattr(self, f)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise UserError(f"{f} must be a whole number >= 0; got {v!r}")
        if self.minutes is None and self.steps is None:
            raise UserError("give a budget: minutes or steps")
        if self.minutes is not None:
            _check_range("minutes", self.minutes, 0.01, 7 * 24 * 60)
        if self.steps is not None:
            if isinstance(self.steps, bool) or not isinstance(self.steps, int) or not 1 <= self.steps <= 10**8:
                raise UserError(f"steps must be a whole number between 1 and 100000000; got {self.steps!r}")
        for p in filter(None, (s.strip() for s in self.augment.split(","))):
            _check_choice("augment", p, tuple(dict.fromkeys(AUGMENTS + AUGMENT_ROTATIONS)))
        if self.loss == "wgan-gp" and self.model.d_norm == "batch":
            raise UserError("d_norm: WGAN-GP's gradient penalty is per sample, so the critic cannot "
                            "use BatchNorm; pick instance, layer or none")
        if not (self.device == "auto" or self.device in ("cpu", "mps", "cuda")
                or (self.device.startswith("cuda:") and self.device[5:].isdigit())):
            raise UserError(f"device must be auto, cpu, cuda, cuda:N or mps; got {self.device!r}")

    @property
    def augment_policies(self) -> list[str]:
        return [s.strip() for s in self.augment.split(",") if s.strip()]

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        return _from_dict(cls, d, "training config")

    def replace(self, **changes) -> "TrainConfig":
        """A copy with fields changed (model fields by name too). Giving one budget (minutes or
        steps) replaces the other; give both to keep both."""
        if ("minutes" in changes) != ("steps" in changes):
            changes.setdefault("minutes", None)
            changes.setdefault("steps", None)
        model_changes = {k: changes.pop(k) for k in list(changes) if k in _field_names(ModelConfig)}
        model = dataclasses.replace(self.model, **model_changes) if model_changes else self.model
        return dataclasses.replace(self, model=model, **changes)


def _field_names(cls) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


def _from_dict(cls, d: dict, what: str):
    if not isinstance(d, dict):
        raise UserError(f"{what} must be a JSON object")
    unknown = set(d) - _field_names(cls)
    if unknown:
        raise UserError(f"{what}: unknown field(s) {', '.join(sorted(unknown))}")
    try:
        return cls(**d)
    except TypeError as e:  # wrong types that slip past the checks
        raise UserError(f"{what}: {e}") from None


"""Configuration dataclasses: one per concern, validated on creation.

The studio reads ranges, defaults and choices from here, the CLI builds its
flags from here, and every run writes its TrainConfig to ``config.json``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Mapping

from .errors import UserError

RESOLUTIONS = (16, 32, 64, 128, 256)  # 16 is for tests and tiny try-outs
LOSSES = ("wgan-gp", "dcgan", "wgan-clip", "hinge")
ARCHS = ("classic", "compact")
D_NORMS = ("none", "instance", "batch", "layer")
G_UPSAMPLES = ("transpose", "nearest")
AUGMENTS = ("translation", "cutout", "color", "flip", "rot4")
AUGMENT_ROTATIONS = tuple(f"rot{n}" for n in range(2, 13))  # symmetric augmentation, any N-fold (gan_core.training.augment)
FORMAT_VERSION = 1


def _check_choice(name: str, value: Any, choices) -> None:
    if value not in choices:
        raise UserError(f"{name} must be one of {', '.join(map(str, choices))}; got {value!r}")


def _check_range(name: str, value, lo, hi) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
        raise UserError(f"{name} must be a number between {lo} and {hi}; got {value!r}")


def _f(default, help: str, range=None, choices=None, many: bool = False, also=(), ui=None, **kw):
    """A dataclass field whose metadata holds its range/choices/help: the one place they live.
    ``also``: further values that validation accepts but a UI need not offer (rot5, rot7...).
    ``ui``: the (lo, hi) a page's slider offers, inside ``range``: what a designer would pick."""
    meta = {"help": help, "also": tuple(also)}
    if range is not None:
        meta["range"] = range
    if ui is not None:
        meta["ui"] = ui
    if choices is not None:
        meta["choices"] = choices
    if many:
        meta["many"] = True  # a comma-separated list of choices
    return field(default=default, metadata=meta, **kw)


@dataclass(frozen=True)
class FieldSpec:
    """What a UI or a CLI needs to offer one config field (read from the field's metadata)."""
    name: str
    default: Any
    lo: float | None          # smallest allowed value (None: no lower bound)
    hi: float | None          # largest allowed value (None: no upper bound)
    choices: tuple | None     # allowed values (for ``many``: allowed items of a comma-separated list)
    help: str
    whole: bool               # a whole number (int field)
    many: bool = False        # comma-separated list of ``choices`` ("" = none)
    also: tuple = ()          # accepted besides ``choices``, not offered by a UI
    optional: bool = False    # None is allowed (a budget that is not used)
    ui_lo: float | None = None  # what a slider offers (inside lo..hi); values outside it stay valid
    ui_hi: float | None = None


def field_spec(cls, name: str) -> FieldSpec:
    """Range, choices, default and help of ``cls``'s field ``name`` (ModelConfig, TrainConfig, ...)."""
    for f in dataclasses.fields(cls):
        if f.name == name:
            break
    else:
        raise KeyError(f"{cls.__name__} has no field {name!r}")
    lo, hi = f.metadata.get("range", (None, None))
    ui_lo, ui_hi = f.metadata.get("ui", (lo, hi))
    default = f.default if f.default is not dataclasses.MISSING else None
    kind = str(f.type).replace(" ", "")
    choices = f.metadata.get("choices")
    return FieldSpec(name=name, default=default, lo=lo, hi=hi,
                     choices=tuple(choices) if choices is not None else None,
                     help=f.metadata.get("help", ""), whole=kind in ("int", "int|None"),
                     many=bool(f.metadata.get("many")), optional="None" in kind.split("|"),
                     also=tuple(f.metadata.get("also", ())), ui_lo=ui_lo, ui_hi=ui_hi)


def field_specs(cls) -> dict[str, FieldSpec]:
    """Every field's FieldSpec, in declaration order, keyed by name (nested configs left out)."""
    return {f.name: field_spec(cls, f.name) for f in dataclasses.fields(cls) if "help" in f.metadata}


def _validate(obj, whole_rule: str) -> None:
    """Check every field against its metadata: choices and ranges first, then whole numbers
    (``whole_rule`` ends the message, e.g. " >= 0")."""
    specs = field_specs(type(obj)).values()
    for s in specs:
        v = getattr(obj, s.name)
        if v is None and s.optional:
            continue
        if s.many:
            for item in filter(None, (x.strip() for x in str(v).split(","))):
                _check_choice(s.name, item, tuple(dict.fromkeys(s.choices + s.also)))
        elif s.choices is not None:
            _check_choice(s.name, v, s.choices)
        elif s.optional and s.whole:  # a steps budget: one message says both rules
            if isinstance(v, bool) or not isinstance(v, int) or not s.lo <= v <= s.hi:
                raise UserError(f"{s.name} must be a whole number between {s.lo} and {s.hi}; got {v!r}")
        elif s.hi is not None:
            _check_range(s.name, v, s.lo, s.hi)
        elif isinstance(s.default, bool) and not isinstance(v, bool):  # "false" from a JSON file is truthy
            raise UserError(f"{s.name} must be true or false; got {v!r}")
    for s in specs:
        v = getattr(obj, s.name)
        if s.whole and not s.optional and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
            raise UserError(f"{s.name} must be a whole number{whole_rule}; got {v!r}")


@dataclass
class ModelConfig:
    """Shape of the generator G and critic/discriminator D."""
    resolution: int = _f(64, "square output size in pixels", choices=RESOLUTIONS)  # 16 is for tests
    channels: int = _f(1, "1 = grayscale, 3 = colour", choices=(1, 3))
    z_dim: int = _f(128, "latent size; the classic recipe uses 100", range=(2, 1024))
    width: int = _f(32, "feature maps of the widest-resolution layer (DCGAN's ngf/ndf)", range=(1, 256),
                    ui=(8, 128))
    arch: str = _f("compact", "classic = car-rim post networks, compact = fast CPU networks", choices=ARCHS)
    d_norm: str = _f("none", "critic normalisation; WGAN-GP forbids batch", choices=D_NORMS)
    spectral_norm: bool = _f(False, "spectral normalisation on D (hinge loss turns it on)")
    g_dropout: float = _f(0.0, "dropout in G blocks (classic: 0.2)", range=(0.0, 0.9))
    max_channels: int = _f(512, "cap on feature maps so 256 px stays small", range=(4, 2048))
    g_upsample: str = _f("transpose", "how G doubles its size: transpose = 4x4 stride-2 transposed convolutions "
                         "(DCGAN), nearest = nearest-neighbour doubling then a 3x3 convolution (no checkerboard)",
                         choices=G_UPSAMPLES)
    g_skip_excitation: bool = _f(False, "skip-layer excitation in G (FastGAN): the 4x4 and 8x8 features "
                                 "gate the channels of the 16x16 and 32x32 ones (and so on, 4x apart)")
    d_decoders: bool = _f(False, "self-supervised D (FastGAN): small decoders rebuild each real image from "
                          "D's 8x8 features and a random quarter from its 16x16 features (MSE); 32 px and up")
    d_eyes: str = _f("", "D's eyes (Projected GAN's idea): a feature network trained on the base corpus "
                     "(weights/<name>, e.g. eyes-colour-64), frozen, read by small trainable heads beside D; "
                     "'' = off")

    def __post_init__(self):
        _validate(self, "")
        if self.d_decoders and self.resolution < 32:
            raise UserError(f"d_decoders needs D's 16x16 features, so a resolution of 32 px or more; "
                            f"got {self.resolution}")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        return _from_dict(cls, d, "model config")


@dataclass
class TrainConfig:
    """Everything a training run needs besides the data."""
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: str = _f("dcgan", "training loss", choices=LOSSES)
    batch_size: int = _f(32, "real images per critic step", range=(1, 4096), ui=(4, 256))
    lr_g: float = _f(2e-4, "generator learning rate", range=(1e-7, 1.0))
    lr_d: float = _f(2e-4, "critic/discriminator learning rate", range=(1e-7, 1.0))
    beta1: float = _f(0.5, "Adam beta1 (unused by RMSprop)", range=(0.0, 0.9999))
    beta2: float = _f(0.999, "Adam beta2", range=(0.0, 0.99999))
    n_critic: int = _f(1, "critic steps per generator step", range=(1, 20), ui=(1, 5))
    gp_lambda: float = _f(10.0, "gradient penalty weight (wgan-gp)", range=(0.0, 1000.0))
    clip: float = _f(0.01, "weight clipping bound (wgan-clip)", range=(1e-5, 10.0))
    r1_gamma: float = _f(0.0, "R1 penalty weight on real images (0 = off)", range=(0.0, 1000.0))
    r1_every: int = _f(4, "lazy R1: apply every N critic steps", range=(1, 64))
    label_smoothing: float = _f(0.1, "dcgan: real targets are 1 - this (soft labels)", range=(0.0, 0.5))
    label_flip: float = _f(0.02, "dcgan: share of real/fake labels swapped per batch", range=(0.0, 0.5))
    augment: str = _f("translation,cutout,color", "DiffAugment policies, comma separated; '' = off",
                      choices=AUGMENTS, many=True, also=AUGMENT_ROTATIONS)
    reuse_real_batch: bool = _f(False, "classic: one real batch serves all n_critic steps")
    ema_decay: float = _f(0.999, "EMA of G weights used for samples and exports (0 = off)", range=(0.0, 0.99999))
    ema_start: int = _f(0, "steps before the EMA starts tracking", range=(0, None))
    ema_ramp: bool = _f(True, "ramp the EMA decay up over the first steps, so a random start is soon forgotten; "
                        "off holds the decay from the first step (a start point's weights are worth keeping)")
    minutes: float | None = _f(10.0, "time budget in minutes (None = use steps)", range=(0.01, 7 * 24 * 60))
    steps: int | None = _f(None, "generator-step budget (None = use minutes)", range=(1, 10**8))
    sample_every: int = _f(100, "steps between progress grids", range=(1, 10**7))
    sample_seconds: float = _f(5.0, "also send a grid at least this often (seconds)", range=(0.0, 3600.0))
    grid_size: int = _f(16, "fixed latents in each progress grid", range=(1, 256))
    checkpoint_minutes: float = _f(2.0, "minutes between checkpoints", range=(0.0, 1440.0))
    log_every: int = _f(10, "steps between log.jsonl lines", range=(1, 10**6))
    device: str = _f("auto", "auto, cpu, cuda, cuda:N or mps")
    mixed_precision: bool = _f(True, "bf16 autocast on CUDA (ignored elsewhere)")
    compile: bool = _f(False, "torch.compile on CUDA")
    threads: int = _f(0, "CPU threads (0 = one per core)", range=(0, 256))
    data_memory_gb: float = _f(0.0, "dataset memory budget per process in GB (0 = half the free device/host "
                               "memory); a larger set streams from a memory-mapped file", range=(0.0, 65536.0))
    seed: int = _f(0, "seed for weights, batches and grid latents", range=(0, None))
    preset: str = _f("custom", "name of the preset this came from")
    # small-data recipe (gan_core/recipe.py), measured in benchmarks/ABLATIONS.md
    lecam_weight: float = _f(0.0, "LeCam regularisation of D (Tseng et al. 2021); 0 = off", range=(0.0, 100.0))
    lecam_decay: float = _f(0.99, "LeCam: EMA decay of D's mean outputs", range=(0.0, 0.99999))
    mode_seeking_weight: float = _f(0.0, "mode-seeking regularisation of G (MSGAN, Mao et al. 2019): "
                                    "rewards different designs for distant seeds; 0 = off", range=(0.0, 100.0))
    ada_target: float = _f(0.0, "adaptive augmentation: target E[sign(D(real))], 0 = always augment",
                           range=(0.0, 1.0))
    ada_images: int = _f(20000, "adaptive augmentation: images for p to move from 0 to 1",
                         range=(100, 10**8))
    # transfer (gan_core/bases.py): start from a pretrained G and D instead of random weights
    start: str = _f("", "start point: '' = random weights (from scratch), 'base' = the base model for the "
                    "data's channels and resolution, or the folder of a base, a model or a run")
    freeze_d: int = _f(0, "FreezeD: D's first N blocks (from the image side) keep the start point's "
                       "weights; 0 = none, needs a start point", range=(0, 8))

    def __post_init__(self):
        if isinstance(self.model, dict):
            self.model = ModelConfig.from_dict(self.model)
        if self.minutes is None and self.steps is None:
            raise UserError("give a budget: minutes or steps")
        _validate(self, " >= 0")
        if self.loss == "wgan-gp" and self.model.d_norm == "batch":
            raise UserError("d_norm: WGAN-GP's gradient penalty is per sample, so the critic cannot "
                            "use BatchNorm; pick instance, layer or none")
        if self.start == "scratch":
            self.start = ""
        if self.freeze_d and not self.start:
            raise UserError("freeze_d keeps a start point's D blocks, so it needs a start point; "
                            "set start (base or a folder) or freeze_d to 0")
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
        steps) replaces the other; give both to keep both. ``loss="hinge"`` turns spectral norm
        on unless ``spectral_norm`` is given: the one place that rule lives."""
        if ("minutes" in changes) != ("steps" in changes):
            changes.setdefault("minutes", None)
            changes.setdefault("steps", None)
        if changes.get("loss") == "hinge":
            changes.setdefault("spectral_norm", True)
        if changes.get("start", "keep") in ("", "scratch", None):  # from scratch: nothing to freeze
            changes["start"] = ""
            changes.setdefault("freeze_d", 0)
        model_changes = {k: changes.pop(k) for k in list(changes) if k in _field_names(ModelConfig)}
        model = dataclasses.replace(self.model, **model_changes) if model_changes else self.model
        return dataclasses.replace(self, model=model, **changes)


def options_on(train: Mapping) -> list[str]:
    """The small-data options (gan_core.training.recipe, losses) that are on in a train section (a
    TrainConfig's ``to_dict()``), in words: what the Train tab's sentence and the model card's
    "regularisation" row both name."""
    def fmt(v) -> str:
        return f"{float(v):g}"

    on = []
    if train.get("lecam_weight"):
        on.append(f"LeCam {fmt(train['lecam_weight'])}")
    if train.get("r1_gamma"):
        on.append(f"R1 γ {fmt(train['r1_gamma'])} every {int(train.get('r1_every', 1))} steps")
    if train.get("mode_seeking_weight"):
        on.append(f"mode seeking {fmt(train['mode_seeking_weight'])}")
    if train.get("ada_target"):
        on.append(f"adaptive augmentation (target {fmt(train['ada_target'])})")
    return on


def train_section(config: dict, where: str = "config.json") -> dict:
    """The "train" section of a run's config.json, or a UserError saying it is missing."""
    train = config.get("train") if isinstance(config, dict) else None
    if not isinstance(train, dict):
        raise UserError(f"{where}: has no \"train\" section, so this is not a training run's config "
                        f"(a bare generator folder cannot be resumed or described); use the run folder "
                        f"that training wrote")
    return train


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


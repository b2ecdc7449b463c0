"""The Train tab's form: preset, advanced settings and budget, and the TrainConfig they make.

Ranges and choices come from gan_core's config field metadata (``field_spec``), defaults from
``preset(name)``: the page keeps no copy of either. gan_core validates what the fields give;
its messages name a config field, which ``FIELD_LABELS`` turns into the page's label.
"""
from __future__ import annotations

import gradio as gr

from gan_core.config import ModelConfig, TrainConfig, field_spec
from gan_core.errors import UserError
from gan_core.training.presets import PRESETS, data_choices, default_preset_name, explain_choice, preset
from gan_core.training.runfolder import RunFolder

from .context import Studio
from . import estimate, fields, train_view
from .gpus import gpu_count_choices, gpus_markdown
from .ui import handler
from .workspace import check_name, env_number

SAMPLE_SECONDS = 3.0     # a fresh sample grid at least this often
ENV_CHECKPOINT_MINUTES = "STUDIO_CHECKPOINT_MINUTES"
BUDGET_KINDS = ("minutes", "steps")
DEFAULT_RESOLUTION = 64  # until a dataset is picked

# TrainConfig names its fields; the page and the API docs call them by their labels
FIELD_LABELS = {"minutes": "Budget (minutes)", "steps": "Budget (steps)", "lr_g": "Learning rate",
                "lr_d": "Learning rate", "batch_size": "Batch size", "n_critic": "Critic steps",
                "width": "Network width", "resolution": "Resolution", "loss": "Loss", "augment": "Augmentation"}


def preset_choices() -> list[tuple[str, str]]:
    return [(f"{name} — {p['description']}", name) for name, p in PRESETS.items()]


def checkpoint_minutes() -> float | None:
    """STUDIO_CHECKPOINT_MINUTES: minutes between checkpoints (what a crash can lose at most);
    unset = the preset's."""
    return env_number(ENV_CHECKPOINT_MINUTES, "minutes", 0, 1440)


def with_checkpoint_minutes(cfg: TrainConfig) -> TrainConfig:
    minutes = checkpoint_minutes()
    return cfg if minutes is None else cfg.replace(checkpoint_minutes=minutes)


def labelled(e: UserError) -> UserError:
    """gan_core's message with the page's label for the field it names."""
    name, _, rest = str(e).partition(" ")
    return UserError(f"{FIELD_LABELS[name]} {rest}") if name in FIELD_LABELS else e


def budget_overrides(budget_kind: str, budget) -> dict:
    """{"minutes": ..., "steps": ...} from the budget fields (the unused one None)."""
    if budget_kind == "minutes":
        return {"minutes": fields.number("Budget (minutes)", budget), "steps": None}
    if budget_kind == "steps":
        return {"steps": fields.number("Budget (steps)", budget, whole=True), "minutes": None}
    raise UserError(f"Budget in must be minutes or steps; got {budget_kind!r}")


START_CHOICES = [("The preset's choice", "auto"), ("Base model", "base"), ("From scratch (random weights)", "scratch")]


def start_override(start_from: str | None, visitor=None) -> dict:
    """The preset override for the page's (and API's) start choice: "auto" (the preset's own
    choice), "base" (the base model for the data), "scratch", or "run:NAME", one of this
    visitor's own runs (never a server path)."""
    value = (start_from or "auto").strip()
    if value == "auto":  # the preset's own choice (gan_core.training.presets.BASE_DEFAULTS)
        return {}
    if value == "base":
        return {"start": "base"}
    if value == "scratch":
        return {"start": "scratch"}
    if value.startswith("run:") and visitor is not None:
        run = visitor.run_dir(check_name(value[4:], "run"))
        if not RunFolder(run).checkpoint.is_file():
            raise UserError(f"Start from: run {value[4:]!r} has no checkpoint to start from")
        return {"start": str(run)}
    raise UserError(f"Start from must be auto, base, scratch or run:NAME (one of your runs); got {start_from!r}")


def build_config(preset_name, loss, resolution, width, batch_size, learning_rate, critic_steps, augment,
                 budget_kind, budget, channels: int = 1, count: int | None = None,
                 start: dict | None = None) -> TrainConfig:
    """A TrainConfig from the Train tab's fields (validated by gan_core). ``count`` (the dataset's
    images) lets the preset pick the settings the form has no field for (gan_core.training.presets.data_choices)."""
    try:
        return _build_config(preset_name, loss, resolution, width, batch_size, learning_rate, critic_steps,
                             augment, budget_kind, budget, channels, count, start or {})
    except UserError as e:
        raise labelled(e) from None


def _build_config(preset_name, loss, resolution, width, batch_size, learning_rate, critic_steps, augment,
                  budget_kind, budget, channels: int, count: int | None, start: dict) -> TrainConfig:
    base = preset(preset_name)
    lr = fields.number("Learning rate", learning_rate)
    augments = field_spec(TrainConfig, "augment").choices
    overrides = dict(loss=loss, width=fields.number("Network width", width, whole=True),
                     batch_size=fields.number("Batch size", batch_size, whole=True), lr_g=lr, lr_d=lr,
                     n_critic=fields.number("Critic steps", critic_steps, whole=True),
                     augment=",".join(a for a in augments if a in (augment or [])),
                     sample_seconds=SAMPLE_SECONDS, **budget_overrides(budget_kind, budget))
    if overrides["steps"] is not None:  # short runs still get a few grids for the progress GIF
        overrides["sample_every"] = max(1, min(base.sample_every, overrides["steps"] // 20))
    cfg = preset(preset_name, resolution=fields.number("Resolution", resolution, whole=True),
                 channels=channels, count=count, **start, **overrides)
    return with_checkpoint_minutes(cfg)


def _slider(cls, name: str, value, label: str, elem_id: str, info: str | None = None):
    spec = field_spec(cls, name)  # the slider offers the UI range; any valid value is accepted
    return fields.range_slider(spec.ui_lo, spec.ui_hi, valid=(spec.lo, spec.hi), value=value, step=1, label=label,
                               info=info, elem_id=elem_id)


class TrainForm:
    """The form's components, its handlers (preset, dataset, estimate) and their wiring."""

    def __init__(self, studio: Studio, device_name: str):
        self.studio = studio
        self.device_name = device_name

    def layout(self) -> None:
        name = default_preset_name()
        cfg = preset(name)
        lr = field_spec(TrainConfig, "lr_g")
        self.preset = fields.Dropdown(preset_choices(), value=name, label="Preset", elem_id="preset")
        self.start = fields.Radio(START_CHOICES, value="auto", label="Start from", elem_id="start_from",
                                  info="a base model has already learnt to draw: minutes teach it your designs")
        # which settings the preset picked for the chosen dataset, and why (gan_core.training.presets.explain_choice)
        self.preset_md = gr.Markdown(explain_choice(name, {"resolution": DEFAULT_RESOLUTION}), elem_id="preset_why",
                                     elem_classes=["hint"])
        with gr.Accordion("Advanced", open=False, elem_id="advanced"):
            with gr.Row():
                self.loss = fields.Dropdown(list(field_spec(TrainConfig, "loss").choices), value=cfg.loss,
                                            label="Loss", elem_id="loss")
                self.resolution = fields.Dropdown(list(field_spec(ModelConfig, "resolution").choices),
                                                  value=DEFAULT_RESOLUTION, label="Resolution (px)",
                                                  elem_id="resolution")
            self.width = _slider(ModelConfig, "width", cfg.model.width, "Network width", "width",
                                 "feature maps; smaller is faster")
            self.batch_size = _slider(TrainConfig, "batch_size", cfg.batch_size, "Batch size", "batch_size")
            with gr.Row():
                self.lr = fields.Number(cfg.lr_g, label="Learning rate", elem_id="lr", minimum=lr.lo, maximum=lr.hi)
                self.n_critic = _slider(TrainConfig, "n_critic", cfg.n_critic, "Critic steps", "n_critic",
                                        "per generator step")
            self.augment = fields.CheckboxGroup(list(field_spec(TrainConfig, "augment").choices),
                                                value=cfg.augment_policies, label="Augmentation (DiffAugment)",
                                                elem_id="augment")
        with gr.Row():
            kind = "minutes" if cfg.minutes is not None else "steps"
            self.budget_kind = fields.Radio(list(BUDGET_KINDS), value=kind, label="Budget in", elem_id="budget_kind")
            self.budget = fields.Number(getattr(cfg, kind), label="Budget", elem_id="budget", minimum=0)
        self.device_md = gr.Markdown(f"**Device:** {self.device_name}", elem_id="device")
        gpu_choices, gpu_default = gpu_count_choices()
        with gr.Row(visible=len(gpu_choices) > 1, elem_id="gpus_row"):
            self.gpus_md = gr.Markdown(gpus_markdown(), elem_id="gpus")
            self.gpus = fields.Dropdown(gpu_choices, value=gpu_default, label="GPUs for this run", elem_id="gpus_pick",
                                        info="more than one: data-parallel (torch.distributed), batch size per GPU")
        self.estimate_md = gr.Markdown(train_view.minutes_estimate(cfg.minutes or 0), elem_id="estimate",
                                       label="Estimate")

    @property
    def inputs(self) -> list:
        """The fields build_config reads, in its argument order."""
        return [self.preset, self.loss, self.resolution, self.width, self.batch_size, self.lr, self.n_critic,
                self.augment, self.budget_kind, self.budget]

    # ---- handlers ----------------------------------------------------------------------
    @handler
    def apply_preset(self, preset_name, dataset, start_from="auto", visitor_id: str = "", request: gr.Request = None):
        """Fill the fields with a preset's settings for the dataset (its resolution, and what the
        preset picks for its size, channels and image count, and the start point's architecture),
        and say what was picked and why."""
        info = self._dataset(dataset, visitor_id, request)
        start = start_override(start_from, self.studio.visitor(visitor_id, request))
        cfg = preset(preset_name, resolution=info["resolution"], channels=info["channels"], count=info["count"],
                     **start)
        kind = "minutes" if cfg.minutes is not None else "steps"
        return {**{comp: value for comp, value in self._fields_of(cfg).values()}, self.resolution: info["resolution"],
                self.budget_kind: kind, self.budget: getattr(cfg, kind),
                self.preset_md: explain_choice(preset_name, info, start.get("start"))}

    def _fields_of(self, cfg) -> dict:
        """config field name -> (the form's component, cfg's value) for the settings the form shows."""
        return {"width": (self.width, cfg.model.width), "batch_size": (self.batch_size, cfg.batch_size),
                "loss": (self.loss, cfg.loss), "n_critic": (self.n_critic, cfg.n_critic),
                "lr_g": (self.lr, cfg.lr_g), "augment": (self.augment, cfg.augment_policies)}

    def _dataset(self, dataset, visitor_id, request) -> dict:
        """resolution, channels and count of the picked dataset (the defaults without one)."""
        info = None
        if dataset:
            try:
                info = self.studio.visitor(visitor_id, request).dataset_info(dataset)
            except UserError:
                info = None
        info = info or {}
        return {"resolution": info.get("resolution") or DEFAULT_RESOLUTION, "channels": int(info.get("channels") or 1),
                "count": info.get("count") or None}

    @handler
    def dataset_changed(self, preset_name, dataset, start_from="auto", visitor_id: str = "",
                        request: gr.Request = None):
        """Another dataset: its resolution, the fields the preset picks differently for it (the
        rest of the form keeps what the designer set) and the explanation."""
        info = self._dataset(dataset, visitor_id, request)
        start = start_override(start_from, self.studio.visitor(visitor_id, request))
        cfg = preset(preset_name, resolution=info["resolution"], channels=info["channels"], count=info["count"],
                     **start)
        picked = {k for changes, _ in data_choices(preset_name, info["resolution"], info["channels"], info["count"])
                  for k in changes}
        out = {self.resolution: info["resolution"], self.preset_md: explain_choice(preset_name, info, start.get("start"))}
        out.update({comp: value for k, (comp, value) in self._fields_of(cfg).items() if k in picked})
        return out

    @handler
    def estimate_time(self, preset_name, loss, resolution, width, batch_size, learning_rate, critic_steps,
                      augment, budget_kind, budget):
        """How long the run will take, before starting it."""
        cfg = build_config(preset_name, loss, resolution, width, batch_size, learning_rate, critic_steps,
                           augment, budget_kind, budget)
        if cfg.minutes is not None:
            return train_view.minutes_estimate(cfg.minutes)
        return train_view.steps_estimate(cfg.steps, estimate.steps_per_second(cfg), self.studio.manager.busy())

    # ---- events ------------------------------------------------------------------------
    def wire(self, visitor, dataset) -> None:
        self.start.change(self.apply_preset, [self.preset, dataset, self.start, visitor],
                          [self.loss, self.resolution, self.width, self.batch_size, self.lr, self.n_critic,
                           self.augment, self.budget_kind, self.budget, self.preset_md], api_visibility="private")
        self.preset.change(self.apply_preset, [self.preset, dataset, self.start, visitor],
                           [self.loss, self.resolution, self.width, self.batch_size, self.lr, self.n_critic,
                            self.augment, self.budget_kind, self.budget, self.preset_md], api_visibility="private")
        dataset.change(self.dataset_changed, [self.preset, dataset, self.start, visitor],
                       [self.resolution, self.preset_md, self.width, self.batch_size, self.loss, self.n_critic,
                        self.lr, self.augment], api_visibility="private")
        gr.on([c.change for c in self.inputs], self.estimate_time, self.inputs, [self.estimate_md],
              api_name="estimate", trigger_mode="always_last", concurrency_id="estimate", concurrency_limit=1,
              show_progress="hidden")

"""The Hugging Face model card (README.md) of a pushed or bundled generator.

``model_card`` is pure: it turns a run's ``config.json`` (and ``metrics.json``) into
Markdown with YAML front matter, and reads nothing from disk. ``extra`` carries what
the run folder does not know:

    title       heading of the card (default: the repository name)
    license     SPDX id for the front matter (default "mit"; the training images' licence may apply)
    dataset     one sentence on the training images, e.g. "100 Font Awesome icons, cleaned to 64 px"
    hardware    what it was trained on, e.g. "CPU (2 cores)" or "GPU: NVIDIA H100"
    minutes     training wall time actually used
    steps       generator steps actually trained
    reproduce   the exact command(s) that made this model
    model_path  shown in the usage examples when there is no repo_id (e.g. "weights/rims-64")
    sample_image  file name of the sample grid (default "final_grid.png")
    progress_gif  file name of the training animation, if the folder has one
    notes       free text appended under "Notes"
"""
from __future__ import annotations

import json

from ..config import options_on, train_section

SAMPLE_IMAGE = "final_grid.png"


def _yaml(value) -> str:
    """A YAML scalar: JSON strings are valid YAML and need no escaping rules of their own."""
    return json.dumps(value, ensure_ascii=False)


def _fmt(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if value is None or value == "":
        return "-"
    return str(value)


def _minutes(value) -> str:
    minutes = float(value)
    return f"{minutes:.0f} min" if minutes >= 10 else f"{minutes:.1f} min"


def _dataset_lines(config: dict, extra: dict) -> list[str]:
    data = config.get("dataset") if isinstance(config.get("dataset"), dict) else {}
    model = config.get("model", {})
    lines = []
    if extra.get("dataset"):
        lines.append(str(extra["dataset"]))
    count = data.get("images")
    if count is not None:
        colour = "colour" if model.get("channels") == 3 else "grayscale"
        res = model.get("resolution")
        size = f" at {res}×{res} px" if res else ""
        lines.append(f"{count} training image(s), {colour}{size}.")
    for key, value in data.items():
        if key != "images" and isinstance(value, (str, int, float, bool)):
            lines.append(f"- {key.replace('_', ' ')}: {_fmt(value)}")
    return lines or ["Not recorded in config.json."]


def _training_rows(config: dict, extra: dict) -> list[tuple[str, str]]:
    model = config.get("model", {})
    train = config.get("train", {})
    rows: list[tuple[str, str]] = []

    def add(label, value):
        if value is not None and value != "":
            rows.append((label, value if isinstance(value, str) else _fmt(value)))

    add("preset", train.get("preset"))
    start = config.get("start") if isinstance(config.get("start"), dict) else None
    add("started from", f"{start.get('name')} (weights sha256 {start.get('sha256')}…), fine-tuned"
        if start else ("random weights (from scratch)" if "start" in config else None))
    if train.get("freeze_d"):
        add("frozen D blocks (FreezeD)", train["freeze_d"])
    add("loss", train.get("loss"))
    if model.get("resolution"):
        add("resolution", f"{model['resolution']}×{model['resolution']} px, "
                          f"{'colour' if model.get('channels') == 3 else 'grayscale'}")
    add("networks", f"{model.get('arch', '?')}, width {model.get('width', '?')}, z_dim {model.get('z_dim', '?')}"
        + (", G doubles by nearest-neighbour + 3x3 conv" if model.get("g_upsample") == "nearest" else "")
        + (", skip-layer excitation in G" if model.get("g_skip_excitation") else "")
        + (", self-supervised D (decoders)" if model.get("d_decoders") else "")
        + (", spectral norm" if model.get("spectral_norm") else "") if model else None)
    add("batch size", train.get("batch_size"))
    if "lr_g" in train:
        add("learning rate", f"G {_fmt(train['lr_g'])} / D {_fmt(train.get('lr_d'))}")
    if "augment" in train:
        add("augmentation", f"DiffAugment: {train['augment']}" if train["augment"] else "off")
    add("regularisation", ", ".join(options_on(train)) or None)
    if train.get("ema_decay"):
        add("EMA of G weights", train["ema_decay"])
    if extra.get("steps") is not None:
        add("steps trained", extra["steps"])
    if extra.get("minutes") is not None:
        add("training time", _minutes(extra["minutes"]))
    budget = [(_minutes(train["minutes"]) if train.get("minutes") else None),
              (f"{train['steps']} steps" if train.get("steps") else None)]
    add("budget", " / ".join(b for b in budget if b) or None)
    add("hardware", extra.get("hardware"))
    add("seed", train.get("seed"))
    return rows


def _metric_lines(metrics: dict) -> list[str]:
    rows = []
    if "swd" in metrics:
        rows.append(("SWD (sliced Wasserstein distance)", f"{metrics['swd']:.1f}", "lower is better"))
    if "coverage" in metrics:
        rows.append(("coverage", f"{metrics['coverage']:.2f}",
                     "share of training designs with a generated design nearby; 1 is best"))
    if "density" in metrics:
        rows.append(("density", f"{metrics['density']:.2f}", "≈ 1 when generated designs sit among the real ones"))
    if "palette" in metrics:
        rows.append(("palette distance", f"{metrics['palette']:.1f}",
                     f"{'colour' if metrics.get('channels') == 3 else 'grey-level'} distribution vs the training "
                     "images; lower is better"))
    if "memorised_share" in metrics:
        rows.append(("memorised", f"{100 * metrics['memorised_share']:.0f}%",
                     "generated designs that are near-copies of a training image; lower is better"))
    if not rows:
        return []
    n_fake = metrics.get("num_fake")
    n_real = metrics.get("num_real")
    lines = ["| metric | value | meaning |", "| --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    if n_fake and n_real:
        lines += ["", f"Measured on {n_fake} generated designs against the {n_real} training images."]
    return lines


def model_card(config: dict, metrics: dict | None = None, repo_id: str | None = None,
               extra: dict | None = None) -> str:
    """Markdown model card with Hub front matter for a Design Studio generator."""
    extra = dict(extra or {})
    model = config.get("model", {})
    train = train_section(config)
    name = repo_id.split("/")[-1] if repo_id else None
    title = extra.get("title") or name or "Design Studio generator"
    where = repo_id or extra.get("model_path") or "path/to/this/folder"
    sample = extra.get("sample_image", SAMPLE_IMAGE)

    tags = ["gan", "design-studio", "pytorch", "unconditional-image-generation"]
    for tag in (train.get("loss"), train.get("preset") and f"preset-{train['preset']}"):
        if tag and tag not in tags:
            tags.append(tag)
    front = ["---", "library_name: pytorch", f"license: {_yaml(extra.get('license', 'mit'))}",
             "pipeline_tag: unconditional-image-generation", "tags:"]
    front += [f"- {_yaml(t)}" for t in tags]
    front.append("---")

    res = model.get("resolution")
    kind = "colour" if model.get("channels") == 3 else "grayscale"
    count = (config.get("dataset") or {}).get("images") if isinstance(config.get("dataset"), dict) else None
    intro = (f"A small GAN generator made with **Design Studio**: it turns a seed number into a new "
             f"{f'{res}×{res} px ' if res else ''}{kind} design in the style of "
             f"{f'its {count} training images' if count else 'its training images'}. "
             f"The same seed always gives the same design.")

    out = front + ["", f"# {title}", "", intro, "", f"![Designs from this generator]({sample})", ""]

    out += ["## Training data", ""] + _dataset_lines(config, extra) + [""]

    rows = _training_rows(config, extra)
    if rows:
        out += ["## Training", "", "| setting | value |", "| --- | --- |"]
        out += [f"| {k} | {v} |" for k, v in rows]
        out.append("")
    if extra.get("reproduce"):
        out += ["To reproduce it:", "", "```bash", str(extra["reproduce"]).strip(), "```", ""]

    metric_lines = _metric_lines(metrics or {})
    if metric_lines:
        out += ["## Quality", ""] + metric_lines + [""]

    out += [
        "## How to use it",
        "",
        f"- **Design Studio**: open the Explore tab and load `{where}`; drag the seed slider, "
        "pick favourites and morph between them.",
        "- **Command line** (from a Design Studio checkout):",
        "",
        "```bash",
        f"python -m gan_core generate --model {where} --seeds 0-15 --out designs --grid",
        f"python -m gan_core morph --model {where} --seeds 3,7,11 --loop --out morph.mp4",
        "```",
        "",
        "- **Python**:",
        "",
        "```python",
        *(["from gan_core.hub.transfer import download_model"] if repo_id else []),
        "from gan_core import load_generator, save_grid",
        (f"model = load_generator(download_model({_yaml(repo_id)}))" if repo_id
         else f"model = load_generator({_yaml(where)})"),
        "save_grid(model.generate(range(16)), \"designs.png\")  # seeds 0-15 as one grid",
        "```",
        "",
        "## Files",
        "",
        "- `config.json`: format version, network shape and training settings (all a loader needs)",
        "- `model.safetensors`: the generator's weights (EMA); safetensors only, no pickle",
        f"- `{sample}`: sample designs",
    ]
    if extra.get("progress_gif"):
        out.append(f"- `{extra['progress_gif']}`: how the designs changed during training")
    if metrics:
        out.append("- `metrics.json`: the quality numbers above"
                   + (", with each generated design's nearest training image" if "nearest" in metrics else ""))
    out += [
        "",
        "## Limitations",
        "",
        "Trained from scratch on a small set of images: it only makes variations in the style of those "
        "images, and some designs may be close copies of training images"
        + (" (see *memorised* above). " if metrics and "memorised_share" in metrics else ". ") +
        "Check that you may use the training images before you use its designs.",
    ]
    if extra.get("notes"):
        out += ["", "## Notes", "", str(extra["notes"]).strip()]
    return "\n".join(out) + "\n"

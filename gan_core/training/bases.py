"""Start points: the base models this project pretrains, and fine-tuning from them (or any run).

A run can start from random weights ("from scratch", ``TrainConfig.start = ""``) or from a start
point whose G and D it copies before the first step (``start = "base"``: the shipped base model
that matches the data's channels and resolution; or the folder of a base, a model or a run).

A base model's folder (``weights/base-<corpus>-<res>``) holds, like any model:

    config.json          the model section (the architecture) and the pretraining's train section
    model.safetensors    the EMA generator G (what Explore draws with) and, under "critic.", D
    README.md            its card: the corpus, licences, steps, time, metrics, a grid

so Explore lists and draws it like any other model, and fine-tuning finds both networks.
A run's folder works too (its checkpoint holds G, D and the EMA G), and so does a Hub id
(owner/name: only config.json and model.safetensors are fetched). Only safetensors are read.
A run records what it started from (name and a hash of the weights) in its config.json.
"""
from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import torch

from ..checkpoint import load_tensors, read_json, save_tensors, write_json
from ..config import ModelConfig
from ..errors import UserError
from ..hub.transfer import check_repo_id, download_model
from .runfolder import RunFolder

CRITIC_PREFIX = "critic."         # D's tensors inside a base's model.safetensors
BASE_KINDS = {1: "gray", 3: "colour"}
BASE_LABELS = {"gray": "icons", "colour": "colour objects"}  # how Explore names a base


def weights_dir() -> Path:
    """The bundled weights folder (STUDIO_WEIGHTS_DIR or the repository's weights/)."""
    env = os.environ.get("STUDIO_WEIGHTS_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "weights"


def base_name(resolution: int, channels: int) -> str:
    return f"base-{BASE_KINDS[channels]}-{resolution}"


def base_label(name: str) -> str | None:
    """"base: icons (64 px)" for a base folder's name, None for any other model."""
    parts = name.split("-")
    if len(parts) != 3 or parts[0] != "base" or parts[1] not in BASE_LABELS or not parts[2].isdigit():
        return None
    return f"base: {BASE_LABELS[parts[1]]} ({parts[2]} px)"


def base_for(resolution: int, channels: int, folder: Path | None = None) -> Path | None:
    """The shipped base model for this data, or None when there is none (train from scratch)."""
    if channels not in BASE_KINDS:
        return None
    path = (folder or weights_dir()) / base_name(resolution, channels)
    return path if (path / "model.safetensors").is_file() and (path / "config.json").is_file() else None


def weights_hash(path: Path) -> str:
    """The first 16 hex digits of the sha256 of a weights file: what a run records of its start."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


@dataclass
class StartPoint:
    name: str                       # "base-colour-64", or the folder's name
    path: Path                      # the weights file read
    sha256: str                     # weights_hash(path)
    model: ModelConfig              # its architecture
    G: dict[str, torch.Tensor]      # generator weights (the EMA generator where there is one)
    D: dict[str, torch.Tensor]      # critic weights

    def record(self) -> dict:
        """What a run writes into its config.json about where it started (no server path: a
        run's config.json goes to the Hub with its model)."""
        return {"name": self.name, "sha256": self.sha256}


EYES_FILE = "eyes.safetensors"  # not model.safetensors: an eyes folder is not a model Explore lists
ADDED_ON_START = ("d_eyes",)  # a fine-tune may add D's eyes to a start point without them, or drop them


def _mismatch(theirs: ModelConfig, ours: ModelConfig) -> list[str]:
    a, b = theirs.to_dict(), ours.to_dict()
    return [f"{k} {a[k]} (start point) vs {b[k]} (this run)" for k in a
            if a[k] != b.get(k) and k not in ADDED_ON_START]


def load_eyes(D: torch.nn.Module, name: str, folder: Path | None = None) -> str:
    """Load the trained feature network ``name`` (a folder of the weights folder, written by
    scripts/train_eyes.py) into D's eyes; returns a hash of its weights for the run's record."""
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise UserError(f"d_eyes must name a folder of the weights folder (e.g. eyes-colour-64); got {name!r}")
    path = (folder or weights_dir()) / name / EYES_FILE
    if not path.is_file():
        raise UserError(f"D's eyes {name!r}: {path} is missing; train them (python scripts/train_eyes.py) "
                        f"or leave d_eyes empty")
    try:
        tensors, _ = load_tensors(path)
        D.eyes.load_body(tensors)
    except UserError as e:
        raise UserError(f"D's eyes {name!r}: {e}") from None
    except Exception as e:  # a damaged file or another network's weights: name it
        raise UserError(f"D's eyes {name!r}: {path} cannot be loaded into this run's critic "
                        f"({type(e).__name__}: {str(e).splitlines()[0][:160]})") from None
    return weights_hash(path)


def resolve(start: str, model: ModelConfig, folder: Path | None = None) -> Path | None:
    """The folder ``start`` names for a run of ``model``; None for from scratch."""
    if not start or start == "scratch":
        return None
    if start == "base":
        path = base_for(model.resolution, model.channels, folder)
        if path is None:
            want = base_name(model.resolution, model.channels) if model.channels in BASE_KINDS else "a base"
            raise UserError(f"there is no base model for {model.channels}-channel {model.resolution} px data "
                            f"({want} is not in {folder or weights_dir()}); train from scratch "
                            f"(--from scratch) or give a run's folder")
        return path
    path = Path(start).expanduser()
    if not path.exists():
        named = (folder or weights_dir()) / start
        if named.exists():  # a bundled model by name ("base-gray-64", "rims-64")
            return named
        try:
            repo = check_repo_id(start)
        except UserError:
            raise UserError(f"start point {start!r}: no such folder; give 'base', 'scratch', a run's folder, "
                            f"a model folder with config.json and model.safetensors, or a Hub id") from None
        return download_model(repo)  # config.json + model.safetensors only: never a pickle
    return path


def load_start_point(start: str, model: ModelConfig, folder: Path | None = None) -> StartPoint | None:
    """G and D of the start point ``start`` for a run of ``model``, checked against it.

    Refuses, naming what differs, a start point of another resolution, channel count or
    architecture, and one whose files are missing, damaged or hold no critic."""
    path = resolve(start, model, folder)
    if path is None:
        return None
    if path.is_file():
        path = path.parent
    checkpoint, weights = path / "checkpoint.safetensors", path / "model.safetensors"
    source = checkpoint if checkpoint.is_file() else weights
    if not source.is_file() or not (path / "config.json").is_file():
        raise UserError(f"start point {path}: needs config.json and model.safetensors (a base or a model "
                        f"folder) or checkpoint.safetensors (a run); found neither")
    info = read_json(path / "config.json", "start point config.json")
    try:
        theirs = ModelConfig.from_dict(info.get("model") if isinstance(info, dict) else None)
    except UserError as e:
        raise UserError(f"start point {path}: config.json: {e}") from None
    diff = _mismatch(theirs, model)
    if diff:
        raise UserError(f"start point {path.name} does not fit this run: {'; '.join(diff)}. Pick the base for "
                        f"this data's size and colour, or train from scratch")
    try:
        tensors, _ = load_tensors(source)  # safetensors only: refuses pickles before reading them
    except UserError as e:
        raise UserError(f"start point {path}: {e}") from None
    except Exception as e:  # a damaged file: name it, never a traceback
        raise UserError(f"start point {source}: cannot be read ({type(e).__name__}); it is damaged or not "
                        f"a safetensors file") from None
    if source is checkpoint:
        G = {k[len("G_ema."):]: v for k, v in tensors.items() if k.startswith("G_ema.")}
        D = {k[2:]: v for k, v in tensors.items() if k.startswith("D.")}
    else:
        G = {k: v for k, v in tensors.items() if not k.startswith(CRITIC_PREFIX)}
        D = {k[len(CRITIC_PREFIX):]: v for k, v in tensors.items() if k.startswith(CRITIC_PREFIX)}
    if not D:
        raise UserError(f"start point {source}: holds a generator but no critic (D); fine-tuning needs both. "
                        f"Use a base model or a run's folder")
    return StartPoint(name=path.name, path=source, sha256=weights_hash(source), model=theirs, G=G, D=D)


def critic_blocks(D: torch.nn.Module) -> list[list[torch.nn.Module]]:
    """D's layers grouped in blocks from the image side: each block starts at a convolution and
    holds the normalisation and activation after it (the last block is the 4x4 -> score layer)."""
    blocks: list[list[torch.nn.Module]] = []
    for layer in D.net:
        if isinstance(layer, torch.nn.Conv2d) or hasattr(layer, "parametrizations"):
            blocks.append([])
        blocks[-1].append(layer)
    return blocks


def freeze_critic(D: torch.nn.Module, blocks: int) -> int:
    """FreezeD (Mo et al. 2020): D's first ``blocks`` blocks keep their weights. Returns the
    number of frozen parameters. BatchNorm running statistics are buffers, not weights: in
    training D normalises with each batch's statistics, so they play no part."""
    groups = critic_blocks(D)
    if blocks >= len(groups):
        raise UserError(f"freeze_d must be less than D's {len(groups)} blocks at this resolution; got {blocks}")
    frozen = 0
    for group in groups[:blocks]:
        for layer in group:
            for p in layer.parameters():
                p.requires_grad_(False)
                frozen += p.numel()
    return frozen


def start_from(G: torch.nn.Module, D: torch.nn.Module, config) -> dict | None:
    """Copy the start point of ``config`` (a TrainConfig) into fresh G and D; returns what the run
    records of it, or None from scratch. G starts from the start point's EMA generator."""
    sp = load_start_point(config.start, config.model)
    if sp is None:
        return None
    if getattr(D, "eyes", None) is None:  # a start point's eyes are dropped with its config's d_eyes
        sp.D = {k: v for k, v in sp.D.items() if not k.startswith("eyes.")}
    elif not any(k.startswith("eyes.") for k in sp.D):  # eyes added on a start point without them
        sp.D = {**{"eyes." + k: v for k, v in D.eyes.state_dict().items()}, **sp.D}
    for net, state, what in ((G, sp.G, "generator"), (D, sp.D, "critic")):
        try:
            net.load_state_dict(state, strict=True)
        except RuntimeError as e:
            detail = next((ln.strip() for ln in str(e).splitlines()[1:] if ln.strip()), str(e))[:200]
            raise UserError(f"start point {sp.name}: its {what} does not fit this run's network "
                            f"({detail})") from None
    return sp.record()


def export_base(run_dir: Path, out: Path, extra: dict | None = None) -> Path:
    """Write a run's EMA generator and critic as a base-model folder ``out`` (atomically: a
    temporary folder renamed into place): config.json (the run's, plus ``extra``) and
    model.safetensors (G's tensors as Explore loads them, D's under CRITIC_PREFIX)."""
    run = RunFolder(run_dir)
    if not run.checkpoint.is_file():
        raise UserError(f"{run.path}: holds no checkpoint.safetensors to export")
    tensors, meta = load_tensors(run.checkpoint)
    weights = {k[len("G_ema."):]: v for k, v in tensors.items() if k.startswith("G_ema.")}
    weights.update({CRITIC_PREFIX + k[2:]: v for k, v in tensors.items() if k.startswith("D.")})
    config = {k: v for k, v in run.read_config().items() if k != "start"}
    if isinstance(config.get("train"), dict) and config["train"].get("start"):  # a name, never a server path
        config["train"]["start"] = Path(str(config["train"]["start"])).name
    config.update(extra or {})
    out = Path(out)
    tmp = out.parent / f".{out.name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    save_tensors(weights, tmp / "model.safetensors", {"format_version": 1, "step": meta.get("step")})
    write_json(config, tmp / "config.json")
    for name in ("final_grid.png", "metrics.json", "README.md"):  # no animation: the repository stays small
        src = (out if name == "README.md" else run.path) / name  # a card written by hand is kept
        if src.is_file():
            shutil.copy(src, tmp / name)
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)
    return out

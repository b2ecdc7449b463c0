"""Atomic, pickle-free persistence: safetensors for tensors, JSON for the rest.

Every file is written to a temporary sibling, flushed, fsynced and renamed over
the old one, so a crash or a full disk leaves the previous file intact.
"""
from __future__ import annotations

import json
import os
import struct
import tempfile
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as st_load_bytes
from safetensors.torch import save as st_save_bytes

from .errors import UserError

MAX_WEIGHTS_BYTES = 2 * 2**30  # refuse absurd weight files before reading them
# pickle-based formats (they can run code when opened): never loaded, named in the refusal;
# the one list for load_tensors, generate and hub (strictest: every suffix any of them knew)
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt")
_MAX_HEADER = 100_000_000  # safetensors' own limit on the JSON header


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via temp file + fsync + rename; on error the old file stays."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def save_tensors(tensors: dict[str, torch.Tensor], path: Path, metadata: dict | None = None) -> None:
    tensors = {k: v.detach().contiguous().cpu() for k, v in tensors.items()}
    meta = {"json": json.dumps(metadata)} if metadata is not None else None
    atomic_write_bytes(Path(path), st_save_bytes(tensors, metadata=meta))


def is_pickle(path: str | Path) -> bool:
    """True for the pickle-based weight formats Design Studio refuses to open."""
    return Path(path).suffix.lower() in PICKLE_SUFFIXES


def _header_metadata(header: bytes, name: str) -> dict | None:
    """The JSON metadata a safetensors header carries (save_tensors' "json" entry)."""
    try:
        meta = json.loads(header).get("__metadata__") or {}
        return json.loads(meta["json"]) if "json" in meta else None
    except (ValueError, AttributeError, TypeError) as e:
        raise UserError(f"{name}: not a valid safetensors file (bad header: {e})") from None


def _split_header(data: bytes, name: str) -> bytes:
    if len(data) < 8:
        raise UserError(f"{name}: not a valid safetensors file (too short)")
    (n,) = struct.unpack("<Q", data[:8])
    if n > min(_MAX_HEADER, len(data) - 8):
        raise UserError(f"{name}: not a valid safetensors file (header length {n} is impossible)")
    return data[8:8 + n]


def _check_loadable(path: Path) -> None:
    if is_pickle(path):
        raise UserError(f"{path.name}: only .safetensors weights are loaded (pickle-based files such as "
                        f".pt/.pkl can run code when opened); convert it with safetensors first")
    if not path.is_file():
        raise UserError(f"{path}: file not found")


def read_metadata(path: Path) -> dict | None:
    """The metadata of a safetensors file from its header only (no tensors read)."""
    path = Path(path)
    _check_loadable(path)
    with open(path, "rb") as f:
        head = f.read(8)
        (n,) = struct.unpack("<Q", head) if len(head) == 8 else (-1,)
        if not 0 <= n <= _MAX_HEADER:
            raise UserError(f"{path.name}: not a valid safetensors file (bad header length)")
        return _header_metadata(f.read(n), path.name)


def load_tensors(path: Path) -> tuple[dict[str, torch.Tensor], dict | None]:
    """Read a safetensors file (never a pickle); returns (tensors, metadata).

    The file is read once: tensors and metadata come from the same bytes, so a file
    replaced meanwhile cannot pair one version's tensors with another's metadata."""
    path = Path(path)
    _check_loadable(path)
    if path.stat().st_size > MAX_WEIGHTS_BYTES:
        raise UserError(f"{path.name}: {path.stat().st_size / 2**30:.1f} GB is too large for a design generator")
    data = path.read_bytes()
    try:
        tensors = st_load_bytes(data)
    except (SafetensorError, ValueError, OSError, RuntimeError) as e:
        raise UserError(f"{path.name}: not a valid safetensors file ({str(e).splitlines()[0][:120]})") from None
    return tensors, _header_metadata(_split_header(data, path.name), path.name)


def flatten_optimizer(opt: torch.optim.Optimizer, prefix: str) -> tuple[dict[str, torch.Tensor], dict]:
    """Optimizer state -> (tensors keyed ``prefix.idx.name``, JSON-able rest)."""
    sd = opt.state_dict()
    tensors, scalars = {}, {}
    for idx, st in sd["state"].items():
        for name, v in st.items():
            if torch.is_tensor(v):
                tensors[f"{prefix}.{idx}.{name}"] = v
            else:
                scalars[f"{idx}.{name}"] = v
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def unflatten_optimizer(opt: torch.optim.Optimizer, prefix: str, tensors: dict, meta: dict) -> None:
    state: dict[int, dict] = {}
    for key, v in tensors.items():
        if key.startswith(prefix + "."):
            idx, name = key[len(prefix) + 1:].split(".", 1)
            state.setdefault(int(idx), {})[name] = v
    for key, v in meta.get("scalars", {}).items():
        idx, name = key.split(".", 1)
        state.setdefault(int(idx), {})[name] = v
    opt.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
    # files hold contiguous tensors; give each moment its parameter's memory layout again
    # (channels_last weights), as the uninterrupted run had, so a resume continues exactly
    for group in opt.param_groups:
        for param in group["params"]:
            st = opt.state.get(param, {})
            for name, v in st.items():
                if torch.is_tensor(v) and v.shape == param.shape and v.stride() != param.stride():
                    st[name] = torch.empty_like(param).copy_(v)


def write_json(obj, path: Path) -> None:
    atomic_write_bytes(Path(path), (json.dumps(obj, indent=2) + "\n").encode())


def read_json(path: Path, what: str = "file", max_bytes: int = 1_000_000) -> dict:
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: {what} not found")
    if path.stat().st_size > max_bytes:
        raise UserError(f"{path.name}: {what} is too large to be a config")
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise UserError(f"{path.name}: {what} is not valid JSON ({e})") from None
    if not isinstance(obj, dict):
        raise UserError(f"{path.name}: {what} must be a JSON object")
    return obj

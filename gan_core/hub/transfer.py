"""The Hugging Face Hub: load a generator from a repository, push a finished run to one.

Only ``config.json`` + ``model.safetensors`` (+ card and pictures) ever travel: never a
checkpoint, never a pickle, never the token. The token is handed to ``HfApi(token=...)``
for the calls it makes and is not saved anywhere (no ``login()``).

Every failure a person can fix (a typo in the id, a private repository, no network, a
token without write access) becomes a ``UserError`` that says what to do.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from ..errors import UserError

ALLOW_PATTERNS = ["config.json", "model.safetensors", "README.md", "*.png"]
HUB_URL = "https://huggingface.co"
TOKEN_HELP = "create one at https://huggingface.co/settings/tokens"
EXAMPLE_ID = "you/rim-generator"
_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_REPO_ID = re.compile(rf"^{_PART}/{_PART}$")


def check_repo_id(repo_id) -> str:
    """'owner/name' (a pasted https://huggingface.co/owner/name URL works too) or a UserError."""
    text = str(repo_id or "").strip().rstrip("/")
    for prefix in (HUB_URL + "/", "huggingface.co/", "hf.co/"):
        if text.startswith(prefix):
            text = text[len(prefix):]
    if (not _REPO_ID.match(text) or "--" in text or ".." in text or len(text) > 96
            or text.endswith(".git")):
        raise UserError(f"{str(repo_id)[:100]!r} is not a Hub repository id; write owner/name, "
                        f"e.g. {EXAMPLE_ID} (letters, digits, '-', '_' and '.')")
    return text


def _offline() -> bool:
    from huggingface_hub import constants
    return bool(constants.is_offline_mode())


def _status(err) -> int | None:
    response = getattr(err, "response", None)
    return getattr(response, "status_code", None)


def _network_errors() -> tuple[type[BaseException], ...]:
    import httpx2  # huggingface_hub 2.x talks HTTP through httpx2
    from huggingface_hub.errors import OfflineModeIsEnabled
    return (httpx2.TransportError, OfflineModeIsEnabled, ConnectionError, TimeoutError)


# ----------------------------------------------------------------------------- download

def _hub_answers(repo_id: str, revision: str | None, token: str | None) -> bool:
    """One quick request: does the Hub answer at all?

    snapshot_download retries a dead connection for ~23 s on some paths (a commit hash
    as revision lists the tree with back-off); without an answer we read the cache only.
    """
    if _offline():
        return False
    from huggingface_hub import HfApi
    try:
        HfApi().repo_info(repo_id, revision=revision, token=token or None, timeout=10)
    except _network_errors():
        return False
    except Exception:
        return True  # an HTTP answer (404, 401...): snapshot_download turns it into the right error
    return True


def download_model(repo_id: str, revision: str | None = None, token: str | None = None) -> Path:
    """Fetch (or find in the local cache) a generator repository; returns its folder.

    Only config.json, model.safetensors, README.md and PNGs are fetched: a repository
    with pickled weights alone (pytorch_model.bin, .pt) is refused, not loaded.
    """
    repo_id = check_repo_id(repo_id)
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (EntryNotFoundError, GatedRepoError, HfHubHTTPError,
                                        IncompleteSnapshotError, LocalEntryNotFoundError,
                                        RepositoryNotFoundError, RevisionNotFoundError)
    at = f" at revision {revision!r}" if revision else ""
    unreachable = (f"{repo_id}{at}: not in the local cache and the Hub cannot be reached (offline?); "
                   + ("unset HF_HUB_OFFLINE and connect once to download it"
                      if _offline() else "connect to the internet once to download it, then it works offline"))
    try:
        folder = Path(snapshot_download(repo_id, revision=revision, token=token or None,
                                        allow_patterns=ALLOW_PATTERNS,
                                        local_files_only=not _hub_answers(repo_id, revision, token)))
    except GatedRepoError:
        raise UserError(f"{repo_id}: this repository is gated; accept its conditions at {HUB_URL}/{repo_id} "
                        f"and give a token (HF_TOKEN) of an account that has access") from None
    except RepositoryNotFoundError:
        raise UserError(f"{repo_id}: no such model on the Hugging Face Hub, or it is private and no token with "
                        f"access was given; check the spelling (e.g. {EXAMPLE_ID}) or set HF_TOKEN") from None
    except RevisionNotFoundError:
        raise UserError(f"{repo_id}: revision {revision!r} not found; give a branch, tag or commit that exists "
                        f"(or leave it empty for main)") from None
    except IncompleteSnapshotError:
        raise UserError(f"{repo_id}{at}: the cached copy is incomplete and the Hub cannot be reached "
                        f"(offline?); connect once to finish the download") from None
    except LocalEntryNotFoundError:
        raise UserError(unreachable) from None
    except EntryNotFoundError as e:
        raise UserError(f"{repo_id}{at}: a file is missing from the repository ({str(e).splitlines()[0][:120]}); "
                        f"a Design Studio model needs config.json and model.safetensors") from None
    except HfHubHTTPError as e:
        code = _status(e)
        if code == 401:
            raise UserError(f"{repo_id}: the Hub refused the token; check HF_TOKEN ({TOKEN_HELP})") from None
        if code == 403:
            raise UserError(f"{repo_id}: your token may not read this repository; use a token of an account "
                            f"with access ({TOKEN_HELP})") from None
        raise UserError(f"{repo_id}: the Hub answered {code or 'an error'}; try again in a minute") from None
    except _network_errors():
        raise UserError(unreachable) from None

    if not (folder / "model.safetensors").is_file():
        from ..checkpoint import is_pickle
        pickles = sorted(p.name for p in folder.iterdir() if is_pickle(p)) if folder.is_dir() else []
        found = f" (it has {pickles[0]})" if pickles else ""
        raise UserError(f"{repo_id}{at}: no model.safetensors{found}; Design Studio loads only safetensors "
                        f"weights, never .bin/.pt pickles (they can run code when opened). Pick a Design Studio "
                        f"model, or push a run with `python -m gan_core push`")
    if not (folder / "config.json").is_file():
        raise UserError(f"{repo_id}{at}: no config.json next to model.safetensors; is this a Design Studio "
                        f"generator? Push runs with `python -m gan_core push`")
    return folder


# ----------------------------------------------------------------------------- push

def _run_extra(run_dir: Path) -> dict:
    """What the run's status.json knows that config.json does not (time and steps trained)."""
    from ..checkpoint import read_json
    status_file = run_dir / "status.json"
    extra: dict = {}
    if status_file.is_file():
        try:
            status = read_json(status_file, "status.json")
        except UserError:
            return extra
        if isinstance(status.get("step"), int) and status["step"] > 0:
            extra["steps"] = status["step"]
        if isinstance(status.get("seconds"), (int, float)) and status["seconds"] > 0:
            extra["minutes"] = status["seconds"] / 60
    return extra


def build_push_folder(run_dir: str | Path, out_dir: str | Path, repo_id: str | None,
                      extra: dict | None = None) -> Path:
    """Stage what a Hub repository of this run holds, in ``out_dir``; returns ``out_dir``.

    config.json, model.safetensors, README.md (model card), final_grid.png (made from
    seeds 0-15 when the run has none), and progress.gif / metrics.json when present.
    Never checkpoint.safetensors, logs or status files.
    """
    from ..checkpoint import read_json
    from ..config import train_section
    from .modelcard import SAMPLE_IMAGE, model_card
    run_dir, out_dir = Path(run_dir), Path(out_dir)
    if not run_dir.is_dir():
        raise UserError(f"{run_dir}: no such run folder")
    for name in ("config.json", "model.safetensors"):
        if not (run_dir / name).is_file():
            raise UserError(f"{run_dir}: no {name}; push a finished (or stopped) training run, "
                            f"whose folder holds config.json and model.safetensors")
    config = read_json(run_dir / "config.json", "config.json")
    train_section(config, run_dir / "config.json")  # before staging anything
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "model.safetensors"):
        shutil.copyfile(run_dir / name, out_dir / name)

    sample = run_dir / SAMPLE_IMAGE
    if sample.is_file():
        shutil.copyfile(sample, out_dir / SAMPLE_IMAGE)
    else:
        from ..design.generate import load_generator
        from ..export.animation import save_grid
        model = load_generator(run_dir)
        save_grid(model.generate(range(16)), out_dir / SAMPLE_IMAGE)

    card_extra = {**_run_extra(run_dir), **(extra or {})}
    if (run_dir / "progress.gif").is_file():
        shutil.copyfile(run_dir / "progress.gif", out_dir / "progress.gif")
        card_extra.setdefault("progress_gif", "progress.gif")
    metrics = None
    if (run_dir / "metrics.json").is_file():
        try:
            metrics = read_json(run_dir / "metrics.json", "metrics.json")
            shutil.copyfile(run_dir / "metrics.json", out_dir / "metrics.json")
        except UserError:
            metrics = None  # a damaged metrics file must not block the push
    (out_dir / "README.md").write_text(model_card(config, metrics, repo_id, card_extra), encoding="utf-8")
    return out_dir


def _resolve_token(token: str | None) -> str:
    token = (token or os.environ.get("HF_TOKEN") or "").strip()
    if not token:
        raise UserError(f"pushing to the Hub needs a Hugging Face token with write access: {TOKEN_HELP}, "
                        f"then set HF_TOKEN or pass it (--token)")
    return token


def _check_token_absent(folder: Path, token: str) -> None:
    needle = token.encode()
    for path in folder.rglob("*"):
        if path.is_file() and needle in path.read_bytes():
            raise UserError(f"{path.name} contains your Hub token; remove it before pushing")


def push_run(run_dir: str | Path, repo_id: str, token: str | None = None, private: bool = False,
             extra: dict | None = None) -> str:
    """Push a finished run to ``repo_id`` (created if needed); returns the repository URL."""
    repo_id = check_repo_id(repo_id)
    token = _resolve_token(token)
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

    if _offline():
        raise UserError("pushing needs the Hub but HF_HUB_OFFLINE is set; unset it and try again")
    with tempfile.TemporaryDirectory(prefix="design-studio-push-") as tmp:
        folder = build_push_folder(run_dir, Path(tmp) / "repo", repo_id, extra)
        _check_token_absent(folder, token)
        api = HfApi(token=token)
        try:
            url = api.create_repo(repo_id, repo_type="model", exist_ok=True, private=private)
            api.upload_folder(repo_id=repo_id, repo_type="model", folder_path=str(folder),
                              commit_message="Upload Design Studio generator")
        except HfHubHTTPError as e:
            code = _status(e)
            if code == 401:
                raise UserError(f"the Hub refused the token (wrong or expired); {TOKEN_HELP} "
                                f"with write access and try again") from None
            if code == 403:
                raise UserError(f"{repo_id}: your token may not write here; use a token with write access "
                                f"({TOKEN_HELP}) and a namespace you own or belong to") from None
            if code == 404 or isinstance(e, RepositoryNotFoundError):
                raise UserError(f"{repo_id}: repository not found and could not be created; check the owner "
                                f"part is your user name or an organisation you belong to") from None
            raise UserError(f"{repo_id}: the Hub answered {code or 'an error'}; try again in a minute") from None
        except ValueError as e:  # the Hub's check of the model card's front matter
            raise UserError(f"{repo_id}: the Hub refused the model card: {str(e)[:300]}") from None
        except _network_errors():
            raise UserError("the Hugging Face Hub cannot be reached (offline?); check the internet connection "
                            "and try again") from None
    return str(url)

"""Extract a user's zip file without trusting anything inside it.

Entries can never land outside the target folder (``..``, absolute paths, drive
letters and symbolic links are refused), the declared sizes are checked before
extraction and the real bytes are counted while streaming, so a zip bomb whose
headers lie stops at the limit. Problems with one entry (a path that escapes,
a link, a password) skip that entry with a reason; problems with the whole
archive (not a zip, corrupt, too many files, too large) raise ``UserError`` and
remove what was already written.
"""
from __future__ import annotations

import re
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..errors import UserError

_CHUNK = 1 << 16
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass
class SkippedFile:
    name: str    # the file's name as the user sees it (a path inside a folder or zip)
    reason: str  # why it was not used, in words the user can act on


@dataclass
class ZipResult:
    files: list[Path] = field(default_factory=list)           # extracted files, in archive order
    skipped: list[SkippedFile] = field(default_factory=list)  # entries not extracted, with reasons


def _mb(n: int) -> str:
    return f"{n / 2**20:.1f} MB"


def is_hidden(path) -> bool:
    """Hidden files and folders (a leading dot) and macOS resource forks (__MACOSX) anywhere in
    ``path`` (a name, a relative path, or a tuple of its parts): not the user's pictures."""
    parts = path if isinstance(path, tuple) else PurePosixPath(str(path).replace("\\", "/")).parts
    return any(p.startswith(".") or p == "__MACOSX" for p in parts)


def _unsafe_reason(name: str) -> str | None:
    if "\x00" in name:
        return "the name contains a NUL character"
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return "absolute path: the entry would be written outside the extraction folder"
    if ".." in re.split(r"[/\\]", name):
        return "the path contains '..' and would be written outside the extraction folder"
    return None


def _open_zip(zip_path: Path) -> zipfile.ZipFile:
    if not zip_path.is_file():
        raise UserError(f"Zip file {zip_path} does not exist. Choose an existing .zip file.")
    try:
        return zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as e:
        raise UserError(f"{zip_path.name} is not a valid zip file ({e}). "
                        "Re-create the archive with a standard zip tool.") from None


def extract_zip(zip_path: str | Path, target_dir: str | Path, max_files: int = 2000,
                max_total_bytes: int = 500 * 2**20, max_file_bytes: int = 100 * 2**20) -> ZipResult:
    """Extract the regular files of ``zip_path`` into ``target_dir`` (created if missing)."""
    zip_path, target = Path(zip_path), Path(target_dir)
    target.mkdir(parents=True, exist_ok=True)
    root = target.resolve()
    result = ZipResult()
    with _open_zip(zip_path) as zf:
        try:
            infos = zf.infolist()
        except (zipfile.BadZipFile, OSError, ValueError) as e:
            raise UserError(f"{zip_path.name} is corrupt ({e}).") from None
        planned: list[tuple[zipfile.ZipInfo, Path]] = []
        seen: set[Path] = set()
        for info in infos:
            name = info.filename
            parts = tuple(p for p in name.replace("\\", "/").split("/") if p)
            if info.is_dir() or not parts:
                continue
            reason = _unsafe_reason(name)
            if reason is None and is_hidden(parts):
                continue
            mode = info.external_attr >> 16
            if reason is None and stat.S_ISLNK(mode):
                reason = "symbolic link entries are not extracted"
            if reason is None and info.flag_bits & 0x1:
                reason = "the entry is password-protected; zip it again without a password"
            dest = target.joinpath(*parts)
            if reason is None and not dest.resolve().is_relative_to(root):
                reason = "the path would be written outside the extraction folder"
            if reason is None and dest in seen:
                reason = "a file with the same name appears earlier in the zip"
            if reason:
                result.skipped.append(SkippedFile(name, reason))
                continue
            seen.add(dest)
            planned.append((info, dest))

        if len(planned) > max_files:
            raise UserError(f"{zip_path.name} holds {len(planned)} files; at most {max_files} "
                            "are accepted. Split it into smaller zips or remove files.")
        declared = sum(info.file_size for info, _ in planned)
        if declared > max_total_bytes:
            raise UserError(f"{zip_path.name} unpacks to {_mb(declared)}, more than the "
                            f"{_mb(max_total_bytes)} limit. Use fewer or smaller images.")
        for info, _ in planned:
            if info.file_size > max_file_bytes:
                raise UserError(f"{info.filename} in {zip_path.name} is {_mb(info.file_size)}, "
                                f"more than the {_mb(max_file_bytes)} per-file limit. "
                                "Remove it or make it smaller.")

        total = 0
        try:
            for info, dest in planned:
                written = _stream(zf, info, dest, zip_path.name, max_file_bytes,
                                  max_total_bytes - total)
                if isinstance(written, str):
                    result.skipped.append(SkippedFile(info.filename, written))
                    continue
                total += written
                result.files.append(dest)
        except BaseException:
            for path in result.files:
                path.unlink(missing_ok=True)
            raise
    return result


def _stream(zf: zipfile.ZipFile, info: zipfile.ZipInfo, dest: Path, archive: str,
            max_file_bytes: int, budget: int) -> int | str:
    """Copy one entry, counting real bytes: headers can lie.

    CPython's zipfile already stops at the declared size (and its CRC check then
    fails); counting here keeps the promise independent of zipfile's internals.

    Returns the bytes written, or the reason when this entry cannot be written here.
    """
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        out = open(dest, "wb")
    except OSError as e:
        return f"cannot be written to disk ({e.strerror or e})"
    limit = min(info.file_size, max_file_bytes, budget)
    written = 0
    try:
        with out, zf.open(info) as src:
            while chunk := src.read(_CHUNK):
                written += len(chunk)
                if written > limit:
                    raise UserError(f"{info.filename} in {archive} unpacks to more bytes than its "
                                    "header declares or than the size limit allows (a zip bomb?). "
                                    "Extraction stopped.")
                out.write(chunk)
    except UserError:
        dest.unlink(missing_ok=True)
        raise
    except NotImplementedError as e:
        dest.unlink(missing_ok=True)
        raise UserError(f"{info.filename} in {archive} uses a compression method that is not "
                        f"supported ({e}). Re-create the archive with standard (deflate) "
                        "compression.") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, RuntimeError) as e:
        dest.unlink(missing_ok=True)
        raise UserError(f"{info.filename} in {archive} is corrupt ({e}). "
                        "Re-create the archive with a standard zip tool.") from None
    except OSError as e:  # disk full, permissions: the archive is fine, this machine is not
        dest.unlink(missing_ok=True)
        raise UserError(f"Could not write {info.filename} from {archive}: {e}") from None
    return written

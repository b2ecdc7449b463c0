"""Pretrain a base on a lent GPU machine for a few minutes, and bring the exported base back.

A 2-core CPU gives a base a few thousand steps an hour, and what a base's fine-tunes reach is bounded by
how long it trained (benchmarks/ABLATIONS.md). A session that is lent a GPU machine (the workplace's
device tool: about 15 minutes of it in all, one command at most 10) can give a base more steps in one
short, prepared call. The recipe is pretrain_base.py's own (the same segment, batch and learning rate),
started from the shipped base, and the export is done there, where it ran, so that its card names the GPU.

Here, once the corpus is built (scripts/build_corpus.py):

    python scripts/pretrain_on_device.py pack colour-64    # .device/: the corpus, xz-compressed (~15 MiB)

The call carries the working tree and the pack, 64 MiB at most together; the tree is ~61 MiB, so
for the call move aside what it does not need (docs/ and the other bases: ``mv docs /tmp/aside-docs``,
and ``git checkout docs weights`` after it), as ``pack`` says.

There, in one call that carries ``.device`` (ignored by git):

    python3 scripts/pretrain_on_device.py run colour-64 --minutes 6 --out "$OUT"

Back here, with the folder that the call's files came back to:

    python scripts/pretrain_on_device.py unpack colour-64 <that folder>/base-colour-64

Then probe it with the fine-tunes of benchmarks/ABLATIONS.md against the base it replaced, and commit it
or undo it (``git checkout weights/base-colour-64``).
"""
from __future__ import annotations

import argparse
import lzma
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))

import pretrain_base as pb  # noqa: E402

PACK_DIR = ROOT / ".device"
CARRY_LIMIT = 64 * 2**20  # what a device call carries, in all: the working tree and the carried pack
BACK = ("model.safetensors", "config.json", "README.md", "final_grid.png", "metrics.json")  # 8 files come back
CHUNK = 2**22


def packed(base: str, where: Path) -> dict[str, Path]:
    """The files of a packed corpus: the decoded pictures (xz-compressed), their names, the corpus's manifest."""
    stem = pb.corpus_path(base).stem
    return {"pictures": where / f"{stem}.u8.xz", "names": where / f"{stem}.json",
            "manifest": where / f"{pb.corpus_kind(base)}.manifest.json"}


def tree_bytes(under: str = ".") -> int:
    """The bytes of what a device call sends besides the pack: the repository's files (``under`` a folder of
    it) that git tracks, and the untracked ones that it does not ignore (0 outside a git checkout)."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", under],
                                cwd=ROOT, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return 0
    paths = {ROOT / p for p in listed.decode().split("\0") if p}
    return sum(p.stat().st_size for p in paths if p.is_file())


def pack(base: str, where: Path = PACK_DIR) -> int:
    """Write the corpus of ``base`` into ``where`` for a device call to carry; warn, naming what to move aside,
    when it and the working tree pass what the call carries."""
    source = pb.corpus_path(base)
    if pb.open_corpus(base) is None:
        return 2
    files = packed(base, where)
    where.mkdir(parents=True, exist_ok=True)
    tmp = files["pictures"].with_name(files["pictures"].name + ".tmp")
    with open(source, "rb") as src, lzma.open(tmp, "wb", preset=6) as dst:
        shutil.copyfileobj(src, dst, CHUNK)
    os.replace(tmp, files["pictures"])
    shutil.copy2(source.with_suffix(".json"), files["names"])
    manifest = pb.corpus_dir() / files["manifest"].name
    if manifest.is_file():
        shutil.copy2(manifest, files["manifest"])
    size, tree = files["pictures"].stat().st_size, tree_bytes()
    print(f"packed {source.name} ({size / 2**20:.1f} MiB) into {where}; carry it: \"{where.name}\"")
    if size + tree > CARRY_LIMIT:  # the call would be refused: say what to do before it
        print(f"warning: with the working tree ({tree / 2**20:.1f} MiB) that is {(size + tree - CARRY_LIMIT) / 2**20:.1f}"
              f" MiB over the {CARRY_LIMIT / 2**20:.0f} MiB a device call carries; move aside for the call what it"
              f" does not need (docs/ is {tree_bytes('docs') / 2**20:.1f} MiB, each other base ~8 MiB;"
              f" 'git checkout docs weights' brings them back)",
              file=sys.stderr)
    return 0


def copy_back(source: Path, dest: Path) -> None:
    """The files of an exported base that come back from the device (BACK), those ``source`` has, into ``dest``."""
    for name in BACK:
        if (source / name).is_file():
            shutil.copy2(source / name, dest / name)


def unpack_corpus(base: str, where: Path, corpus: Path) -> bool:
    """The packed corpus of ``base`` from ``where`` into the folder ``corpus``; False after naming what is missing."""
    files = packed(base, where)
    if not files["pictures"].is_file() or not files["names"].is_file():
        print(f"error: {files['pictures']} is missing: run 'pack {base}' on the machine that built the corpus "
              f"and carry its folder", file=sys.stderr)
        return False
    corpus.mkdir(parents=True, exist_ok=True)
    stem = files["names"].stem
    with lzma.open(files["pictures"], "rb") as src, open(corpus / f"{stem}.u8", "wb") as dst:
        shutil.copyfileobj(src, dst, CHUNK)
    shutil.copy2(files["names"], corpus / files["names"].name)
    if files["manifest"].is_file():
        shutil.copy2(files["manifest"], corpus / files["manifest"].name)
    return True


def run(base: str, minutes: float, out: Path, where: Path = PACK_DIR, threads: int = 0) -> int:
    """On the device machine: a segment of ``minutes`` from the shipped base, exported, its files into
    ``out/base-<base>``."""
    with tempfile.TemporaryDirectory(prefix="pretrain-") as tmp:
        if not unpack_corpus(base, where, Path(tmp) / "corpus"):
            return 2
        os.environ["DESIGN_STUDIO_CORPUS_DIR"] = str(Path(tmp) / "corpus")
        os.environ["DESIGN_STUDIO_PRETRAIN_DIR"] = str(Path(tmp) / "pretrain")
        code = pb.segment(base, minutes, threads) or pb.export(base)
        if code:
            return code
        exported = pb.weights_dir() / f"base-{base}"
        dest = Path(out) / exported.name
        dest.mkdir(parents=True, exist_ok=True)
        copy_back(exported, dest)
    print(f"wrote {dest}")
    return 0


def unpack(base: str, folder: Path) -> int:
    """Back here: the exported base from ``folder`` into weights/base-<base>, once it loads as that base."""
    from gan_core.errors import UserError
    from gan_core.config import ModelConfig
    from gan_core.training.bases import load_start_point
    target = pb.weights_dir() / f"base-{base}"
    folder = Path(folder)
    try:
        ours = ModelConfig.from_dict(pb.read_json(target / "config.json", "the shipped base's config.json")["model"])
        load_start_point(str(folder), ours)  # the same architecture, G and D both there, safetensors only
    except (UserError, OSError, KeyError, ValueError) as e:
        print(f"error: {folder} is not a {base} base: {e}", file=sys.stderr)
        return 2
    tmp = target.with_name(f".{target.name}.unpack")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(target, tmp)
    copy_back(folder, tmp)
    shutil.rmtree(target)
    os.replace(tmp, target)
    record = pb.read_json(target / "config.json", "config.json").get("pretraining", {"segments": []})
    print(f"{target}: {record.get('steps', 0):,} steps in {pb.runs(record)}; "
          f"probe it before you commit it (git checkout weights/{target.name} undoes it)")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="verb", required=True)
    p = sub.add_parser("pack", help="here: the corpus into .device/ for a device call to carry")
    p.add_argument("base", choices=sorted(pb.BASES))
    r = sub.add_parser("run", help="there: a segment from the shipped base, exported into --out")
    r.add_argument("base", choices=sorted(pb.BASES))
    r.add_argument("--minutes", type=float, default=6.0, help="length of the segment (default 6)")
    r.add_argument("--out", type=Path, required=True, help="where the exported base's files go ($OUT)")
    r.add_argument("--threads", type=int, default=0, help="CPU threads (0 = one per core)")
    u = sub.add_parser("unpack", help="here: the base that came back into weights/")
    u.add_argument("base", choices=sorted(pb.BASES))
    u.add_argument("folder", type=Path)
    a = ap.parse_args(argv)
    if a.verb == "pack":
        return pack(a.base)
    if a.verb == "run":
        return run(a.base, a.minutes, a.out, threads=a.threads)
    return unpack(a.base, a.folder)


if __name__ == "__main__":
    sys.exit(main())

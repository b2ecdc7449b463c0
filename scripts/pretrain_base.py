"""Pretrain a base model on its corpus, in resumable segments, and export it into weights/.

    python scripts/build_corpus.py                          # once: the corpora (~10 min)
    python scripts/pretrain_base.py colour-64 --minutes 120  # train (or continue) for 2 hours
    python scripts/pretrain_base.py colour-64 --minutes 40 --lr 5e-5  # a late segment, lower learning rate
    python scripts/pretrain_base.py colour-64 --export      # write weights/base-colour-64
    python scripts/pretrain_base.py colour-64 --milestones  # the kept checkpoints, to probe one
    python scripts/pretrain_base.py colour-64 --export --milestone 12000  # export a kept one instead

Pretraining on a 2-core CPU takes many hours, so it runs in segments:
- within a machine, the run folder ($DESIGN_STUDIO_PRETRAIN_DIR or
  ~/.cache/design-studio/pretrain/<base>) is resumed exactly from its checkpoint;
- on a fresh machine, where that folder is gone, a new segment starts from the exported base in
  weights/ (its EMA generator and its critic; the optimiser state starts again).
The export adds each segment's steps and time to the base's record, so its card says how long it
has trained in all, and on what. Ctrl-C (or a STOP file in the run folder) stops a segment with a
checkpoint.

A GAN's quality wanders at a constant learning rate, and a base's fit to its corpus does not predict
how well it fine-tunes (benchmarks/ABLATIONS.md), so a segment keeps a milestone every
``--keep-every`` steps (the first checkpoint past each multiple; a hard link, so it costs no copy)
in ``<run folder>/milestones/step_<N>``. Each is a start point of its own: probe it with a 3-minute
fine-tune (``benchmarks/quality_run.py --set start=<that folder>``) and export the one that wins.

The architecture is `quick`'s for the data's channels and resolution (the preset's own data rules):
a base is only useful if fine-tuning on a laptop runs `quick` from it at the same speed.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from gan_core.checkpoint import read_json, read_metadata, write_json  # noqa: E402
from gan_core.cli.common import ProgressBar  # noqa: E402
from gan_core.data.datastore import open_store  # noqa: E402
from gan_core.training.bases import export_base, weights_dir, weights_hash  # noqa: E402
from gan_core.training.presets import preset  # noqa: E402
from gan_core.training.runfolder import RunFolder  # noqa: E402
from gan_core.training.trainer import train  # noqa: E402

BASES = {"gray-64": (64, 1), "colour-64": (64, 3), "gray-128": (128, 1), "colour-128": (128, 3)}
# What pretraining changes from quick (the fine-tuning preset), and why:
PRETRAIN = dict(
    ema_decay=0.999,           # a ~1,000-step horizon: a long run, not 10 minutes
    augment="translation",     # tens of thousands of images: colour and cutout would only teach D noise
    checkpoint_minutes=5.0,
    sample_every=1000, sample_seconds=120.0,
    seed=0,
)


def corpus_dir() -> Path:
    return Path(os.environ.get("DESIGN_STUDIO_CORPUS_DIR") or Path.home() / ".cache/design-studio/corpus")


def run_dir(base: str) -> Path:
    root = os.environ.get("DESIGN_STUDIO_PRETRAIN_DIR") or Path.home() / ".cache/design-studio/pretrain"
    return Path(root) / base


def machine(threads: int) -> str:
    """The hardware a segment ran on, for the card: the CUDA GPU when the trainer takes one, else the CPU."""
    import torch
    if torch.cuda.is_available():  # the trainer's device "auto" picks it
        return f"{torch.cuda.get_device_name(0)} (CUDA), {os.cpu_count()} CPU cores"
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu} ({os.cpu_count()} cores), {threads or os.cpu_count()} training thread(s)"


def segment_config(base: str, run: RunFolder, minutes: float, threads: int, lr: float | None = None):
    """(config, resume) of the next segment: the run folder's own when it has a checkpoint (exact
    resume), else ``quick`` + PRETRAIN started from the exported base when there is one (a fresh
    machine); ``lr`` sets G's and D's learning rate for this segment."""
    res, ch = BASES[base]
    exported = weights_dir() / f"base-{base}"
    resume = run.checkpoint.is_file()
    if resume:
        from gan_core.training.resume import resume_config
        cfg = resume_config(run.path, minutes=minutes).replace(threads=threads)
        print(f"resuming {run.path} at step {run.checkpoint_step()}", file=sys.stderr)
    else:
        cfg = preset("quick", resolution=res, channels=ch, **PRETRAIN, minutes=minutes, threads=threads)
        if (exported / "model.safetensors").is_file():  # a fresh machine: continue from the export
            cfg = cfg.replace(start=str(exported))
            print(f"new segment from {exported}", file=sys.stderr)
    if lr:  # a late segment at a lower learning rate (a GAN's quality wanders at a constant one)
        cfg = cfg.replace(lr_g=lr, lr_d=lr)
        print(f"learning rate {lr:g} for G and D", file=sys.stderr)
    return cfg, resume


def milestone_dir(run_path: Path, step: int) -> Path:
    return Path(run_path) / "milestones" / f"step_{step:07d}"


def kept_milestones(run_path: Path) -> dict[int, Path]:
    """The run folder's milestones by step (a half-kept ``.tmp`` folder is not one)."""
    found = (Path(run_path) / "milestones").glob("step_*")
    return dict(sorted((int(p.name[5:]), p) for p in found if p.name[5:].isdigit()))


def keep_milestone(run_path: Path, every: int) -> Path | None:
    """Keep the run folder's checkpoint as a milestone when it is the first one past a multiple of
    ``every`` steps that has none yet; returns the new milestone's folder, else None.

    The checkpoint is written atomically (a new file renamed over the old), so a hard link keeps
    this one's bytes after the next checkpoint replaces the name."""
    run = RunFolder(run_path)
    step = run.checkpoint_step() if every > 0 else None  # None: no checkpoint, or one being replaced
    kept = kept_milestones(run.path)
    if step is None or step < every or (kept and max(kept) // every >= step // every):
        return None
    out = milestone_dir(run.path, step)
    tmp = RunFolder(out.with_name(out.name + ".tmp"))
    shutil.rmtree(tmp.path, ignore_errors=True)
    tmp.path.mkdir(parents=True)
    try:
        os.link(run.checkpoint, tmp.checkpoint)
    except OSError:  # a file system without hard links
        shutil.copy2(run.checkpoint, tmp.checkpoint)
    if tmp.checkpoint_step() != step:  # replaced between the two looks
        shutil.rmtree(tmp.path)
        return None
    shutil.copy2(run.config, tmp.config)
    tmp.path.rename(out)
    print(f"milestone kept: {out}", file=sys.stderr)
    return out


def corpus_kind(base: str) -> str:
    """"gray" or "colour": the corpus (and build_corpus.py's --kind) a base trains on."""
    return "gray" if BASES[base][1] == 1 else "colour"


def corpus_path(base: str) -> Path:
    """The decoded corpus a base trains on (written by scripts/build_corpus.py)."""
    return corpus_dir() / f"{corpus_kind(base)}-{BASES[base][0]}.u8"


def open_corpus(base: str):
    """The corpus store of ``base``, or None after saying how to build it."""
    path = corpus_path(base)
    if not path.is_file():
        print(f"error: {path} is missing; build it first: "
              f"python scripts/build_corpus.py --kind {corpus_kind(base)}", file=sys.stderr)
        return None
    return open_store(path)


def segment(base: str, minutes: float, threads: int, lr: float | None = None, keep_every: int = 2000) -> int:
    data = open_corpus(base)
    if data is None:
        return 2
    run = RunFolder(run_dir(base))
    cfg, resume = segment_config(base, run, minutes, threads, lr)
    if not resume and run.path.exists():
        shutil.rmtree(run.path)  # a folder without a checkpoint holds nothing to keep
    (run.path / "STOP").unlink(missing_ok=True)  # an old request must not stop this segment
    stop, done = threading.Event(), threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    def watch():  # the trainer writes a checkpoint every few minutes; keep the milestones among them
        while not done.wait(5.0):
            keep_milestone(run.path, keep_every)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    result = train(cfg, data, ProgressBar(), lambda: stop.is_set() or (run.path / "STOP").exists(),
                   run_dir=run.path, resume=resume,
                   dataset_info={"name": f"corpus-{corpus_kind(base)}",
                                 "source": f"scripts/build_corpus.py ({corpus_path(base).name})"})
    done.set()
    watcher.join()
    keep_milestone(run.path, keep_every)  # the last checkpoint, if it passed a multiple
    print(f"{result.state} at step {result.step} in {result.seconds:.0f} s: {run.path}")
    return 0 if result.state != "failed" else 1


def milestones(base: str) -> int:
    """Print the kept milestones of a base's run folder, one start point per line."""
    kept = kept_milestones(run_dir(base))
    if not kept:
        print(f"{run_dir(base)} has no milestones yet (a segment keeps one every --keep-every steps)",
              file=sys.stderr)
        return 1
    for step, path in kept.items():
        print(f"{step:>8,} steps  {path}")
    return 0


def continues_shipped(start: dict, out: Path) -> bool:
    """Whether a run whose config.json records ``start`` started from the base shipped in ``out`` now (the
    recorded hash is that file's): a new run, whose record goes after the base's. A run exported before
    started from an older export (or from scratch), so its record replaces its own earlier one."""
    sha = start.get("sha256")
    return bool(sha) and (out / "model.safetensors").is_file() and weights_hash(out / "model.safetensors") == sha


def add_segment(history: list[dict], this: dict, new_run: bool) -> list[dict]:
    """The base's record with this export's segment: after the others for a new run (``new_run``, or a run
    unlike the last one); in place of the last one for the run exported last, exported again later on."""
    same = bool(history) and (history[-1]["run"], history[-1]["started_from"]) == (this["run"], this["started_from"])
    return history[:-1] + [this] if same and not new_run else history + [this]


def export(base: str, milestone: int | None = None) -> int:
    """weights/base-<base> from the run folder (or one of its milestones), with the pretraining's
    running record."""
    run = RunFolder(run_dir(base) if milestone is None else milestone_dir(run_dir(base), milestone))
    if not run.checkpoint.is_file():
        what = "pretrain first" if milestone is None else "see the kept ones: --milestones"
        print(f"error: {run.path} holds no checkpoint; {what}", file=sys.stderr)
        return 2
    out = weights_dir() / f"base-{base}"
    meta = read_metadata(run.checkpoint) or {}
    previous = read_json(out / "config.json", "base config.json") if (out / "config.json").is_file() else {}
    history = list((previous.get("pretraining") or {}).get("segments", []))
    # "run" names the folder, not its path: no machine's path in a shipped file
    name = run_dir(base).name  # a milestone's segment is its run's segment
    start = run.read_config().get("start") or {}
    this = {"run": f"pretrain/{name}", "steps": meta.get("step"), "seconds": round(meta.get("seconds", 0)),
            "images_seen": meta.get("images_seen"),
            "machine": machine(run.train_config().threads), "exported": time.strftime("%Y-%m-%d"),
            "started_from": start.get("name")}
    if milestone is not None:  # the card and config.json say which kept checkpoint was shipped
        this["milestone"] = meta.get("step")
    history = add_segment(history, this, continues_shipped(start, out))
    record = {"segments": history, "steps": sum(s["steps"] for s in history),
              "seconds": sum(s["seconds"] for s in history)}
    export_base(run.path, out, {"pretraining": record})
    from gan_core.export.animation import save_grid
    from gan_core.design.generate import load_generator
    model = load_generator(out)
    save_grid(model.generate(range(16)), out / "final_grid.png", nrow=4)  # seeds 0-15, EMA G
    write_json(corpus_quality(base, model), out / "metrics.json")
    (out / "README.md").write_text(card(base, read_json(out / "config.json", "config.json")), encoding="utf-8")
    print(json.dumps(record, indent=1))
    print(f"exported {out}")
    return 0


def corpus_quality(base: str, model, count: int = 1000) -> dict:
    """The base against its corpus: ``count`` designs (seeds 0..count-1) and ``count`` corpus pictures
    (evenly spaced), with the real-vs-real floor (another ``count`` pictures, interleaved) beside SWD
    and palette, so the card's numbers read like the fine-tuning tables'."""
    import torch
    from gan_core.data.images import from_uint8
    from gan_core.metrics.features import palette_distance
    from gan_core.metrics.quality import evaluate, swd_per_level
    ch = BASES[base][1]
    store = open_store(corpus_path(base))
    spaced = np.linspace(0, len(store) - 1, 2 * count).round().astype(int)
    real, other = (store.batch(torch.as_tensor(spaced[i::2])).float() for i in (0, 1))
    fake = from_uint8(model.generate(range(count)), channels=ch)
    got = evaluate(real, fake)
    floor = swd_per_level(real, other)  # the floor needs only these two: evaluate's neighbours are not computed
    keep = ("swd", "coverage", "hog_coverage", "palette", "memorised_share")
    return {**{k: got[k] for k in keep}, "swd_floor": float(sum(floor.values()) / len(floor)),
            "palette_floor": palette_distance(real, other), "designs": count, "corpus_pictures": count}


def card(base: str, config: dict) -> str:
    """The base model's card: what it is, its corpus and licences, how long it trained, on what."""
    res, ch = BASES[base]
    kind = corpus_kind(base)
    corpus = json.loads((corpus_dir() / f"{kind}.manifest.json").read_text()) \
        if (corpus_dir() / f"{kind}.manifest.json").is_file() else None
    pre, m, t = config["pretraining"], config["model"], config["train"]
    what = ("line and solid icons, pictograms, silhouettes and monochrome emoji" if ch == 1 else
            "emoji, flat colour icons and illustrations, and logos")
    lines = ["---", "library_name: pytorch", 'license: "mit"', "pipeline_tag: unconditional-image-generation",
             "tags:", '- "gan"', '- "design-studio"', '- "base-model"', "---", "",
             f"# Design Studio base model: {kind} {res} px",
             "",
             f"A generator **and critic** pretrained by this project on {what}, a start point for runs on "
             f"{kind} {res} px data: fine-tuning copies G and D and learns the designer's 100 pictures from "
             f"there instead of drawing from zero. {default_sentence(res, ch)} Explore lists it as a model of "
             f"its own.", "", "![seeds 0-15](final_grid.png)", "",
             "## Training data", ""]
    if corpus:
        sets = corpus["sets"]
        lines += [f"The {kind} corpus: {corpus['images']:,} images from {len(sets)} icon and emoji sets of the npm "
                  f"registry (`@iconify-json/*`), listed with versions, licences and counts in "
                  f"[weights/CORPUS.md](../CORPUS.md) and rebuilt by `python scripts/build_corpus.py`. "
                  f"Licences: {', '.join(sorted({s['licence'] for s in sets}))}; no share-alike, non-commercial "
                  f"or GPL set, and none of the evaluation sets (Font Awesome, Twemoji, Noto emoji, Material).", "",
                  "Attribution (CC-BY and every other set, as their licences ask):", ""]
        lines += [f"- {s['prefix']} {s['version']} ({s['licence']}): {s['attribution']}" for s in sets]
    lines += ["", "## Training", "", "| setting | value |", "| --- | --- |",
              f"| networks | {m['arch']}, width {m['width']}, z_dim {m['z_dim']}, D norm {m['d_norm']}"
              f"{', skip-layer excitation' if m.get('g_skip_excitation') else ''} (quick's architecture) |",
              f"| loss | {t['loss']}, batch {t['batch_size']}, lr {t['lr_g']:g} |",
              f"| augmentation | DiffAugment {t['augment'] or 'off'} |",
              f"| EMA of G | {t['ema_decay']} |",
              f"| steps trained | {pre['steps']:,} in {runs(pre)}{shipped_milestone(pre)} |",
              f"| training time | {pre['seconds'] / 3600:.1f} h |",
              f"| hardware | {'; '.join(sorted({s['machine'] for s in pre['segments']}))} (a CPU machine "
              f"was shared with another pretraining run and other work, so its time is long for the steps) |", "",
              "To continue or reproduce it (resumable segments; the export adds each segment to config.json):", "",
              "```bash", "python scripts/build_corpus.py", f"python scripts/pretrain_base.py {base} --minutes 120",
              f"python scripts/pretrain_base.py {base} --export", "```", "",
              "To fine-tune from it: `python -m gan_core train --from base` "
              "(or `--from weights/" + f"base-{base}`), the Train tab's Start from, `/train(..., start_from=\"base\")`.", ""]
    q = out_metrics(base)
    if q:
        lines += ["## Quality against its corpus", "",
                  f"{q['designs']:,} designs (seeds 0-{q['designs'] - 1}) against {q['corpus_pictures']:,} corpus "
                  f"pictures; the floor is another {q['corpus_pictures']:,} corpus pictures against the same ones "
                  f"(gan_core.metrics.quality; written at export into metrics.json).", "",
                  "| metric | base | real-vs-real floor |", "| --- | --- | --- |",
                  f"| SWD (lower is better) | {q['swd']:.1f} | {q['swd_floor']:.1f} |",
                  f"| palette distance | {q['palette']:.1f} | {q['palette_floor']:.1f} |",
                  f"| coverage (pixels / HOG shape) | {q['coverage']:.2f} / {q['hog_coverage']:.2f} | |",
                  f"| near-copies of a corpus picture | {q['memorised_share']:.1%} | |", "",
                  "What fine-tuning from it gives on 100-picture sets, against training from scratch: "
                  "benchmarks/ABLATIONS.md (\"Fine-tuning from the base models\").", ""]
    return "\n".join(lines) + "\n"


def runs(pre: dict) -> str:
    """The card's "1 run" / "2 runs": each record is one pretraining run folder, which may have been resumed
    in many segments on its machine, so the count is of runs, not of segments."""
    n = len(pre["segments"])
    return "1 run, resumed in segments" if n == 1 else f"{n} runs, each resumed in segments"


def shipped_milestone(pre: dict) -> str:
    """The card's " (the last run's milestone at step N, exported by choice)" when a kept milestone, not the
    run's last checkpoint, was exported (``--export --milestone N``); "" otherwise."""
    last = pre["segments"][-1] if pre.get("segments") else {}
    return f" (the last run's milestone at step {last['milestone']:,}, exported by choice)" \
        if last.get("milestone") is not None else ""


def default_sentence(res: int, ch: int) -> str:
    """Whether the presets start from this base by themselves (gan_core.training.presets.BASE_DEFAULTS)."""
    from gan_core.training.presets import BASE_DEFAULTS
    if (res, ch) in BASE_DEFAULTS:
        return "The `quick`, `balanced` and `quality` presets start from it by themselves (it measured better)."
    return ("The presets do not start from it by themselves yet: ten minutes from it did not beat ten minutes from "
            "scratch on every measure (benchmarks/ABLATIONS.md); ask for it with `--from base` or the Train tab's "
            "Start from.")


def out_metrics(base: str) -> dict:
    path = weights_dir() / f"base-{base}" / "metrics.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("base", choices=sorted(BASES))
    ap.add_argument("--minutes", type=float, default=60.0, help="length of this segment (default 60)")
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (0 = one per core)")
    ap.add_argument("--lr", type=float, default=None,
                    help="learning rate of G and D for this segment (default: quick's; lower for late segments)")
    ap.add_argument("--keep-every", type=int, default=2000, metavar="STEPS",
                    help="keep a milestone checkpoint every STEPS steps (default 2000; 0 = none)")
    ap.add_argument("--export", action="store_true", help="write weights/base-<base> from the run folder")
    ap.add_argument("--milestone", type=int, default=None, metavar="STEP",
                    help="with --export: export the milestone kept at STEP instead of the latest checkpoint")
    ap.add_argument("--milestones", action="store_true", help="list the kept milestones and exit")
    a = ap.parse_args(argv)
    if a.milestone is not None and not a.export:
        ap.error("--milestone goes with --export")
    if a.milestones:
        return milestones(a.base)
    if a.export:
        return export(a.base, a.milestone)
    return segment(a.base, a.minutes, a.threads, a.lr, a.keep_every)


if __name__ == "__main__":
    sys.exit(main())

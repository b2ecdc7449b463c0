"""Build the licence-clean corpora the base models are pretrained on.

    python scripts/build_corpus.py                  # both corpora, 64 and 128 px (~10 min, once)
    python scripts/build_corpus.py --kind gray      # one of them
    python scripts/build_corpus.py --manifest weights/CORPUS.md   # also (re)write the manifest

Sources are icon and emoji sets from the npm registry (`@iconify-json/*`, one JSON file of
SVG bodies per set), fetched with `npm pack` at pinned versions, rendered with resvg and
cleaned with the Data tab's own `gan_core.data.preprocess.clean_image`, then written as the
memory-mapped stores the trainer reads (`gan_core.data.datastore.write_store`):

    <cache>/gray-64.u8  gray-128.u8  colour-64.u8  colour-128.u8   (+ .json headers)

<cache> is $DESIGN_STUDIO_CORPUS_DIR or ~/.cache/design-studio/corpus. Nothing of the corpus
goes into git. A set that fails to download, or an icon that fails to render, is skipped and
named; every file is written to a temporary name and renamed into place when complete.

Only permissive licences (LICENCES_OK) are taken, and the evaluation sets never are
(EXCLUDED: Font Awesome, Twemoji, Noto emoji, every Material Design set), so that no figure
measured on them is inflated. `check_sources()` enforces both; tests/test_corpus.py runs it.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import time
import uuid
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gan_core.data.datastore import write_store  # noqa: E402
from gan_core.data.preprocess import (CleanupConfig, clean_image, crop_centred, object_box, pad_to_square,  # noqa: E402
                                      resize_square)

RENDER = 256          # px the SVG is drawn at before cleanup (4x the 64 px store)
SIZES = (64, 128)     # the stores written per corpus
CAP = 2000            # icons per set at most (some sets hold 6-9k, mostly weights of the same icon)

# gray: the Data tab's cleanup as a designer sets it for light-on-dark pictures (border background,
# tolerance 10, grey detail kept, crop with a 10% margin), on the icon drawn white on black.
GRAY_CLEANUP = CleanupConfig(background="border", tolerance=10, threshold=0, crop=True, margin=0.1,
                             size=max(SIZES), mode="grayscale")
# colour: the same framing (crop to the object, 10% margin, square, area resize) with the render's own
# alpha as the object mask, composited on white like the colour evaluation set. The Data tab's colour
# matte is made for photos on a backdrop: on a flat page it fades pale objects (light-blue icons came
# out near-white, looked at on 78 renders), and a render has an exact mask anyway.
COLOUR_MARGIN = 0.1

LICENCES_OK = {"MIT", "ISC", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "OFL-1.1", "CC0-1.0",
               "CC-BY-3.0", "CC-BY-4.0", "Unlicense"}
# Evaluation sets (ours and independent ones), by iconify prefix: never in a corpus.
EXCLUDED = re.compile(r"^(fa|fa[0-9].*|fa-.*|fontawesome.*|line-awesome|la|twemoji.*|noto.*|mdi.*|ic|"
                      r"material.*|ic-.*|openmoji)$")

# Emoji skin-tone variants and flags would make a third of an emoji set: the same object five
# times, or a rectangle. Left out so the corpus is objects.
SKIP_NAMES = re.compile(r"(-(light|medium-light|medium|medium-dark|dark)(-skin-tone)?$|skin-tone|-tone[1-5]"
                        r"|^flag-|^flag$|-flag$|^regional-indicator)")


@dataclass(frozen=True)
class Source:
    prefix: str       # @iconify-json/<prefix>
    version: str      # pinned npm version
    kind: str         # "gray" or "colour"
    style: str        # what the set looks like (a corpus needs several)
    licence: str      # SPDX id, as the package's info.json gives it
    attribution: str  # author, as the licence asks
    cap: int | None = None  # fewer than CAP: a style that would otherwise tint the whole corpus


# Streamline's four colour sets share one two-blue palette: at full size (5,000 images, a third of
# the colour corpus) the base drew most designs in light and dark blue (grid at 3,000 steps, looked at)
STREAMLINE_COLOUR_CAP = 500

SOURCES: tuple[Source, ...] = (
    # gray: line and solid icons, pictograms, silhouettes
    Source("tabler", "1.2.41", "gray", "line icons", "MIT", "Paweł Kuna"),
    Source("lucide", "1.2.137", "gray", "line icons", "ISC", "Lucide Contributors"),
    Source("ph", "1.2.2", "gray", "line, fill and duotone icons", "MIT", "Phosphor Icons"),
    Source("bi", "1.2.7", "gray", "line and fill icons", "MIT", "The Bootstrap Authors"),
    Source("ri", "1.2.10", "gray", "line and fill icons", "Apache-2.0", "Remix Design"),
    Source("carbon", "1.2.30", "gray", "pictograms", "Apache-2.0", "IBM"),
    Source("iconoir", "1.2.11", "gray", "line icons", "MIT", "Luca Burgio"),
    Source("mingcute", "1.2.8", "gray", "line and fill icons", "Apache-2.0", "MingCute Design"),
    Source("solar", "1.2.13", "gray", "line, bold and duotone icons", "CC-BY-4.0", "480 Design"),
    Source("game-icons", "1.2.4", "gray", "silhouettes of objects and creatures", "CC-BY-3.0",
           "GameIcons (Lorc, Delapouite and contributors, game-icons.net)"),
    Source("hugeicons", "1.2.35", "gray", "line icons", "MIT", "Hugeicons"),
    Source("icon-park", "1.2.4", "gray", "line icons with fills", "Apache-2.0", "ByteDance"),
    Source("healthicons", "1.2.13", "gray", "pictograms", "MIT", "Resolve to Save Lives"),
    Source("maki", "1.2.5", "gray", "map pictograms", "CC0-1.0", "Mapbox"),
    Source("fluent-emoji-high-contrast", "1.2.6", "gray", "monochrome emoji", "MIT", "Microsoft Corporation"),
    Source("emojione-monotone", "1.2.1", "gray", "monochrome emoji", "CC-BY-4.0", "Emoji One"),
    Source("streamline", "1.2.5", "gray", "line icons", "CC-BY-4.0", "Streamline"),
    Source("tdesign", "1.2.19", "gray", "line and fill icons", "MIT", "TDesign"),
    Source("uil", "1.2.3", "gray", "line icons", "Apache-2.0", "Iconscout"),
    Source("octicon", "1.2.36", "gray", "line icons", "MIT", "GitHub"),
    # colour: emoji and flat colour illustrations of objects, food, animals, vehicles, logos
    Source("fluent-emoji-flat", "1.2.6", "colour", "flat emoji", "MIT", "Microsoft Corporation"),
    Source("fluent-emoji", "1.2.7", "colour", "shaded (3D) emoji", "MIT", "Microsoft Corporation"),
    Source("emojione", "1.2.3", "colour", "flat emoji", "CC-BY-4.0", "Emoji One"),
    Source("fxemoji", "1.2.2", "colour", "flat emoji", "Apache-2.0", "Mozilla"),
    Source("streamline-emojis", "1.2.4", "colour", "outlined colour emoji", "CC-BY-4.0", "Streamline"),
    Source("flat-color-icons", "1.2.3", "colour", "flat colour icons", "MIT", "Icons8"),
    Source("fluent-color", "1.2.21", "colour", "gradient colour icons", "MIT", "Microsoft Corporation"),
    Source("logos", "1.2.20", "colour", "logos", "CC0-1.0", "Gil Barbara"),
    Source("meteocons", "1.2.4", "colour", "weather illustrations", "MIT", "Bas Milius"),
    Source("streamline-color", "1.2.2", "colour", "flat colour icons", "CC-BY-4.0", "Streamline", cap=STREAMLINE_COLOUR_CAP),
    Source("streamline-flex-color", "1.2.2", "colour", "flat colour icons", "CC-BY-4.0", "Streamline", cap=STREAMLINE_COLOUR_CAP),
    Source("streamline-plump-color", "1.2.2", "colour", "flat colour illustrations", "CC-BY-4.0", "Streamline", cap=STREAMLINE_COLOUR_CAP),
    Source("streamline-ultimate-color", "1.2.2", "colour", "flat colour icons", "CC-BY-4.0", "Streamline", cap=STREAMLINE_COLOUR_CAP),
)


def check_sources(sources=SOURCES) -> None:
    """Refuse a source that is an evaluation set or whose licence is not permissive."""
    for s in sources:
        if EXCLUDED.match(s.prefix):
            raise ValueError(f"{s.prefix}: an evaluation set (Font Awesome, Twemoji, Noto, Material); "
                             "never part of a corpus")
        if s.licence not in LICENCES_OK:
            raise ValueError(f"{s.prefix}: licence {s.licence} is not one of {sorted(LICENCES_OK)}")
        if s.kind not in ("gray", "colour"):
            raise ValueError(f"{s.prefix}: kind must be gray or colour, not {s.kind!r}")


def cache_dir() -> Path:
    return Path(os.environ.get("DESIGN_STUDIO_CORPUS_DIR") or Path.home() / ".cache/design-studio/corpus")


def fetch(source: Source, cache: Path) -> dict:
    """The set's icons.json (npm pack, cached); raises RuntimeError naming what failed."""
    tgz = cache / "npm" / f"iconify-json-{source.prefix}-{source.version}.tgz"
    if not tgz.is_file():
        tgz.parent.mkdir(parents=True, exist_ok=True)
        tmp = tgz.parent / f".tmp-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        try:
            r = subprocess.run(["npm", "pack", f"@iconify-json/{source.prefix}@{source.version}", "--silent"],
                               cwd=tmp, capture_output=True, text=True, timeout=600)
            got = list(tmp.glob("*.tgz"))
            if r.returncode != 0 or len(got) != 1:
                raise RuntimeError(f"npm pack failed: {(r.stderr or r.stdout).strip()[-300:]}")
            os.replace(got[0], tgz)
        finally:
            for f in tmp.iterdir():
                f.unlink()
            tmp.rmdir()
    with tarfile.open(tgz) as tar:
        icons = json.load(tar.extractfile("package/icons.json"))
        info = json.load(tar.extractfile("package/info.json"))
    spdx = (info.get("license") or {}).get("spdx")
    if spdx != source.licence:  # the table must say what the package says
        raise RuntimeError(f"licence in the package is {spdx}, the table says {source.licence}")
    return icons


def icon_svgs(icons: dict, gray: bool) -> list[tuple[str, str]]:
    """(name, svg) for each visible, non-alias icon of an iconify JSON, in name order."""
    out = []
    d_w, d_h = icons.get("width", 16), icons.get("height", 16)
    for name in sorted(icons.get("icons", {})):
        ic = icons["icons"][name]
        if ic.get("hidden") or SKIP_NAMES.search(name):
            continue
        w, h = ic.get("width", d_w), ic.get("height", d_h)
        left, top = ic.get("left", icons.get("left", 0)), ic.get("top", icons.get("top", 0))
        body = ic["body"].replace("currentColor", "#000" if gray else "#222")
        transform = []
        if ic.get("hFlip"):
            transform.append(f"translate({2 * left + w} 0) scale(-1 1)")
        if ic.get("vFlip"):
            transform.append(f"translate(0 {2 * top + h}) scale(1 -1)")
        if ic.get("rotate"):
            transform.append(f"rotate({90 * ic['rotate']} {left + w / 2} {top + h / 2})")
        if transform:
            body = f'<g transform="{" ".join(transform)}">{body}</g>'
        side = max(w, h)  # square viewBox: the icon keeps its aspect ratio
        vb = f"{left - (side - w) / 2} {top - (side - h) / 2} {side} {side}"
        out.append((name, f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
                          f'viewBox="{vb}" width="{RENDER}" height="{RENDER}">{body}</svg>'))
    return out


def render(svg: str, gray: bool) -> np.ndarray:
    """One SVG -> the cleaned square picture at max(SIZES) px, uint8 (H, W) or (H, W, 3)."""
    import resvg_py
    png = resvg_py.svg_to_bytes(svg_string=svg, width=RENDER, height=RENDER, skip_system_fonts=True)
    rgba = np.asarray(Image.open(io.BytesIO(bytes(png))).convert("RGBA")).astype(np.float32)
    alpha = rgba[..., 3:] / 255
    on_white = (rgba[..., :3] * alpha + 255 * (1 - alpha)).round().astype(np.uint8)
    if gray:
        # the Data tab's light-on-dark recipe: the icon as a white shape on black, cleaned back
        # to dark on white with its anti-aliased grey kept
        photo = Image.fromarray(255 - np.asarray(Image.fromarray(on_white).convert("L")))
        out = np.asarray(clean_image(photo, GRAY_CLEANUP))
    else:
        mask = alpha[..., 0] >= 0.5
        box = object_box(mask)
        if box is None:
            raise ValueError("renders as an empty picture")
        out = resize_square(pad_to_square(crop_centred(on_white, box, COLOUR_MARGIN, 255), 255), max(SIZES))
    if out.std() < 2:  # an empty render (no drawable content) would teach a blank page
        raise ValueError("renders as an empty picture")
    return out


def _work(job):
    name, svg, gray = job
    try:
        return name, render(svg, gray), None
    except Exception as e:  # a broken SVG is skipped and named, never fatal
        return name, None, f"{type(e).__name__}: {e}"[:200]


def pick(items: list, cap: int, seed: str) -> list:
    """At most ``cap`` items, a fixed random subset (the same on every machine)."""
    if len(items) <= cap:
        return items
    keys = [hashlib.sha256(f"{seed}/{n}".encode()).hexdigest() for n, _ in items]
    order = sorted(range(len(items)), key=keys.__getitem__)[:cap]
    return [items[i] for i in sorted(order)]


def build(kind: str, cache: Path, cap: int = CAP, workers: int | None = None, sources=SOURCES,
          log=print) -> dict:
    """Render and clean every set of one kind; write its stores; return the manifest entry."""
    check_sources(sources)
    gray = kind == "gray"
    pictures: dict[int, list] = {s: [] for s in SIZES}
    seen: set[bytes] = set()
    sets, failed = [], []
    for src in (s for s in sources if s.kind == kind):
        t0 = time.monotonic()
        try:
            icons = fetch(src, cache)
        except Exception as e:
            failed.append(f"{src.prefix}: {e}")
            log(f"  skipped set {src.prefix}: {e}")
            continue
        jobs = [(f"{src.prefix}:{n}", svg, gray)
                for n, svg in pick(icon_svgs(icons, gray), min(cap, src.cap or cap), src.prefix)]
        kept = dupes = 0
        bad = []
        with Pool(workers or os.cpu_count()) as pool:
            for name, pic, err in pool.imap(_work, jobs, chunksize=16):
                if err:
                    bad.append(f"{name} ({err})")
                    continue
                small = resize_square(pic, min(SIZES))
                key = hashlib.sha1(small.tobytes()).digest()
                if key in seen:
                    dupes += 1
                    continue
                seen.add(key)
                for s in SIZES:
                    pictures[s].append((name, pic if s == pic.shape[0] else resize_square(pic, s)))
                kept += 1
        for b in bad[:5]:
            log(f"    skipped {b}")
        log(f"  {src.prefix} {src.version}: {kept} images ({dupes} duplicates, {len(bad)} failed) "
            f"in {time.monotonic() - t0:.0f} s")
        sets.append(dict(prefix=src.prefix, version=src.version, style=src.style, licence=src.licence,
                         attribution=src.attribution, images=kept, failed=len(bad)))
    if not pictures[min(SIZES)]:
        raise RuntimeError(f"no {kind} images: every set failed ({'; '.join(failed)})")
    channels = 1 if gray else 3
    for s in SIZES:
        write_store(pictures[s], cache / f"{kind}-{s}.u8", s, channels)  # atomic: temp name, then rename
    entry = dict(kind=kind, images=len(pictures[min(SIZES)]), sets=sets, failed_sets=failed,
                 cleanup=(GRAY_CLEANUP.__dict__ if gray else dict(crop='alpha', margin=COLOUR_MARGIN, background='white')), render_px=RENDER, cap=cap)
    (cache / f"{kind}.manifest.json").write_text(json.dumps(entry, indent=1))
    return entry


def manifest_markdown(entries: list[dict]) -> str:
    lines = ["# Base-model corpora", "",
             "Built by `python scripts/build_corpus.py` from icon and emoji sets of the npm registry",
             "(`@iconify-json/*`, pinned versions), rendered with resvg at "
             f"{RENDER} px. Gray: cleaned with the Data tab's cleanup",
             "(`gan_core.data.preprocess.clean_image`, light-on-dark recipe). Colour: composited on white and framed",
             "by the same crop (10% margin), with the render's alpha as the mask. None of the images is in git; the script rebuilds them.",
             "Left out on purpose: Font Awesome, Twemoji, Google's Noto emoji and every Material Design",
             "set (evaluation sets), and every share-alike, non-commercial or GPL set. Emoji skin-tone",
             "variants and flags are left out; exact duplicates (at 64 px) are kept once.", ""]
    for e in entries:
        lines += [f"## {e['kind']}: {e['images']:,} images from {len(e['sets'])} sets", "",
                  "| set (`@iconify-json/…`) | version | style | licence | images | attribution |",
                  "|---|---|---|---|---|---|"]
        for s in e["sets"]:
            lines.append(f"| {s['prefix']} | {s['version']} | {s['style']} | {s['licence']} | {s['images']:,} | "
                         f"{s['attribution']} |")
        if e["failed_sets"]:
            lines += ["", "Sets that failed at the last build: " + "; ".join(e["failed_sets"])]
        lines.append("")
    lines += ["Licences: MIT, ISC, Apache-2.0 and CC0 allow training and shipping weights; the CC-BY sets",
              "(3.0, 4.0) ask for the attribution given above, which every base model's card repeats.", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kind", choices=("gray", "colour", "both"), default="both")
    ap.add_argument("--cap", type=int, default=CAP, help=f"images per set at most (default {CAP})")
    ap.add_argument("--workers", type=int, default=None, help="processes (default: every core)")
    ap.add_argument("--manifest", type=Path, default=None, help="write the Markdown manifest here")
    a = ap.parse_args(argv)
    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    entries = []
    for kind in (("gray", "colour") if a.kind == "both" else (a.kind,)):
        print(f"{kind} corpus -> {cache}", flush=True)
        t0 = time.monotonic()
        e = build(kind, cache, a.cap, a.workers, log=lambda m: print(m, flush=True))
        print(f"{kind}: {e['images']} images from {len(e['sets'])} sets in {time.monotonic() - t0:.0f} s", flush=True)
        entries.append(e)
    if a.manifest:
        kinds = {e["kind"] for e in entries}
        for k in ("gray", "colour"):  # keep the other kind's section when only one was rebuilt
            m = cache / f"{k}.manifest.json"
            if k not in kinds and m.is_file():
                entries.append(json.loads(m.read_text()))
        entries.sort(key=lambda e: e["kind"] != "gray")
        a.manifest.write_text(manifest_markdown(entries))
        print(f"manifest: {a.manifest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

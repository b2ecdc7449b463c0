"""The base-model corpus builder (scripts/build_corpus.py): licences, evaluation sets, bad input."""
from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import numpy as np
import pytest

from gan_core.data.datastore import open_store
from helpers import load_script

ROOT = Path(__file__).resolve().parents[1]
bc = load_script("build_corpus")

SQUARE = '<path fill="currentColor" d="M4 4h16v16H4z"/>'
DISC = '<circle cx="12" cy="12" r="7" fill="currentColor"/>'
RED_DISC = '<circle cx="12" cy="12" r="7" fill="#d22"/>'


def test_the_shipped_sources_are_permissive_and_never_an_evaluation_set():
    bc.check_sources()
    kinds = {k: [s for s in bc.SOURCES if s.kind == k] for k in ("gray", "colour")}
    assert len(kinds["gray"]) >= 10 and len({s.style for s in kinds["colour"]}) >= 4
    manifest = (ROOT / "weights" / "CORPUS.md").read_text(encoding="utf-8")
    for s in bc.SOURCES:  # the manifest names every set with its licence and attribution
        assert f"| {s.prefix} | {s.version} |" in manifest and s.attribution in manifest


@pytest.mark.parametrize("prefix", ["fa", "fa6-solid", "fa-brands", "fontawesome", "line-awesome", "twemoji",
                                    "noto", "noto-v1", "mdi", "mdi-light", "material-symbols", "ic",
                                    "material-icon-theme", "openmoji"])
def test_evaluation_sets_are_refused(prefix):
    with pytest.raises(ValueError, match="evaluation set"):
        bc.check_sources([bc.Source(prefix, "1.0.0", "gray", "icons", "MIT", "x")])


@pytest.mark.parametrize("licence", ["CC-BY-SA-4.0", "CC-BY-NC-4.0", "GPL-2.0-only", "proprietary"])
def test_share_alike_non_commercial_and_gpl_sets_are_refused(licence):
    with pytest.raises(ValueError, match="licence"):
        bc.check_sources([bc.Source("someset", "1.0.0", "gray", "icons", licence, "x")])


def _package(cache: Path, prefix: str, version: str, icons: dict, licence: str = "MIT") -> None:
    """A local @iconify-json tarball where fetch() looks first (no network)."""
    (cache / "npm").mkdir(parents=True, exist_ok=True)
    with tarfile.open(cache / "npm" / f"iconify-json-{prefix}-{version}.tgz", "w:gz") as tar:
        for name, obj in (("icons.json", {"prefix": prefix, "width": 24, "height": 24, "icons": icons}),
                          ("info.json", {"license": {"spdx": licence}})):
            data = json.dumps(obj).encode()
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_build_skips_broken_icons_and_failing_sets_by_name_and_writes_whole_stores(tmp_path, monkeypatch):
    monkeypatch.setenv("npm_config_offline", "true")  # the missing set must fail here, not download
    _package(tmp_path, "good", "1.0.0", {
        "square": {"body": SQUARE}, "disc": {"body": DISC}, "disc-again": {"body": DISC},
        "broken": {"body": '<path d="M4 4h16v16H4z"'},        # unclosed XML
        "empty": {"body": '<g></g>'}, "hidden": {"body": SQUARE, "hidden": True},
        "wave-medium-dark": {"body": DISC}})                   # a skin-tone variant
    sources = [bc.Source("good", "1.0.0", "gray", "icons", "MIT", "x"),
               bc.Source("missing", "9.9.9", "gray", "icons", "MIT", "x")]
    log: list[str] = []
    entry = bc.build("gray", tmp_path, cap=100, workers=1, sources=sources, log=log.append)
    assert entry["images"] == 2  # square and disc; the duplicate, broken, empty, hidden and variant are not
    text = "\n".join(log)
    assert "good:broken" in text and "good:empty" in text and "skipped set missing" in text
    assert entry["failed_sets"] and entry["failed_sets"][0].startswith("missing")
    for size in bc.SIZES:
        store = open_store(tmp_path / f"gray-{size}.u8")
        pics = store.pictures()
        assert pics.shape == (2, size, size) and pics.dtype == np.uint8
        assert (pics[:, size // 2, size // 2] < 30).all()  # dark designs, cropped and centred...
        assert (pics[:, 0, :] > 245).all() and (pics[:, :, 0] > 245).all()  # ...on a white page (margin)
    assert not [p for p in tmp_path.rglob("*") if ".tmp" in p.name]  # nothing half-written


def test_colour_icons_keep_their_colours_and_a_wrong_licence_in_the_package_is_refused(tmp_path):
    _package(tmp_path, "colourful", "1.0.0", {"red": {"body": RED_DISC}})
    _package(tmp_path, "liar", "1.0.0", {"red": {"body": RED_DISC}}, licence="CC-BY-SA-4.0")
    sources = [bc.Source("colourful", "1.0.0", "colour", "flat", "MIT", "x"),
               bc.Source("liar", "1.0.0", "colour", "flat", "MIT", "x")]
    log: list[str] = []
    entry = bc.build("colour", tmp_path, workers=1, sources=sources, log=log.append)
    assert entry["images"] == 1 and "liar" in entry["failed_sets"][0] and "CC-BY-SA-4.0" in entry["failed_sets"][0]
    pic = open_store(tmp_path / "colour-64.u8").pictures()[0]
    centre, corner = pic[32, 32].astype(int), pic[1, 1].astype(int)
    assert centre[0] > 180 and centre[1] < 60 and centre[2] < 60  # red object
    assert (corner > 245).all()  # on white

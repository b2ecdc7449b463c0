"""The design board: CRUD on disk, concurrent saves, full disk, export zip, import round trip."""
import csv
import io
import json
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
import zipfile

import numpy as np
import pytest
from PIL import Image

from gan_core.design.record import Design
from gan_core.design.render import render
from gan_core.errors import UserError
from gan_core.export.board import Board, export_board, import_designs

from pictures import REPO, bundled_model

MODEL = "bundled/rims-64"


def design(seed: int, **kw) -> Design:
    return Design.from_seed(MODEL, seed, bundled_model().z_dim, **kw)


def load_model(ref):
    assert ref == MODEL
    return bundled_model()


def test_crud_survives_a_restart_and_filters(tmp_path):
    b = Board(tmp_path / "ws")
    assert b.list() == []
    a = b.add(design(1, name="first"))
    c = b.add(design(2, symmetry="rot5"))
    other = b.add(Design(model="run/other", latent=np.ones(8, np.float32)))
    again = Board(tmp_path / "ws")                      # a new process would see the same file
    assert [d.id for d in again.list()] == [a.id, c.id, other.id]
    assert again.get(c.id).symmetry == "rot5"
    np.testing.assert_array_equal(again.get(a.id).latent, a.latent)   # exact latent
    assert [d.id for d in again.list(model=MODEL)] == [a.id, c.id]
    again.update(c.id, name="star rim", star=True, note="for the client")
    assert [d.name for d in b.list(starred=True)] == ["star rim"]
    assert b.get(c.id).note == "for the client" and b.get(c.id).symmetry == "rot5"
    assert b.delete(a.id).id == a.id
    assert [d.id for d in b.list()] == [c.id, other.id]
    assert b.models() == [MODEL, "run/other"]
    dup = b.add(b.get(c.id))                             # saving the same design again: a new entry
    assert dup.id != c.id and len(b.list()) == 3


def test_unknown_id_is_named(tmp_path):
    b = Board(tmp_path)
    b.add(design(0))
    for op in (lambda: b.get("nope123"), lambda: b.update("nope123", name="x"), lambda: b.delete("nope123")):
        with pytest.raises(UserError, match="no design with id 'nope123'"):
            op()


def test_concurrent_saves_from_threads_lose_nothing(tmp_path):
    b = Board(tmp_path)
    errors = []

    def worker(k):
        try:
            for i in range(6):
                Board(tmp_path).add(design(100 * k + i))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(d.seed for d in b.list()) == sorted(100 * k + i for k in range(6) for i in range(6))


SAVER = """
import os, sys, time, numpy as np
sys.path.insert(0, {repo!r})
from gan_core.export.board import Board
from gan_core.design.record import Design
b = Board({folder!r})
print("ready", flush=True)
while not os.path.exists({go!r}):   # start together, so the saves really interleave
    time.sleep(0.005)
for i in range({n}):
    b.add(Design(model="run/x", latent=np.full(8, {k} * 1000 + i, np.float32), name="p{k}-%d" % i))
"""


def test_concurrent_saves_from_two_processes_lose_nothing(tmp_path):
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", SAVER.format(repo=str(REPO), folder=str(tmp_path), n=25, k=k,
                                                                 go=str(go))], stdout=subprocess.PIPE, text=True)
             for k in (1, 2)]
    assert [p.stdout.readline().strip() for p in procs] == ["ready", "ready"]
    go.touch()
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    names = sorted(d.name for d in Board(tmp_path).list())
    assert names == sorted([f"p1-{i}" for i in range(25)] + [f"p2-{i}" for i in range(25)])


FULL_DISK = """
import resource, signal, sys, numpy as np
sys.path.insert(0, {repo!r})
from gan_core.export.board import Board
from gan_core.design.record import Design
from gan_core.errors import UserError
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)          # a write past the limit fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000)) # smaller than the board: the disk is "full"
try:
    Board({folder!r}).add(Design(model="run/x", latent=np.zeros(8, np.float32), name="too much"))
except UserError as e:
    print(e)
    sys.exit(3)
"""


def test_full_disk_leaves_the_earlier_board_intact(tmp_path):
    b = Board(tmp_path)
    for s in range(3):
        b.add(design(s))
    before = (tmp_path / "board.json").read_bytes()
    r = subprocess.run([sys.executable, "-c", FULL_DISK.format(repo=str(REPO), folder=str(tmp_path))],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 3, r.stderr
    assert "could not save the board" in r.stdout and "earlier board is unchanged" in r.stdout
    assert (tmp_path / "board.json").read_bytes() == before
    assert [d.seed for d in Board(tmp_path).list()] == [0, 1, 2]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]      # no half-written file


def test_damaged_board_file_is_left_alone(tmp_path):
    (tmp_path / "board.json").write_text("{not json")
    with pytest.raises(UserError, match="damaged"):
        Board(tmp_path).list()
    with pytest.raises(UserError, match="damaged"):
        Board(tmp_path).add(design(0))
    assert (tmp_path / "board.json").read_text() == "{not json"


def test_export_zip_holds_what_it_says(tmp_path):
    designs = [design(0, name="Hero rim"), design(1, symmetry="rot5"), design(2, name="x/y: z")]
    out = export_board(designs, load_model, tmp_path / "out" / "board.zip", png_size=128)
    z = zipfile.ZipFile(out)
    stems = ["001_Hero-rim", "002_seed1", "003_x-y-z"]
    assert sorted(z.namelist()) == sorted([f"png/{s}.png" for s in stems] + [f"svg/{s}.svg" for s in stems]
                                          + ["designs.json", "designs.csv", "contact_sheet.pdf", "contact_sheet.png"])
    for s, d in zip(stems, designs):
        img = Image.open(io.BytesIO(z.read(f"png/{s}.png")))
        assert img.size == (128, 128)
        ET.fromstring(z.read(f"svg/{s}.svg"))
    # the PNG is the design's own pixels (symmetry applied), drawn at print size
    pic = render(designs[1], bundled_model())
    small = np.asarray(Image.open(io.BytesIO(z.read("png/002_seed1.png"))).convert("L").resize((64, 64), Image.BOX))
    assert np.abs(small.astype(int) - pic.astype(int)).mean() < 12
    rows = list(csv.DictReader(io.StringIO(z.read("designs.csv").decode())))
    assert [r["file"] for r in rows] == stems and rows[1]["symmetry"] == "rot5" and rows[0]["name"] == "Hero rim"
    assert [Design.from_dict(e).to_dict() for e in json.loads(z.read("designs.json"))["designs"]] == \
        [d.to_dict() for d in designs]
    assert z.read("contact_sheet.pdf").startswith(b"%PDF")
    assert Image.open(io.BytesIO(z.read("contact_sheet.png"))).size == (1754, 1240)
    bare = export_board(designs[:1], load_model, tmp_path / "bare.zip", svg=False, sheet=False)
    assert sorted(zipfile.ZipFile(bare).namelist()) == ["designs.csv", "designs.json", "png/001_Hero-rim.png"]


def test_export_bad_inputs(tmp_path):
    with pytest.raises(UserError, match="64 to 2048"):
        export_board([design(0)], load_model, tmp_path / "a.zip", png_size=4096)
    with pytest.raises(UserError, match="no designs"):
        export_board([], load_model, tmp_path / "a.zip")
    assert not (tmp_path / "a.zip").exists()


def test_import_round_trips_and_skips_missing_models(tmp_path):
    designs = [design(3, name="a", star=True), design(4, symmetry="mirror-lr", note="n")]
    gone = Design(model="run/deleted", latent=np.ones(8, np.float32), name="orphan")
    # (an export needs every model, so build the designs.json the way export_board writes it)
    from gan_core.export.board import designs_json
    data = designs_json(designs + [gone])
    fresh = Board(tmp_path / "restored")
    added, skipped = import_designs(data, fresh, model_available=lambda ref: ref == MODEL)
    assert [d.to_dict() for d in added] == [d.to_dict() for d in designs]
    assert [d.to_dict() for d in fresh.list()] == [d.to_dict() for d in designs]
    assert [(e["name"], reason) for e, reason in skipped] == [("orphan", "model run/deleted is not available")]
    m = bundled_model()
    for d in designs:
        np.testing.assert_array_equal(render(fresh.get(d.id), m), render(d, m))   # the exact pixels
    # importing again adds nothing twice, and says why; a path works as well as bytes
    path = tmp_path / "designs.json"
    path.write_bytes(data)
    added2, skipped2 = import_designs(path, fresh, model_available=lambda ref: ref == MODEL)
    assert added2 == [] and len(fresh.list()) == 2
    assert {r for _, r in skipped2} >= {f"design {d.id} is already on the board" for d in designs}


def test_import_of_a_zip_export(tmp_path):
    designs = [design(5), design(6)]
    z = zipfile.ZipFile(export_board(designs, load_model, tmp_path / "e.zip", svg=False, sheet=False, png_size=64))
    added, skipped = import_designs(z.read("designs.json"), Board(tmp_path / "b"), lambda ref: True)
    assert [d.id for d in added] == [d.id for d in designs] and skipped == []


def test_import_bad_files(tmp_path):
    b = Board(tmp_path)
    for bad in (b"hello", b"[1, 2]", json.dumps({"designs": "x"}).encode(), b"\xff\xfe",
                json.dumps({"format": 1, "model": MODEL, "latent": [0.0] * 8}).encode()):
        with pytest.raises(UserError, match="is not a designs.json"):
            import_designs(bad, b, lambda ref: True)
    with pytest.raises(UserError, match="file not found"):
        import_designs(tmp_path / "missing.json", b, lambda ref: True)
    entries = {"format": 1, "kind": "design-studio designs",
               "designs": [{"model": MODEL, "latent": [float("nan")] * 8}, "junk"]}
    added, skipped = import_designs(json.dumps(entries).encode(), b, lambda ref: True)
    assert added == [] and len(skipped) == 2 and all(r.startswith("design:") for _, r in skipped)
    assert b.list() == []

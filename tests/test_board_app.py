"""The design board through the real app (gradio_client): it lasts, exports, imports, refuses bad input.

Designs come from the tiny bundled test model (conftest), by seed records such as
``{"model": "bundled/tiny-64", "seed": 3}``; a visitor id is passed so that a second app on the
same workspace (a server restart) sees the same board.
"""
from __future__ import annotations

import csv
import io
import json
import threading
import zipfile
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from conftest import free_port

MODEL = "bundled/tiny-64"


def vid(name: str) -> str:
    return f"board-{name}-0123456789abcdef"  # long: chosen visitor ids are secrets


@pytest.fixture(scope="module")
def client(client_factory):
    return client_factory()


def save(client, visitor, seed, **extra):
    return client.predict({"model": MODEL, "seed": seed, **extra}, visitor, api_name="/board_save")


def test_save_list_update_delete(client):
    me = vid("crud")
    a, b = save(client, me, 3), save(client, me, 4, symmetry="rot6", name="six")
    assert save(client, me, 3)["id"] == a["id"]  # the same design is not saved twice
    alias = client.predict(MODEL, 5, 0.7, me, api_name="/save_design")
    assert alias["seed"] == 5 and alias["truncation"] == 0.7
    listed = client.predict("", False, me, api_name="/board_list")
    assert [d["id"] for d in listed] == [a["id"], b["id"], alias["id"]]
    assert listed[1]["symmetry"] == "rot6" and listed[1]["name"] == "six" and len(listed[0]["latent"]) == 32
    changed = client.predict(a["id"], "Rim A", "for the client", True, me, api_name="/board_update")
    assert (changed["name"], changed["note"], changed["star"]) == ("Rim A", "for the client", True)
    kept = client.predict(a["id"], None, None, False, me, api_name="/board_update")
    assert (kept["name"], kept["note"], kept["star"]) == ("Rim A", "for the client", False)
    client.predict(b["id"], None, None, True, me, api_name="/board_update")
    assert [d["id"] for d in client.predict("", True, me, api_name="/board_list")] == [b["id"]]
    assert client.predict(MODEL, False, me, api_name="/board_list")[0]["id"] == a["id"]
    assert client.predict("bundled/other", False, me, api_name="/board_list") == []
    assert client.predict(alias["id"], me, api_name="/board_delete")["id"] == alias["id"]
    assert len(client.predict("", False, me, api_name="/board_list")) == 2
    assert client.predict("", False, vid("someone-else"), api_name="/board_list") == []  # boards are per visitor


@pytest.mark.parametrize("call, message", [
    (lambda c, v: c.predict("nope0000", None, None, True, v, api_name="/board_update"), "no design with id 'nope0000'"),
    (lambda c, v: c.predict("nope0000", v, api_name="/board_delete"), "no design with id 'nope0000'"),
    (lambda c, v: c.predict(["nope0000"], 256, False, v, api_name="/board_export"), "no design with id 'nope0000'"),
    (lambda c, v: save(c, v, 3, symmetry="rot13"), "symmetry must be none, rot2..rot12"),
    (lambda c, v: c.predict({"model": "bundled/missing", "seed": 1}, v, api_name="/board_save"),
     "no bundled model called 'missing'"),
    (lambda c, v: c.predict({"model": MODEL, "latent": [0.5] * 7}, v, api_name="/board_save"),
     "latent of 7 numbers but the model expects 32"),
    (lambda c, v: c.predict([], 4096, False, v, api_name="/board_export"), "must be between 64 and 2048; got 4096"),
    (lambda c, v: c.predict(3, v, api_name="/export_designs"), "must be one of 1, 2, 4, 8; got 3"),
    (lambda c, v: c.predict({"model": MODEL, "seed": -1}, v, api_name="/design_svg"), "Seed must be"),
])
def test_bad_inputs_get_their_messages(client, call, message):
    me = vid("bad")
    save(client, me, 1)
    with pytest.raises(AppError, match=message.replace("(", r"\(").replace(".", r"\.")):
        call(client, me)
    assert len(client.predict("", False, me, api_name="/board_list")) == 1  # nothing lost


def test_board_survives_a_server_restart(client_factory, studio_app):
    """A second app on the same workspace (as after a restart) shows the same board, exactly."""
    from gradio_client import Client
    from studio.app import build_demo, launch_options
    me = vid("restart")
    first = client_factory()
    saved = [save(first, me, s, name=f"d{s}") for s in (11, 12, 13)]
    png_before = Path(first.predict(MODEL, 12, 1.0, api_name="/generate")).read_bytes()
    demo = build_demo()
    port = free_port()
    demo.launch(**launch_options(), server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        second = Client(f"http://127.0.0.1:{port}/", verbose=False, download_files=str(studio_app.root / "downloads"))
        assert second.predict("", False, me, api_name="/board_list") == saved
        # the re-opened record draws the same pixels
        svg_a = first.predict(saved[1], me, api_name="/design_svg")
        assert second.predict(saved[1], me, api_name="/design_svg") == svg_a
        assert Path(second.predict(MODEL, 12, 1.0, api_name="/generate")).read_bytes() == png_before
        second.predict(saved[0]["id"], me, api_name="/board_delete")
    finally:
        demo.close()
    assert [d["id"] for d in first.predict("", False, me, api_name="/board_list")] == [d["id"] for d in saved[1:]]


def _zip(path) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(Path(path).read_bytes()))


def test_export_zip_holds_what_it_says(client, studio_app):
    me = vid("export")
    a = save(client, me, 21, name="ring")
    b = save(client, me, 22, symmetry="mirror-lr")
    z = _zip(client.predict([], 256, False, me, api_name="/board_export"))
    names = sorted(z.namelist())
    assert names == sorted(["png/001_ring.png", "png/002_seed22.png", "svg/001_ring.svg", "svg/002_seed22.svg",
                            "designs.json", "designs.csv", "contact_sheet.pdf", "contact_sheet.png"])
    for n in ("png/001_ring.png", "png/002_seed22.png"):
        assert Image.open(io.BytesIO(z.read(n))).size == (256, 256)
    for n in ("svg/001_ring.svg", "svg/002_seed22.svg"):
        assert ET.fromstring(z.read(n)).tag.endswith("svg")
    assert z.read("contact_sheet.pdf").startswith(b"%PDF")
    records = json.loads(z.read("designs.json"))["designs"]
    assert [r["id"] for r in records] == [a["id"], b["id"]] and records[0]["latent"] == a["latent"]
    rows = list(csv.DictReader(io.StringIO(z.read("designs.csv").decode())))
    assert [(r["name"], r["symmetry"]) for r in rows] == [("ring", "none"), ("", "mirror-lr")]
    # the mirrored design's PNG is the engine's print PNG of the symmetrized design, pixel for pixel
    from gan_core.design.generate import load_generator
    from gan_core.design.record import Design
    from gan_core.design.render import render
    from gan_core.export.printpng import print_png
    model = load_generator(studio_app.weights / "tiny-64")
    expected = print_png(render(Design.from_dict(b), model), 256)
    got = Image.open(io.BytesIO(z.read("png/002_seed22.png")))
    assert np.array_equal(np.asarray(got), np.asarray(expected))
    assert not np.array_equal(np.asarray(got), np.asarray(print_png(render(Design.from_dict(a), model), 256)))
    # only the selected, with a transparent background
    one = _zip(client.predict([b["id"]], 128, True, me, api_name="/board_export"))
    assert sorted(n for n in one.namelist() if n.startswith("png/")) == ["png/001_seed22.png"]
    assert Image.open(io.BytesIO(one.read("png/001_seed22.png"))).mode in ("LA", "RGBA")  # alpha
    # the first version's export: PNGs at 4x the model's 64 px
    alias = _zip(client.predict(4, me, api_name="/export_designs"))
    assert Image.open(io.BytesIO(alias.read("png/001_ring.png"))).size == (256, 256)


def test_import_round_trips_and_says_what_it_skipped(client, tmp_path):
    me, other = vid("import-from"), vid("import-to")
    saved = [save(client, me, s, name=f"n{s}", note="kept") for s in (31, 32)]
    z = _zip(client.predict([], 64, False, me, api_name="/board_export"))
    exported = tmp_path / "designs.json"
    exported.write_bytes(z.read("designs.json"))
    message = client.predict(handle_file(str(exported)), other, api_name="/board_import")
    assert message.startswith("Imported 2 designs.")
    assert client.predict("", False, other, api_name="/board_list") == saved  # exactly: ids, latents, names
    again = client.predict(handle_file(str(exported)), other, api_name="/board_import")
    assert again.startswith("Imported 0 designs. Skipped 2") and "already on the board" in again
    # one entry whose model is gone, one broken entry, one good one
    obj = json.loads(exported.read_text())
    gone = {**obj["designs"][0], "id": "gone00000001", "model": "bundled/deleted-model", "name": "lost one"}
    broken = {"model": MODEL, "latent": "not numbers", "id": "broken000001"}
    fresh = {**obj["designs"][1], "id": "fresh0000001"}
    mixed = tmp_path / "mixed.json"
    mixed.write_text(json.dumps({**obj, "designs": [gone, broken, fresh]}))
    message = client.predict(handle_file(str(mixed)), vid("import-mixed"), api_name="/board_import")
    assert message.startswith("Imported 1 design. Skipped 2")
    assert "lost one: model bundled/deleted-model is not available" in message and "broken000001" in message
    for bad, text in ((b"\x89PNG not json", "not a designs.json"), (b'{"designs": 3}', "not a designs.json"),
                      (b"[1, 2]", "not a designs.json")):
        path = tmp_path / "bad.json"
        path.write_bytes(bad)
        with pytest.raises(AppError, match=text):
            client.predict(handle_file(str(path)), other, api_name="/board_import")
    assert len(client.predict("", False, other, api_name="/board_list")) == 2


def test_two_tabs_saving_at_once_lose_nothing(client_factory):
    me = vid("concurrent")
    clients = [client_factory() for _ in range(2)]
    errors = []

    def work(k):
        try:
            for s in range(k * 100, k * 100 + 5):
                save(clients[k % 2], me, s)
        except Exception as e:  # shown below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    seeds = sorted(d["seed"] for d in clients[0].predict("", False, me, api_name="/board_list"))
    assert seeds == sorted(k * 100 + i for k in range(4) for i in range(5))


def test_design_svg_is_xml_and_follows_the_symmetry(client):
    plain = client.predict({"model": MODEL, "seed": 5}, "", api_name="/design_svg")
    mirrored = client.predict({"model": MODEL, "seed": 5, "symmetry": "mirror-lr"}, "", api_name="/design_svg")
    for svg in (plain, mirrored):
        root = ET.fromstring(svg.encode())
        assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("viewBox") == "0 0 64 64"
    assert plain != mirrored

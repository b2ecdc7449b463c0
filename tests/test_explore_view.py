"""Explore's pieces without the app: model references resolved once, the pure view helpers, the
SVG sanitiser and the bounded picture cache (tiny models, real files, milliseconds each)."""
from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from conftest import make_tiny_model
from gan_core.design.record import Design
from gan_core.errors import UserError
from studio import models_cache
from studio.explore import view
from studio.explore.models import ModelResolver, single_threaded
from studio.ui import PictureCache
from studio.workspace import Workspace


@pytest.fixture
def visitor(tmp_path):
    return Workspace(tmp_path / "ws", "custom").visitor("explore-visitor-0123456789")


def test_a_model_reference_is_resolved_once_per_visitor(tmp_path, visitor, monkeypatch):
    folder = make_tiny_model(tmp_path / "gen", resolution=16)
    calls = []
    real = models_cache.resolve_model

    def counting(ref, who, weights_dir):  # the real resolver, counted
        calls.append(ref)
        return real(ref, who, weights_dir)

    monkeypatch.setattr(models_cache, "resolve_model", counting)
    resolver = ModelResolver(tmp_path / "weights")
    models = [resolver.model(str(folder), visitor) for _ in range(5)]
    assert len(calls) == 1 and all(m is models[0] for m in models)
    other = Workspace(tmp_path / "ws", "custom").visitor("explore-visitor-other-0123")
    resolver.model(str(folder), other)
    assert len(calls) == 2  # per visitor: on a Space, who may open a folder depends on who asks
    resolver.model(str(folder), visitor, refresh=True)
    assert len(calls) == 3
    shutil.rmtree(folder)  # gone: resolved again, and the error says so
    with pytest.raises(UserError, match="no such folder"):
        resolver.model(str(folder), visitor)


def test_variations_around_a_seed_and_around_a_seedless_design():
    d = Design.from_seed("bundled/x", 7, 16, truncation=0.8, symmetry="rot4")
    around, centre = view.neighbours(d, 16)
    assert [a.seed for a in around] == list(range(3, 12)) and around[centre] is d
    assert {a.symmetry for a in around} == {"rot4"} and {a.truncation for a in around} == {0.8}
    assert [view.caption(a, i, centre) for i, a in enumerate(around)][3:6] == ["6", "● 7", "8"]
    edge, c0 = view.neighbours(Design.from_seed("bundled/x", 1, 16), 16)
    assert [a.seed for a in edge] == list(range(0, 9)) and c0 == 1
    projected = Design(model="bundled/x", latent=np.linspace(-1, 1, 16), origin="projection")
    around, centre = view.neighbours(projected, 16)
    again, _ = view.neighbours(projected, 16)
    assert around[centre] is projected and all(a.seed is None for a in around)
    assert all(np.array_equal(a.latent, b.latent) for a, b in zip(around, again))  # the same every time
    assert len({a.latent.tobytes() for a in around}) == 9
    assert [view.caption(a, i, centre) for i, a in enumerate(around)] == \
        ["~1", "~2", "~3", "~4", "●", "~5", "~6", "~7", "~8"]


@pytest.mark.parametrize("value", [3, 0, 16, "big", None, 2.5])
def test_png_scale_is_validated(value):
    with pytest.raises(UserError, match="must be one of 1, 2, 4, 8"):
        view.scale_value(value)


def test_inline_svg_keeps_the_drawing_and_drops_anything_else():
    hostile = ('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" '
               'viewBox="0 0 64 64" onload="alert(1)"><script>alert(2)</script>'
               '<style>*{display:none}</style><rect width="64" height="64" fill="#fff"/>'
               '<g transform="scale(0.125)"><path d="M0 0 L8 8 Z" fill="#000" onclick="x()"/>'
               '<a href="javascript:alert(3)"><path d="M1 1"/></a><image href="data:x"/>'
               '<path d="M2 2" fill="url(javascript:alert(4))"/></g></svg>')
    safe = view.inline_svg(hostile)
    for bad in ("script", "alert", "onload", "onclick", "style", "<a ", "image", "javascript"):
        assert bad not in safe, bad
    root = ET.fromstring(safe)
    assert root.get("viewBox") == "0 0 64 64" and root.get("width") == str(view.DISPLAY)
    assert [el.get("d") for el in root.iter("{http://www.w3.org/2000/svg}path")] == ["M0 0 L8 8 Z", "M2 2"]


def test_the_picture_cache_keeps_the_newest_and_forgets_the_rest(tmp_path):
    class App:
        temp_file_sets = [set()]

    cache, app = PictureCache(limit=3, min_age=0), App()
    cache.attach(app)
    paths = []
    for i in range(6):
        folder = tmp_path / f"hash{i}"
        folder.mkdir()
        (folder / "image.png").write_bytes(b"png")
        paths.append(str(folder / "image.png"))
        app.temp_file_sets[0].add(paths[-1])
        cache.remember(paths[-1])
    assert [p for p in paths if (tmp_path / p).exists()] == paths[3:]
    assert app.temp_file_sets[0] == set(paths[3:]) and not (tmp_path / "hash0").exists()
    young = PictureCache(limit=1, min_age=3600)  # a picture a browser may still be loading stays
    for p in paths[3:]:
        young.remember(p)
    assert all((tmp_path / p).exists() for p in paths[3:])


def test_single_threaded_renders_restore_the_thread_count():
    import torch
    before = torch.get_num_threads()
    with single_threaded():
        with single_threaded():
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 1  # the outer render still runs
    assert torch.get_num_threads() == before

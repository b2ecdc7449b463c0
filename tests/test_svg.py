"""SVG export: valid XML, faithful to the PNG, small, holes kept (rendered again with resvg)."""
import io
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from gan_core.errors import UserError
from gan_core.export.printpng import print_png
from gan_core.export.vector import to_svg

from pictures import icon, ink_mask, iou, ring, rims

SVG_NS = "{http://www.w3.org/2000/svg}"


def rasterise(svg: str, width: int = 256, background: str | None = "#ffffff") -> np.ndarray:
    """The SVG drawn by resvg (a real SVG renderer) as RGBA uint8."""
    import resvg_py
    png = resvg_py.svg_to_bytes(svg_string=svg, width=width, background=background)
    return np.asarray(Image.open(io.BytesIO(bytes(png))).convert("RGBA"))


def colour_design():
    p = np.full((64, 64, 3), 250, np.uint8)
    yy, xx = np.mgrid[0:64, 0:64]
    p[np.hypot(xx - 32, yy - 32) < 22] = (200, 40, 40)
    p[np.hypot(xx - 32, yy - 32) < 10] = (40, 60, 190)
    p[(abs(xx - 32) < 3) & (yy > 40)] = (30, 160, 60)
    return p


def test_each_svg_parses_as_xml_with_the_design_viewbox():
    designs = list(rims()) + [icon("music"), colour_design(), ring(48)]
    for pic in designs:
        svg = to_svg(pic, width=512)
        root = ET.fromstring(svg.encode())
        assert root.tag == f"{SVG_NS}svg"
        h, w = pic.shape[:2]
        assert root.get("viewBox") == f"0 0 {w} {h}" and root.get("width") == "512"
        assert len(root.findall(f".//{SVG_NS}path")) >= 1


@pytest.mark.parametrize("source", ["rim0", "rim3", "icon"])
def test_binary_svg_matches_its_png_at_256(source):
    pic = icon("search") if source == "icon" else rims([int(source[-1])])[0]
    traced = rasterise(to_svg(pic))
    assert traced.shape[:2] == (256, 256)
    reference = np.asarray(print_png(pic, 256))
    score = iou(ink_mask(traced), ink_mask(reference))
    assert score >= 0.95, f"IoU {score:.3f}"


def test_svg_size_budget_for_64px_designs():
    for pic in list(rims()) + [icon("music"), icon("flag")]:
        assert len(to_svg(pic).encode()) < 20_000


def test_ring_traces_with_its_hole():
    r = ring(64, r0=12, r1=24)
    for background in (True, False):
        svg = to_svg(r, background=background)
        drawn = rasterise(svg, background=None)
        alpha, rgb = drawn[..., 3], drawn[..., :3]
        # the centre (128, 128) is inside the hole, 72 px out (r = 18 design px) is on the ring
        assert rgb[128, 128 + 72].max() < 60 and alpha[128, 128 + 72] == 255
        if background:
            assert rgb[128, 128].min() > 200 and alpha[128, 128] == 255    # the background shows
        else:
            assert alpha[128, 128] == 0                                     # truly a hole
            assert alpha[5, 5] == 0


def test_grey_and_colour_are_quantised_to_a_few_tones():
    svg = to_svg(colour_design())
    fills = {el.get("fill") for el in ET.fromstring(svg.encode()).iter() if el.get("fill")}
    assert 3 <= len(fills) <= 6
    drawn = rasterise(svg, width=64)[..., :3].astype(int)
    assert np.abs(drawn[32, 32] - [40, 60, 190]).max() < 30          # blue centre
    assert np.abs(drawn[32, 14] - [200, 40, 40]).max() < 30          # red disc
    svg3 = to_svg(colour_design(), tones=3)
    assert len({el.get("fill") for el in ET.fromstring(svg3.encode()).iter() if el.get("fill")}) <= 3


def test_bad_options():
    with pytest.raises(UserError, match="tones"):
        to_svg(rims([0])[0], tones=40)
    with pytest.raises(UserError, match="width"):
        to_svg(rims([0])[0], width=5)
    with pytest.raises(UserError, match="uint8"):
        to_svg(np.zeros((64, 64, 4), np.uint8))


def test_cli_generate_writes_svg_and_print_png(tmp_path):
    import subprocess
    import sys
    from pictures import REPO
    r = subprocess.run([sys.executable, "-m", "gan_core", "generate", "--model", str(REPO / "weights" / "rims-64"),
                        "--seeds", "0,1", "--format", "both", "--size", "256", "--out", str(tmp_path / "out")],
                       capture_output=True, text=True, timeout=300, cwd=REPO,
                       env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"})
    assert r.returncode == 0, r.stderr
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["seed000000.png", "seed000000.svg", "seed000001.png", "seed000001.svg"]
    assert Image.open(tmp_path / "out" / "seed000001.png").size == (256, 256)
    ET.parse(tmp_path / "out" / "seed000000.svg")


def test_cli_rejects_a_bad_print_size(tmp_path, capsys):
    """A real model, so only the size can be at fault; refused before anything is drawn, whatever
    --format asks for (an SVG-only export too, which never uses the size)."""
    from gan_core.cli import main
    from pictures import BUNDLED
    for fmt in ("png", "svg", "both"):
        out = tmp_path / fmt
        assert main(["generate", "--model", str(BUNDLED), "--seeds", "0", "--size", "4096", "--format", fmt,
                     "--out", str(out)]) == 2, fmt
        assert "print size must be a whole number of pixels from 64 to 2048" in capsys.readouterr().err, fmt
        assert not out.exists() or not any(out.iterdir()), fmt
    assert main(["generate", "--model", str(BUNDLED), "--seeds", "0", "--size", "256", "--format", "svg",
                 "--out", str(tmp_path / "good")]) == 0  # the same command with a good size works
    assert [p.name for p in (tmp_path / "good").iterdir()] == ["seed000000.svg"]

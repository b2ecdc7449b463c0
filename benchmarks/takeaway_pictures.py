"""Write the pictures of docs/takeaway/: five bundled-model rims as print PNG beside their SVG
(rendered again by resvg), the SVGs themselves, and symmetric rims.

    python benchmarks/takeaway_pictures.py [--out docs/takeaway]
"""
from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gan_core.design.generate import load_generator  # noqa: E402
from gan_core.design.symmetry import symmetrize  # noqa: E402
from gan_core.export.printpng import print_png  # noqa: E402
from gan_core.export.vector import to_svg  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default=str(ROOT / "docs" / "takeaway"))
    a = ap.parse_args()
    import resvg_py
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    model = load_generator(ROOT / "weights" / "rims-64")
    for seed, pic in zip(range(5), model.generate(range(5))):
        svg = to_svg(pic, width=256)
        (out / f"rim_seed{seed}.svg").write_text(svg)
        traced = Image.open(io.BytesIO(bytes(resvg_py.svg_to_bytes(svg_string=svg, width=256)))).convert("L")
        pair = Image.new("L", (520, 256), 255)
        pair.paste(print_png(pic, 256).convert("L"), (0, 0))
        pair.paste(traced, (264, 0))
        pair.save(out / f"rim_seed{seed}_png_vs_svg.png", optimize=True)
    pics = model.generate([0, 2, 6])
    rows = [np.concatenate([p, symmetrize(p, "rot5"), symmetrize(p, "rot8"), symmetrize(p, "mirror-lr")], axis=1)
            for p in pics]
    sheet = np.concatenate(rows, axis=0)
    Image.fromarray(sheet).resize((sheet.shape[1] * 3, sheet.shape[0] * 3), Image.LANCZOS).save(
        out / "symmetric_rims_none_rot5_rot8_mirror-lr.png", optimize=True)
    print_png(symmetrize(pics[0], "rot5"), 512).save(out / "symmetric_rim_rot5_512.png", optimize=True)
    print(f"wrote {sorted(p.name for p in out.iterdir())}")


if __name__ == "__main__":
    main()

"""generate, morph and recalibrate: designs from a model as PNGs, grids and animations."""
from __future__ import annotations

from pathlib import Path

from ..errors import UserError
from .common import load_model_arg, parse_seeds


def write_design_files(pic, stem: Path, fmt: str, size: int | None, upscale: int) -> None:
    """<stem>.png (print size ``size`` when given, else ``upscale``d) and/or <stem>.svg."""
    from ..checkpoint import atomic_write_bytes
    from ..data.images import save_png
    if fmt in ("png", "both"):
        if size is None:
            save_png(pic, stem.with_suffix(".png"), upscale_factor=upscale)
        else:
            import io
            from ..export.printpng import print_png
            buf = io.BytesIO()
            print_png(pic, size).save(buf, format="PNG")
            atomic_write_bytes(stem.with_suffix(".png"), buf.getvalue())
    if fmt in ("svg", "both"):
        from ..export.vector import to_svg
        atomic_write_bytes(stem.with_suffix(".svg"), to_svg(pic).encode())


def cmd_generate(a) -> int:
    from ..export.animation import save_grid
    from ..export.printpng import check_print_size
    if a.size is not None:
        check_print_size(a.size)  # before loading anything
    if (a.seeds is None) == (a.design is None):
        raise UserError("give either --seeds (e.g. 0-99) or --design FILE.json")
    if a.design is not None:  # a saved design, drawn exactly (its latent, truncation, edits, symmetry)
        from ..design.record import Design
        from ..design.render import render
        design = Design.load(a.design)
        stem = Path(a.out) / Path(a.design).stem
        write_design_files(render(design, load_model_arg(a.model)), stem, a.format, a.size, a.upscale)
        print(f"wrote {stem}.{'png/.svg' if a.format == 'both' else a.format}")
        return 0
    seeds = parse_seeds(a.seeds)
    model = load_model_arg(a.model)
    out = Path(a.out)
    pics = model.generate(seeds, truncation=a.truncation)
    for s, pic in zip(seeds, pics):
        write_design_files(pic, out / f"seed{s:06d}", a.format, a.size, a.upscale)
    if a.grid:
        save_grid(pics, out / "grid.png")
    print(f"wrote {len(seeds)} design(s) to {out}")
    return 0


def cmd_morph(a) -> int:
    from ..export.animation import save_animation
    seeds = parse_seeds(a.seeds, limit=64)
    if len(seeds) < 2:
        raise UserError("--seeds: a morph needs at least two keyframe seeds, e.g. 3,7,11")
    if Path(a.out).suffix.lower() not in (".gif", ".mp4"):
        raise UserError(f"--out {a.out}: write the morph to a .gif or .mp4 file")
    model = load_model_arg(a.model)
    frames = model.morph(seeds, frames=a.frames, loop=a.loop, easing=a.easing, truncation=a.truncation)
    save_animation(frames, a.out, fps=a.fps, scale=a.scale)
    print(f"wrote {len(frames)} frames to {a.out}")
    return 0


def cmd_recalibrate(a) -> int:
    from ..design.generate import recalibrate_generator
    done = recalibrate_generator(a.model)
    print(f"{a.model}: BatchNorm statistics re-measured for the generator's own weights "
          f"({done['samples']} latents in batches of {done['batch_size']}); every design of it is redrawn")
    return 0


def register(sub) -> None:
    q = sub.add_parser("generate", help="write designs for seeds as PNG and/or SVG")
    q.add_argument("--model", required=True, help="run folder, generator folder, model.safetensors or Hub id")
    q.add_argument("--seeds", help="e.g. 0-99 or 3,7,11")
    q.add_argument("--design", help="a saved design JSON (instead of --seeds): drawn exactly")
    q.add_argument("--out", required=True, help="output folder")
    q.add_argument("--truncation", type=float, default=1.0, help="0-2; below 1 = safer, more typical designs")
    q.add_argument("--upscale", type=int, default=1, help="PNG upscale factor 1-32")
    q.add_argument("--grid", action="store_true", help="also write grid.png of all seeds")
    q.add_argument("--format", choices=("png", "svg", "both"), default="png", help="PNG, traced SVG, or both")
    q.add_argument("--size", type=int, default=None,
                   help="print-size PNG, 64-2048 px (crisp two-tone edges); replaces --upscale")
    q.set_defaults(func=cmd_generate)

    q = sub.add_parser("recalibrate", help="fix a generator trained before BatchNorm recalibration (in place)")
    q.add_argument("--model", required=True, help="run or generator folder (its model.safetensors is rewritten)")
    q.set_defaults(func=cmd_recalibrate)

    q = sub.add_parser("morph", help="write a slerp morph through keyframe seeds as GIF or MP4")
    q.add_argument("--model", required=True)
    q.add_argument("--seeds", required=True, help="keyframes, e.g. 3,7,11")
    q.add_argument("--frames", type=int, default=48)
    q.add_argument("--loop", action="store_true", help="return to the first seed")
    q.add_argument("--easing", choices=("linear", "ease"), default="ease")
    q.add_argument("--fps", type=float, default=12)
    q.add_argument("--scale", type=int, default=4, help="upscale each frame (e.g. 64 px x4 = 256 px)")
    q.add_argument("--truncation", type=float, default=1.0)
    q.add_argument("--out", required=True, help="morph.gif or morph.mp4")
    q.set_defaults(func=cmd_morph)

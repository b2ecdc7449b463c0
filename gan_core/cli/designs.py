"""generate and morph: designs from a model as PNGs, grids and animations."""
from __future__ import annotations

from pathlib import Path

from ..errors import UserError
from .common import load_model_arg, parse_seeds


def cmd_generate(a) -> int:
    from ..images import save_png
    from ..export import save_grid
    if (a.seeds is None) == (a.design is None):
        raise UserError("give either --seeds (e.g. 0-99) or --design FILE.json")
    if a.design is not None:  # a saved design, drawn exactly (its latent, truncation, edits, symmetry)
        from ..design import Design, render
        design = Design.load(a.design)
        path = save_png(render(design, load_model_arg(a.model)), Path(a.out) / f"{Path(a.design).stem}.png",
                        upscale_factor=a.upscale)
        print(f"wrote {path}")
        return 0
    seeds = parse_seeds(a.seeds)
    model = load_model_arg(a.model)
    out = Path(a.out)
    pics = model.generate(seeds, truncation=a.truncation)
    for s, pic in zip(seeds, pics):
        save_png(pic, out / f"seed{s:06d}.png", upscale_factor=a.upscale)
    if a.grid:
        save_grid(pics, out / "grid.png")
    print(f"wrote {len(seeds)} design(s) to {out}")
    return 0


def cmd_morph(a) -> int:
    from ..export import save_animation
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


def register(sub) -> None:
    q = sub.add_parser("generate", help="write designs for seeds as PNG")
    q.add_argument("--model", required=True, help="run folder, generator folder, model.safetensors or Hub id")
    q.add_argument("--seeds", help="e.g. 0-99 or 3,7,11")
    q.add_argument("--design", help="a saved design JSON (instead of --seeds): drawn exactly")
    q.add_argument("--out", required=True, help="output folder")
    q.add_argument("--truncation", type=float, default=1.0, help="0-2; below 1 = safer, more typical designs")
    q.add_argument("--upscale", type=int, default=1, help="PNG upscale factor 1-32")
    q.add_argument("--grid", action="store_true", help="also write grid.png of all seeds")
    q.set_defaults(func=cmd_generate)

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

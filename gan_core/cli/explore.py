"""directions, project, encoder, breed: steer a design, start from your own picture, cross favourites."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from ..errors import UserError
from .common import load_model_arg


def _bar(p, stream=sys.stderr, width: int = 24, state={"last": 0.0}) -> None:  # noqa: B006 - throttle state
    """One-line projection progress: step, loss (a live bar on terminals, a line per 10 s in logs)."""
    now = time.monotonic()
    if not stream.isatty() and (now - state["last"] < 10 and p.step not in (0, p.steps)
                                or p.done and state.get("step") == p.step):
        return  # logs get a line per 10 s and the last step once
    state["last"], state["step"] = now, p.step
    filled = int(width * p.step / max(p.steps, 1))
    text = f"[{'#' * filled}{'.' * (width - filled)}] step {p.step}/{p.steps} loss {p.loss:.4f}"
    stream.write(("\r" + text + "\x1b[K" + ("\n" if p.done else "")) if stream.isatty() else text + "\n")
    stream.flush()


def cmd_directions(a) -> int:
    import json
    from ..checkpoint import write_json
    from ..data.images import save_png
    from ..design.directions import ganspace_directions, sefa_directions
    from ..design.record import Design
    from ..design.render import direction_strips, strips_picture
    model = load_model_arg(a.model)
    find = sefa_directions if a.method == "sefa" else ganspace_directions
    dirs, values = find(model.G, a.count)
    base = Design.from_seed(a.model, a.seed, model.z_dim, directions=a.method)
    out = Path(a.out)
    strips = direction_strips(model, base, count=dirs.shape[0])
    save_png(strips_picture(strips), out / "strips.png", upscale_factor=a.upscale)
    write_json({"model": a.model, "method": a.method, "z_dim": model.z_dim,
                "values": [float(v) for v in values],
                "directions": [[float(x) for x in row] for row in dirs]}, out / "directions.json")
    print(json.dumps({"strips": str(out / "strips.png"), "directions": str(out / "directions.json"),
                      "count": int(dirs.shape[0]), "method": a.method}))
    return 0


def cmd_project(a) -> int:
    from ..data.images import save_png
    from ..design.project import CLOSE_ERROR, prepare_target, project
    image = Path(a.image)
    if not image.is_file():
        raise UserError(f"--image {image}: no such file")
    model = load_model_arg(a.model)
    target, notes = prepare_target(image, model)
    for n in notes:
        print(f"note: {n}", file=sys.stderr)
    given = {k: v for k, v in (("steps", a.steps), ("starts", a.starts)) if v is not None}
    r = project(model, target, seed=a.seed, on_progress=_bar, **given)
    for n in r.notes:
        print(f"note: {n}", file=sys.stderr)
    out = Path(a.out)
    design = r.design(a.model, name=image.stem)
    save_png(r.picture, out / "design.png")
    save_png(target, out / "target.png")
    design.save(out / "design.json")
    print(f"error {r.error:.4f} ({r.match} match; close is <= {CLOSE_ERROR}), best random start "
          f"{r.start_error:.4f}, {r.steps} steps in {r.seconds:.1f} s; wrote {out / 'design.json'}")
    return 0


def cmd_breed(a) -> int:
    from ..data.images import save_png
    from ..design.breed import breed
    from ..design.record import Design
    from ..design.render import render_many
    from ..export.animation import save_grid
    paths = [p for p in str(a.parents).split(",") if p.strip()]
    parents = [Design.load(p.strip()) for p in paths]
    model = load_model_arg(a.model)
    kids = breed(parents, model, children=a.children, mutation=a.mutation, seed=a.seed, crossover=a.crossover)
    pictures = render_many(kids, model)
    out = Path(a.out)
    for i, (kid, pic) in enumerate(zip(kids, pictures), 1):
        save_png(pic, out / f"child{i:02d}.png")
        kid.replace(name=f"child {i}").save(out / f"child{i:02d}.json")
    save_grid(pictures, out / "grid.png")
    print(f"wrote {len(kids)} children (PNG + design JSON) and grid.png to {out}")
    return 0


def cmd_encoder(a) -> int:
    from ..design.encoder import ENCODER_FILE, train_encoder
    model = load_model_arg(a.model)
    folder = Path(a.out) if a.out else None
    print(f"training the encoder for {f'{a.steps} steps' if a.steps else f'{a.seconds:g} s'} ...", file=sys.stderr)
    path = train_encoder(model, folder, seconds=a.seconds, seed=a.seed, steps=a.steps, on_progress=lambda p: p["step"] % 200 or print(
        f"step {p['step']} {p['seconds']:.0f} s loss {p['loss']:.4f}", file=sys.stderr))
    print(f"wrote {path} ({path.stat().st_size // 1024} KiB); the studio and 'project' use {ENCODER_FILE} when present")
    return 0


def register(sub) -> None:
    q = sub.add_parser("directions", help="principal latent directions: strips PNG + directions.json")
    q.add_argument("--model", required=True, help="run folder, generator folder, model.safetensors or Hub id")
    q.add_argument("--out", required=True, help="output folder")
    q.add_argument("--count", type=int, default=10, help="directions to compute and draw (1-32)")
    q.add_argument("--method", choices=("sefa", "ganspace"), default="sefa")
    q.add_argument("--seed", type=int, default=0, help="the design the strips start from")
    q.add_argument("--upscale", type=int, default=1, help="strips PNG upscale factor 1-32")
    q.set_defaults(func=cmd_directions)

    q = sub.add_parser("project", help="find the design closest to an image: design.png + design.json")
    q.add_argument("--model", required=True)
    q.add_argument("--image", required=True, help="PNG/JPEG/WebP picture to match")
    q.add_argument("--out", required=True, help="output folder")
    q.add_argument("--steps", type=int, default=None, help="optimisation steps (default: the engine's)")
    q.add_argument("--starts", type=int, default=None, help="random starts optimised together")
    q.add_argument("--seed", type=int, default=0)
    q.set_defaults(func=cmd_project)

    q = sub.add_parser("encoder", help="train the instant-projection encoder of a model (encoder.safetensors)")
    q.add_argument("--model", required=True, help="a generator folder (the encoder is saved beside it)")
    q.add_argument("--seconds", type=float, default=180.0, help="training time, 1-3600 (default 180)")
    q.add_argument("--steps", type=int, default=None,
                   help="train this many steps instead (the same encoder on any machine; ~0.1-0.2 s each at 64 px)")
    q.add_argument("--seed", type=int, default=0)
    q.add_argument("--out", default=None, help="folder to save it in (default: the model's folder)")
    q.set_defaults(func=cmd_encoder)

    q = sub.add_parser("breed", help="children of two or more saved designs: PNG + design JSON each")
    q.add_argument("--model", required=True)
    q.add_argument("--parents", required=True, help="design JSON files, comma-separated: A.json,B.json")
    q.add_argument("--out", required=True, help="output folder")
    q.add_argument("--children", type=int, default=8)
    q.add_argument("--seed", type=int, default=0, help="same parents + seed = same children")
    q.add_argument("--mutation", type=float, default=0.3, help="0-1: 0 = pure crossover")
    q.add_argument("--crossover", choices=("slerp", "mask"), default="slerp")
    q.set_defaults(func=cmd_breed)

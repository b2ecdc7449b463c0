"""preprocess and samples: photos in, clean datasets and sample photos out."""
from __future__ import annotations

import sys

from ..errors import UserError
from .common import cleanup_flags, cleanup_from_args


def cmd_preprocess(a) -> int:
    from ..data.datasets import cleanup_folder
    cfg = cleanup_from_args(a)
    written, skipped = cleanup_folder(a.input, a.output, cfg)
    for s in skipped:
        print(f"skipped {s.name}: {s.reason}", file=sys.stderr)
    print(f"cleaned {len(written)} image(s) into {a.output}; skipped {len(skipped)}")
    return 0 if written else 2


def cmd_samples(a) -> int:
    from ..data.samples import write_sample_rims
    if not 1 <= a.count <= 10_000:
        raise UserError(f"--count must be between 1 and 10000; got {a.count}")
    paths = write_sample_rims(a.out, count=a.count, seed=a.seed, size=a.size, colour=a.colour)
    print(f"wrote {len(paths)} {'colour ' if a.colour else ''}sample rim photo(s) to {a.out}")
    return 0


def register(sub) -> None:
    q = sub.add_parser("preprocess", help="clean raw photos into a dataset folder")
    q.add_argument("--input", required=True, help="folder or .zip of raw photos")
    q.add_argument("--output", required=True, help="folder for the cleaned PNGs")
    cleanup_flags(q)
    q.set_defaults(func=cmd_preprocess)

    q = sub.add_parser("samples", help="render reproducible sample photos of car rims")
    q.add_argument("--out", required=True, help="folder for the photos (rim_000.jpg, ...)")
    q.add_argument("--count", type=int, default=100)
    q.add_argument("--seed", type=int, default=0)
    q.add_argument("--size", type=int, default=256)
    q.add_argument("--colour", action="store_true",
                   help="the colour set: painted and two-tone rims on a light, tinted backdrop "
                        "(clean them with --mode color)")
    q.set_defaults(func=cmd_samples)

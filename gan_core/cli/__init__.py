"""Command line: ``python -m gan_core <command> --help``.

One module per group of commands, each with a ``register(sub)`` that adds its
sub-commands; ``COMMANDS`` lists them in the order ``--help`` shows them.
User mistakes print one line (``error: ...``) and exit with status 2; no traceback.

The last stage: may import the foundations and every other stage of gan_core.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from ..errors import UserError
from .common import MAX_SEEDS, ProgressBar, load_model_arg, looks_like_repo_id, parse_seeds  # noqa: F401

COMMANDS = ("data", "train", "designs", "explore", "hub")  # modules of gan_core.cli


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m gan_core", description="Design Studio engine: clean photos, "
                                "train a generator, make designs and morphs.")
    sub = p.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f".{name}", __name__).register(sub)
    sub.metavar = "{" + ",".join(sub.choices) + "}"
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    a = parser.parse_args(argv)
    try:
        return a.func(a)
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except OSError as e:  # a disk or permission problem is the user's to fix, not a bug
        print(f"error: {e.strerror or e}{f': {e.filename}' if e.filename else ''}", file=sys.stderr)
        return 1

"""push: a finished run to the Hugging Face Hub."""
from __future__ import annotations


def cmd_push(a) -> int:
    from ..hub import transfer as hub
    url = hub.push_run(a.model, a.repo, token=a.token, private=a.private)
    print(f"pushed to {url}")
    return 0


def register(sub) -> None:
    q = sub.add_parser("push", help="push a finished run to the Hugging Face Hub")
    q.add_argument("--model", required=True, help="run folder")
    q.add_argument("--repo", required=True, help="repository id, e.g. you/rim-generator")
    q.add_argument("--token", default=None, help="Hub token with write access (default: HF_TOKEN)")
    q.add_argument("--private", action="store_true")
    q.set_defaults(func=cmd_push)

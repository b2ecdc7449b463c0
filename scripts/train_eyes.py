"""Train D's eyes: a feature network that learns, on a base corpus, which set each picture comes
from and which named things it shows; its body then looks through D's eyes (gan_core.nets.eyes).

    python scripts/build_corpus.py --kind colour              # once: the corpus
    python scripts/train_eyes.py colour-64 --minutes 12        # writes weights/eyes-colour-64

The labels come from the corpus's own names ("fluent-emoji-flat:red-apple" -> set
fluent-emoji-flat, words "red", "apple"): every word that names at least ``--min-count``
pictures is one output (multi-label), and the set is another (one of N). A held-out 5% of the
corpus gives the accuracy written into the card. One thread by default, like pretraining.
"""
from __future__ import annotations

import argparse
import collections
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from gan_core.checkpoint import read_json, save_tensors, write_json  # noqa: E402
from gan_core.data.datastore import meta_path  # noqa: E402
from gan_core.nets.eyes import FeatureNet  # noqa: E402
from gan_core.training.bases import EYES_FILE, weights_dir  # noqa: E402
from scripts.pretrain_base import BASES, corpus_path, machine, open_corpus  # noqa: E402

STOP_WORDS = {"fluent", "emoji", "flat", "color", "colour", "icon", "streamline", "ultimate", "flex", "plump",
              "with", "and", "the", "fill", "alt"}  # set names and glue words, not things


def labels(names: list[str], min_count: int) -> tuple[list[str], list[str], np.ndarray, torch.Tensor]:
    """(sets, words, the set index of each picture, its multi-hot words)."""
    sets = sorted({n.split(":", 1)[0] for n in names})
    per = [[w for w in re.split(r"[^a-z]+", n.split(":", 1)[-1].lower()) if len(w) > 2 and w not in STOP_WORDS]
           for n in names]
    counts = collections.Counter(w for ws in per for w in set(ws))
    words = sorted(w for w, c in counts.items() if c >= min_count)
    index = {w: i for i, w in enumerate(words)}
    hot = torch.zeros(len(names), len(words))
    for i, ws in enumerate(per):
        for w in ws:
            if w in index:
                hot[i, index[w]] = 1
    set_of = np.array([sets.index(n.split(":", 1)[0]) for n in names])
    return sets, words, set_of, hot


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """A random shift of up to 1/8 of the size (edge pixels repeated) and a left-right flip."""
    n, _, h, w = x.shape
    pad = h // 8
    big = F.pad(x, (pad, pad, pad, pad), mode="replicate")
    dx, dy = (int(v) for v in torch.randint(0, 2 * pad + 1, (2,), generator=gen))
    x = big[:, :, dy:dy + h, dx:dx + w]
    flip = torch.rand(n, generator=gen) < 0.5
    return torch.where(flip[:, None, None, None], x.flip(3), x)


def evaluate(net: FeatureNet, x: torch.Tensor, set_of: torch.Tensor, hot: torch.Tensor, n_sets: int) -> dict:
    net.eval()
    with torch.no_grad():
        out = torch.cat([net.classify(x[i:i + 256]) for i in range(0, len(x), 256)])
    net.train()
    set_acc = float((out[:, :n_sets].argmax(1) == set_of).float().mean())
    has = hot.sum(1) > 0  # top-1 word precision on the pictures that have a word
    top = out[has, n_sets:].argmax(1)
    word_acc = float(hot[has].gather(1, top[:, None]).mean()) if has.any() else float("nan")
    return {"set_accuracy": round(set_acc, 3), "word_top1_precision": round(word_acc, 3),
            "held_out": int(len(x))}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", choices=sorted(BASES), help="which corpus (and so channels and size)")
    ap.add_argument("--minutes", type=float, default=12.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--min-count", type=int, default=8, help="a word names at least this many pictures")
    ap.add_argument("--out", default=None, help="default: weights/eyes-<corpus>")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    res, ch = BASES[a.corpus]
    store = open_corpus(a.corpus)
    if store is None:
        return 2
    names = read_json(meta_path(corpus_path(a.corpus)), "decoded images header", max_bytes=256 * 2**20)["names"]
    sets, words, set_of, hot = labels(names, a.min_count)
    x = store.batch(torch.arange(len(store)))
    gen = torch.Generator().manual_seed(0)
    order = torch.randperm(len(x), generator=gen)
    held, train = order[:len(x) // 20], order[len(x) // 20:]
    set_t = torch.as_tensor(set_of)
    torch.manual_seed(0)
    net = FeatureNet(ch, classes=len(sets) + len(words))
    opt = torch.optim.AdamW(net.parameters(), lr=a.lr, weight_decay=1e-4)
    total = a.minutes * 60
    t0, step, seen = time.perf_counter(), 0, 0
    print(f"{len(x)} pictures, {len(sets)} sets, {len(words)} words; {a.minutes:g} min on {a.threads} thread(s)")
    while (elapsed := time.perf_counter() - t0) < total:
        for g in opt.param_groups:  # cosine decay over the budget of minutes
            g["lr"] = a.lr * 0.5 * (1 + np.cos(np.pi * min(1.0, elapsed / total)))
        idx = train[torch.randint(len(train), (a.batch,), generator=gen)]
        out = net.classify(augment(x[idx], gen))
        loss = F.cross_entropy(out[:, :len(sets)], set_t[idx]) + \
            F.binary_cross_entropy_with_logits(out[:, len(sets):], hot[idx]) * len(words) ** 0.5
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step, seen = step + 1, seen + a.batch
        if step % 200 == 0:
            print(f"step {step} ({elapsed / 60:.1f} min): loss {float(loss):.3f}", flush=True)
    scores = evaluate(net, x[held], set_t[held], hot[held], len(sets))
    print(f"held-out: {scores}")
    out_dir = Path(a.out) if a.out else weights_dir() / f"eyes-{a.corpus}"
    out_dir.mkdir(parents=True, exist_ok=True)
    body = {k: v for k, v in net.state_dict().items() if not k.startswith("classifier.")}
    save_tensors(body, out_dir / EYES_FILE, {"format_version": 1})
    write_json({"format_version": 1, "kind": "eyes", "corpus": a.corpus, "resolution": res, "channels": ch,
                "sets": sets, "words": len(words), "steps": step, "pictures_seen": seen,
                "minutes": round((time.perf_counter() - t0) / 60, 1), "machine": machine(a.threads),
                "held_out": scores}, out_dir / "config.json")
    print(f"wrote {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

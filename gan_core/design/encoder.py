"""Instant projection: a small encoder E (picture -> z) per generator, trained on its own designs.

E is a strided-convolution network trained on pairs (G(z), z) that G draws itself, so it needs
no data and takes a few CPU-minutes. The loss is the latent error (z on the prior's shell, as
the projector keeps it) plus the picture error through G (``project.pixel_loss``: what a
designer sees). Half of each batch is "cleaned" like training pictures (G's greys snapped to
the background and the ink, small shifts) so E also reads real pictures, not only G's own.

E gives a design in milliseconds and a start point for the optimiser
(``project.iter_projection(init_z=...)``). ``encoder.safetensors`` sits beside the generator's
``model.safetensors`` (weights in float16, well under 2 MB at 64 px) with its config and the
generator's weights hash in the metadata: an encoder of another generator, or of an older
version of this one, is not used.
"""
from __future__ import annotations

import hashlib
import math
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..checkpoint import load_tensors, save_tensors
from ..data.images import from_uint8
from ..errors import UserError

ENCODER_FILE = "encoder.safetensors"
ENCODER_FORMAT = 1
DEFAULT_SECONDS = 180.0   # on-demand training budget (CPU): enough for a 64 px model
MAX_SECONDS = 3600.0
MAX_STEPS = 100_000       # (--steps: the same encoder on any machine, whatever its load)
BATCH = 32                # pairs per step
LATENT_WEIGHT = 0.05      # MSE on z: keeps E's guesses where G was trained; the picture loss through G
PICTURE_SHARE = 2         # (what a designer sees) leads, on 1/PICTURE_SHARE of the batch (its backward is dear)
LR = 2e-3


def weights_hash(model) -> str:
    """A short hash of the generator's weights (cached on the model): which G an encoder or a
    cached map belongs to."""
    cached = getattr(model, "_weights_hash", None)
    if cached:
        return cached
    h = hashlib.sha256()
    for k, v in sorted(model.G.state_dict().items()):
        h.update(k.encode())
        h.update(v.detach().cpu().contiguous().numpy().tobytes())
    model._weights_hash = h.hexdigest()[:16]
    return model._weights_hash


class Encoder(nn.Module):
    """E: (N, C, R, R) in [-1, 1] -> (N, z_dim). 4x4 stride-2 convolutions down to 4x4, then linear."""

    def __init__(self, resolution: int, channels: int, z_dim: int, width: int = 32):
        super().__init__()
        self.resolution, self.channels, self.z_dim, self.width = resolution, channels, z_dim, width
        layers, cin, r, level = [], channels, resolution, 0
        while r > 4:  # state size: (cout) x r/2 x r/2; widths 32, 64, 128, 128 at 64 px
            cout = min(width * 2 ** level, 4 * width)
            layers += [nn.Conv2d(cin, cout, 4, 2, 1), nn.LeakyReLU(0.2)]
            cin, r, level = cout, r // 2, level + 1
        self.net = nn.Sequential(*layers)
        self.head = nn.Linear(cin * 16, z_dim)  # (cin x 4 x 4) -> z

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1:] != (self.channels, self.resolution, self.resolution):
            raise ValueError(f"encoder expects (N, {self.channels}, {self.resolution}, {self.resolution}); "
                             f"got {tuple(x.shape)}")
        return self.head(self.net(x).flatten(1))

    def config(self) -> dict:
        return {"resolution": self.resolution, "channels": self.channels, "z_dim": self.z_dim,
                "width": self.width}


def on_shell(z: torch.Tensor) -> torch.Tensor:
    """z scaled to norm sqrt(z_dim), where N(0, I) puts its mass (as the projector keeps it)."""
    return z * (math.sqrt(z.shape[-1]) / z.norm(dim=-1, keepdim=True).clamp_min(1e-8))


def _clean_like_training(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """G's pictures made to look like cleaned training pictures: greys snapped towards the two
    tones (gray) or left as they are (colour), shifted by up to 2 px (crops are not exact)."""
    n = x.shape[0]
    if x.shape[1] == 1:
        x = torch.tanh(x * 6.0)  # near-binary, as the "binary" cleanup draws
    dx, dy = (int(v) for v in torch.randint(-2, 3, (2,), generator=gen))
    bg = x.flatten(2).median(dim=2).values.view(n, -1, 1, 1)  # the background: most of the picture
    x = torch.roll(x, (dy, dx), dims=(2, 3))
    if dy > 0:
        x[:, :, :dy] = bg
    elif dy < 0:
        x[:, :, dy:] = bg
    if dx > 0:
        x[:, :, :, :dx] = bg
    elif dx < 0:
        x[:, :, :, dx:] = bg
    return x


def train_encoder(model, folder=None, seconds: float = DEFAULT_SECONDS, seed: int = 0,
                  on_progress: Callable[[dict], None] | None = None,
                  should_stop: Callable[[], bool] | None = None, steps: int | None = None) -> Path | Encoder:
    """Train E for ``model`` (a DesignModel) for ``seconds`` (or ``steps``) and save it into
    ``folder`` (default: the model's own folder) as ENCODER_FILE, atomically. Returns the path
    (or the Encoder when ``folder`` is False). ``on_progress({"step", "seconds", "loss",
    "latent_loss", "picture_loss"})`` every 20 steps; ``should_stop()`` ends it early (saved)."""
    from .project import pixel_loss
    try:
        seconds = float(seconds)
    except (TypeError, ValueError):
        raise UserError(f"seconds must be a number between 1 and {MAX_SECONDS:g}; got {seconds!r}") from None
    if not (math.isfinite(seconds) and 1 <= seconds <= MAX_SECONDS):
        raise UserError(f"seconds must be between 1 and {MAX_SECONDS:g}; got {seconds!r}")
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS):
        raise UserError(f"steps must be a whole number between 1 and {MAX_STEPS}; got {steps!r}")
    if folder is None:
        if not model.source or not Path(model.source).is_dir():
            raise UserError("this model has no folder to save its encoder in; give one")
        folder = Path(model.source)
    cfg = model.config
    gen = torch.Generator().manual_seed(int(seed))
    torch.manual_seed(int(seed))  # E's initial weights
    E = Encoder(cfg.resolution, cfg.channels, model.z_dim).to(model.device)
    G = model.G
    grads = [p.requires_grad for p in G.parameters()]
    G.requires_grad_(False)  # only E learns; G's weights are shared with every other caller
    opt = torch.optim.Adam(E.parameters(), lr=LR, betas=(0.9, 0.99))
    t0, step, half = time.perf_counter(), 0, BATCH // 2
    while True:
        elapsed = time.perf_counter() - t0
        if (steps is not None and step >= steps) or (steps is None and elapsed >= seconds) \
                or (should_stop is not None and should_stop()):
            break
        frac = step / steps if steps is not None else elapsed / seconds
        for g in opt.param_groups:  # cosine decay to 5 %
            g["lr"] = LR * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, frac))))
        z = on_shell(torch.randn(BATCH, model.z_dim, generator=gen)).to(model.device)
        with torch.no_grad(), model._lock:
            x = G(z)
        x_in = torch.cat([x[:half], _clean_like_training(x[half:], gen)])
        z_hat = on_shell(E(x_in))
        latent_loss = F.mse_loss(z_hat, z)
        k = max(1, BATCH // PICTURE_SHARE)
        with model._lock:
            picture_loss = pixel_loss(G(z_hat[:k]), x[:k]).mean()
        loss = LATENT_WEIGHT * latent_loss + picture_loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        if on_progress is not None and step % 20 == 0:
            on_progress({"step": step, "seconds": time.perf_counter() - t0, "loss": loss.item(),
                         "latent_loss": latent_loss.item(), "picture_loss": picture_loss.item()})
    for p, g in zip(G.parameters(), grads):
        p.requires_grad_(g)
    E.eval().requires_grad_(False)
    if folder is False:
        return E
    return save_encoder(E, model, folder, {"steps": step, "seconds": round(time.perf_counter() - t0, 1),
                                           "seed": int(seed)})


def save_encoder(E: Encoder, model, folder, training: dict | None = None) -> Path:
    path = Path(folder) / ENCODER_FILE
    meta = {"format": ENCODER_FORMAT, "encoder": E.config(), "generator": weights_hash(model),
            "training": training or {}}
    save_tensors({k: v.half() for k, v in E.state_dict().items()}, path, metadata=meta)
    return path


def load_encoder(folder, model=None) -> tuple[Encoder | None, str]:
    """(E, "") from ``folder``/ENCODER_FILE, or (None, a one-line reason) when it is missing,
    corrupt, or made for another generator (``model`` given: its weights hash is checked)."""
    if not folder:
        return None, "this model has no folder, so no encoder: projecting with the optimiser"
    path = Path(folder) / ENCODER_FILE
    if not path.is_file():
        return None, "this model has no encoder yet: projecting with the optimiser"
    try:
        tensors, meta = load_tensors(path)
        if not meta or meta.get("format") != ENCODER_FORMAT or "encoder" not in meta:
            raise ValueError("no encoder metadata")
        c = meta["encoder"]
        E = Encoder(int(c["resolution"]), int(c["channels"]), int(c["z_dim"]), int(c.get("width", 32)))
        E.load_state_dict({k: v.float() for k, v in tensors.items()}, strict=True)
    except (UserError, ValueError, KeyError, TypeError, RuntimeError, OSError) as e:
        return None, f"the encoder file is unreadable ({str(e).splitlines()[0][:80]}): projecting with the optimiser"
    if model is not None:
        cfg = model.config
        if (E.resolution, E.channels, E.z_dim) != (cfg.resolution, cfg.channels, model.z_dim) \
                or meta.get("generator") != weights_hash(model):
            return None, ("the encoder was trained for another version of this generator: projecting "
                          "with the optimiser (train a new encoder)")
    return E.eval().requires_grad_(False), ""


@torch.no_grad()
def encode(model, encoder: Encoder, picture: np.ndarray) -> torch.Tensor:
    """The z (z_dim,) E reads from ``picture`` (uint8, prepared by ``project.prepare_target``)."""
    cfg = model.config
    want = (cfg.resolution, cfg.resolution) if cfg.channels == 1 else (cfg.resolution, cfg.resolution, 3)
    picture = np.asarray(picture)
    if picture.dtype != np.uint8 or picture.shape != want:
        raise UserError(f"the picture must be a {'x'.join(map(str, want))} uint8 picture for this model; "
                        f"got {picture.dtype} {picture.shape} (prepare it with prepare_target)")
    x = from_uint8(picture, channels=cfg.channels).unsqueeze(0)
    return on_shell(encoder(x.to(next(encoder.parameters()).device)))[0].cpu()

"""Projection: find the latent whose design matches a target picture ("start from your design").

The recipe (after the StyleGAN2-ADA projector, sized for small models on a CPU):

1. multi-start: score ``candidates`` random z on the pixel terms and keep the best ``starts``;
2. optimise those starts together with Adam: learning rate warm-up then cosine decay, and
   Gaussian noise on the latent that decays to zero by 3/4 of the run (it shakes the
   search out of the first basin it falls into);
3. loss = multi-scale pixel L1 + (1 - SSIM) + L1 on the model's own critic features when
   its run folder still has the critic (``checkpoint.safetensors``); otherwise pixel terms only;
4. z stays on the prior's shell (norm sqrt(z_dim)), where N(0, I) puts nearly all its mass
   and where G was trained: off the shell G's pictures degrade.

The best latent ever *rendered* is the result (also when stopped early), so its error is
exactly the picture's. ``error`` is the mean absolute pixel difference on a 0..1 scale;
``match`` is "close" when ``error <= CLOSE_ERROR`` (see there for why 0.06).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import torch
from torch.nn import functional as F

from ..data.images import from_uint8, to_uint8
from ..errors import UserError

# Mean absolute pixel error (0..1) at or below which a reconstruction is a "close match":
# 0.06 is about 15 grey levels on average. Measured on the bundled rims model
# (benchmarks/bench_project.py): its own seeds project back to ~0.013 (a design the model can
# draw), while its training images end at 0.10-0.17 and the nearest of 1000 random seeds to them
# sits at 0.11-0.18. 0.06 is ~4x the in-range error and under half a typical nearest-seed
# error: "close" means the model really draws this design, "rough" that it draws a relative.
CLOSE_ERROR = 0.06
DEFAULT_STEPS = 150       # ~10 CPU-seconds on one core for a 64 px model, starts included
DEFAULT_STARTS = 4        # latents optimised together (one batch: nearly the cost of one)
DEFAULT_CANDIDATES = 1000  # random z scored to pick the starts
MAX_STEPS, MAX_STARTS, MAX_CANDIDATES = 5000, 32, 20_000
LR, WARMUP, NOISE, NOISE_END = 0.2, 0.05, 0.3, 0.75  # peak LR; warm-up and noise fractions of the run
SSIM_WEIGHT, CRITIC_WEIGHT = 0.5, 0.1
INIT_LR, INIT_NOISE, INIT_JITTER = 0.08, 0.05, 0.15  # from a given start (init_z): stay in its basin


@dataclass
class ProjectionResult:
    latent: np.ndarray       # float32 (z_dim,), on the prior's shell; Design(latent=..., truncation=1)
    picture: np.ndarray      # uint8 reconstruction (H, W[, 3])
    error: float             # mean |picture - target| / 255
    match: str               # "close" (error <= CLOSE_ERROR) or "rough"
    steps: int               # optimisation steps actually run
    seconds: float
    stopped: bool            # True when should_stop ended it early
    start_error: float = 0.0  # error of the best random start, before optimising
    notes: list[str] = field(default_factory=list)

    def design(self, model_ref: str, **kw):
        """The result as a ``Design(origin="projection")`` of the model ``model_ref``."""
        from .record import Design
        return Design(model=model_ref, latent=self.latent, truncation=1.0, origin="projection",
                      note=kw.pop("note", f"projection, {self.match} match (error {self.error:.3f})"), **kw)


@dataclass
class ProjectionProgress:
    step: int                # steps done so far (0 = the best random start)
    steps: int
    loss: float              # best loss of this step's starts
    picture: np.ndarray      # the current best start's reconstruction, uint8
    done: bool = False
    result: ProjectionResult | None = None  # set on the last progress only


def match_label(error: float) -> str:
    return "close" if error <= CLOSE_ERROR else "rough"


def picture_error(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two uint8 pictures, 0..1."""
    return float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean() / 255.0)


# ---- the target --------------------------------------------------------------------------------
def _as_pil(image, model):
    from PIL import Image
    from ..data.imagefile import _to_rgb_or_l, read_image
    from .record import Design
    from .render import render
    if isinstance(image, Design):
        return Image.fromarray(render(image, model))
    if isinstance(image, (str, Path)):
        return read_image(image)  # UserError for 0-byte, non-image, corrupt files
    if isinstance(image, np.ndarray):
        if image.dtype != np.uint8 or image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3, 4)):
            raise UserError(f"target picture must be uint8 (H, W) or (H, W, 3); got {image.dtype} {image.shape}")
        image = Image.fromarray(image[..., 0] if image.ndim == 3 and image.shape[2] == 1 else image)
    if not isinstance(image, Image.Image):
        raise UserError(f"cannot project a {type(image).__name__}; give an image file, a picture or a design")
    return _to_rgb_or_l(image)  # transparency on white, as the training pictures were made


def _stored_cleanup(model):
    from ..data.preprocess import CleanupConfig
    stored = (model.info.get("dataset") or {}).get("cleanup") if isinstance(model.info, dict) else None
    if not stored:
        return None
    if isinstance(stored, CleanupConfig):
        return stored
    known = CleanupConfig.__dataclass_fields__
    return CleanupConfig(**{k: v for k, v in dict(stored).items() if k in known})


def prepare_target(image, model, cleanup=None) -> tuple[np.ndarray, list[str]]:
    """A picture the model can be matched against: (uint8 (R, R[, 3]), notes for the designer).

    ``image``: an image file path, a PIL image, a uint8 array or a ``Design`` (rendered).
    ``cleanup``: a CleanupConfig or its dict; None uses the model's stored
    ``config.json["dataset"]["cleanup"]`` when there is one; False never cleans.
    Already-clean pictures (their border is the cleanup's background) are not cleaned again:
    the photo recipe would wipe a drawing's dark lines.
    """
    from PIL import Image
    from ..data.preprocess import CleanupConfig, clean_image, pad_to_square, resize_square
    notes: list[str] = []
    pil = _as_pil(image, model)
    cfg = _stored_cleanup(model) if cleanup is None else (None if cleanup is False else cleanup)
    if isinstance(cfg, dict):
        cfg = CleanupConfig(**cfg)
    if cfg is not None:
        gray = np.asarray(pil.convert("L"))
        border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
        clean_bg = 0 if cfg.invert else 255
        if abs(float(np.median(border)) - clean_bg) <= 8:
            notes.append("the image already has a clean background; used as it is, not cleaned again")
        else:
            cleaned = clean_image(pil, cfg)
            if np.ptp(np.asarray(cleaned.convert("L"))) == 0:
                notes.append("the model's cleanup left nothing of this image; used it without cleanup")
            else:
                pil = cleaned
                notes.append("cleaned with the cleanup of the model's training images")
    res, channels = model.config.resolution, model.config.channels
    a = np.asarray(pil)
    if channels == 1 and a.ndim == 3:
        if not (a[..., 0] == a[..., 1]).all() or not (a[..., 1] == a[..., 2]).all():
            notes.append("converted a colour image to grayscale for this grayscale model")
        a = np.asarray(pil.convert("L"))
    elif channels == 3 and a.ndim == 2:
        notes.append("a grayscale image for a colour model: matched as grey")
        a = np.asarray(pil.convert("RGB"))
    h, w = a.shape[:2]
    if h != w:
        edge = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
        a = pad_to_square(a, np.median(edge, axis=0).round())
        notes.append(f"padded {w}x{h} to a square")
    if a.shape[0] != res:
        notes.append(f"resized {a.shape[1]}x{a.shape[0]} to the model's {res}x{res}")
        a = resize_square(np.ascontiguousarray(a), res)
    return np.array(a, dtype=np.uint8, copy=True), notes  # writable: PIL's arrays are read-only


# ---- the critic --------------------------------------------------------------------------------
def load_critic(folder) -> "torch.nn.Module | None":
    """The run's critic D from ``folder/checkpoint.safetensors`` (eval mode), or None when the
    folder has none (bundled and Hub models ship the generator only)."""
    from ..checkpoint import load_tensors
    from ..config import ModelConfig
    from ..nets.models import Critic
    path = Path(folder) / "checkpoint.safetensors" if folder else None
    if path is None or not path.is_file():
        return None
    tensors, meta = load_tensors(path)
    state = {k[2:]: v for k, v in tensors.items() if k.startswith("D.")}
    if not state or not meta or "model" not in meta:
        return None
    D = Critic(ModelConfig.from_dict(meta["model"]))
    try:
        D.load_state_dict(state, strict=True)
    except RuntimeError:
        return None  # another layout: projection still works on pixels
    return D.eval().requires_grad_(False)


def critic_features(D, x: torch.Tensor) -> list[torch.Tensor]:
    """The critic's activations after each LeakyReLU (models.py left as it is)."""
    feats = []
    for layer in D.net.children():
        x = layer(x)
        if isinstance(layer, torch.nn.LeakyReLU):
            feats.append(x)
    return feats


# ---- the loss ----------------------------------------------------------------------------------
def _gaussian_1d(size: int = 7, sigma: float = 1.5) -> torch.Tensor:
    g = torch.exp(-(torch.arange(size, dtype=torch.float32) - size // 2) ** 2 / (2 * sigma ** 2))
    return g / g.sum()


def ssim(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean SSIM per image (N,) of (N, C, H, W) images in [-1, 1] (Wang et al. 2004, 7x7 Gaussian).

    The five local statistics go through one separable, grouped blur (two small convolutions
    instead of five 7x7 ones: SSIM is then a small share of a projection step)."""
    n, c = x.shape[:2]
    x, y = (x + 1) / 2, (y + 1) / 2
    stats = torch.cat([x, y, x * x, y * y, x * y], dim=1)  # (N, 5C, H, W)
    g = _gaussian_1d().to(x)
    k = stats.shape[1]
    stats = F.conv2d(stats, g.view(1, 1, 1, -1).expand(k, 1, 1, -1), groups=k)  # valid: no padding artefacts
    stats = F.conv2d(stats, g.view(1, 1, -1, 1).expand(k, 1, -1, 1), groups=k)
    mx, my, xx, yy, xy = stats.split(c, dim=1)
    vx, vy, cov = xx - mx * mx, yy - my * my, xy - mx * my
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    s = ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return s.reshape(n, -1).mean(1)


def pixel_loss(x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per image (N,): L1 at full, 1/2 and 1/4 size (coarse scales see the shape) + (1 - SSIM)."""
    l1, scales = 0.0, 0
    a, b = x, target.expand_as(x)
    while True:
        l1 = l1 + (a - b).abs().flatten(1).mean(1)
        scales += 1
        if scales == 3 or a.shape[-1] < 16:
            break
        a, b = F.avg_pool2d(a, 2), F.avg_pool2d(b, 2)
    return l1 / scales + SSIM_WEIGHT * (1 - ssim(x, target.expand_as(x)))


def _critic_loss(D, x: torch.Tensor, target_feats: list[torch.Tensor]) -> torch.Tensor:
    loss = 0.0
    for f, t in zip(critic_features(D, x), target_feats):  # each layer weighed by its own scale
        loss = loss + (f - t).abs().flatten(1).mean(1) / t.abs().mean().clamp_min(1e-6)
    return CRITIC_WEIGHT * loss / len(target_feats)


def _on_shell(z: torch.Tensor) -> torch.Tensor:
    return z * (math.sqrt(z.shape[-1]) / z.norm(dim=-1, keepdim=True).clamp_min(1e-8))


def _whole(name: str, value, lo: int, hi: int) -> int:
    from ..data.preprocess import _whole as check  # one wording for "a whole number between"
    check(name, value, lo, hi)
    return int(value)


# ---- projection --------------------------------------------------------------------------------
def iter_projection(model, target: np.ndarray, steps: int = DEFAULT_STEPS, starts: int = DEFAULT_STARTS,
                    seed: int = 0, critic="auto", should_stop: Callable[[], bool] | None = None,
                    candidates: int = DEFAULT_CANDIDATES, init_z=None,
                    seconds: float | None = None) -> Iterator[ProjectionProgress]:
    """Project ``target`` (from ``prepare_target``) into ``model``'s latent space, step by step.

    Yields a ``ProjectionProgress`` after the multi-start and after every step; the last one
    has ``done=True`` and ``result``. ``critic``: "auto" loads the model folder's critic when
    it has one, None uses pixel terms only, or pass a Critic. ``should_stop()`` returning True
    ends the run early with the best latent so far. Deterministic for ``seed``.
    ``init_z`` (z_dim,), e.g. the encoder's guess (gan_core.design.encoder.encode): the starts are
    it and small jitters of it instead of random candidates, with a gentler search (the guess is
    already in the right basin). ``seconds``: a time budget; the schedule follows the larger of
    steps done and time spent, and the run ends at whichever budget comes first.
    """
    from .latent import check_seed
    steps = _whole("steps", steps, 1, MAX_STEPS)
    starts = _whole("starts", starts, 1, MAX_STARTS)
    candidates = _whole("candidates", candidates, starts, MAX_CANDIDATES)
    seed = check_seed(seed)
    res, channels = model.config.resolution, model.config.channels
    target = np.asarray(target)
    want = (res, res) if channels == 1 else (res, res, 3)
    if target.dtype != np.uint8 or target.shape != want:
        raise UserError(f"the target must be a {'x'.join(map(str, want))} uint8 picture for this model; "
                        f"got {target.dtype} {target.shape} (prepare it with prepare_target)")
    notes: list[str] = []
    if critic == "auto":
        critic = load_critic(model.source) if model.source and Path(model.source).is_dir() else None
        if critic is None:
            notes.append("this model has no critic (only runs keep theirs): matched on pixels and structure only")
    t0 = time.perf_counter()
    G, device = model.G, model.device
    tgt = from_uint8(target, channels=channels).unsqueeze(0).to(device)
    gen = torch.Generator().manual_seed(seed)
    z_dim = model.z_dim

    if seconds is not None and not (isinstance(seconds, (int, float)) and 0 < seconds <= 3600):
        raise UserError(f"seconds must be a number of seconds between 0 and 3600; got {seconds!r}")
    lr, noise_scale = LR, NOISE
    if init_z is not None:  # 1. the given start and jitters of it, each on the shell
        init = torch.as_tensor(np.asarray(init_z, dtype=np.float32)).reshape(-1)
        if init.shape[0] != z_dim or not torch.isfinite(init).all():
            raise UserError(f"init_z must be {z_dim} finite numbers for this model; got {tuple(init.shape)}")
        pool = _on_shell(init[None] + INIT_JITTER * torch.randn(starts, z_dim, generator=gen) *
                         (torch.arange(starts) > 0).float()[:, None])
        with torch.no_grad(), model._lock:
            scores = pixel_loss(G(pool.to(device)), tgt).cpu()
        lr, noise_scale = INIT_LR, INIT_NOISE
    else:  # 1. multi-start: the best few of many random z, scored on the pixel terms
        with torch.no_grad(), model._lock:
            pool = _on_shell(torch.randn(candidates, z_dim, generator=gen))
            scores = torch.cat([pixel_loss(G(pool[i:i + 250].to(device)), tgt).cpu()
                                for i in range(0, candidates, 250)])
    z0 = pool[scores.argsort()[:starts]].to(device)
    with torch.no_grad():
        first = to_uint8(G(z0[:1]))[0]
    start_error = picture_error(first, target)
    best = {"loss": float(scores.min()), "z": z0[0].clone()}
    yield ProjectionProgress(0, steps, best["loss"], first)

    # 2. Adam on the starts, z on the shell, decaying latent noise
    D = critic.to(device) if critic is not None else None
    target_feats = [f.detach() for f in critic_features(D, tgt)] if D is not None else None
    z = z0.clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=lr, betas=(0.9, 0.999))
    noise_gen = torch.Generator(device="cpu").manual_seed(seed + 1)
    stopped, done_steps = False, 0
    for step in range(steps):
        if should_stop is not None and should_stop():
            stopped = True
            break
        frac = step / steps
        if seconds is not None:
            spent = time.perf_counter() - t0
            if spent >= seconds:
                break
            frac = max(frac, spent / seconds)
        warm = min(1.0, frac / WARMUP)
        for g in opt.param_groups:
            g["lr"] = lr * warm * 0.5 * (1 + math.cos(math.pi * frac))
        sigma = noise_scale * max(0.0, 1 - frac / NOISE_END) ** 2
        noise = torch.randn(z.shape, generator=noise_gen).to(device) * sigma
        zs = _on_shell(z + noise)
        with model._lock:
            x = G(zs)
            per = pixel_loss(x, tgt)
            if D is not None:
                per = per + _critic_loss(D, x, target_feats)
        # grad w.r.t. z only: G's weights (shared with every other caller) get no .grad;
        # G is in eval mode, so each start's loss depends on its own z alone
        z.grad, = torch.autograd.grad(per.sum(), z)
        opt.step()
        with torch.no_grad():
            z.copy_(_on_shell(z))
            i = int(per.argmin())
            if float(per[i]) < best["loss"]:
                best = {"loss": float(per[i]), "z": zs[i].detach().clone()}
            picture = to_uint8(x[i:i + 1].detach())[0]
        done_steps = step + 1
        yield ProjectionProgress(done_steps, steps, float(per[i].detach()), picture)

    latent = best["z"].float().cpu().numpy().astype(np.float32)
    picture = model.from_latents(torch.from_numpy(latent)[None])[0]  # exactly what the design renders
    error = picture_error(picture, target)
    if stopped:
        notes.append(f"stopped after {done_steps} of {steps} steps; kept the best match so far")
    result = ProjectionResult(latent=latent, picture=picture, error=error, match=match_label(error),
                              steps=done_steps, seconds=time.perf_counter() - t0, stopped=stopped,
                              start_error=start_error, notes=notes)
    yield ProjectionProgress(done_steps, steps, best["loss"], picture, done=True, result=result)


def project(model, target: np.ndarray, steps: int = DEFAULT_STEPS, starts: int = DEFAULT_STARTS,
            seed: int = 0, critic="auto", should_stop: Callable[[], bool] | None = None,
            candidates: int = DEFAULT_CANDIDATES,
            on_progress: Callable[[ProjectionProgress], None] | None = None, init_z=None,
            seconds: float | None = None) -> ProjectionResult:
    """Run ``iter_projection`` to the end and return its ``ProjectionResult``."""
    for p in iter_projection(model, target, steps=steps, starts=starts, seed=seed, critic=critic,
                             should_stop=should_stop, candidates=candidates, init_z=init_z, seconds=seconds):
        if on_progress is not None:
            on_progress(p)
        if p.done:
            return p.result
    raise AssertionError("iter_projection ended without a result")

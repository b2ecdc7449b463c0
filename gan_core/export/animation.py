"""Exports: PNG designs, sample grids, morph GIF and MP4.

MP4 is H.264 in yuv420p through imageio-ffmpeg: the codec Chromium plays
(OpenCV's mp4v shows as a blank panel there).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from ..checkpoint import atomic_write_bytes
from ..data.images import make_grid, to_pil, upscale
from ..errors import UserError


def save_grid(pictures: np.ndarray, path: str | Path, nrow: int | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    to_pil(make_grid(pictures, nrow=nrow)).save(path, format="PNG")
    return path


def _frames_for_video(frames: np.ndarray, scale: int) -> list[Image.Image]:
    return [upscale(f, scale, smooth=True) for f in frames]


def save_gif(frames: np.ndarray, path: str | Path, fps: float = 12, scale: int = 1, loop: bool = True) -> Path:
    """Animated GIF (plays everywhere; larger than MP4)."""
    if len(frames) == 0:
        raise UserError("no frames to write")
    path = Path(path)
    imgs = _frames_for_video(frames, scale)
    import io
    buf = io.BytesIO()
    imgs[0].save(buf, format="GIF", save_all=True, append_images=imgs[1:],
                 duration=max(20, int(round(1000 / fps))), loop=0 if loop else 1, disposal=2)
    atomic_write_bytes(path, buf.getvalue())
    return path


def save_mp4(frames: np.ndarray, path: str | Path, fps: float = 12, scale: int = 1) -> Path:
    """H.264/yuv420p MP4 that browsers play; sides rounded up to even numbers."""
    import imageio.v2 as imageio
    if len(frames) == 0:
        raise UserError("no frames to write")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.mp4")
    imgs = [np.asarray(im.convert("RGB")) for im in _frames_for_video(frames, scale)]
    h, w = imgs[0].shape[:2]
    H, W = h + h % 2, w + w % 2
    if (H, W) != (h, w):
        imgs = [np.pad(a, ((0, H - h), (0, W - w), (0, 0)), mode="edge") for a in imgs]
    writer = imageio.get_writer(str(tmp), fps=fps, codec="libx264", pixelformat="yuv420p",
                                macro_block_size=1, ffmpeg_log_level="error",
                                output_params=["-movflags", "+faststart"])
    try:
        for a in imgs:
            writer.append_data(a)
    finally:
        writer.close()
    tmp.replace(path)
    return path


def save_animation(frames: np.ndarray, path: str | Path, fps: float = 12, scale: int = 1) -> Path:
    suffix = Path(path).suffix.lower()
    if suffix == ".gif":
        return save_gif(frames, path, fps=fps, scale=scale)
    if suffix == ".mp4":
        return save_mp4(frames, path, fps=fps, scale=scale)
    raise UserError(f"{Path(path).name}: animations are saved as .gif or .mp4")

"""Small helpers shared by the tabs: error handling, theme, CSS."""
from __future__ import annotations

import functools
import inspect
import io
import logging
import os
import tempfile
import threading
import time
import weakref
from collections import OrderedDict
from pathlib import Path

import gradio as gr

from gan_core.errors import UserError

log = logging.getLogger("studio")


def _as_gr_error(e: BaseException) -> gr.Error:
    if isinstance(e, gr.Error):
        return e
    if isinstance(e, UserError):
        return gr.Error(str(e), print_exception=False)
    # A bug: keep the traceback in the server log, show one line in the page.
    log.exception("unexpected error in a studio handler")
    return gr.Error(f"Something went wrong ({type(e).__name__}: {str(e)[:200]}). "
                    "The details are in the server log.", print_exception=False)


def handler(fn):
    """Turn UserError into a toast with its message and never show a traceback.

    Keeps the signature (Gradio reads it for gr.Request and API parameter names)
    and the generator-ness of ``fn``.
    """
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen_wrapper(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except GeneratorExit:
                raise
            except Exception as e:
                raise _as_gr_error(e) from None
        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            raise _as_gr_error(e) from None
    return wrapper


def make_image_cache_atomic() -> None:
    """Work around a Gradio 6.31 race: ``processing_utils.save_pil_to_cache`` rewrites an image
    in place when the same picture is returned twice (a slider's .change and .release, two
    identical previews), so a browser still downloading the first copy gets a truncated file
    ("Too much data for declared Content-Length") and shows a broken image. Files returned as
    paths are already cached atomically by Gradio; this gives pictures the same treatment:
    reuse an existing copy, else write a temporary file and rename it into place.
    """
    from gradio import processing_utils as pu
    if getattr(pu.save_pil_to_cache, "studio_atomic", False):
        return

    def save_pil_to_cache(img, cache_dir: str, name: str = "image", format: str = "webp") -> str:
        if format.lower() == "png":  # zlib level 1: a third of the time of the default, a few % larger
            buf = io.BytesIO()
            img.save(buf, format="png", pnginfo=pu.get_pil_metadata(img), compress_level=1)
            data = buf.getvalue()
        else:
            data = pu.encode_pil_to_bytes(img, format)
        folder = Path(cache_dir) / pu.hash_bytes(data)
        folder.mkdir(exist_ok=True, parents=True)
        path = (folder / f"{name}.{format}").resolve()
        if not path.exists():
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        PICTURES.remember(str(path))
        return str(path)

    save_pil_to_cache.studio_atomic = True
    pu.save_pil_to_cache = save_pil_to_cache


class PictureCache:
    """Keeps the pictures handed to the page (designs, tiles, previews) from piling up on disk.

    Gradio writes every distinct picture an event returns into its cache and deletes them only
    a day later (``delete_cache``), and it remembers each path in a set per component. A visitor
    moving a slider makes ten pictures a move; on a public Space that is a slow disk and memory
    leak. The newest ``limit`` pictures are kept; older ones (at least ``min_age`` seconds old,
    so a browser still loading one gets it) are deleted with their folder and forgotten.
    """

    def __init__(self, limit: int = 1000, min_age: float = 60.0):
        self.limit, self.min_age = limit, min_age
        self._paths: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()
        self._apps: weakref.WeakSet = weakref.WeakSet()

    def attach(self, blocks) -> None:
        """An app whose components' file sets forget the pictures deleted here."""
        self._apps.add(blocks)

    def remember(self, path: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._paths[path] = now
            self._paths.move_to_end(path)
            old = []
            while len(self._paths) > self.limit:
                first, t = next(iter(self._paths.items()))
                if now - t < self.min_age:
                    break
                del self._paths[first]
                old.append(first)
        sets = [files for app in list(self._apps) for files in getattr(app, "temp_file_sets", ())] if old else []
        for p in old:
            try:
                os.unlink(p)
                os.rmdir(os.path.dirname(p))  # the hash folder Gradio made for it
            except OSError:
                pass
            for files in sets:
                files.discard(p)


PICTURES = PictureCache()


THEME = gr.themes.Soft(primary_hue="indigo", secondary_hue="slate", neutral_hue="slate",
                       # system fonts: no request to a font CDN (offline servers, privacy)
                       font=["ui-sans-serif", "system-ui", "Segoe UI", "Roboto", "sans-serif"],
                       font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"])

CSS = """
.gradio-container { max-width: 1360px !important; margin: 0 auto; padding-top: 6px !important; }
#header h1 { margin: 0; font-size: 1.45em; display: inline; }
#header p { margin: 2px 0 0 0; color: var(--body-text-color-subdued); }
#usage { font-size: 12px; text-align: right; color: var(--body-text-color-subdued); }
#usage p { margin: 0; }
#account { gap: 4px; justify-content: flex-end; }
/* Explore on one screen: the design (with its variations) and its controls stay in view while a
   long tool scrolls the page; the tools are tabs beside them */
#workspace { align-items: flex-start; flex-wrap: nowrap; }
#workspace > .stay { position: sticky; top: 4px; align-self: flex-start; }
#design_controls { gap: 8px; }
#design_controls .tight { gap: 6px; }
#board .grid-wrap { padding-top: 34px; }
#variations .grid-container { grid-template-columns: repeat(3, minmax(0, 1fr)) !important; gap: 5px; }
#board .grid-container, #breed_children .grid-container { grid-template-columns: repeat(4, minmax(0, 1fr)) !important;
  gap: 4px; }
#morph_keys .grid-container { grid-template-columns: repeat(6, minmax(0, 1fr)) !important; gap: 4px; }
#variations .thumbnail-item, #board .thumbnail-item, #breed_children .thumbnail-item,
#morph_keys .thumbnail-item { aspect-ratio: 1 / 1; min-width: 0; }
#board .caption-label, #morph_keys .caption-label { display: none; }
#morph_keys .grid-wrap { padding-top: 34px; }
#tool_tabs button[role=tab] { padding-left: 6px !important; padding-right: 6px !important; font-size: 0.95em; }
#board_info p { margin: 0; font-size: 0.85em; color: var(--body-text-color-subdued); }
/* small pictures (16-64 px grids) fill their panel below the label, scaled up crisply */
#grid img, #final_grid img, #progress_gif img, #nearest img { image-rendering: pixelated; width: 100%;
  height: calc(100% - 36px); margin-top: 36px; object-fit: contain; }
/* galleries start below their label badge instead of under it */
#variations .grid-wrap, #preview .grid-wrap { padding-top: 34px; }
#breed_children .grid-wrap, #project_training .grid-wrap { padding-top: 38px; }
/* seed captions on the variation tiles: small enough for ten digits */
#variations .caption-label { font-size: 11px; max-width: 94%; padding: 1px 5px; }
/* preview tiles are raw -> clean pairs, twice as wide as high */
#preview .thumbnail-item { aspect-ratio: 2.17 / 1 !important; }
#footer { text-align: center; color: var(--body-text-color-subdued); font-size: 0.85em; margin-top: 12px; }
.hint { color: var(--body-text-color-subdued); font-size: 0.9em; }
#nearest_info { align-self: center; }
.progress-box { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 14px; }
.progress-track { height: 10px; background: var(--neutral-200); border-radius: 5px; overflow: hidden; margin: 6px 0; }
.progress-fill { height: 100%; background: var(--color-accent); transition: width 0.4s; }
.progress-line { display: flex; gap: 18px; flex-wrap: wrap; font-size: 0.92em; }
.progress-state { font-weight: 600; }
"""

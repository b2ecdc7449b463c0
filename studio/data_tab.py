"""Data tab: upload photos (or the sample set), tune the cleanup live, save a dataset."""
import dataclasses
import json
import shutil
from pathlib import Path

import gradio as gr
from PIL import Image, ImageDraw

from gan_core.config import RESOLUTIONS
from gan_core.data import samples
from gan_core.data.collect import iter_images
from gan_core.data.datasets import load_dataset, save_dataset
from gan_core.data.preprocess import BACKGROUNDS, MODES, CleanupConfig, clean_image
from gan_core.errors import UserError

from .context import Studio
from . import fields
from .quota import check_room, dataset_bytes
from .ui import handler
from .workspace import Visitor, check_name, unique_name

PREVIEW_COUNT = 6       # images shown in the live preview
THUMB_SIDE = 384        # preview thumbnails: big enough that threshold and crop look the same
TILE = 168              # each side of a preview pair, in pixels
MAX_SKIPPED_LISTED = 15
DEFAULTS = CleanupConfig()
DEFAULT_SIZE = samples.SAMPLE_CLEANUP.size or 64  # a dataset needs one square size
SAMPLE_COUNT = 100
MAX_UPLOAD_FILES = 2000          # files in one upload (a zip holds at most as many: gan_core.data.safezip)
MAX_UPLOAD_BYTES = 500 * 2**20   # all files of one upload together (each: MAX_FILE_SIZE in app.py)


def cleanup_config(background, tolerance, threshold, auto_threshold, invert, crop, margin, size, mode) -> CleanupConfig:
    """A CleanupConfig from the page's controls (validated by the dataclass)."""
    return CleanupConfig(background=background, tolerance=fields.number("tolerance", tolerance, whole=True),
                         threshold=fields.number("threshold", threshold, whole=True),
                         auto_threshold=bool(auto_threshold), invert=bool(invert), crop=bool(crop),
                         margin=fields.number("margin", margin), size=fields.number("output size", size, whole=True),
                         mode=mode)


def _fit(image: Image.Image, side: int, smooth: bool = True) -> Image.Image:
    """Scale to fit a side x side box, keeping the aspect ratio."""
    w, h = image.size
    f = side / max(w, h)
    resample = Image.LANCZOS if (smooth or f < 1) else Image.NEAREST
    return image.resize((max(1, round(w * f)), max(1, round(h * f))), resample)


def _pair(raw: Image.Image, clean: Image.Image) -> Image.Image:
    """raw -> clean side by side on one light tile."""
    gap = 28
    canvas = Image.new("RGB", (2 * TILE + gap, TILE), (241, 243, 246))
    for i, (im, smooth) in enumerate(((raw, True), (clean, False))):
        im = _fit(im.convert("RGB"), TILE, smooth)
        x = i * (TILE + gap) + (TILE - im.width) // 2
        canvas.paste(im, (x, (TILE - im.height) // 2))
    d = ImageDraw.Draw(canvas)
    cx, cy = TILE + gap // 2, TILE // 2
    d.line((cx - 8, cy, cx + 7, cy), fill=(90, 100, 120), width=2)
    d.polygon([(cx + 8, cy), (cx + 2, cy - 5), (cx + 2, cy + 5)], fill=(90, 100, 120))
    return canvas


def _copy_unique(src: Path, folder: Path) -> Path:
    dest = folder / unique_name(src.name, lambda n: (folder / n).exists(), sep="~")
    shutil.copyfile(src, dest)
    return dest


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?")) else text + "."


def _summary(usable: int, skipped, what: str) -> str:
    total = usable + len(skipped)
    lines = [f"**{usable} usable image{'s' * (usable != 1)}** {what} ({total} file{'s' * (total != 1)})."]
    if usable < 20:
        lines.append("A GAN needs variety: about 100 images of one kind of design work well.")
    if skipped:
        lines.append(f"\n**Skipped {len(skipped)}:**")
        lines += [f"- `{s.name}` — {s.reason}" for s in skipped[:MAX_SKIPPED_LISTED]]
        if len(skipped) > MAX_SKIPPED_LISTED:
            lines.append(f"- … and {len(skipped) - MAX_SKIPPED_LISTED} more")
    return "\n".join(lines)


def _write_previews(visitor: Visitor, thumbs: list, summary: str) -> None:
    folder = visitor.previews
    for old in folder.glob("thumb_*.png"):
        old.unlink()
    names = []
    for i, (name, im) in enumerate(thumbs):
        im.save(folder / f"thumb_{i:02d}.png")
        names.append(name)
    (folder / "index.json").write_text(json.dumps({"names": names, "summary": summary}))


def _scan(paths) -> tuple[int, list, list]:
    """(usable count, skipped files, first thumbnails) without keeping full-size photos around."""
    skipped, thumbs, usable = [], [], 0
    for name, image in iter_images(list(paths), skipped):
        usable += 1
        if len(thumbs) < PREVIEW_COUNT:
            image.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.LANCZOS)
            thumbs.append((name, image))
    return usable, skipped, thumbs


class DataTab:
    def __init__(self, studio: Studio):
        self.studio = studio

    # ---- layout ------------------------------------------------------------------------
    def layout(self):
        gr.Markdown("Upload about 100 photos of one kind of design — files or a single zip — or start "
                    "with the sample set. Tune the cleanup until the right-hand pictures show clean "
                    "designs, then save them as a dataset.", elem_classes="hint")
        with gr.Row(equal_height=False):
            with gr.Column(scale=2, min_width=300):
                # the file-making controls wait for the page's visitor id (on load, see ready()):
                # files made before it would be made under the session's id and moved mid-write
                self.files = gr.File(label="Photos (PNG, JPEG, WebP…) or one .zip", file_count="multiple",
                                     file_types=["image", ".zip"], elem_id="files", height=190,
                                     interactive=False)
                with gr.Row():
                    self.sample = gr.Button("Use the sample set: rims", elem_id="sample", size="md",
                                            interactive=False)
                    self.sample_colour = gr.Button("Colour rims", elem_id="sample_colour", size="md",
                                                   interactive=False)
                self.summary = gr.Markdown("No images yet.", elem_id="summary", label="Summary")
            with gr.Column(scale=3, min_width=420):
                self.preview = gr.Gallery(label="Live cleanup preview: photo → training picture",
                                          columns=2, format="png", elem_id="preview", height=560,
                                          object_fit="contain", allow_preview=False)
        with gr.Accordion("Cleanup settings", open=True):
            with gr.Row():
                self.threshold = fields.Slider(0, 255, value=DEFAULTS.threshold, step=1, label="Threshold",
                                               info="darker than this counts as background", elem_id="threshold")
                self.auto = gr.Checkbox(value=DEFAULTS.auto_threshold, label="Auto threshold (Otsu)",
                                        info="pick the threshold per photo", elem_id="auto_threshold")
                self.tolerance = fields.Slider(0, 255, value=DEFAULTS.tolerance, step=1, label="Tolerance",
                                               info="grey levels around the background colour", elem_id="tolerance")
                self.background = fields.Radio(list(BACKGROUNDS), value=DEFAULTS.background, label="Background from",
                                               info="top-left pixel, or the median of the border", elem_id="background")
            with gr.Row():
                self.mode = fields.Radio(list(MODES), value=DEFAULTS.mode, label="Mode", elem_id="mode",
                                         info="binary: black on white")
                self.invert = gr.Checkbox(value=DEFAULTS.invert, label="Invert", info="white design on black",
                                          elem_id="invert")
                self.crop = gr.Checkbox(value=DEFAULTS.crop, label="Crop to the design", info="centre the object",
                                        elem_id="crop")
                self.margin = fields.Slider(0, 1, value=DEFAULTS.margin, step=0.01, label="Crop margin",
                                            info="fraction of the design's size", elem_id="margin")
                self.size = fields.Dropdown([r for r in RESOLUTIONS], value=DEFAULT_SIZE, label="Output size (px)",
                                            info="square; training can use less", elem_id="size")
        with gr.Row(equal_height=True):
            self.name = gr.Textbox(label="Dataset name", placeholder="e.g. rims (letters, digits, - and _)",
                                   max_lines=1, elem_id="dataset_name", scale=3)
            with gr.Column(scale=1, min_width=220):
                self.save = gr.Button("Save dataset", variant="primary", elem_id="save_dataset", size="md")
                self.go_train = gr.Button("Go on to Train →", visible=False, elem_id="go_train", size="md")
        self.save_status = gr.Markdown(elem_id="save_status", label="Save status")

    @property
    def cleanup_inputs(self):
        return [self.background, self.tolerance, self.threshold, self.auto, self.invert, self.crop,
                self.margin, self.size, self.mode]

    # ---- handlers ----------------------------------------------------------------------
    @handler
    def upload_files(self, files, visitor_id: str = "", request: gr.Request = None):
        """Keep the uploaded photos (and zips) as this visitor's current set; report what is usable."""
        paths = [Path(getattr(f, "path", None) or f) for f in (files or [])]
        if not paths:
            raise UserError("No files: choose photos of your designs (PNG, JPEG, WebP…) or one zip.")
        if len(paths) > MAX_UPLOAD_FILES:
            raise UserError(f"{len(paths)} files is too many for one upload: at most {MAX_UPLOAD_FILES}. "
                            "About 100 photos are enough; choose fewer. Nothing was changed.")
        total = sum(p.stat().st_size for p in paths if p.is_file())
        if total > MAX_UPLOAD_BYTES:
            raise UserError(f"The files add up to {total / 2**20:.0f} MB, more than the {MAX_UPLOAD_BYTES // 2**20} MB "
                            "an upload may hold; use fewer or smaller photos (a few hundred pixels "
                            "across is plenty). Nothing was changed.")
        # the quota before anything is written (or a zip unpacked): the new upload replaces the current one
        check_room(self.studio.visitor(visitor_id, request), self.studio.limits, total, "This upload",
                   replaces="uploads")
        usable, skipped, thumbs = _scan(paths)
        if usable == 0 and not skipped:  # e.g. a zip of hidden files and folders only
            raise UserError("No image files in this upload: choose photos of your designs (PNG, JPEG, "
                            "WebP…) or a zip of them. Nothing was changed.")
        if usable == 0:
            reasons = "; ".join(f"{s.name}: {s.reason}" for s in skipped[:3])
            more = f"; and {len(skipped) - 3} more" if len(skipped) > 3 else ""
            if len(paths) == 1 and paths[0].suffix.lower() == ".zip":
                if skipped[0].name == paths[0].name:  # the archive itself (corrupt, too big): its reason names it
                    raise UserError(f"{_sentence(skipped[0].reason)} Nothing was changed.")
                raise UserError(f"{paths[0].name} holds no usable image ({reasons}{more}). Nothing was changed.")
            if len(paths) == 1:
                raise UserError(f"{skipped[0].name} is not a usable image: {_sentence(skipped[0].reason)} "
                                "Nothing was changed.")
            raise UserError(f"None of the {len(paths)} files is a usable image ({reasons}{more}). "
                            "Nothing was changed.")
        visitor = self.studio.visitor(visitor_id, request)
        visitor.touch()
        shutil.rmtree(visitor.uploads, ignore_errors=True)
        for p in paths:
            _copy_unique(p, visitor.uploads)
        summary = _summary(usable, skipped, "uploaded")
        _write_previews(visitor, thumbs, summary)
        if skipped:
            gr.Warning(f"{len(skipped)} file{'s' * (len(skipped) != 1)} skipped; the reasons are listed "
                       "under the upload box.")
        return summary

    @handler
    def clear_files(self, visitor_id: str = "", request: gr.Request = None):
        visitor = self.studio.visitor(visitor_id, request)
        shutil.rmtree(visitor.uploads, ignore_errors=True)
        shutil.rmtree(visitor.previews, ignore_errors=True)
        return "No images yet.", []

    @handler
    def sync_files(self, files, background, tolerance, threshold, auto_threshold, invert, crop, margin, size,
                   mode, visitor_id: str = "", request: gr.Request = None):
        """After a file was removed from the upload box: the remaining files are the set."""
        if not files:
            return self.clear_files(visitor_id, request)
        summary = self.upload_files(files, visitor_id, request)
        return summary, self.preview_cleanup(background, tolerance, threshold, auto_threshold, invert, crop,
                                             margin, size, mode, visitor_id, request)

    @handler
    def use_sample_set(self, visitor_id: str = "", request: gr.Request = None):
        """Render the sample rims into the visitor's upload folder and suggest their cleanup."""
        return self._sample_set(False, visitor_id, request)

    @handler
    def use_colour_sample_set(self, visitor_id: str = "", request: gr.Request = None):
        """Render the colour sample rims into the visitor's upload folder and suggest their cleanup."""
        return self._sample_set(True, visitor_id, request)

    def _sample_set(self, colour: bool, visitor_id: str, request):
        visitor = self.studio.visitor(visitor_id, request)
        files = samples.encode_sample_rims(SAMPLE_COUNT, seed=0, colour=colour)  # in memory: weighed first
        # the quota before anything is written: the sample set replaces the current upload, which stays if refused
        check_room(visitor, self.studio.limits, sum(len(data) for _, data in files),
                   f"The {'colour ' if colour else ''}sample set ({len(files)} photos)", replaces="uploads")
        visitor.touch()
        shutil.rmtree(visitor.uploads, ignore_errors=True)
        paths = samples.write_sample_files(visitor.uploads, files)
        thumbs = []
        for p in paths[:PREVIEW_COUNT]:
            im = Image.open(p).convert("RGB")
            im.thumbnail((THUMB_SIDE, THUMB_SIDE))
            thumbs.append((p.name, im))
        what = ("painted and two-tone car rims on a light, tinted, unevenly lit backdrop" if colour else
                "car rims (light metal on a dark, uneven background)")
        summary = (f"**Sample set: {'colour ' if colour else ''}rims** — {len(paths)} synthetic photos of {what}. "
                   "The suggested cleanup settings are filled in.")
        _write_previews(visitor, thumbs, summary)
        c = samples.SAMPLE_COLOUR_CLEANUP if colour else samples.SAMPLE_CLEANUP
        name = unique_name("colour-rims" if colour else "rims", lambda n: (visitor.datasets / n).exists())
        return {self.summary: summary, self.background: c.background, self.tolerance: c.tolerance,
                self.threshold: c.threshold, self.auto: c.auto_threshold, self.invert: c.invert, self.crop: c.crop,
                self.margin: c.margin, self.size: c.size or DEFAULT_SIZE, self.mode: c.mode, self.name: name}

    def _preview(self, visitor: Visitor, cfg: CleanupConfig):
        index = visitor.previews / "index.json"
        if not index.is_file():
            raise UserError("Nothing to preview yet: upload photos or use the sample set first.")
        names = json.loads(index.read_text())["names"]
        out = []
        for i, name in enumerate(names):
            raw = Image.open(visitor.previews / f"thumb_{i:02d}.png")
            raw.load()
            out.append((_pair(raw, clean_image(raw, cfg)), name))
        return out

    @handler
    def preview_cleanup(self, background, tolerance, threshold, auto_threshold, invert, crop, margin, size,
                        mode, visitor_id: str = "", request: gr.Request = None):
        """Raw → clean pairs for the first few uploaded images with these cleanup settings."""
        cfg = cleanup_config(background, tolerance, threshold, auto_threshold, invert, crop, margin, size, mode)
        return self._preview(self.studio.visitor(visitor_id, request), cfg)

    @handler
    def ready(self) -> dict:
        """On page load, once the page has its visitor id: uploads and the sample-set buttons work."""
        return {self.files: gr.File(interactive=True), self.sample: gr.Button(interactive=True),
                self.sample_colour: gr.Button(interactive=True)}

    def restore(self, background, tolerance, threshold, auto_threshold, invert, crop, margin, size, mode,
                visitor_id: str = ""):
        """On page load: the summary and preview of this visitor's current upload, if any."""
        visitor = self.studio.visitor(visitor_id)
        index = visitor.previews / "index.json"
        if not index.is_file():
            return "No images yet.", []
        summary = json.loads(index.read_text()).get("summary", "")
        try:
            cfg = cleanup_config(background, tolerance, threshold, auto_threshold, invert, crop, margin,
                                 size, mode)
            return summary, self._preview(visitor, cfg)
        except UserError:
            return summary, []

    @handler
    def save_dataset(self, name, background, tolerance, threshold, auto_threshold, invert, crop, margin, size, mode,
             visitor_id: str = "", request: gr.Request = None):
        """Clean every uploaded image and save them as a named dataset of this visitor."""
        visitor = self.studio.visitor(visitor_id, request)
        name = check_name(name, "dataset")
        folder = visitor.datasets / name
        if folder.exists():
            raise UserError(f"A dataset called {name!r} already exists; choose another name.")
        if not any(visitor.uploads.iterdir()):
            raise UserError("No images to save: upload photos or use the sample set first.")
        cfg = cleanup_config(background, tolerance, threshold, auto_threshold, invert, crop, margin, size, mode)
        channels = 3 if cfg.mode == "color" else 1
        data = load_dataset(visitor.uploads, resolution=cfg.size, channels=channels, cleanup=cfg)
        check_room(visitor, self.studio.limits, dataset_bytes(len(data), cfg.size, channels),
                   f"Dataset {name} ({len(data)} images at {cfg.size} px)")
        save_dataset(data, None, folder, cleanup=cfg)
        (folder / "cleanup.json").write_text(json.dumps(dataclasses.asdict(cfg), indent=2))
        skipped = f", {len(data.skipped)} file{'s' * (len(data.skipped) != 1)} skipped" if data.skipped else ""
        status = (f"Saved dataset **{name}**: {len(data)} images at {cfg.size} px"
                  f"{' in colour' if channels == 3 else ''}{skipped}.")
        return status

    @handler
    def after_save(self, name, visitor_id: str = "", request: gr.Request = None):
        """Select the new dataset in Train's picker and offer to go there."""
        visitor = self.studio.visitor(visitor_id, request)
        choices = [d["name"] for d in visitor.list_datasets()]
        name = (name or "").strip()
        return gr.Dropdown(choices=choices, value=name if name in choices else None), gr.Button(visible=True)

    # ---- events ------------------------------------------------------------------------
    def wire(self, app):
        v = app.visitor
        # the public preview first: later (private) uses of the same function get suffixed names
        gr.on([c.change for c in self.cleanup_inputs], self.preview_cleanup, self.cleanup_inputs + [v],
              [self.preview], api_name="preview_cleanup", trigger_mode="always_last", show_progress="hidden",
              concurrency_id="preview", concurrency_limit=1)
        # every event that writes or deletes files also refreshes the usage line (app.usage_after)
        upload = self.files.upload(self.upload_files, [self.files, v], [self.summary], api_name="upload_files",
                                   show_progress_on=[self.summary])
        upload.success(self.preview_cleanup, self.cleanup_inputs + [v], [self.preview], api_visibility="private",
                       show_progress="hidden", concurrency_id="preview")
        app.usage_after(upload)
        app.usage_after(self.files.clear(self.clear_files, [v], [self.summary, self.preview],
                                         api_visibility="private"))
        app.usage_after(self.files.delete(self.sync_files, [self.files] + self.cleanup_inputs + [v],
                                          [self.summary, self.preview], api_visibility="private"))
        for button, fn, api in ((self.sample, self.use_sample_set, "use_sample_set"),
                                (self.sample_colour, self.use_colour_sample_set, "use_colour_sample_set")):
            sample = button.click(fn, [v], [self.summary] + self.cleanup_inputs + [self.name],
                                  api_name=api, show_progress_on=[self.summary])
            sample.success(self.preview_cleanup, self.cleanup_inputs + [v], [self.preview], api_visibility="private",
                           show_progress="hidden", concurrency_id="preview")
            app.usage_after(sample)
        save = self.save.click(self.save_dataset, [self.name] + self.cleanup_inputs + [v], [self.save_status],
                               api_name="save_dataset", show_progress_on=[self.save_status])
        save.success(self.after_save, [self.name, v], [app.train.dataset, self.go_train], api_visibility="private")
        app.usage_after(save)
        # save_dataset already selected the new dataset in Train's picker
        self.go_train.click(lambda: gr.Tabs(selected="train"), None, [app.tabs], api_visibility="private")

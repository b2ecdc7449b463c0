"""The corpus of bad inputs for every entry of the studio, each with the message it must get.

Used by tests/test_reliability.py (one test per case, each followed by a /generate that must
still work) and by benchmarks/bad_inputs_report.py (which prints docs/bad-inputs.md).

A case is (entry, what the bad input is, how to send it, expected substring of the message).
``Ctx`` holds the client and builds the files; every case runs against the real app.
"""
from __future__ import annotations

import contextlib
import io
import json
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from badfiles import make_bad_corpus, png_bytes, png_with_header, zip_bytes

VISITOR = "corpus-visitor-0001-k7f3a9c0d"
CLEANUP = dict(background="corner", tolerance=0, threshold=50, auto_threshold=False, invert=False, crop=True,
               margin=0.1, size=16, mode="binary")
TRAIN = dict(preset_name="quick", loss="dcgan", resolution=16, width=4, batch_size=8, learning_rate=2e-4,
             critic_steps=1, augment=["translation"], budget_kind="steps", budget=5)


# ----------------------------------------------------------------------------- file builders

def _zip_of_repeated_entry(count: int, size: int) -> bytes:
    """A zip of ``count`` entries of ``size`` zero bytes, deflated once and repeated (a bomb
    whose headers tell the truth: small on disk, huge when unpacked)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = b"\0" * (1 << 20)
    data, crc = b"", 0
    for _ in range(size // len(chunk)):
        data += comp.compress(chunk)
        crc = zlib.crc32(chunk, crc)
    data += comp.flush()
    local, central, offset = b"", b"", 0
    for i in range(count):
        name = f"zeros{i}.png".encode()
        head = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(data), size, len(name), 0)
        central += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc, len(data), size,
                               len(name), 0, 0, 0, 0, 0, offset) + name
        local += head + name + data
        offset += len(head) + len(name) + len(data)
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, len(central), offset, 0)
    return local + central + end


def _lie_about_size(data: bytes, declared: int) -> bytes:
    """Rewrite every local and central header to claim ``declared`` uncompressed bytes."""
    data = bytearray(data)
    for sig, at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        i = data.find(sig)
        while i != -1:
            data[i + at:i + at + 4] = struct.pack("<I", declared)
            i = data.find(sig, i + 4)
    return bytes(data)


def _encrypted_flag(data: bytes) -> bytes:
    data = bytearray(data)
    for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        data[data.find(sig) + offset] |= 0x1
    return bytes(data)


def _zip_with(info: zipfile.ZipInfo, payload: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(info, payload)
    return buf.getvalue()


def _symlink_zip() -> bytes:
    info = zipfile.ZipInfo("passwd.png")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return _zip_with(info, b"/etc/passwd")


# ----------------------------------------------------------------------------- model folders

def _model_folder(folder: Path, good: Path, config=None, weights: bytes | None = None,
                  drop=()) -> Path:
    """A copy of the good generator ``good`` with its config.json / weights replaced or dropped."""
    folder.mkdir(parents=True, exist_ok=True)
    cfg = json.loads((good / "config.json").read_text())
    if callable(config):
        cfg = config(cfg)
    if "config.json" not in drop:
        (folder / "config.json").write_text(cfg if isinstance(cfg, str) else json.dumps(cfg))
    if "model.safetensors" not in drop:
        (folder / "model.safetensors").write_bytes(weights if weights is not None
                                                   else (good / "model.safetensors").read_bytes())
    return folder


def _with_model(**changes):
    def edit(cfg):
        cfg = json.loads(json.dumps(cfg))
        cfg["model"].update(changes)
        return cfg
    return edit


# ----------------------------------------------------------------------------- context

class Ctx:
    """The client, a scratch folder and the good model; builds files and sends requests."""

    def __init__(self, client, tmp: Path, model: str, model_folder: Path, visitor: str = VISITOR):
        self.client, self.tmp, self.model, self.good, self.visitor = client, Path(tmp), model, model_folder, visitor
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.bad = self.tmp / "bad"
        make_bad_corpus(self.bad)
        self._prepared = False

    def prepare(self) -> None:
        """An upload set and a saved dataset 'taken' (for the name and training cases)."""
        if self._prepared:
            return
        good = []
        for i in range(4):
            p = self.tmp / "good" / f"design{i}.png"
            p.parent.mkdir(exist_ok=True)
            p.write_bytes(png_bytes(seed=i, size=32))
            good.append(p)
        self.upload_paths(good)
        if "taken" not in [d["name"] for d in self.client.predict(self.visitor, api_name="/list_datasets")]:
            self.save("taken")
        self._prepared = True

    # ---- requests ------------------------------------------------------------------------
    def upload_paths(self, paths):
        from gradio_client import handle_file
        return self.client.predict([handle_file(str(p)) for p in paths], self.visitor, api_name="/upload_files")

    def upload(self, name: str):
        """One file of tests/badfiles.py's corpus."""
        return self.upload_paths([self.bad / name])

    def upload_bytes(self, name: str, data: bytes):
        p = self.tmp / "files" / name
        p.parent.mkdir(exist_ok=True)
        p.write_bytes(data)
        return self.upload_paths([p])

    def upload_sparse(self, name: str, size: int):
        p = self.tmp / "files" / name
        p.parent.mkdir(exist_ok=True)
        with open(p, "wb") as f:
            f.truncate(size)
        return self.upload_paths([p])

    def generate(self, model=None, seed=1, truncation=1.0, visitor=None):
        return self.client.predict(self.model if model is None else model, seed, truncation,
                                   self.visitor if visitor is None else visitor, api_name="/generate")

    def load(self, ref):
        return self.client.predict(str(ref), self.visitor, api_name="/load_model")

    def design_png(self, scale):
        return self.client.predict(self.model, 1, 1.0, scale, self.visitor, api_name="/design_png")

    def morph(self, keyframes="1, 2", frames=4):
        return self.client.predict(keyframes, frames, True, self.model, 1.0, self.visitor, api_name="/morph")

    def preview(self, **changes):
        self.prepare()
        return self.client.predict(*{**CLEANUP, **changes}.values(), self.visitor, api_name="/preview_cleanup")

    def save(self, name, **changes):
        return self.client.predict(name, *{**CLEANUP, **changes}.values(), self.visitor, api_name="/save_dataset")

    def save_name(self, name):
        self.prepare()
        return self.save(name)

    def train(self, dataset="taken", **changes):
        self.prepare()
        return self.client.predict(dataset, *{**TRAIN, **changes}.values(), self.visitor, api_name="/train")

    def estimate(self, **changes):
        return self.client.predict(*{**TRAIN, **changes}.values(), api_name="/estimate")

    def resume(self, run, kind="steps", budget=5):
        return self.client.predict(run, kind, budget, self.visitor, api_name="/resume")

    def push(self, repo_id, token="hf_notARealToken000"):
        message, _ = self.client.predict("no-such-run", repo_id, token, self.visitor, api_name="/push_to_hub")
        return message

    def folder(self, name, **kw) -> str:
        return str(_model_folder(self.tmp / "models" / name, self.good, **kw))

    def pickled_folder(self, name) -> str:
        """config.json + model.pt (a pickle), no safetensors."""
        folder = Path(self.folder(name, drop=("model.safetensors",)))
        (folder / "model.pt").write_bytes(b"\x80\x04not really a pickle")
        return str(folder)

    def json_file(self, name: str, content: dict) -> str:
        path = self.tmp / "configs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content))
        return str(path)

    def pickle_file(self) -> str:
        path = self.tmp / "models" / "weights.pkl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\x80\x04not really a pickle")
        return str(path)

    def cli(self, *argv) -> str:
        """``python -m gan_core ...`` in this process; returns what it printed to stderr."""
        from gan_core.cli import main
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                code = main([str(a) for a in argv])
            except SystemExit as e:  # argparse
                code = e.code
        text = err.getvalue().strip().splitlines()
        return f"(exit {code}) " + (text[-1] if text else "")


# ----------------------------------------------------------------------------- the corpus

@dataclass(frozen=True)
class Case:
    entry: str                      # which door: upload, zip, seed, frames, model folder, …
    what: str                       # the bad input, in words
    send: Callable[[Ctx], object]   # sends it; returns the output or raises
    expect: str                     # a substring of the message the app must give
    message_is_output: bool = False  # the endpoint answers with a message instead of an error

    @property
    def id(self) -> str:
        return f"{self.entry}: {self.what}"

    def run(self, ctx: Ctx) -> tuple[bool, str]:
        """(got the expected message, the message)."""
        try:
            out = self.send(ctx)
        except Exception as e:  # AppError from the app, ValueError from the client (size limit)
            message = str(e)
        else:
            message = str(out) if self.message_is_output else f"ACCEPTED (no error): {str(out)[:120]}"
        return self.expect in message, " ".join(message.split())


def _train_case(what, expect, **changes):
    return Case("training config", what, lambda c: c.train(**changes), expect)


CASES: list[Case] = [
    # ---- uploads: one file each (tests/badfiles.py) ------------------------------------
    Case("upload", "0-byte .png", lambda c: c.upload("empty.png"), "empty file (0 bytes)"),
    Case("upload", "text file renamed .png", lambda c: c.upload("text_renamed.png"), "not a readable image"),
    Case("upload", "HTML page saved as .jpg", lambda c: c.upload("page_saved_as.jpg"), "not a readable image"),
    Case("upload", "PDF named .png", lambda c: c.upload("document.png"), "not a readable image"),
    Case("upload", "PNG cut in half", lambda c: c.upload("truncated.png"), "truncated or corrupt"),
    Case("upload", "JPEG cut to a third", lambda c: c.upload("truncated.jpg"), "truncated or corrupt"),
    Case("upload", "PNG with garbage pixel data", lambda c: c.upload("bad_pixels.png"), "truncated or corrupt"),
    Case("upload", "PNG declaring 8000×8000 px (decompression bomb)", lambda c: c.upload("bomb.png"),
         "too many pixels: 8000x8000"),
    Case("upload", "GIF declaring 65535×65535 px", lambda c: c.upload("huge.gif"), "too many pixels"),
    Case("upload", "4×4 px image", lambda c: c.upload("tiny.png"), "too small: 4x4"),
    Case("upload", "300×3 px sliver", lambda c: c.upload("sliver.png"), "too small: 300x3"),
    Case("upload", "PNG header with colour type 5 (no such channel layout)",
         lambda c: c.upload_bytes("channels.png", png_with_header(64, 64, color_type=5)),
         "unsupported colour type, channel layout"),
    Case("upload", "HEIC photo", lambda c: c.upload("phone_photo.heic"), "not an image file type ('.heic')"),
    Case("upload", "SVG drawing", lambda c: c.upload("drawing.svg"), "not an image file type ('.svg')"),
    Case("upload", "a .txt file", lambda c: c.upload("notes.txt"), "Invalid file type"),
    Case("upload", "51 MB file (over the 50 MB upload limit)", lambda c: c.upload_sparse("big.png", 51 * 2**20),
         "exceeds the maximum file size of 52428800 bytes"),
    # ---- zips --------------------------------------------------------------------------
    Case("zip", "not a zip (PK header, then text)", lambda c: c.upload("broken.zip"), "not a valid zip file"),
    Case("zip", "entry ../../evil.png (path traversal)",
         lambda c: c.upload_bytes("traversal.zip", zip_bytes({"../../evil.png": png_bytes()})),
         "'..' and would be written outside the extraction folder"),
    Case("zip", "entry /tmp/evil-abs.png (absolute path)",
         lambda c: c.upload_bytes("absolute.zip", zip_bytes({"/tmp/evil-abs.png": png_bytes()})),
         "absolute path"),
    Case("zip", "symbolic link entry to /etc/passwd", lambda c: c.upload_bytes("symlink.zip", _symlink_zip()),
         "symbolic link entries are not extracted"),
    Case("zip", "password-protected entry",
         lambda c: c.upload_bytes("locked.zip", _encrypted_flag(zip_bytes({"secret.png": png_bytes()}))),
         "password-protected"),
    Case("zip", "one entry of 101 MB of zeros (bomb, honest header)",
         lambda c: c.upload_bytes("bomb.zip", _zip_of_repeated_entry(1, 101 * 2**20)),
         "more than the 100.0 MB per-file limit"),
    Case("zip", "6 entries of 90 MB each (bomb: 540 MB unpacked)",
         lambda c: c.upload_bytes("bomb6.zip", _zip_of_repeated_entry(6, 90 * 2**20)),
         "unpacks to 540.0 MB, more than the 500.0 MB limit"),
    Case("zip", "header declares 100 bytes, data unpacks to 4 MB (lying bomb)",
         lambda c: c.upload_bytes("liar.zip", _lie_about_size(zip_bytes({"bomb.png": b"\0" * (4 << 20)}), 100)),
         "corrupt"),
    Case("zip", "2001 entries (over the 2000-file limit)",
         lambda c: c.upload_bytes("many.zip", zip_bytes({f"{i}.png": b"x" for i in range(2001)})),
         "holds 2001 files; at most 2000"),
    Case("zip", "a zip inside the zip",
         lambda c: c.upload_bytes("nested.zip", zip_bytes({"inner.zip": zip_bytes({"a.png": png_bytes()})})),
         "a zip inside a zip is not opened"),
    Case("zip", "8000×8000 px PNG inside the zip",
         lambda c: c.upload_bytes("pixelbomb.zip", zip_bytes({"bomb.png": png_with_header(8000, 8000)})),
         "too many pixels: 8000x8000"),
    Case("zip", "only hidden and macOS metadata files",
         lambda c: c.upload_bytes("hidden.zip", zip_bytes({"__MACOSX/._a.png": b"x", ".DS_Store": b"x"})),
         "No image files in this upload"),
    # ---- dataset names -----------------------------------------------------------------
    Case("dataset name", "empty", lambda c: c.save_name(""), "Give the dataset a name"),
    Case("dataset name", "'my set!' (space and !)", lambda c: c.save_name("my set!"), "use only letters, digits"),
    Case("dataset name", "'../../etc' (a path)", lambda c: c.save_name("../../etc"), "use only letters, digits"),
    Case("dataset name", "65 characters", lambda c: c.save_name("a" * 65), "(at most 64)"),
    Case("dataset name", "a name already used", lambda c: c.save_name("taken"), "already exists"),
    # ---- cleanup settings (Data tab, API) ----------------------------------------------
    Case("cleanup setting", "tolerance 300", lambda c: c.preview(tolerance=300),
         "Tolerance must be between 0 and 255; got 300"),
    Case("cleanup setting", "crop margin 'x'", lambda c: c.preview(margin="x"), "Crop margin must be a number"),
    Case("cleanup setting", "output size 48", lambda c: c.preview(size=48),
         "Output size (px) must be one of 16, 32, 64, 128, 256; got 48"),
    Case("cleanup setting", "background 'sky'", lambda c: c.preview(background="sky"),
         "Background from must be one of corner, border; got 'sky'"),
    Case("cleanup setting", "mode 'sepia'", lambda c: c.preview(mode="sepia"), "Mode must be one of"),
    # ---- training config ---------------------------------------------------------------
    _train_case("dataset that does not exist", "There is no dataset called 'nope'", dataset="nope"),
    _train_case("resolution 48", "Resolution (px) must be one of 16, 32, 64, 128, 256; got 48", resolution=48),
    _train_case("network width 100000", "Network width must be between 1 and 256; got 100000", width=100000),
    _train_case("batch size 0", "Batch size must be between 1 and 4096; got 0", batch_size=0),
    _train_case("learning rate -1", "Learning rate must be between 1e-07 and 1; got -1", learning_rate=-1),
    _train_case("learning rate 'fast'", "Learning rate must be a number; got 'fast'", learning_rate="fast"),
    _train_case("loss 'mse'", "Loss must be one of wgan-gp, dcgan, wgan-clip, hinge; got 'mse'", loss="mse"),
    _train_case("augmentation 'blur'", "Augmentation (DiffAugment) must be one of translation, cutout, color, flip, rot4; "
                "got 'blur'", augment=["translation", "blur"]),
    _train_case("critic steps 50", "Critic steps must be between 1 and 20; got 50", critic_steps=50),
    _train_case("preset 'turbo'", "Preset must be one of quick, balanced, quality, classic; got 'turbo'",
                preset_name="turbo"),
    _train_case("budget 0 minutes", "Budget (minutes) must be a number between 0.01 and 10080",
                budget_kind="minutes", budget=0),
    _train_case("budget 2.5 steps", "Budget (steps) must be a whole number; got 2.5", budget=2.5),
    _train_case("budget 10⁹ steps", "Budget (steps) must be a whole number between 1 and 100000000",
                budget=10**9),
    _train_case("budget in 'hours'", "Budget in must be one of minutes, steps; got 'hours'", budget_kind="hours"),
    Case("training config", "estimate with width 0", lambda c: c.estimate(width=0),
         "Network width must be between 1 and 256; got 0"),
    Case("resume", "a run that does not exist", lambda c: c.resume("nope"), "There is no run called 'nope'"),
    Case("resume", "run name '../x'", lambda c: c.resume("../x"), "Run name '../x': use only letters"),
    # ---- seeds, truncation, PNG size ---------------------------------------------------
    Case("seed", "-1", lambda c: c.generate(seed=-1), "Seed must be between 0 and 2147483647; got -1"),
    Case("seed", "2.5", lambda c: c.generate(seed=2.5), "Seed must be a whole number"),
    Case("seed", "'abc'", lambda c: c.generate(seed="abc"), "Seed must be a number; got 'abc'"),
    Case("seed", "2⁴⁰ (over the largest seed)", lambda c: c.generate(seed=2**40),
         "Seed must be between 0 and 2147483647; got 1099511627776"),
    Case("truncation", "5", lambda c: c.generate(truncation=5), "Truncation must be between 0 and 2; got 5"),
    Case("PNG size", "3×", lambda c: c.design_png(3), "PNG size (× model resolution) must be one of 1, 2, 4, 8"),
    # ---- morph: frame counts and keyframes ---------------------------------------------
    Case("frames", "0", lambda c: c.morph(frames=0), "Frames must be between 2 and 240; got 0"),
    Case("frames", "241", lambda c: c.morph(frames=241), "Frames must be between 2 and 240; got 241"),
    Case("frames", "10⁶", lambda c: c.morph(frames=10**6), "Frames must be between 2 and 240; got 1000000"),
    Case("frames", "2.5", lambda c: c.morph(frames=2.5), "Frames must be a whole number between 2 and 240"),
    Case("frames", "'many'", lambda c: c.morph(frames="many"), "Frames must be a number; got 'many'"),
    Case("keyframes", "one seed only ('7')", lambda c: c.morph(keyframes="7"), "at least two keyframe seeds"),
    Case("keyframes", "'3, x, 7'", lambda c: c.morph(keyframes="3, x, 7"), "'x' is not a seed"),
    Case("keyframes", "65 seeds", lambda c: c.morph(keyframes=",".join(map(str, range(65)))),
         "at most 64 keyframe seeds"),
    # ---- model folders -----------------------------------------------------------------
    Case("model folder", "only a pickled model.pt", lambda c: c.load(c.pickled_folder("pickled")),
         "only safetensors weights are loaded"),
    Case("model folder", "a .pkl file given directly", lambda c: c.load(c.pickle_file()),
         "only .safetensors weights are loaded"),
    Case("model folder", "corrupt model.safetensors (random bytes)",
         lambda c: c.load(c.folder("corrupt", weights=np.random.default_rng(0).bytes(4096))),
         "corrupt: model.safetensors: not a valid safetensors file"),
    Case("model folder", "0-byte model.safetensors", lambda c: c.load(c.folder("zero", weights=b"")),
         "not a valid safetensors file"),
    Case("model folder", "config with width 100000",
         lambda c: c.load(c.folder("wide", config=_with_model(width=100000))),
         "config.json: width must be a number between 1 and 256; got 100000"),
    Case("model folder", "config with resolution 4096",
         lambda c: c.load(c.folder("huge", config=_with_model(resolution=4096))),
         "resolution must be one of 16, 32, 64, 128, 256; got 4096"),
    Case("model folder", "config with spectral_norm \"yes\"",
         lambda c: c.load(c.folder("sn-yes", config=_with_model(spectral_norm="yes"))),
         "spectral_norm must be true or false; got 'yes'"),
    Case("model folder", "config with 2 channels", lambda c: c.load(c.folder("ch2", config=_with_model(channels=2))),
         "channels must be one of 1, 3; got 2"),
    Case("model folder", "config.json that is not JSON",
         lambda c: c.load(c.folder("notjson", config=lambda _: "{oops")),
         "config.json is not valid JSON"),
    Case("model folder", "no config.json", lambda c: c.load(c.folder("noconfig", drop=("config.json",))),
         "config.json not found"),
    Case("model folder", "weights that do not match the config",
         lambda c: c.load(c.folder("mismatch", config=_with_model(width=8))),
         "config.json needs (32, 16, 4, 4), the weights hold (32, 8, 4, 4)"),
    Case("model folder", "config claiming a 1 GB network (256 px, width 256, 2048 channels) beside small weights",
         lambda c: c.load(c.folder("claims-huge", config=_with_model(resolution=256, width=256, max_channels=2048,
                                                                     z_dim=1024))),
         "does not match config.json (net.0.weight: config.json needs (1024, 2048, 4, 4)"),
    Case("model folder", "format_version 99", lambda c: c.load(c.folder(
        "future", config=lambda cfg: {**cfg, "format_version": 99})), "newer than this studio understands"),
    Case("model folder", "an empty folder",
         lambda c: c.load(c.folder("empty", drop=("config.json", "model.safetensors"))),
         "no model.safetensors in this folder"),
    Case("model folder", "a folder that does not exist", lambda c: c.load(c.tmp / "no-such-folder"),
         "no such folder"),
    Case("model folder", "run/<a run that does not exist>", lambda c: c.generate(model="run/nope"),
         "There is no run called 'nope'"),
    Case("model folder", "empty model box", lambda c: c.generate(model=""), "Pick a model first"),
    # ---- Hub ids -----------------------------------------------------------------------
    Case("Hub id", "'a/b/c'", lambda c: c.load("a/b/c"), "not a Hub repository id. Type a folder path"),
    Case("Hub id", "'org/na me' (space)", lambda c: c.load("org/na me"), "not a Hub repository id"),
    Case("Hub id", "'org/x.git'", lambda c: c.load("org/x.git"), "not a Hub repository id"),
    Case("Hub id", "valid id, not downloaded, offline", lambda c: c.load("org/missing"),
         "not in the local cache and the Hub cannot be reached"),
    Case("Hub id", "pasted URL of a missing repository", lambda c: c.load("https://huggingface.co/org/missing"),
         "org/missing: not in the local cache"),
    Case("Hub id", "push to 'not a repo'", lambda c: c.push("not a repo"),
         "'not a repo' is not a Hub repository id; write owner/name", message_is_output=True),
    Case("Hub id", "push without a token", lambda c: c.push("me/rims", token=""),
         "Paste a Hugging Face write token", message_is_output=True),
    # ---- visitor ids (API) -------------------------------------------------------------
    Case("visitor id", "'../../etc'", lambda c: c.generate(visitor="../../etc"), "visitor id must be 22-64 letters"),
    Case("visitor id", "'short'", lambda c: c.generate(visitor="short"), "visitor id must be 22-64 letters"),
    Case("visitor id", "21 characters (guessable)", lambda c: c.generate(visitor="abcdefghij-0123456789"),
         "it is the secret key to your files"),
    # ---- command line (python -m gan_core …) -------------------------------------------
    Case("CLI", "generate --seeds 5-1", lambda c: c.cli("generate", "--model", c.good, "--seeds", "5-1",
                                                       "--out", c.tmp / "cli"), "goes backwards",
         message_is_output=True),
    Case("CLI", "generate --seeds abc", lambda c: c.cli("generate", "--model", c.good, "--seeds", "abc",
                                                       "--out", c.tmp / "cli"), "seed must be a whole number",
         message_is_output=True),
    Case("CLI", "generate --model <folder with model.pt only>",
         lambda c: c.cli("generate", "--model", c.pickled_folder("cli-pickled"), "--seeds", "0",
                         "--out", c.tmp / "cli"),
         "only safetensors weights are loaded", message_is_output=True),
    Case("CLI", "train --data <missing folder>",
         lambda c: c.cli("train", "--data", c.tmp / "missing", "--out", c.tmp / "cli-run", "--steps", "2"),
         "does not exist", message_is_output=True),
    Case("CLI", "train --config with ema_ramp \"false\" (a string)",
         lambda c: c.cli("train", "--data", c.bad, "--out", c.tmp / "cli-run", "--steps", "2",
                         "--config", c.json_file("ramp.json", {"ema_decay": 0.999, "ema_ramp": "false"})),
         "ema_ramp must be true or false; got 'false'", message_is_output=True),
    Case("CLI", "train --resolution 48", lambda c: c.cli("train", "--data", c.bad, "--out", c.tmp / "cli-run",
                                                         "--resolution", "48"),
         "invalid choice: 48", message_is_output=True),
    Case("CLI", "morph --frames 1", lambda c: c.cli("morph", "--model", c.good, "--seeds", "1,2", "--frames", "1",
                                                    "--out", c.tmp / "cli" / "m.gif"),
         "frames must be a whole number between 2 and 1000", message_is_output=True),
    Case("CLI", "morph --out morph.avi", lambda c: c.cli("morph", "--model", c.good, "--seeds", "1,2",
                                                         "--out", c.tmp / "cli" / "m.avi"),
         "write the morph to a .gif or .mp4 file", message_is_output=True),
]


def markdown_table(results: list[tuple[Case, bool, str]], replace: dict[str, str] | None = None) -> str:
    """| # | entry | bad input | message the app gave |"""
    lines = ["| # | entry | bad input | message |", "| --- | --- | --- | --- |"]
    for i, (case, ok, message) in enumerate(results, 1):
        for old, new in (replace or {}).items():
            message = message.replace(old, new)
        message = message.replace("|", "\\|")
        mark = "" if ok else " **(unexpected)**"
        lines.append(f"| {i} | {case.entry} | {case.what} | {message}{mark} |")
    return "\n".join(lines)

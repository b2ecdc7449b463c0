import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_gan_core_never_imports_gradio():
    code = ("import sys, importlib, pkgutil, gan_core\n"
            "for m in pkgutil.walk_packages(gan_core.__path__, 'gan_core.'):\n"
            "    if m.name != 'gan_core.__main__': importlib.import_module(m.name)\n"
            "bad = [m for m in sys.modules if m == 'gradio' or m.startswith('gradio.')]\n"
            "print(len(sys.modules)); assert not bad, bad\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert int(r.stdout.strip()) > 50  # the modules really were imported

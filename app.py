"""Design Studio: ``python app.py`` (http://127.0.0.1:7860) or a Hugging Face Space entry.

GRADIO_SERVER_NAME / GRADIO_SERVER_PORT choose the address; STUDIO_WORKSPACE where files go;
the STUDIO_* limits of a shared deployment are read once here (README, "Hosting"): a bad
value stops the start with a message that names the variable.
"""
import logging

from studio.app import build_demo, launch_options
from studio.context import Studio
from studio.hosting import load_or_exit

limits = load_or_exit()
demo = build_demo(Studio(limits=limits))

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per HTTP request otherwise
    demo.launch(**launch_options(limits))

"""Design Studio: ``python app.py`` (http://127.0.0.1:7860) or a Hugging Face Space entry.

GRADIO_SERVER_NAME / GRADIO_SERVER_PORT choose the address; STUDIO_WORKSPACE where files go.
"""
import logging

from studio.app import build_demo, launch_options

demo = build_demo()

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per HTTP request otherwise
    demo.launch(**launch_options())

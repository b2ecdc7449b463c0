#!/usr/bin/env bash
# Start Design Studio: ./run.sh (or bash run.sh), then open http://127.0.0.1:7860
# The first run builds the Python environment (~2 min); later runs start in ~15 s.
# GRADIO_SERVER_PORT, GRADIO_SERVER_NAME, STUDIO_WORKSPACE... pass through to the app.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
venv="$(bash scripts/venv.sh)"
exec "$venv/bin/python" app.py "$@"

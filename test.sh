#!/usr/bin/env bash
# Run every test (unit, app through gradio_client, browser through Chromium):
#   ./test.sh                 (or bash test.sh)
#   ./test.sh -k hub -x       extra arguments go to pytest
# Builds the Python environment on first use (~2 min) and installs Chromium with apt
# when /usr/bin/chromium is missing (~1 min). Never touches the network in the tests
# themselves: HF_HUB_OFFLINE=1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
venv="$(bash scripts/venv.sh)"

if [ ! -x /usr/bin/chromium ]; then
  if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then sudo=(); elif command -v sudo >/dev/null 2>&1; then sudo=(sudo); else sudo=(); fi
    echo "installing Chromium for the browser tests (apt-get, about a minute, once)" >&2
    export DEBIAN_FRONTEND=noninteractive
    if ! { "${sudo[@]}" apt-get update -q && "${sudo[@]}" apt-get install -y -q chromium; } >&2; then
      echo "warning: could not install Chromium; the browser tests will fail" >&2
    fi
  else
    echo "warning: /usr/bin/chromium is missing and there is no apt-get; the browser tests will fail" >&2
  fi
fi

export HF_HUB_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 GRADIO_ANALYTICS_ENABLED=False
exec "$venv/bin/python" -m pytest "$@"

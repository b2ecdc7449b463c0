#!/usr/bin/env bash
# Print the path of a ready Python environment for Design Studio, creating it on first use.
#
#   venv="$(bash scripts/venv.sh)"      # everything else it prints goes to stderr
#
# One environment per set of requirements: its name holds the first 12 characters of the
# sha256 of requirements*.txt, so editing a pin builds a fresh one and an unchanged checkout
# reuses it (~2 min the first time, instant after). It installs requirements-dev.txt, which
# includes requirements.txt, so ./run.sh and ./test.sh share it.
#
#   DESIGN_STUDIO_VENV_DIR  where environments live (default ~/.cache/design-studio)
#   DESIGN_STUDIO_PYTHON    interpreter to build with (default python3.11, else python3)
#
# It is built in a temporary folder and renamed into place only after every import works,
# so an interrupted install is never picked up.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base="${DESIGN_STUDIO_VENV_DIR:-$HOME/.cache/design-studio}"
hash="$(cat "$root"/requirements*.txt | sha256sum | cut -c1-12)"
venv="$base/venv-$hash"
marker=".design-studio-complete"
imports="import torch, torchvision, vtracer, gradio, cv2, imageio, imageio_ffmpeg, safetensors, spaces, huggingface_hub, numpy, PIL, pytest, playwright, gradio_client, yaml, tqdm, authlib, itsdangerous, sklearn, scipy"

if [ -f "$venv/$marker" ] && [ -x "$venv/bin/python" ]; then
  echo "$venv"
  exit 0
fi

pick_python() {
  local c
  for c in ${DESIGN_STUDIO_PYTHON:-} python3.11 python3; do
    if command -v "$c" >/dev/null 2>&1 &&
       "$c" -c 'import sys, venv; sys.exit(sys.version_info[:2] < (3, 10))' >/dev/null 2>&1; then
      echo "$c"
      return 0
    fi
  done
  return 1
}
if ! py="$(pick_python)"; then
  echo "error: Design Studio needs Python 3.10 or newer (3.11 preferred) with the venv module;" \
       "install python3.11 (Debian/Ubuntu: apt-get install python3 python3-venv) or set DESIGN_STUDIO_PYTHON" >&2
  exit 1
fi

mkdir -p "$base"
# leftovers of installs that were killed more than a day ago
find "$base" -maxdepth 1 -name '.venv-*.tmp.*' -mmin +1440 -exec rm -rf {} + 2>/dev/null || true
tmp="$(mktemp -d "$base/.venv-$hash.tmp.XXXXXX")"
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT

echo "creating the Python environment $venv with $("$py" -c 'import sys; print(sys.executable, sys.version.split()[0])')" \
     "(about 2 minutes, once)" >&2
start=$SECONDS
"$py" -m venv "$tmp" >&2
"$tmp/bin/python" -m pip install --no-input --progress-bar off -r "$root/requirements-dev.txt" >&2
"$tmp/bin/python" -c "$imports" >&2

# Console scripts (pip, pytest...) start with the temporary path: point them at the final one.
"$tmp/bin/python" - "$tmp" "$venv" <<'PY'
import sys
from pathlib import Path
old, new = (s.encode() for s in sys.argv[1:3])
for p in Path(sys.argv[1], "bin").iterdir():
    if p.is_file() and not p.is_symlink():
        data = p.read_bytes()
        if old in data and b"\0" not in data:
            p.write_bytes(data.replace(old, new))
PY
touch "$tmp/$marker"

if [ -e "$venv" ] && [ ! -f "$venv/$marker" ]; then
  rm -rf "$venv"  # an incomplete environment from an older script: never use it
fi
if ! mv -T "$tmp" "$venv" 2>/dev/null; then
  # another install finished first: use that one
  if [ ! -f "$venv/$marker" ]; then
    echo "error: could not move the new environment to $venv" >&2
    exit 1
  fi
  rm -rf "$tmp"
fi
trap - EXIT
echo "environment ready in $((SECONDS - start)) s" >&2
echo "$venv"

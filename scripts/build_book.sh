#!/usr/bin/env bash
# Build the rendered book into _build/html, executing every chapter (warnings are errors).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/env.sh
.venv/bin/jupyter-book build . -W -n --keep-going "$@"
echo "[book] open _build/html/index.html"

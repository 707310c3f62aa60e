#!/usr/bin/env bash
# Create (or reuse) the project-local virtual environment .venv with the helper package
# (editable), the book tool chain and the test tools. Safe to run repeatedly: it only
# reinstalls when pyproject.toml is newer than the last install.
#
# Torch: the CPU build is installed first (TORCH_SPEC, default torch==2.13.0, which this
# project's build machines have on local disk); pyproject.toml itself keeps a plain range,
# so other machines may use any torch>=2.1.
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x .venv/bin/python ]; then
  echo "[env] creating .venv with $($PY --version)"
  "$PY" -m venv .venv
fi
stamp=.venv/.ssl-notes-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "[env] installing into .venv (torch first: ${TORCH_SPEC:-torch==2.13.0})"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet "${TORCH_SPEC:-torch==2.13.0}" \
    || echo "[env] ${TORCH_SPEC:-torch==2.13.0} unavailable here; pyproject's range decides"
  .venv/bin/python -m pip install --quiet -e ".[book,test]"
  touch "$stamp"
fi

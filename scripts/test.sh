#!/usr/bin/env bash
# Run every test: the unit tests of ssl_notes, every chapter under `pytest --nbmake`
# (in parallel, each chapter executed once), then the book build with warnings as errors
# and the checks of the built pages (tests/book), which reuse the executed chapters.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/env.sh
export MPLBACKEND=Agg PYTHONHASHSEED=0

# A copy of the book whose notebooks nbmake executes in place (--overwrite): the
# committed .ipynb files stay output-free, and the build below renders these outputs.
rm -rf _executed
mkdir -p _executed
cp -r book _config.yml _toc.yml references.bib _executed/

start=$(date +%s)
.venv/bin/pytest -n "${PYTEST_WORKERS:-2}" --dist worksteal -q \
  --ignore=tests/book tests \
  --nbmake --nbmake-timeout=600 --overwrite _executed/book
echo "[test] unit tests and notebooks: $(( $(date +%s) - start )) s"

start=$(date +%s)
SSL_NOTES_EXECUTED_BOOK=_executed .venv/bin/pytest -q tests/book
echo "[test] book build and page checks: $(( $(date +%s) - start )) s"

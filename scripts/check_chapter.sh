#!/usr/bin/env bash
# Check one or more chapters alone, without touching the shared _executed/ tree:
#   bash scripts/check_chapter.sh lemma1 [proposition1 ...]
# 1. verifies each .ipynb is in sync with its .py (regenerate with jupytext --to ipynb),
# 2. prints the chapter's reader-facing size (scripts/chapter_stats.py),
# 3. builds a small book (intro, data_matrix, the given chapters, api, bibliography) in a
#    temporary folder with execution on and warnings as errors, timing it,
# 4. opens the built pages in Chromium at 1280 px (scripts/check_pages.py) when Chromium
#    and a local MathJax are there, and lists overflowing equations, code and outputs.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: $0 CHAPTER [CHAPTER ...]" >&2; exit 2; }
out=$(mktemp -d /tmp/chapter-XXXX)
cp -r book _assets _config.yml references.bib "$out/"
{
  echo "format: jb-book"
  echo "root: book/intro"
  echo "options:"
  echo "  numbered: true"
  echo "chapters:"
  echo "  - file: book/data_matrix"
  for c in "$@"; do [ "$c" = data_matrix ] || echo "  - file: book/$c"; done
  [ -f book/api.md ] && echo "  - file: book/api"
  echo "  - file: book/bibliography"
} > "$out/_toc.yml"
unset MPLBACKEND  # Agg would stop the kernels from producing PNG figures
.venv/bin/pytest -q tests/test_notebooks.py -k "$(printf '%s or ' "$@" | sed 's/ or $//')" -p no:cacheprovider
.venv/bin/python scripts/chapter_stats.py $(printf 'book/%s.py ' "$@") || true
start=$(date +%s)
.venv/bin/jupyter-book build "$out" -W -n --keep-going > "$out/build.log" 2>&1 || { tail -40 "$out/build.log"; echo "[check] BUILD FAILED ($out/build.log)"; exit 1; }
echo "[check] built in $(( $(date +%s) - start )) s: $out/_build/html/book/$1.html"
.venv/bin/python scripts/check_pages.py "$out/_build/html" $(printf 'book/%s.html ' "$@") || echo "[check] page problems above"

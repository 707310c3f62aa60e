#!/usr/bin/env bash
# Build the rendered book into _build/html, executing the chapters (warnings are errors):
#   bash scripts/build_book.sh          # HTML
#   bash scripts/build_book.sh --pdf    # HTML, then the PDF _build/latex/book.pdf
# Executed chapters are cached (jupyter-cache, _config.yml `execute_notebooks: cache`):
# a second build with nothing changed executes no chapter. The cache is emptied when
# the helper package's source or the installed packages change (scripts/cache_key.py).
# SSL_NOTES_BOOK_ROOT builds another copy of the book (the tests use it).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
pdf=0
args=()
for a in "$@"; do
  if [ "$a" = --pdf ]; then pdf=1; else args+=("$a"); fi
done
bash scripts/env.sh
root="${SSL_NOTES_BOOK_ROOT:-$repo}"
unset MPLBACKEND  # Agg would stop the kernels from producing PNG figures
mkdir -p "$root/_build"
key=$("$repo/.venv/bin/python" scripts/cache_key.py "$repo/ssl_notes")
if [ "$(cat "$root/_build/.cache-key" 2>/dev/null || true)" != "$key" ]; then
  [ -d "$root/_build/.jupyter_cache" ] && echo "[book] ssl_notes or packages changed: emptying the execution cache"
  # Sphinx's saved environment too, or it would not even re-read the unchanged pages.
  rm -rf "$root/_build/.jupyter_cache" "$root/_build/.doctrees"
fi
echo "$key" > "$root/_build/.cache-key"
"$repo/.venv/bin/jupyter-book" build "$root" -W -n --keep-going ${args[@]+"${args[@]}"}
echo "[book] open $root/_build/html/index.html"
if [ "$pdf" = 1 ]; then
  command -v xelatex >/dev/null && command -v latexmk >/dev/null || {
    echo "[book] --pdf needs xelatex and latexmk: apt-get install texlive-xetex texlive-latex-extra latexmk fonts-dejavu-core" >&2
    exit 1
  }
  "$repo/.venv/bin/jupyter-book" build "$root" --builder pdflatex -W -n --keep-going ${args[@]+"${args[@]}"}
  echo "[book] PDF: $root/_build/latex/book.pdf"
fi

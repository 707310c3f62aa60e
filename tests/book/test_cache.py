"""Fast rebuilds: scripts/build_book.sh caches executed chapters (jupyter-cache).

On a one-chapter book in a temporary folder (``SSL_NOTES_BOOK_ROOT``): the first
build executes the chapter, a second unchanged build executes nothing, a changed
glued number still reaches the page that pastes it, and a changed cache key (what
scripts/cache_key.py computes from ssl_notes/ and the installed packages) empties
the cache so the chapter runs again.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]


def _notebook(path: Path, value: int) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A tiny chapter"),
        nbformat.v4.new_code_cell(
            f'from myst_nb import glue\nglue("n", {value}, display=False)'
        ),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


def _build(root: Path) -> tuple[int, str]:
    env = dict(os.environ, SSL_NOTES_BOOK_ROOT=str(root))
    proc = subprocess.run(
        ["bash", str(ROOT / "scripts" / "build_book.sh")],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    executed = len(re.findall(r"tiny\.ipynb: Executing notebook", proc.stdout))
    page = (root / "_build" / "html" / "index.html").read_text()
    m = re.search(r'The number is <span class="pasted-text">(\d+)<', page)
    assert m, "the glued number is not on the page"
    return executed, m.group(1)


def test_second_build_executes_nothing_and_changes_still_arrive(tmp_path):
    root = tmp_path / "tiny"
    root.mkdir()
    shutil.copy(ROOT / "_config.yml", root)
    shutil.copy(ROOT / "references.bib", root)
    shutil.copytree(ROOT / "_assets", root / "_assets")
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: index\nchapters:\n  - file: tiny\n"
    )
    (root / "index.md").write_text(
        "# Tiny\n\nThe number is {glue:text}`tiny.ipynb::n:d`.\n"
    )
    _notebook(root / "tiny.ipynb", 1)

    assert _build(root) == (1, "1")  # executed once
    assert _build(root) == (0, "1")  # nothing changed: from the cache
    _notebook(root / "tiny.ipynb", 2)
    assert _build(root) == (1, "2")  # the chapter changed: executed, new number shown
    (root / "_build" / ".cache-key").write_text("a key from another ssl_notes\n")
    assert _build(root) == (1, "2")  # the package changed: cache emptied, executed


def test_cache_key_follows_the_package_source(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "cache_key", ROOT / "scripts" / "cache_key.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    pkg = tmp_path / "ssl_notes"
    shutil.copytree(
        ROOT / "ssl_notes", pkg, ignore=shutil.ignore_patterns("__pycache__")
    )
    before = mod.cache_key(pkg)
    assert mod.cache_key(pkg) == before  # deterministic
    (pkg / "losses.py").write_text((pkg / "losses.py").read_text() + "\n# changed\n")
    assert mod.cache_key(pkg) != before

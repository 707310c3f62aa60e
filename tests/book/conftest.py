"""The built book, shared by every test that looks at its pages.

The build renders the chapters that `scripts/test.sh` already executed under nbmake
(``SSL_NOTES_EXECUTED_BOOK``, execution switched off there), so no chapter runs twice.
Without that variable (running ``pytest tests/book`` alone) it copies the book and
builds it with execution on, as readers' builds do.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class BuiltBook:
    root: Path  # the source tree that was built
    html: Path  # its _build/html
    returncode: int
    log: str


def _jupyter_book() -> str:
    exe = Path(sys.executable).with_name("jupyter-book")
    return str(exe) if exe.exists() else "jupyter-book"


@pytest.fixture(scope="session")
def built_book(tmp_path_factory) -> BuiltBook:
    executed = os.environ.get("SSL_NOTES_EXECUTED_BOOK")
    if executed:
        src = (ROOT / executed).resolve()
        for nb in sorted((src / "book").glob("*.ipynb")):
            cells = json.loads(nb.read_text())["cells"]
            if not any(c.get("outputs") for c in cells if c["cell_type"] == "code"):
                pytest.fail(f"{nb} has no outputs: nbmake did not execute it")
        cfg_path = src / "_config.yml"
        cfg = yaml.safe_load(cfg_path.read_text())
        cfg["execute"]["execute_notebooks"] = "off"  # executed by nbmake already
        cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    else:
        src = tmp_path_factory.mktemp("book")
        for name in ("book", "_assets", "_config.yml", "_toc.yml", "references.bib"):
            p = ROOT / name
            (shutil.copytree if p.is_dir() else shutil.copy)(p, src / name)
    shutil.rmtree(src / "_build", ignore_errors=True)
    proc = subprocess.run(
        [_jupyter_book(), "build", str(src), "-W", "-n", "--keep-going"],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    return BuiltBook(
        src, src / "_build" / "html", proc.returncode, proc.stdout + proc.stderr
    )

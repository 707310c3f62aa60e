"""scripts/set_repository.py rewrites every place that names the repository.

Run on a copy of the book: afterwards no file names the old repository, every
chapter's install line (both twins) names the new one, the pairs stay in sync and
_config.yml (which the launch buttons are built from) holds the new URL and branch.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import jupytext
import pytest
import yaml
from conftest import ROOT

NEW_URL, NEW_BRANCH = "https://github.com/a-fork/ssl-notes-fork", "draft"


def _twins_agree(py) -> bool:
    a = [c.source for c in jupytext.read(py).cells]
    return a == [c.source for c in jupytext.read(py.with_suffix(".ipynb")).cells]


@pytest.fixture
def copy(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copytree(ROOT / "book", root / "book")
    shutil.copytree(ROOT / "scripts", root / "scripts")
    for name in ("_config.yml", "README.md", "CITATION.cff"):
        shutil.copy(ROOT / name, root / name)
    return root


def test_every_launch_and_install_url_is_rewritten(copy):
    cfg = yaml.safe_load((copy / "_config.yml").read_text())["repository"]
    old = f"git+{cfg['url']}@{cfg['branch']}"
    in_sync = {py.name: _twins_agree(py) for py in (copy / "book").glob("*.py")}
    proc = subprocess.run(
        [
            sys.executable,
            str(copy / "scripts" / "set_repository.py"),
            NEW_URL,
            NEW_BRANCH,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    chapters = sorted((copy / "book").glob("*.py"))
    assert len(re.findall(r"^rewrote book/", proc.stdout, re.M)) == 2 * len(chapters)

    new_cfg = yaml.safe_load((copy / "_config.yml").read_text())["repository"]
    assert (new_cfg["url"], new_cfg["branch"]) == (NEW_URL, NEW_BRANCH)
    for path in copy.rglob("*"):
        if path.is_file() and path.suffix in {".py", ".ipynb", ".yml", ".md", ".cff"}:
            assert cfg["url"] not in path.read_text(), f"{path} names the old URL"
    new = f"git+{NEW_URL}@{NEW_BRANCH}"
    for py in chapters:
        for twin in (py, py.with_suffix(".ipynb")):
            first = next(c for c in jupytext.read(twin).cells if c.cell_type == "code")
            assert new in first.source and old not in first.source, twin.name
        # (tests/test_notebooks.py requires the twins to agree; the rewrite keeps that)
        assert _twins_agree(py) == in_sync[py.name], f"{py.name}: twins changed apart"


@pytest.mark.parametrize(
    "args, message",
    [
        (["not a url"], "URL: expected https://host/owner/name"),
        ([NEW_URL, "bad branch name"], "BRANCH: expected a git branch name"),
        ([], "usage"),
    ],
)
def test_bad_arguments_are_refused_and_change_nothing(copy, args, message):
    before = (copy / "_config.yml").read_text()
    proc = subprocess.run(
        [sys.executable, str(copy / "scripts" / "set_repository.py"), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and message in proc.stderr.lower() + proc.stderr
    assert (copy / "_config.yml").read_text() == before

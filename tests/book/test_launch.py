"""Colab and Binder buttons of every chapter point at its notebook in the repository."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_launch_buttons_point_at_existing_notebooks(built_book):
    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]
    owner_repo = re.sub(r"^https://github\.com/", "", repo["url"]).rstrip("/")
    branch = repo["branch"]
    chapters = sorted(p.stem for p in (built_book.root / "book").glob("*.ipynb"))
    assert chapters
    for stem in chapters:
        html = (built_book.html / "book" / f"{stem}.html").read_text()
        colab = re.findall(r'https://colab\.research\.google\.com/github/([^"]+)', html)
        binder = re.findall(r'https://mybinder\.org/v2/gh/([^"]+)', html)
        assert colab and binder, f"{stem}: no Colab or Binder button"
        for url in colab:
            assert url == f"{owner_repo}/blob/{branch}/book/{stem}.ipynb", url
        for url in binder:
            m = re.fullmatch(
                rf"{re.escape(owner_repo)}/{re.escape(branch)}\?urlpath=tree/(.+)",
                url.replace("&amp;", "&"),
            )
            assert m, url
            assert (ROOT / m.group(1)).exists(), (
                f"binder path {m.group(1)} does not exist"
            )
            assert m.group(1) == f"book/{stem}.ipynb"

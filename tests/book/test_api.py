"""The API reference page (book/api.md) documents every public function of ssl_notes."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import ssl_notes

ROOT = Path(__file__).resolve().parents[2]


def _public_functions() -> list[str]:
    names = []
    modules = ["ssl_notes"] + [
        m.name
        for m in pkgutil.walk_packages(ssl_notes.__path__, "ssl_notes.")
        if not any(part.startswith("_") for part in m.name.split("."))
    ]
    for modname in modules:
        mod = importlib.import_module(modname)
        for name in getattr(mod, "__all__", []):
            if inspect.isfunction(getattr(mod, name)):
                names.append(f"{modname}.{name}")
    return names


def test_api_page_documents_every_public_function(built_book):
    html = (built_book.html / "book" / "api.html").read_text()
    ids = set(re.findall(r'<dt class="sig sig-object py" id="([^"]+)"', html))
    missing = [f for f in _public_functions() if f not in ids]
    assert not missing, f"functions without an entry on the API page: {missing}"


def test_intro_links_to_the_api_page(built_book):
    html = (built_book.html / "book" / "intro.html").read_text()
    assert 'href="api.html"' in html

"""pyproject.toml and environment.yml declare the same dependencies."""

from __future__ import annotations

import re
import tomllib

import yaml

from conftest import ROOT


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[;@]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        wanted |= {_name(r) for r in extra}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    have = set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            have |= {_name(r) for r in dep.get("pip", []) if not r.startswith("-e")}
        elif not dep.startswith(("python", "pip")):
            have.add(_name(dep))
    aliases = {"pytorch": "torch"}
    have = {aliases.get(n, n) for n in have}
    assert wanted == have, f"only in pyproject: {wanted - have}; only in environment.yml: {have - wanted}"


def test_jupyter_book_pinned_below_2():
    book = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["book"]
    jb = [r for r in book if r.startswith("jupyter-book")]
    assert jb and "<2" in jb[0]

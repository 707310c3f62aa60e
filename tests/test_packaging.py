"""pyproject.toml and environment.yml declare the same dependencies."""

from __future__ import annotations

import re

import tomllib
import yaml
from conftest import ROOT


def _name(req: str) -> str:
    return (
        re.split(r"[<>=!~ \[;@]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")
    )


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
    assert wanted == have, (
        f"only in pyproject: {wanted - have}; only in environment.yml: {have - wanted}"
    )


def test_jupyter_book_pinned_below_2():
    book = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]["book"]
    jb = [r for r in book if r.startswith("jupyter-book")]
    assert jb and "<2" in jb[0]


def _public_modules() -> list[str]:
    import pkgutil

    import ssl_notes

    names = [
        m.name
        for m in pkgutil.walk_packages(ssl_notes.__path__, "ssl_notes.")
        if not any(part.startswith("_") for part in m.name.split("."))
    ]
    return ["ssl_notes"] + sorted(names)


def test_api_page_has_a_section_for_every_public_module():
    """book/api.md lists its modules explicitly (one automodule each): a new module
    must be added there; a removed one must go."""
    page = (ROOT / "book" / "api.md").read_text()
    listed = re.findall(r"^\.\. automodule:: (\S+)$", page, re.M)
    assert sorted(listed) == sorted(set(listed)), "a module is listed twice"
    modules = _public_modules()
    assert not set(modules) - set(listed), (
        f"not on the API page: {set(modules) - set(listed)}"
    )
    assert not set(listed) - set(modules), (
        f"no such module: {set(listed) - set(modules)}"
    )


def test_api_page_is_in_the_toc_and_autodoc_is_configured():
    toc = (ROOT / "_toc.yml").read_text()
    assert "book/api" in toc
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]["config"]
    for ext in ("sphinx.ext.autodoc", "sphinx.ext.autosummary", "sphinx.ext.napoleon"):
        assert ext in cfg["extensions"]


def test_license_is_mit_everywhere():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "MIT"  # an SPDX expression (PEP 639)
    requires = project["build-system"]["requires"]
    assert any(
        re.fullmatch(r"setuptools>=(\d+)", r) and int(r[12:]) >= 77 for r in requires
    )
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["license"] == "MIT" and cff["cff-version"] == "1.2.0"


def test_citation_names_the_paper():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    paper = cff["references"][0]
    assert {a["family-names"] for a in paper["authors"]} == {
        "Esser",
        "Mukherjee",
        "Ghoshdastidar",
    }
    assert paper["doi"] == "10.48550/arXiv.2309.02011"
    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    assert cff["repository-code"] == repo


def test_ruff_is_configured_and_in_the_test_extras():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    ruff = project["tool"]["ruff"]
    assert ruff["line-length"] <= 88
    assert set(ruff["lint"]["select"]) >= {"E", "F", "W", "I", "B", "UP"}
    assert "ruff" in {
        _name(r) for r in project["project"]["optional-dependencies"]["test"]
    }


def test_readme_chapter_count_matches_the_toc():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    chapters = [f for f in files if (ROOT / f"{f}.ipynb").exists()]
    counts = re.findall(r"the (\d+) chapters", (ROOT / "README.md").read_text())
    assert counts and all(int(c) == len(chapters) for c in counts), (
        counts,
        len(chapters),
    )


def test_config_names_the_test_that_checks_the_repository_url():
    """_config.yml says which test compares each chapter's first cell with
    repository.url; that test must exist."""
    text = (ROOT / "_config.yml").read_text()
    m = re.search(r"(tests/\w+\.py) \((test_\w+)\)", text)
    assert m, "the repository comment in _config.yml names no test"
    path, test = m.groups()
    assert f"def {test}(" in (ROOT / path).read_text()


def test_check_pairs_script_finds_a_stale_notebook(tmp_path, monkeypatch):
    import importlib.util

    import jupytext

    spec = importlib.util.spec_from_file_location(
        "check_pairs", ROOT / "scripts" / "check_pairs.py"
    )
    check_pairs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check_pairs)
    py = tmp_path / "ch.py"
    py.write_text("# %% [markdown]\n# # Title\n\n# %%\nx = 1\n")
    jupytext.write(jupytext.read(py), tmp_path / "ch.ipynb")
    assert check_pairs.pair_problem(py) is None
    py.write_text("# %% [markdown]\n# # Title\n\n# %%\nx = 2\n")
    assert check_pairs.pair_problem(py) == "cell 1 differs"
    monkeypatch.setattr(check_pairs, "BOOK", tmp_path)
    assert check_pairs.main([]) == 1 and check_pairs.main([str(py)]) == 1
    (tmp_path / "ch.ipynb").unlink()
    assert "missing" in check_pairs.pair_problem(py)


def _binder_requirements() -> dict[str, str]:
    reqs = {}
    for line in (ROOT / "binder" / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-") and line != ".":
            name = re.split(r"[<>=!~ ]", line, maxsplit=1)[0].lower()
            reqs[name] = line
    return reqs


def test_binder_environment_is_slim_and_cpu_only():
    """binder/ holds the package's runtime dependencies (same ranges as pyproject),
    a kernel, the CPU wheel index for torch, and no test or book tools."""
    text = (ROOT / "binder" / "requirements.txt").read_text()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in text
    assert re.search(r"^\.$", text, re.M), "binder must install ssl_notes itself"
    binder = _binder_requirements()
    runtime = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "dependencies"
    ]
    for req in runtime:
        name = re.split(r"[<>=!~ ]", req, maxsplit=1)[0].lower()
        assert binder.get(name) == req, f"binder/requirements.txt: {req} missing"
    extra = set(binder) - {re.split(r"[<>=!~ ]", r, maxsplit=1)[0] for r in runtime}
    assert extra == {"ipykernel"}, f"not needed on Binder: {extra}"


def test_binder_covers_every_chapter_import():
    """Every third-party module a chapter imports is installed on Binder."""
    import sys

    dist = {"sklearn": "scikit-learn", "ssl_notes": None, "mlxtend": "mlxtend"}
    binder = _binder_requirements()
    for py in sorted((ROOT / "book").glob("*.py")):
        for mod in re.findall(
            r"^\s*(?:from|import) ([A-Za-z_]\w*)", py.read_text(), re.M
        ):
            if mod in sys.stdlib_module_names or mod == "__future__":
                continue
            name = dist.get(mod, mod)
            assert name is None or name.lower() in binder, f"{py.name} imports {mod}"

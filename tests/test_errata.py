"""The errata page (book/errata.md) against the chapters, statically (no build).

Convention: a chapter marks each statement where the book departs from the paper with a
MyST label line ``(departure-<short-name>)=`` right before it. The errata page has one
entry (a ``###`` heading) per finding, sorted into three groups (``##`` headings); each
entry links to a label with ``{ref}`` and shows at least one number pasted from a
chapter with ``{glue:text}`<chapter>.ipynb::<name>:<fmt>``` (the format is required:
without it MyST-NB takes ``<chapter>.ipynb:`` for the key). This file checks that

- every ``departure-*`` label of a chapter has an entry that links to it;
- every entry links to a label that exists and pastes a glue name that its chapter's
  source glues (a literal name, or an f-string name whose pattern matches);
- no number is typed into the prose: a decimal number outside math and roles would be
  one that the build did not produce.

The build itself (every pasted number resolved, every link working) is checked on the
built book, in tests/book/test_errata_page.py.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
ERRATA = BOOK / "errata.md"
GROUPS = ("Errors", "Missing hypotheses", "Choices the paper leaves open")

LABEL_LINE = re.compile(r"^(?:# )?\((?P<name>[\w.:-]+)\)=\s*$", re.M)
NAME_OPTION = re.compile(r"^(?:# )?:(?:name|label): *(?P<name>[\w.:-]+)\s*$", re.M)
REF = re.compile(r"\{ref\}`(?P<body>[^`]*)`")
GLUE = re.compile(r"\{glue:text\}`(?P<body>[^`]*)`")
ROLE = re.compile(r"\{[\w:-]+\}`[^`]*`")
MATH = re.compile(r"\$\$.*?\$\$|\$[^$]*\$", re.S)
TYPED_NUMBER = re.compile(r"\d\.\d|\d[eE][-+]?\d")


def defined_labels() -> dict[str, Path]:
    """Every explicit target of the book: label lines and :name:/:label: options."""
    labels: dict[str, Path] = {}
    for path in sorted(BOOK.glob("*.py")) + sorted(BOOK.glob("*.md")):
        text = path.read_text()
        for rx in (LABEL_LINE, NAME_OPTION):
            for m in rx.finditer(text):
                labels.setdefault(m.group("name"), path)
    return labels


def departure_labels() -> dict[str, Path]:
    return {
        k: v
        for k, v in defined_labels().items()
        if k.startswith("departure-") and v.suffix == ".py"
    }


def glue_patterns(source: str) -> list[re.Pattern]:
    """The names a chapter glues: one pattern per ``glue(name, ...)`` call.

    A literal name matches itself; an f-string matches with each replacement field
    standing for a run of word characters (``f"r_{key}_z{z}"`` matches
    ``r_lowrank_flowM_z10``). Calls whose name is not a string literal cannot be
    checked statically and give no pattern.
    """
    patterns = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        f = node.func
        name = f.id if isinstance(f, ast.Name) else getattr(f, "attr", None)
        if name != "glue":
            continue
        arg = node.args[0]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            patterns.append(re.compile(re.escape(arg.value)))
        elif isinstance(arg, ast.JoinedStr):
            parts = []
            for v in arg.values:
                if isinstance(v, ast.Constant):
                    parts.append(re.escape(str(v.value)))
                else:
                    parts.append(r"\w+")
            patterns.append(re.compile("".join(parts)))
    return patterns


def glued_in(chapter: str, name: str, _cache: dict = {}) -> bool:  # noqa: B006
    if chapter not in _cache:
        _cache[chapter] = glue_patterns((BOOK / f"{chapter}.py").read_text())
    return any(p.fullmatch(name) for p in _cache[chapter])


@dataclass
class Entry:
    title: str
    group: str
    text: str
    refs: list[str] = field(default_factory=list)
    glues: list[tuple[str, str, str]] = field(
        default_factory=list
    )  # chapter, name, fmt


def _ref_target(body: str) -> str:
    m = re.fullmatch(r"(?s).*<([^<>]+)>\s*", body)
    return (m.group(1) if m else body).strip()


def parse_entries(text: str) -> list[Entry]:
    """Split the page into entries: each ``###`` heading up to the next heading."""
    entries, group = [], None
    chunks = re.split(r"^(#{2,3}) +(.+)$", text, flags=re.M)
    # chunks: [preamble, level, title, body, level, title, body, ...]
    for level, title, body in zip(
        chunks[1::3], chunks[2::3], chunks[3::3], strict=True
    ):
        if level == "##":
            group = title.strip()
            continue
        e = Entry(title.strip(), group, body)
        e.refs = [_ref_target(m.group("body")) for m in REF.finditer(body)]
        for m in GLUE.finditer(body):
            key = m.group("body")
            if "::" not in key:
                e.glues.append(("", key, ""))
                continue
            path, rest = key.split("::", 1)
            name, _, fmt = rest.partition(":")
            e.glues.append((path.removesuffix(".ipynb"), name, fmt))
        entries.append(e)
    return entries


def entry_problems(e: Entry, labels: dict[str, Path]) -> list[str]:
    """What is wrong with one entry (an empty list: nothing)."""
    problems = []
    if e.group not in GROUPS:
        problems.append(f"{e.title!r}: not in one of the groups {GROUPS}")
    if not e.refs:
        problems.append(f"{e.title!r}: no {{ref}} to the section that shows it")
    for target in e.refs:
        if target not in labels:
            problems.append(f"{e.title!r}: {{ref}} to an unknown label {target!r}")
    if not e.glues:
        problems.append(f"{e.title!r}: no glued number")
    for chapter, name, fmt in e.glues:
        if not fmt:  # without one, MyST-NB reads "chapter.ipynb:" as the key
            problems.append(f"{e.title!r}: glue {name!r} has no format (:.2f, :d)")
        if not chapter:
            problems.append(f"{e.title!r}: glue {name!r} names no chapter")
        elif not (BOOK / f"{chapter}.ipynb").exists():
            problems.append(f"{e.title!r}: no chapter {chapter}.ipynb")
        elif not glued_in(chapter, name):
            problems.append(f"{e.title!r}: {chapter}.py glues no {name!r}")
    prose = MATH.sub(" ", ROLE.sub(" ", e.text))
    for m in TYPED_NUMBER.finditer(prose):
        snippet = prose[max(0, m.start() - 30) : m.end() + 10].replace("\n", " ")
        problems.append(f"{e.title!r}: typed-in number in {snippet!r}")
    return problems


def uncovered(departures: dict[str, Path], entries: list[Entry]) -> list[str]:
    """Departure labels that no entry links to."""
    linked = {t for e in entries for t in e.refs}
    return sorted(k for k in departures if k not in linked)


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    assert ERRATA.exists(), "book/errata.md is missing"
    return parse_entries(ERRATA.read_text())


def test_page_has_the_three_groups_each_with_entries(entries):
    groups = {e.group for e in entries}
    assert groups == set(GROUPS), groups
    titles = re.findall(r"^## +(.+)$", ERRATA.read_text(), re.M)
    assert titles == list(GROUPS), titles


def test_every_entry_links_a_label_and_pastes_a_glued_number(entries):
    labels = defined_labels()
    problems = [p for e in entries for p in entry_problems(e, labels)]
    assert not problems, "\n".join(problems)


def test_every_departure_of_a_chapter_has_an_entry(entries):
    departures = departure_labels()
    assert departures, "no (departure-...)= label in any chapter"
    missing = uncovered(departures, entries)
    assert not missing, f"departure labels without an errata entry: {missing}"


def test_departure_labels_are_unique_and_on_their_own_line():
    seen: dict[str, list[str]] = {}
    for path in sorted(BOOK.glob("*.py")):
        for m in re.finditer(r"\((departure-[^)]*)\)=", path.read_text()):
            seen.setdefault(m.group(1), []).append(path.name)
    assert {k: v for k, v in seen.items() if len(v) > 1} == {}
    assert set(seen) == set(departure_labels()), "a label not on its own line"


def test_the_checks_fail_on_broken_entries():
    """Each check must be able to fail: feed it entries with one defect each."""
    labels = {"departure-x": BOOK / "lemma1.py"}
    good = (
        "**Evidence.** {glue:text}`lemma1.ipynb::l1_share:.3f`.\n"
        "**Where.** {ref}`text <departure-x>`.\n"
    )
    broken = {
        "no ref": good.replace("{ref}`text <departure-x>`", "a section"),
        "unknown label": good.replace("departure-x", "departure-y"),
        "no glue": good.replace("{glue:text}`lemma1.ipynb::l1_share:.3f`", "some"),
        "unknown chapter": good.replace("lemma1.ipynb", "lemma9.ipynb"),
        "name not glued": good.replace("l1_share", "never_glued"),
        "no format": good.replace("l1_share:.3f", "l1_share"),
        "typed number": good + "The share is 0.497.\n",
        "typed exponent": good + "It is 3e-8 small.\n",
    }
    page = "## Errors\n\n### Good\n\n" + good
    (entry,) = parse_entries(page)
    assert entry_problems(entry, labels) == []
    for defect, body in broken.items():
        (entry,) = parse_entries("## Errors\n\n### Broken\n\n" + body)
        assert entry_problems(entry, labels), f"a page with {defect!r} passed"
    (entry,) = parse_entries("## Remarks\n\n### Elsewhere\n\n" + good)
    assert entry_problems(entry, labels), "an entry outside the groups passed"
    assert uncovered({"departure-z": BOOK / "x.py"}, [entry]) == ["departure-z"]


def test_glue_patterns_read_literal_and_fstring_names():
    src = (
        'glue("a_b", 1.0, display=False)\n'
        'for k in "xy":\n'
        '    glue(f"r_{k}_z{3}", 2.0, display=False)\n'
        "glue(name_variable, 3.0)\n"
        'ssl_notes.glue("c", 4)\n'
    )
    pats = glue_patterns(src)
    assert len(pats) == 3
    names = ["a_b", "r_x_z3", "c"]
    assert all(any(p.fullmatch(n) for p in pats) for n in names)
    assert not any(p.fullmatch("r__z3") or p.fullmatch("a_bc") for p in pats)

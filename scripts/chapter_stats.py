"""Reader-facing size of each chapter: visible code lines, largest cell, widest line.

    .venv/bin/python scripts/chapter_stats.py [book/NAME.py ...]

"Visible" code is what the rendered page shows expanded: code cells not tagged
remove-cell, remove-input, hide-input or hide-cell, and not inside an exercise's
solution (between ``solution-start`` and ``solution-end``, folded on the page).
Exits 1 when a chapter is over the house limits (200 visible lines, 25 lines a
visible cell, 76 characters in any code line, folded or not: the code column at a
1280 px window holds 77 monospace characters).
"""

from __future__ import annotations

import sys
from pathlib import Path

import jupytext

HIDDEN = {"remove-cell", "remove-input", "hide-input", "hide-cell"}
LIMITS = {"visible": 200, "cell": 25, "width": 76}


def stats(path: Path) -> dict[str, int]:
    nb = jupytext.read(path)
    visible = biggest = widest = 0
    in_solution = False
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            if "{solution-start}" in cell.source:
                in_solution = True
            if "{solution-end}" in cell.source:
                in_solution = False
            continue
        lines = cell.source.strip("\n").splitlines()
        widest = max([widest, *map(len, lines)])
        if in_solution or HIDDEN & set(cell.metadata.get("tags", [])):
            continue
        visible += len(lines)
        biggest = max(biggest, len(lines))
    return {"visible": visible, "cell": biggest, "width": widest}


def main(argv: list[str]) -> int:
    root = Path(__file__).resolve().parents[1]
    paths = [Path(a) for a in argv] or sorted((root / "book").glob("*.py"))
    bad = 0
    print(f"{'chapter':24s} {'visible':>7s} {'cell':>5s} {'width':>5s}")
    for p in paths:
        s = stats(p)
        over = [k for k, v in s.items() if v > LIMITS[k]]
        bad += bool(over)
        flag = "  over: " + ", ".join(over) if over else ""
        print(f"{p.stem:24s} {s['visible']:7d} {s['cell']:5d} {s['width']:5d}{flag}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

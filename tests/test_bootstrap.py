"""The install branch of a chapter's first cell (what Colab runs) works here."""

from __future__ import annotations

import os
import subprocess
import sys

import jupytext
from conftest import BOOK, ROOT


def _run_bootstrap(tmp_path, source: str) -> None:
    nb = jupytext.read(BOOK / "data_matrix.py")
    cell = next(c for c in nb.cells if c.cell_type == "code").source
    target = tmp_path / "site"
    env = dict(os.environ)
    env["SSL_NOTES_SOURCE"] = source
    env["SSL_NOTES_PIP_ARGS"] = f"--no-deps --no-build-isolation --target {target}"
    env.pop("PYTHONPATH", None)
    # -S: no site-packages, so `import ssl_notes` fails and the install branch runs;
    # the pip subprocess the cell starts runs without -S and has pip and setuptools.
    code = cell + "\nprint('IMPORTED FROM', ssl_notes.__file__)\n"
    proc = subprocess.run(
        [sys.executable, "-S", "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("IMPORTED FROM")][0]
    assert line.split(" ", 2)[2].startswith(str(target)), line


def test_bootstrap_cell_installs_from_a_local_source(tmp_path):
    _run_bootstrap(tmp_path, str(ROOT))


def test_bootstrap_cell_installs_from_a_built_wheel(tmp_path):
    """What a user gets from an index: a wheel built from this checkout (pip's wheel
    builder, the same PEP 517 build as ``python -m build --wheel``), then installed
    by the chapter's first cell."""
    wheels = tmp_path / "wheels"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps"]
        + ["--no-build-isolation", "-w", str(wheels), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = wheels.glob("ssl_notes-*.whl")
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert "ssl_notes/experiments/__init__.py" in names, "subpackage not in the wheel"
    _run_bootstrap(tmp_path, str(wheel))

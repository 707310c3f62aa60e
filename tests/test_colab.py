"""Simulate a Colab start: a fresh environment with only the notebook runner (and the
torch that Colab preinstalls) runs a chapter whose first cell installs `ssl_notes` from
this checkout (the SSL_NOTES_SOURCE branch of the bootstrap cell), with its dependencies
from the package registry, as Colab's `pip install git+...` would."""

from __future__ import annotations

import json
import os
import subprocess
import time
import venv

import pytest
from conftest import BOOK, ROOT

RUNNER = """
import json, sys, time, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
t = time.time()
NotebookClient(
    nb, timeout=600, kernel_name="python3",
    resources={"metadata": {"path": sys.argv[2]}},
).execute()
first = next(c for c in nb.cells if c.cell_type == "code")
out = "".join(
    o.get("text", "")
    for c in nb.cells if c.cell_type == "code"
    for o in c.get("outputs", [])
)
print(json.dumps({"seconds": time.time() - t, "stdout": out}))
"""


@pytest.mark.slow
def test_chapter_runs_in_a_fresh_environment_that_installs_ssl_notes(tmp_path):
    env_dir = tmp_path / "colab"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = str(env_dir / "bin" / "python")
    pip = [py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    # What Colab has before the notebook runs: a notebook runner and torch.
    subprocess.run(
        pip
        + [
            os.environ.get("TORCH_SPEC", "torch==2.13.0"),
            "nbclient",
            "ipykernel",
            "nbformat",
        ],
        check=True,
        timeout=900,
    )
    probe = subprocess.run(
        [py, "-c", "import ssl_notes"], capture_output=True, cwd=tmp_path
    )
    assert probe.returncode != 0, (
        "ssl_notes must not be importable before the bootstrap cell runs"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "VIRTUAL_ENV"))
    }
    env.update(SSL_NOTES_SOURCE=str(ROOT), PATH=f"{env_dir / 'bin'}:{env['PATH']}")
    env.pop("SSL_NOTES_PIP_ARGS", None)
    start = time.time()
    proc = subprocess.run(
        [py, "-c", RUNNER, str(BOOK / "data_matrix.ipynb"), str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    # the chapter's table of the trace identity (header and a row) was printed
    assert "|L - Tr|" in result["stdout"] and "contrastive" in result["stdout"]
    installed = subprocess.run(
        [py, "-c", "import ssl_notes; print(ssl_notes.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout
    assert str(env_dir) in installed, (
        installed
    )  # installed into the fresh environment, not borrowed
    print(
        "\n[colab simulation] install + run of data_matrix: "
        f"{time.time() - start:.0f} s"
    )

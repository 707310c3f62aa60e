"""Point the book at another repository (a fork) in one command.

    python scripts/set_repository.py URL [BRANCH]

``_config.yml`` (``repository.url``, ``repository.branch``) is the one place that says
where the book lives: the launch buttons (Colab, Binder) and the repository button are
built from it by Jupyter Book. The same URL is also written, as text, into the first
code cell of every chapter (the Colab install line ``git+URL@BRANCH``, in the ``.py``
source and its ``.ipynb`` twin), the README's Colab paragraph and CITATION.cff. This
rewrites all of them from the old values in ``_config.yml`` to the new ones, and
prints each file it changed; tests/test_repository.py checks, on a copy, that nothing
is left pointing at the old repository.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

URL = re.compile(r"^https://[\w.-]+(/[\w.-]+)+$")
BRANCH = re.compile(r"^[\w][\w./-]*$")


def current(root: Path) -> tuple[str, str]:
    text = (root / "_config.yml").read_text()
    block = re.search(r"^repository:\n((?:[ ].*\n)+)", text, re.M)
    if not block:
        raise SystemExit("_config.yml has no repository: block")
    url = re.search(r"^\s+url:\s*(\S+)\s*$", block.group(1), re.M)
    branch = re.search(r"^\s+branch:\s*(\S+)\s*$", block.group(1), re.M)
    if not (url and branch):
        raise SystemExit("_config.yml: repository needs url and branch")
    return url.group(1), branch.group(1)


def set_repository(root: Path, url: str, branch: str = "main") -> list[Path]:
    """Rewrite every place that names the repository; return the files changed."""
    url = url.rstrip("/")
    if url.endswith(".git"):
        url = url[: -len(".git")]
    if not URL.match(url):
        raise ValueError(f"URL: expected https://host/owner/name, got {url!r}")
    if not BRANCH.match(branch):
        raise ValueError(f"BRANCH: expected a git branch name, got {branch!r}")
    old_url, old_branch = current(root)
    changed = []

    def rewrite(path: Path, pairs: list[tuple[str, str]]) -> None:
        text = path.read_text()
        new = text
        for a, b in pairs:
            new = new.replace(a, b)
        if new != text:
            path.write_text(new)
            changed.append(path)

    cfg = root / "_config.yml"
    text = cfg.read_text()
    block = re.search(r"^repository:\n((?:[ ].*\n)+)", text, re.M)
    body = re.sub(
        r"^(\s+url:\s*)\S+", rf"\g<1>{url}", block.group(1), count=1, flags=re.M
    )
    body = re.sub(r"^(\s+branch:\s*)\S+", rf"\g<1>{branch}", body, count=1, flags=re.M)
    new = text[: block.start(1)] + body + text[block.end(1) :]
    if new != text:
        cfg.write_text(new)
        changed.append(cfg)

    install = [(f"git+{old_url}@{old_branch}", f"git+{url}@{branch}")]
    for path in sorted((root / "book").glob("*.py")) + sorted(
        (root / "book").glob("*.ipynb")
    ):
        rewrite(path, install)
    for name in ("README.md", "CITATION.cff"):
        if (root / name).exists():
            rewrite(root / name, install + [(old_url, url)])
    return changed


def main(argv: list[str]) -> int:
    if not 1 <= len(argv) <= 2:
        print("usage: python scripts/set_repository.py URL [BRANCH]", file=sys.stderr)
        return 2
    root = Path(__file__).resolve().parents[1]
    url, branch = argv[0], argv[1] if len(argv) == 2 else "main"
    try:
        changed = set_repository(root, url, branch)
    except ValueError as exc:
        print(f"set_repository: {exc}", file=sys.stderr)
        return 2
    for path in changed:
        print(f"rewrote {path.relative_to(root)}")
    print(f"{len(changed)} files now point at {url} (branch {branch})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

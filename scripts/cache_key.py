"""Print the key of the executed-chapter cache: a hash of the helper package's source
and of the installed distributions (name and version of each).

    python scripts/cache_key.py [PACKAGE_DIR]

scripts/build_book.sh empties jupyter-cache's store (_build/.jupyter_cache) when the
key changes, since jupyter-cache itself only looks at a notebook's own code cells: a
change to ssl_notes/ or to a dependency would otherwise leave stale outputs.
"""

from __future__ import annotations

import hashlib
import sys
from importlib import metadata
from pathlib import Path


def cache_key(package: Path) -> str:
    if not package.is_dir():
        raise SystemExit(f"cache_key: {package} is not a directory")
    h = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        h.update(str(path.relative_to(package)).encode())
        h.update(path.read_bytes())
    dists = sorted(
        f"{d.metadata['Name']}=={d.version}".lower() for d in metadata.distributions()
    )
    h.update("\n".join(dists).encode())
    return h.hexdigest()


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[1]
    print(cache_key(Path(sys.argv[1]) if len(sys.argv) > 1 else root / "ssl_notes"))

"""Machinery of the chapter *What linear SSL learns (PCA)*
(``book/linear_ssl_pca.py``).
"""

from __future__ import annotations

__all__: list[str] = []

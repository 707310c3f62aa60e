"""Machinery of the chapter *Theorem 3 (the output dynamics for z = 1)*
(``book/theorem3.py``).
"""

from __future__ import annotations

__all__: list[str] = []

"""Machinery of the chapter
*Proposition 3 (operator-norm and orthonormality constraints)*
(``book/proposition3.py``).
"""

from __future__ import annotations

__all__: list[str] = []

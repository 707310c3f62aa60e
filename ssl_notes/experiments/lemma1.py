"""Machinery of the chapter *Lemma 1 (gradient inner products of different outputs)*
(``book/lemma1.py``).
"""

from __future__ import annotations

__all__: list[str] = []

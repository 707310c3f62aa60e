"""Machinery of the chapter *Losses as a trace (the data matrix C of eq. (7))*
(``book/data_matrix.py``).
"""

from __future__ import annotations

__all__: list[str] = []

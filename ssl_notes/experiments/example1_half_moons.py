"""Machinery of the chapter *Example 1 (the two moons)*
(``book/example1_half_moons.py``).
"""

from __future__ import annotations

__all__: list[str] = []

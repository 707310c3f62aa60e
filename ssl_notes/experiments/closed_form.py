"""Machinery of the chapter *The flow in closed form*
(``book/closed_form.py``).
"""

from __future__ import annotations

__all__: list[str] = []

"""``glue`` that works in the book and outside it (Colab has no myst-nb)."""

from __future__ import annotations

from typing import Any


def glue(name: str, variable: Any, display: bool = True) -> None:
    """Record ``variable`` under ``name`` for the book's ``{glue:}`` roles.

    In the book build (and under nbmake) this is ``myst_nb.glue``. Where myst-nb is
    not installed (Colab, a bare Jupyter), the value is simply displayed when
    ``display`` is true, so a chapter runs unchanged without the book tool chain.

    Parameters
    ----------
    name : str
        The key of the ``{glue:}`` roles, non-empty.
    variable : object
        The value (a Python ``float``/``int``/``str``, or a figure). A NumPy scalar
        is stored as the Python number it holds (myst-nb would store its repr,
        ``np.float64(...)``, which a ``{glue:text}`` format cannot read).
    display : bool
        Also show the value in the cell output.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name: expected a non-empty string, got {name!r}")
    # Not _validate.check_flag: this module must import without numpy (the Colab
    # bootstrap imports ssl_notes before anything is installed).
    if not isinstance(display, bool):
        raise TypeError(f"display: expected True or False, got {display!r}")
    if type(variable).__module__ == "numpy" and getattr(variable, "shape", None) == ():
        variable = variable.item()  # np.float64(0.5) -> 0.5 (no numpy import here)
    try:
        from myst_nb import glue as _glue
    except ImportError:
        if display:
            from IPython.display import display as _display

            _display(variable)
        return
    _glue(name, variable, display)

"""One figure style for every chapter of the book."""

from __future__ import annotations

from typing import Any

from ._validate import check_positive_float, check_positive_int

__all__ = ["COLORS", "apply_style", "new_figure"]

#: Colour-blind safe palette (Okabe and Ito), in the order chapters use it.
COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")


def apply_style() -> None:
    """Set matplotlib's rcParams to the book's style (idempotent)."""
    import matplotlib as mpl
    from cycler import cycler

    mpl.rcParams.update(
        {
            "figure.dpi": 110,
            "savefig.dpi": 110,
            "figure.figsize": (6.4, 3.6),
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.prop_cycle": cycler(color=list(COLORS)),
            "axes.titlesize": 11,
            "axes.labelsize": 10,
            "legend.fontsize": 9,
            "legend.frameon": False,
            "lines.linewidth": 1.6,
        }
    )


def new_figure(
    ncols: int = 1, nrows: int = 1, width: float = 3.4, height: float = 3.0, **kw: Any
):
    """A figure of ``nrows x ncols`` panels in the book's style.

    Parameters
    ----------
    ncols, nrows : int
        Number of panel columns and rows, positive.
    width, height : float
        Size of one panel in inches, positive.
    **kw
        Passed on to ``matplotlib.pyplot.subplots``.

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : matplotlib.axes.Axes or ndarray of them
        Squeezed as in ``plt.subplots``.
    """
    ncols = check_positive_int("ncols", ncols)
    nrows = check_positive_int("nrows", nrows)
    width = check_positive_float("width", width)
    height = check_positive_float("height", height)
    import matplotlib.pyplot as plt

    apply_style()
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(width * ncols, height * nrows),
        constrained_layout=True,
        **kw,
    )
    return fig, axes

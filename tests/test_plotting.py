import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from ssl_notes import plotting  # noqa: E402


def test_new_figure_panel_size_and_style():
    fig, axes = plotting.new_figure(ncols=2, nrows=1, width=3.0, height=2.0)
    try:
        assert np.allclose(fig.get_size_inches(), [6.0, 2.0])
        assert len(axes) == 2
        assert matplotlib.rcParams["axes.spines.top"] is False
    finally:
        plt.close(fig)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(ncols=0), ValueError, "ncols"),
        (dict(nrows=True), TypeError, "nrows"),
        (dict(width=np.nan), ValueError, "width"),
        (dict(height=-1.0), ValueError, "height"),
        (dict(height="3"), TypeError, "height"),
    ],
)
def test_new_figure_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        plotting.new_figure(**kwargs)

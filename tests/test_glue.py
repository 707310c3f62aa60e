import sys

import ssl_notes


def test_glue_without_myst_nb_displays_instead(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "myst_nb", None)  # import myst_nb -> ImportError
    ssl_notes.glue("k", 1.5, display=False)  # silently nothing
    ssl_notes.glue("k", 2.5)  # displayed
    assert "2.5" in capsys.readouterr().out


def test_glue_with_myst_nb_records_a_glue_output(monkeypatch):
    calls = []
    import myst_nb

    monkeypatch.setattr(myst_nb, "glue", lambda *a: calls.append(a))
    ssl_notes.glue("k", 3.0, display=False)
    assert calls == [("k", 3.0, False)]


def test_glue_bad_input_names_the_argument():
    import pytest

    with pytest.raises(TypeError, match="name"):
        ssl_notes.glue(None, 1.0)
    with pytest.raises(TypeError, match="name"):
        ssl_notes.glue("", 1.0)
    with pytest.raises(TypeError, match="display"):
        ssl_notes.glue("k", 1.0, display=None)


def test_glue_stores_numpy_scalars_as_python_numbers(monkeypatch):
    """myst-nb stores repr(value); for np.float64 that is 'np.float64(0.5)', which a
    {glue:text} format spec cannot read (a -W build fails)."""
    import myst_nb
    import numpy as np

    calls = []
    monkeypatch.setattr(myst_nb, "glue", lambda *a: calls.append(a))
    ssl_notes.glue("a", np.float64(0.5), display=False)
    ssl_notes.glue("b", np.int64(3), display=False)
    ssl_notes.glue("c", np.array([1.0, 2.0]), display=False)  # arrays unchanged
    assert calls[0] == ("a", 0.5, False) and type(calls[0][1]) is float
    assert calls[1] == ("b", 3, False) and type(calls[1][1]) is int
    assert isinstance(calls[2][1], np.ndarray)

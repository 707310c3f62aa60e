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

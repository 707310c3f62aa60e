import numpy as np
import pytest

from ssl_notes import _validate
from ssl_notes._validate import as_rng, check_orthonormal_columns, check_symmetric


def test_as_rng():
    assert isinstance(as_rng(None), np.random.Generator)
    assert as_rng(5).integers(1000) == np.random.default_rng(5).integers(1000)
    g = np.random.default_rng(1)
    assert as_rng(g) is g
    with pytest.raises(TypeError, match="rng"):
        as_rng(True)
    with pytest.raises(ValueError, match="rng"):
        as_rng(-1)


def test_check_symmetric_and_orthonormal():
    check_symmetric("C", np.eye(2))
    with pytest.raises(ValueError, match="C: expected a symmetric"):
        check_symmetric("C", np.array([[1.0, 2.0], [0.0, 1.0]]))
    check_orthonormal_columns("M0", np.eye(3)[:, :2])
    with pytest.raises(ValueError, match="M0: columns are not orthonormal"):
        check_orthonormal_columns("M0", np.ones((3, 2)))
    with pytest.raises(ValueError, match="M0: a 2x3 matrix"):
        check_orthonormal_columns("M0", np.ones((2, 3)))


def test_check_flag_accepts_only_booleans():
    assert _validate.check_flag("record", True) is True
    assert _validate.check_flag("record", np.bool_(False)) is False
    for bad in (None, 0, 1, "yes", 1.0):
        with pytest.raises(TypeError, match="record: expected True or False"):
            _validate.check_flag("record", bad)


def test_check_callable_names_the_argument():
    assert _validate.check_callable("tick", None) is None
    assert _validate.check_callable("tick", print) is print
    with pytest.raises(TypeError, match="tick must be callable or None, got float"):
        _validate.check_callable("tick", 1.5)
    with pytest.raises(TypeError, match="tick must be callable, got NoneType"):
        _validate.check_callable("tick", None, allow_none=False)

import numpy as np
import pytest

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

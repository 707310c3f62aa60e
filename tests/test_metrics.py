import numpy as np
import pytest

from ssl_notes import metrics


def test_principal_angles_known_case():
    A = np.eye(3)[:, :2]
    t = 1e-9
    B = np.array([[1.0, 0.0], [0.0, np.cos(t)], [0.0, np.sin(t)]])
    ang = metrics.principal_angles(A, B)
    np.testing.assert_allclose(
        ang, [0.0, t], atol=1e-20, rtol=1e-6
    )  # small angle kept accurate
    C = np.array([[0.0], [0.0], [1.0]])
    assert metrics.subspace_distance(A[:, :1], C) == pytest.approx(np.pi / 2)


def test_principal_angles_invariant_to_basis(rng):
    A = rng.standard_normal((8, 3))
    B = rng.standard_normal((8, 3))
    R = rng.standard_normal((3, 3))
    np.testing.assert_allclose(
        metrics.principal_angles(A, B), metrics.principal_angles(A @ R, B), atol=1e-12
    )
    assert metrics.subspace_distance(A, A @ R) < 1e-7


def test_effective_rank():
    assert metrics.effective_rank(np.eye(4)) == pytest.approx(4.0)
    assert metrics.effective_rank(np.outer(np.ones(5), [1.0, 2.0])) == pytest.approx(
        1.0
    )
    with pytest.raises(ValueError, match="zero"):
        metrics.effective_rank(np.zeros((3, 2)))


def test_loglog_slope():
    x = np.array([10.0, 100.0, 1000.0])
    s, se = metrics.loglog_slope(x, 3 * x**-0.5)
    assert s == pytest.approx(-0.5) and se < 1e-12
    with pytest.raises(ValueError, match="positive"):
        metrics.loglog_slope(x, -x)


def test_bad_input():
    with pytest.raises(ValueError, match="rows"):
        metrics.principal_angles(np.ones((3, 1)), np.ones((4, 1)))
    with pytest.raises(ValueError, match="dependent"):
        metrics.principal_angles(np.ones((3, 2)), np.ones((3, 1)))


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: metrics.principal_angles(np.ones((3, 1)) + 1j, np.ones((3, 1))), "A"),
        (
            lambda: metrics.principal_angles(np.eye(3)[:, :1], np.ones((3, 1), bool)),
            "B",
        ),
        (lambda: metrics.effective_rank(np.array([[np.nan, 1.0]])), "F"),
        (lambda: metrics.loglog_slope(None, [1.0, 2.0]), "x"),
        (lambda: metrics.loglog_slope([1.0, 2.0], ["1", "2"]), "y"),
        (lambda: metrics.subspace_distance(np.eye(2), np.eye(2).astype(object)), "B"),
    ],
)
def test_errors_name_the_argument(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call()

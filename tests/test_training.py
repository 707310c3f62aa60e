import numpy as np
import pytest

from ssl_notes import dynamics, losses, manifold, training


def _problem(seed, d=15, h=6, z=2):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((d, d))
    return (A + A.T) / 2, manifold.haar_orthonormal(d, h, rng), manifold.haar_orthonormal(h, z, rng)


def test_losses_and_constraints():
    C, W0, V0 = _problem(0)
    res = training.projected_gd(C, W0, V0, lr=0.01, steps=50)
    assert res.losses.shape == (51,)
    assert res.losses[0] == pytest.approx(losses.trace_loss(C, W0 @ V0), abs=1e-13)
    assert res.losses[-1] == pytest.approx(losses.trace_loss(C, res.M), abs=1e-13)
    assert manifold.is_orthonormal(res.W, 1e-12) and manifold.is_orthonormal(res.V, 1e-12)
    assert res.losses[-1] < res.losses[0]


def test_grassmann_direction_tracks_the_flow_to_first_order():
    C, W0, V0 = _problem(1)
    T = 0.5
    err = []
    for lr in (0.01, 0.005):
        res = training.projected_gd(C, W0, V0, lr=lr, steps=int(round(T / lr)), gradient="grassmann")
        err.append(np.max(np.abs(res.M - dynamics.grassmann_flow(C, W0 @ V0, T))))
    assert err[1] / err[0] == pytest.approx(0.5, abs=0.1)  # O(lr): halving lr halves the error


def test_record_trajectory():
    C, W0, V0 = _problem(2)
    res = training.projected_gd(C, W0, V0, lr=0.01, steps=3, record=True)
    assert res.M_trajectory.shape == (4, 15, 2)
    np.testing.assert_allclose(res.M_trajectory[0], W0 @ V0)


def test_bad_input():
    C, W0, V0 = _problem(3)
    with pytest.raises(ValueError, match="W0: columns are not orthonormal"):
        training.projected_gd(C, 2 * W0, V0, 0.1, 1)
    with pytest.raises(ValueError, match="V0: expected 6 rows"):
        training.projected_gd(C, W0, manifold.haar_orthonormal(5, 2, 0), 0.1, 1)
    with pytest.raises(ValueError, match="W0: expected 4 rows"):
        training.projected_gd(np.eye(4), W0, V0, 0.1, 1)
    with pytest.raises(ValueError, match="lr"):
        training.projected_gd(C, W0, V0, -0.1, 1)
    with pytest.raises(ValueError, match="steps"):
        training.projected_gd(C, W0, V0, 0.1, 0)
    with pytest.raises(ValueError, match="gradient"):
        training.projected_gd(C, W0, V0, 0.1, 1, gradient="riemannian")
    with pytest.raises(ValueError, match="C: expected a symmetric"):
        training.projected_gd(np.triu(np.ones((15, 15))), W0, V0, 0.1, 1)

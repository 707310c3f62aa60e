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


@pytest.mark.parametrize("h", [2, 5, 9])
def test_factors_with_product(h):
    rng = np.random.default_rng(h)
    M0 = manifold.haar_orthonormal(9, 2, rng)
    W0, V0 = training.factors_with_product(M0, h, rng)
    assert W0.shape == (9, h) and V0.shape == (h, 2)
    np.testing.assert_allclose(W0 @ V0, M0, atol=1e-15)
    assert manifold.is_orthonormal(W0, 1e-13) and manifold.is_orthonormal(V0, 1e-15)


def test_factors_with_product_bad_input():
    M0 = manifold.haar_orthonormal(6, 3, 0)
    with pytest.raises(ValueError, match="h: expected z <= h <= d"):
        training.factors_with_product(M0, 2)
    with pytest.raises(ValueError, match="h: expected z <= h <= d"):
        training.factors_with_product(M0, 7)
    with pytest.raises(ValueError, match="M0: columns are not orthonormal"):
        training.factors_with_product(2 * M0, 4)
    with pytest.raises(TypeError, match="h"):
        training.factors_with_product(M0, 4.5)


def test_literal_step_tracks_the_euclidean_stiefel_flow_not_theorem2():
    """Polar(W - eta G) = W - eta (G - W sym(W^T G)) + O(eta^2): the literal (11) is a
    first-order discretisation of the Euclidean-metric Stiefel flow of the factors."""
    C, W0, V0 = _problem(4, d=10, h=5, z=2)
    T = 0.5
    W, V = dynamics.factor_flow(C, W0, V0, T, metric="euclidean")
    err = []
    for lr in (0.01, 0.005):
        res = training.projected_gd(C, W0, V0, lr=lr, steps=int(round(T / lr)), gradient="euclidean")
        err.append(np.max(np.abs(res.M - W @ V)))
    assert err[1] / err[0] == pytest.approx(0.5, abs=0.1)
    gap = np.max(np.abs(res.M - dynamics.grassmann_flow(C, W0 @ V0, T)))
    assert gap > 10 * err[1]  # and it is not the flow of Theorem 2


def test_projected_steps_identical_at_h_equal_z_and_d():
    rng = np.random.default_rng(6)
    d, z = 7, 2
    A = rng.standard_normal((d, d))
    C = (A + A.T) / 2
    M0 = manifold.haar_orthonormal(d, z, rng)
    Ms = [training.projected_gd(C, *training.factors_with_product(M0, h, rng), 0.02, 50, gradient="grassmann").M
          for h in (z, d)]
    np.testing.assert_allclose(Ms[0], Ms[1], atol=1e-12)


def test_bad_input_more():
    C, W0, V0 = _problem(5)
    with pytest.raises(ValueError, match="V0: columns are not orthonormal"):
        training.projected_gd(C, W0, V0 * 1.1, 0.1, 1)
    with pytest.raises(ValueError, match="V0: a 6x7 matrix cannot"):
        training.projected_gd(C, W0, np.ones((6, 7)), 0.1, 1)  # z > h
    with pytest.raises(TypeError, match="steps"):
        training.projected_gd(C, W0, V0, 0.1, 2.5)
    with pytest.raises(ValueError, match="lr"):
        training.projected_gd(C, W0, V0, float("nan"), 1)

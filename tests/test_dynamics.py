import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssl_notes import dynamics, losses, manifold


def _sym(rng, d):
    A = rng.standard_normal((d, d))
    return (A + A.T) / 2


@pytest.mark.parametrize("d, z", [(5, 1), (8, 2), (12, 4)])
def test_grassmann_flow_matches_tight_ode(d, z):
    rng = np.random.default_rng(d * 10 + z)
    C, M0 = _sym(rng, d), manifold.haar_orthonormal(d, z, rng)
    ts = np.linspace(0.0, 3.0, 7)
    exact = dynamics.grassmann_flow(C, M0, ts)
    ode = dynamics.grassmann_flow_ode(C, M0, ts, rtol=1e-13, atol=1e-13)
    assert np.max(np.abs(exact - ode)) < 1e-8
    for M in exact:
        assert manifold.is_orthonormal(M, tol=1e-12)


def test_grassmann_flow_is_a_solution_by_finite_differences():
    rng = np.random.default_rng(3)
    C, M0 = _sym(rng, 7), manifold.haar_orthonormal(7, 3, rng)
    eps = 1e-5
    Ms = dynamics.grassmann_flow(C, M0, [0.8 - eps, 0.8, 0.8 + eps])
    fd = (Ms[2] - Ms[0]) / (2 * eps)
    # central difference error O(eps^2 * |M'''|) ~ 1e-9, rounding ~ 1e-16 / 1e-5
    assert np.max(np.abs(fd - dynamics.flow_velocity(C, Ms[1]))) < 1e-8


def test_z1_closed_form():
    rng = np.random.default_rng(4)
    C, m0 = _sym(rng, 6), manifold.haar_orthonormal(6, 1, rng)
    lam, Q = np.linalg.eigh(C)
    t = 0.7
    y = Q @ (np.exp(-2 * lam * t) * (Q.T @ m0)[:, 0])
    np.testing.assert_allclose(dynamics.grassmann_flow(C, m0, t)[:, 0], y / np.linalg.norm(y), atol=1e-14)


@settings(max_examples=20, deadline=None)
@given(d=st.integers(2, 9), seed=st.integers(0, 2**16), t=st.floats(0.0, 50.0))
def test_projector_is_an_orthogonal_projector_of_rank_z(d, seed, t):
    rng = np.random.default_rng(seed)
    z = int(rng.integers(1, d + 1))
    C, M0 = _sym(rng, d), manifold.haar_orthonormal(d, z, rng)
    P = dynamics.flow_projector(C, M0, t)
    np.testing.assert_allclose(P @ P, P, atol=1e-12)
    np.testing.assert_allclose(P, P.T, atol=1e-14)
    assert np.trace(P) == pytest.approx(z, abs=1e-12)


def test_projector_large_time_reaches_bottom_eigenspace():
    rng = np.random.default_rng(5)
    C, M0 = _sym(rng, 10), manifold.haar_orthonormal(10, 3, rng)
    lam, Q = np.linalg.eigh(C)
    P = dynamics.flow_projector(C, M0, 200.0)  # exp(-2 t gap) underflows: must not break
    np.testing.assert_allclose(P, Q[:, :3] @ Q[:, :3].T, atol=1e-10)


def test_projector_matches_ode_and_loss_curve():
    rng = np.random.default_rng(6)
    C, M0 = _sym(rng, 9), manifold.haar_orthonormal(9, 2, rng)
    ts = np.linspace(0, 4, 9)
    P = dynamics.flow_projector(C, M0, ts)
    M = dynamics.grassmann_flow_ode(C, M0, ts, rtol=1e-13, atol=1e-13)
    assert np.max(np.abs(P - np.einsum("tij,tkj->tik", M, M))) < 1e-9
    np.testing.assert_allclose(np.einsum("ij,tji->t", C, P), [losses.trace_loss(C, m) for m in M], atol=1e-9)


def test_unshifted_ode_drifts_and_shifted_does_not():
    rng = np.random.default_rng(7)
    C, M0 = 3 * _sym(rng, 12), manifold.haar_orthonormal(12, 3, rng)
    for shift, ok in ((True, True),):
        M = dynamics.grassmann_flow_ode(C, M0, 20.0, rtol=1e-6, atol=1e-8, shift=shift)
        assert manifold.is_orthonormal(M, tol=1e-6) == ok


def test_output_factor_reproduces_C(rng):
    X, Xp, Xn = (rng.standard_normal((15, 4)) for _ in range(3))
    Z, D = dynamics.output_factor(X, Xp, Xn)
    np.testing.assert_allclose(Z.T @ D @ Z, losses.contrastive_matrix(X, Xp, Xn), atol=1e-14)
    Z, D = dynamics.output_factor(X, Xp)
    np.testing.assert_allclose(Z.T @ D @ Z, losses.noncontrastive_matrix(X, Xp), atol=1e-14)


def test_output_flow_equals_input_flow_step(rng):
    """One step of (12) on F = ZM equals Z times one Euler step of the M-flow."""
    X, Xp, Xn = (rng.standard_normal((10, 5)) for _ in range(3))
    Z, D = dynamics.output_factor(X, Xp, Xn)
    C = Z.T @ D @ Z
    M = manifold.haar_orthonormal(5, 2, rng)
    res = dynamics.output_flow(Z @ M, Z @ Z.T, D, lr=0.01, steps=1)
    np.testing.assert_allclose(res.F, Z @ (M + 0.01 * dynamics.flow_velocity(C, M)), atol=1e-13)
    assert res.losses[0] == pytest.approx(losses.trace_loss(C, M), abs=1e-13)


def test_bad_input():
    C = np.eye(3)
    with pytest.raises(ValueError, match="M0: columns are not orthonormal"):
        dynamics.grassmann_flow(C, np.ones((3, 1)), 1.0)
    with pytest.raises(ValueError, match="C: expected a symmetric"):
        dynamics.grassmann_flow(np.triu(np.ones((3, 3))), np.eye(3)[:, :1], 1.0)
    with pytest.raises(ValueError, match="M0: expected 3 rows"):
        dynamics.flow_projector(C, np.eye(4)[:, :1], 1.0)
    with pytest.raises(ValueError, match="t:"):
        dynamics.grassmann_flow(C, np.eye(3)[:, :1], -1.0)
    with pytest.raises(ValueError, match="t:"):
        dynamics.flow_projector(C, np.eye(3)[:, :1], np.ones((2, 2)))
    with pytest.raises(ValueError, match="lr"):
        dynamics.output_flow(np.ones((3, 1)), np.eye(3), np.eye(3), lr=0.0, steps=1)
    with pytest.raises(ValueError, match="K and D"):
        dynamics.output_flow(np.ones((3, 1)), np.eye(2), np.eye(3), lr=0.1, steps=1)

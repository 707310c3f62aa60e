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
    np.testing.assert_allclose(
        dynamics.grassmann_flow(C, m0, t)[:, 0], y / np.linalg.norm(y), atol=1e-14
    )


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
    P = dynamics.flow_projector(
        C, M0, 200.0
    )  # exp(-2 t gap) underflows: must not break
    np.testing.assert_allclose(P, Q[:, :3] @ Q[:, :3].T, atol=1e-10)


def test_projector_matches_ode_and_loss_curve():
    rng = np.random.default_rng(6)
    C, M0 = _sym(rng, 9), manifold.haar_orthonormal(9, 2, rng)
    ts = np.linspace(0, 4, 9)
    P = dynamics.flow_projector(C, M0, ts)
    M = dynamics.grassmann_flow_ode(C, M0, ts, rtol=1e-13, atol=1e-13)
    assert np.max(np.abs(P - np.einsum("tij,tkj->tik", M, M))) < 1e-9
    np.testing.assert_allclose(
        np.einsum("ij,tji->t", C, P), [losses.trace_loss(C, m) for m in M], atol=1e-9
    )


def test_unshifted_ode_drifts_and_shifted_does_not():
    rng = np.random.default_rng(7)
    C, M0 = 3 * _sym(rng, 12), manifold.haar_orthonormal(12, 3, rng)
    for shift, ok in ((True, True),):
        M = dynamics.grassmann_flow_ode(C, M0, 20.0, rtol=1e-6, atol=1e-8, shift=shift)
        assert manifold.is_orthonormal(M, tol=1e-6) == ok


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


# ---- the flows of the factors and the choice of metric (Theorem 2 chapter) ----------


def _factors(rng, d, h, z):
    from ssl_notes import training

    M = manifold.haar_orthonormal(d, z, rng)
    W, V = training.factors_with_product(M, h, rng)
    R = manifold.haar_orthonormal(h, h, rng)
    return W @ R, R.T @ V


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), d=st.integers(2, 9))
def test_tangent_directions_are_tangent_and_differ_by_skew(seed, d):
    rng = np.random.default_rng(seed)
    h = int(rng.integers(1, d + 1))
    W = manifold.haar_orthonormal(d, h, rng)
    G = rng.standard_normal((d, h))
    A = W.T @ G
    skew = (A - A.T) / 2
    out = {met: dynamics.tangent_direction(W, G, met) for met in dynamics.METRICS}
    for Dl in out.values():
        np.testing.assert_allclose(W.T @ Dl + Dl.T @ W, 0, atol=1e-12)
    np.testing.assert_allclose(W.T @ out["grassmann"], 0, atol=1e-12)
    np.testing.assert_allclose(
        out["euclidean"] - out["grassmann"], W @ skew, atol=1e-12
    )
    np.testing.assert_allclose(
        out["canonical"] - out["grassmann"], 2 * W @ skew, atol=1e-12
    )


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), d=st.integers(2, 9))
def test_product_rule_width_free_for_grassmann_only(seed, d):
    """d(WV)/dt = -2(I - MM^T)CM for the Grassmann projection at every width; the
    Stiefel metrics add -k Pi C M, Pi = W(I - VV^T)W^T, k = 1 (Euclidean), 2
    (canonical).
    """
    rng = np.random.default_rng(seed)
    z = int(rng.integers(1, d + 1))
    h = int(rng.integers(z, d + 1))
    C = _sym(rng, d)
    W, V = _factors(rng, d, h, z)
    M = W @ V
    target = dynamics.flow_velocity(C, M)
    PiCM = W @ (np.eye(h) - V @ V.T) @ W.T @ C @ M
    for k, met in enumerate(dynamics.METRICS):
        dW, dV = dynamics.factor_velocity(C, W, V, metric=met)
        np.testing.assert_allclose(dW @ V + W @ dV, target - k * PiCM, atol=1e-12)


def test_stiefel_deviation_is_large_for_intermediate_width():
    rng = np.random.default_rng(11)
    d, z, h = 10, 2, 6
    C = _sym(rng, d)
    W, V = _factors(rng, d, h, z)
    M = W @ V
    target = dynamics.flow_velocity(C, M)
    dW, dV = dynamics.factor_velocity(C, W, V, metric="euclidean")
    rel = np.linalg.norm(dW @ V + W @ dV - target) / np.linalg.norm(target)
    assert rel > 0.05  # about sqrt((h - z)/(d - z)) / 2 = 0.35 on average


def test_stiefel_gradients_agree_for_the_single_matrix_problem(rng):
    C, M = _sym(rng, 7), manifold.haar_orthonormal(7, 3, rng)
    G = 2 * C @ M
    ref = dynamics.tangent_direction(M, G, "grassmann")
    for met in ("euclidean", "canonical"):
        np.testing.assert_allclose(
            dynamics.tangent_direction(M, G, met), ref, atol=1e-12
        )


@pytest.mark.parametrize("h", [2, 4, 7])
def test_factor_flow_keeps_constraints_and_matches_grassmann_flow(h):
    rng = np.random.default_rng(h)
    d, z = 7, 2
    C = _sym(rng, d)
    W0, V0 = _factors(rng, d, h, z)
    ts = np.array([0.0, 0.5, 2.0])
    Ws, Vs = dynamics.factor_flow(C, W0, V0, ts)
    M_ref = dynamics.grassmann_flow(C, W0 @ V0, ts)
    np.testing.assert_allclose(Ws @ Vs, M_ref, atol=1e-9)
    for W, V in zip(Ws, Vs, strict=True):
        assert manifold.is_orthonormal(W, 1e-9) and manifold.is_orthonormal(V, 1e-9)
    np.testing.assert_array_equal(Ws[0], W0)


def test_factor_flow_stiefel_differs_from_theorem2():
    rng = np.random.default_rng(5)
    d, z, h = 8, 2, 5
    C = _sym(rng, d)
    W0, V0 = _factors(rng, d, h, z)
    W, V = dynamics.factor_flow(C, W0, V0, 1.0, metric="canonical")
    assert manifold.is_orthonormal(W, 1e-9)
    assert np.max(np.abs(W @ V - dynamics.grassmann_flow(C, W0 @ V0, 1.0))) > 1e-2


def test_zero_time_and_full_dimension():
    rng = np.random.default_rng(8)
    C, M0 = _sym(rng, 5), manifold.haar_orthonormal(5, 2, rng)
    np.testing.assert_array_equal(dynamics.grassmann_flow_ode(C, M0, 0.0), M0)
    np.testing.assert_allclose(
        dynamics.grassmann_flow(C, M0, [0.0, 0.0])[1], M0, atol=1e-15
    )
    W, V = dynamics.factor_flow(C, *_factors(rng, 5, 3, 2), 0.0)
    assert W.shape == (5, 3) and V.shape == (3, 2)
    # z = d: I - MM^T = 0, the flow does not move
    Q = manifold.haar_orthonormal(5, 5, rng)
    np.testing.assert_allclose(dynamics.grassmann_flow(C, Q, 3.0), Q, atol=1e-10)


def test_grassmann_flow_long_horizon_keeps_orthonormality():
    rng = np.random.default_rng(9)
    C, M0 = _sym(rng, 6), manifold.haar_orthonormal(6, 2, rng)
    M = dynamics.grassmann_flow(C, M0, 60.0)
    assert manifold.is_orthonormal(M, 1e-12)


def test_unshifted_ode_drifts_when_lambda_z_positive():
    """E = I - M^T M obeys dE/dt = 2(EA + AE), A = M^T C M: repelling when the limit
    has lambda_z > 0."""
    C = np.diag([-1.0, 1.0, 2.0, 3.0, 4.0])
    M0 = manifold.haar_orthonormal(5, 3, 1)
    try:
        M = dynamics.grassmann_flow_ode(
            C, M0, 12.0, rtol=1e-10, atol=1e-12, shift=False
        )
        drift = np.max(np.abs(M.T @ M - np.eye(3)))
    except RuntimeError:  # the solver gave up: drift too large to follow
        drift = np.inf
    assert drift > 1e-3
    M = dynamics.grassmann_flow_ode(C, M0, 12.0, rtol=1e-10, atol=1e-12, shift=True)
    assert manifold.is_orthonormal(M, 1e-9)


def test_bad_input_factor_functions():
    rng = np.random.default_rng(10)
    C = _sym(rng, 5)
    W, V = _factors(rng, 5, 3, 2)
    with pytest.raises(ValueError, match="metric"):
        dynamics.tangent_direction(W, W, "riemannian")
    with pytest.raises(ValueError, match="G: expected shape"):
        dynamics.tangent_direction(W, np.ones((5, 2)), "euclidean")
    with pytest.raises(ValueError, match="W: columns are not orthonormal"):
        dynamics.tangent_direction(2 * W, W)
    with pytest.raises(ValueError, match="V: expected 3 rows"):
        dynamics.factor_velocity(C, W, manifold.haar_orthonormal(4, 2, rng))
    with pytest.raises(ValueError, match="W: expected 6 rows"):
        dynamics.factor_velocity(_sym(rng, 6), W, V)
    with pytest.raises(ValueError, match="V: a 3x4 matrix cannot"):
        dynamics.factor_velocity(C, W, np.ones((3, 4)))  # z > h
    with pytest.raises(ValueError, match="C: expected a symmetric"):
        dynamics.factor_flow(np.triu(np.ones((5, 5))), W, V, 1.0)
    with pytest.raises(ValueError, match="V0: columns are not orthonormal"):
        dynamics.factor_flow(C, W, V + 0.1, 1.0)
    with pytest.raises(ValueError, match="t:"):
        dynamics.factor_flow(C, W, V, -1.0)
    with pytest.raises(ValueError, match="M0: expected 5 rows"):
        dynamics.grassmann_flow(C, np.eye(4)[:, :1], 1.0)
    with pytest.raises(ValueError, match="M0: expected a 2-D"):
        dynamics.grassmann_flow(C, np.ones(5) / np.sqrt(5), 1.0)
    with pytest.raises(ValueError, match="C: expected a square"):
        dynamics.grassmann_flow(np.ones((5, 4)), np.eye(5)[:, :1], 1.0)


# ---- closed form at any t, bounded work, validation (issue 13) ----------------------


def _stepped_projector(C, M0, t):
    """The previous implementation: exact steps over which rows spread by <= e^8."""
    lam, Q = np.linalg.eigh(C)
    B, spread, now = Q.T @ M0, lam[-1] - lam[0], 0.0
    while now < t:
        dt = t - now if spread == 0 else min(t - now, 4.0 / spread)
        B = manifold.qr_positive(np.exp(-2 * (lam - lam[0]) * dt)[:, None] * B)
        now += dt
    return Q @ B @ B.T @ Q.T


def test_echelon_basis_structure(rng):
    B = manifold.haar_orthonormal(9, 4, rng)
    B[:2] = 0.0  # two zero rows on top: the pivots must skip them
    B[4] = 0.0
    L, piv, R0 = dynamics.echelon_basis(B)
    assert piv.tolist() == [2, 3, 5, 6]
    for j, p in enumerate(piv):
        assert np.all(L[:p, j] == 0.0) and L[p, j] != 0.0
    np.testing.assert_allclose(R0.T @ R0, np.eye(4), atol=1e-14)
    np.testing.assert_allclose(B @ R0, L, atol=1e-14)
    with pytest.raises(ValueError, match="B: expected rank 2"):
        dynamics.echelon_basis(np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 0.0]]))


@pytest.mark.parametrize("d, z, scale", [(6, 1, 1.0), (8, 3, 1.0), (10, 4, 5.0)])
def test_projector_unchanged_at_small_times(d, z, scale):
    rng = np.random.default_rng(d + z)
    C, M0 = scale * _sym(rng, d), manifold.haar_orthonormal(d, z, rng)
    for t in (0.0, 0.05, 0.4, 1.0, 3.0):
        P = dynamics.flow_projector(C, M0, t)
        np.testing.assert_allclose(P, _stepped_projector(C, M0, t), atol=1e-12)


@pytest.mark.parametrize("z", [1, 3])
def test_huge_times_are_fast_and_reach_the_limit(z):
    import time

    rng = np.random.default_rng(20 + z)
    C, M0 = _sym(rng, 10), manifold.haar_orthonormal(10, z, rng)
    Q = np.linalg.eigh(C)[1]
    E = Q[:, :z] @ Q[:, :z].T
    start = time.perf_counter()
    P = dynamics.flow_projector(C, M0, 1e6)
    M = dynamics.grassmann_flow(C, M0, [1e6, 200.0])
    Y = dynamics.span_basis(C, M0, 1e12)
    assert time.perf_counter() - start < 2.0
    np.testing.assert_allclose(P, E, atol=1e-12)
    np.testing.assert_allclose(M[0] @ M[0].T, E, atol=1e-12)
    np.testing.assert_allclose(Y @ Y.T, E, atol=1e-12)
    np.testing.assert_allclose(M[0], M[1], atol=1e-12)  # converged: U stops moving
    assert manifold.is_orthonormal(M[0], 1e-13)


def test_grassmann_flow_agrees_with_a_tight_ode_at_moderate_times():
    rng = np.random.default_rng(21)
    C, M0 = _sym(rng, 7), manifold.haar_orthonormal(7, 3, rng)
    ts = np.array([0.3, 1.0, 2.0])
    ref = dynamics.grassmann_flow_ode(C, M0, ts, rtol=1e-13, atol=1e-15)
    assert np.max(np.abs(dynamics.grassmann_flow(C, M0, ts) - ref)) < 1e-10


def test_grassmann_flow_ties_and_scalar_C():
    rng = np.random.default_rng(22)
    Q = manifold.haar_orthonormal(6, 6, rng)
    M0 = manifold.haar_orthonormal(6, 2, rng)
    for lam in ([2.0] * 6, [-1.0, -1.0, -1.0, 0.0, 0.5, 1.0]):
        C = Q @ np.diag(lam) @ Q.T
        C = (C + C.T) / 2
        M = dynamics.grassmann_flow(C, M0, [0.5, 1e6])
        assert np.all(np.isfinite(M)) and manifold.is_orthonormal(M[1], 1e-12)
        np.testing.assert_allclose(
            M[1] @ M[1].T, dynamics.flow_projector(C, M0, 1e6), atol=1e-10
        )


def test_ode_routes_refuse_times_too_long():
    rng = np.random.default_rng(23)
    C, M0 = _sym(rng, 5), manifold.haar_orthonormal(5, 2, rng)
    with pytest.raises(ValueError, match="t: .*closed form"):
        dynamics.grassmann_flow_ode(C, M0, 1e6)
    W, V = _factors(rng, 5, 3, 2)
    with pytest.raises(ValueError, match="t: .*grassmann_flow"):
        dynamics.factor_flow(C, W, V, [0.0, 1e6])


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"rtol": float("nan")}, ValueError, "rtol"),
        ({"atol": float("nan")}, ValueError, "atol"),
        ({"rtol": 0.0}, ValueError, "rtol"),
        ({"atol": -1e-9}, ValueError, "atol"),
        ({"rtol": True}, TypeError, "rtol"),
        ({"atol": "1e-9"}, TypeError, "atol"),
        ({"rtol": 2.0}, ValueError, "rtol"),
    ],
)
def test_tolerances_are_checked(kwargs, exc, match):
    rng = np.random.default_rng(24)
    C, M0 = _sym(rng, 4), manifold.haar_orthonormal(4, 2, rng)
    W, V = _factors(rng, 4, 3, 2)
    with pytest.raises(exc, match=match):
        dynamics.grassmann_flow(C, M0, 1.0, **kwargs)
    with pytest.raises(exc, match=match):
        dynamics.grassmann_flow_ode(C, M0, 1.0, **kwargs)
    with pytest.raises(exc, match=match):
        dynamics.factor_flow(C, W, V, 1.0, **kwargs)


@pytest.mark.parametrize(
    "fn", [dynamics.flow_projector, dynamics.grassmann_flow, dynamics.span_basis]
)
def test_no_silent_casts(fn):
    C, M0 = np.diag([-1.0, 0.0, 1.0]), np.eye(3)[:, :1]
    with pytest.raises(TypeError, match="t:"):
        fn(C, M0, True)
    with pytest.raises(TypeError, match="t:"):
        fn(C, M0, "1.0")
    with pytest.raises(TypeError, match="C:"):
        fn(C + 0j, M0, 1.0)
    with pytest.raises(TypeError, match="M0:"):
        fn(C, M0.astype(bool), 1.0)
    with pytest.raises(TypeError, match="M0:"):
        fn(C, M0.astype(str), 1.0)
    with pytest.raises(ValueError, match="M0: contains NaN"):
        fn(C, np.array([[np.nan], [0.0], [1.0]]), 1.0)


def test_choices_and_flags_are_checked(rng):
    C = _sym(rng, 5)
    W, V = _factors(rng, 5, 3, 2)
    with pytest.raises(TypeError, match="metric"):
        dynamics.factor_velocity(C, W, V, metric=3)
    with pytest.raises(ValueError, match="metric"):
        dynamics.factor_flow(C, W, V, 1.0, metric="stiefel")
    with pytest.raises(TypeError, match="shift"):
        dynamics.grassmann_flow_ode(C, W @ V, 1.0, shift="yes")
    with pytest.raises(TypeError, match="G:"):
        dynamics.tangent_direction(W, W + 0j)
    with pytest.raises(TypeError, match="validate"):
        dynamics.tangent_direction(W, W, validate="no")
    G = rng.standard_normal(W.shape)
    for met in dynamics.METRICS:
        np.testing.assert_array_equal(
            dynamics.tangent_direction(W, G, met, validate=False),
            dynamics.tangent_direction(W, G, met),
        )


def test_rotation_work_is_bounded_for_near_ties():
    """Eigenvalues 1e-9 apart over t = 1e12: refused (quickly), pointing to the span."""
    C = np.diag([-1.0, -1 + 1e-9, -1 + 2e-9, 0.0, 0.5, 1.0])
    M0 = manifold.haar_orthonormal(6, 3, 1)
    with pytest.raises(ValueError, match="t: .*flow_projector"):
        dynamics.grassmann_flow(C, M0, 1e12)
    assert np.all(np.isfinite(dynamics.flow_projector(C, M0, 1e12)))

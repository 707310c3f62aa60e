"""Tests of ssl_notes.closed_form, and the flow_projector tests the issue asks for that
tests/test_dynamics.py does not already have (independent reference by scipy's expm,
basis invariance, times in any order, bad input)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import expm

from ssl_notes import closed_form, dynamics, manifold, metrics


def _sym(rng, d):
    A = rng.standard_normal((d, d)) / np.sqrt(d)
    return (A + A.T) / 2


def _projector(M):
    """M (M^T M)^{-1} M^T, through a QR factorisation (stable for graded columns)."""
    Q = np.linalg.qr(M)[0]
    return Q @ Q.T


# ---------------------------------------------------------------- flow_projector


@pytest.mark.parametrize("d, z", [(3, 1), (6, 2), (9, 4), (12, 12)])
def test_flow_projector_matches_expm_formula(d, z):
    """P(t) = Y (Y^T Y)^{-1} Y^T, Y = expm(-2Ct) M0 by scipy's expm (no eigh)."""
    rng = np.random.default_rng(d + z)
    C, M0 = _sym(rng, d), manifold.haar_orthonormal(d, z, rng)
    ts = [0.0, 0.3, 1.0, 2.5]
    P = dynamics.flow_projector(C, M0, ts)
    for Pt, t in zip(P, ts, strict=True):
        np.testing.assert_allclose(Pt, _projector(expm(-2 * C * t) @ M0), atol=1e-11)


@pytest.mark.parametrize("d, z", [(5, 1), (7, 3)])
def test_flow_projector_against_tight_ode(d, z):
    rng = np.random.default_rng(100 + d)
    C, M0 = _sym(rng, d), manifold.haar_orthonormal(d, z, rng)
    ts = np.linspace(0.0, 5.0, 11)
    P = dynamics.flow_projector(C, M0, ts)
    M = dynamics.grassmann_flow_ode(C, M0, ts, rtol=1e-13, atol=1e-13)
    assert np.max(np.abs(P - np.einsum("tia,tja->tij", M, M))) < 1e-9


def test_flow_projector_depends_only_on_the_span_and_handles_any_time_order():
    rng = np.random.default_rng(11)
    C, M0 = _sym(rng, 8), manifold.haar_orthonormal(8, 3, rng)
    R = manifold.haar_orthonormal(3, 3, rng)
    ts = np.array([2.0, 0.0, 0.7, 0.7, 30.0])
    P = dynamics.flow_projector(C, M0, ts)
    np.testing.assert_allclose(P, dynamics.flow_projector(C, M0 @ R, ts), atol=1e-12)
    np.testing.assert_allclose(P[1], M0 @ M0.T, atol=1e-15)
    np.testing.assert_allclose(P[2], P[3], atol=0)
    for Pt, t in zip(P, ts, strict=True):
        np.testing.assert_allclose(
            Pt, dynamics.flow_projector(C, M0, float(t)), atol=1e-12
        )


@settings(max_examples=25, deadline=None)
@given(
    d=st.integers(2, 10),
    seed=st.integers(0, 2**16),
    scale=st.floats(0.1, 20.0),
    t=st.floats(0.0, 100.0),
)
def test_flow_projector_is_a_rank_z_projector_even_for_wide_spectra(d, seed, scale, t):
    rng = np.random.default_rng(seed)
    z = int(rng.integers(1, d + 1))
    C, M0 = scale * _sym(rng, d), manifold.haar_orthonormal(d, z, rng)
    P = dynamics.flow_projector(C, M0, t)
    assert np.all(np.isfinite(P))
    np.testing.assert_allclose(P @ P, P, atol=1e-12)
    np.testing.assert_allclose(P, P.T, atol=1e-14)
    assert np.trace(P) == pytest.approx(z, abs=1e-12)


@pytest.mark.parametrize(
    "C, M0, t, exc, match",
    [
        (
            np.triu(np.ones((3, 3))),
            np.eye(3)[:, :1],
            1.0,
            ValueError,
            "C: expected a symmetric",
        ),
        (np.ones((3, 2)), np.eye(3)[:, :1], 1.0, ValueError, "C: expected a square"),
        (
            np.diag([1.0, np.nan, 2.0]),
            np.eye(3)[:, :1],
            1.0,
            ValueError,
            "C: contains NaN",
        ),
        (
            np.eye(3),
            np.ones((3, 1)),
            1.0,
            ValueError,
            "M0: columns are not orthonormal",
        ),
        (np.eye(3), np.eye(4)[:, :1], 1.0, ValueError, "M0: expected 3 rows"),
        (np.eye(3), np.ones((3, 4)) / 2, 1.0, ValueError, "M0: a 3x4 matrix cannot"),
        (np.eye(3), np.eye(3)[:, :1], -0.5, ValueError, "t:"),
        (np.eye(3), np.eye(3)[:, :1], [0.0, np.inf], ValueError, "t:"),
        (np.eye(3), np.eye(3)[:, :1], np.nan, ValueError, "t:"),
        (np.eye(3), np.eye(3)[:, :1], np.ones((2, 2)), ValueError, "t:"),
        (None, np.eye(3)[:, :1], 1.0, TypeError, "C:"),
        (np.eye(3), "abc", 1.0, TypeError, "M0:"),
    ],
)
def test_flow_projector_bad_input(C, M0, t, exc, match):
    with pytest.raises(exc, match=match):
        dynamics.flow_projector(C, M0, t)


# ---------------------------------------------------------------- closed_form


@pytest.mark.parametrize("d, z", [(4, 1), (8, 2), (15, 5)])
def test_loss_and_distance_curves_match_the_projector(d, z):
    rng = np.random.default_rng(d * 7 + z)
    C, M0 = _sym(rng, d), manifold.haar_orthonormal(d, z, rng)
    ts = np.linspace(0.0, 8.0, 17)
    P = dynamics.flow_projector(C, M0, ts)
    np.testing.assert_allclose(
        closed_form.loss_curve(C, M0, ts), np.einsum("ij,tji->t", C, P), atol=1e-12
    )
    Q = np.linalg.eigh(C)[1]
    dist = [
        metrics.subspace_distance(np.linalg.eigh(Pt)[1][:, -z:], Q[:, :z]) for Pt in P
    ]
    np.testing.assert_allclose(closed_form.distance_curve(C, M0, ts), dist, atol=1e-9)
    assert closed_form.loss_curve(C, M0, 1.5) == pytest.approx(
        float(np.trace(C @ dynamics.flow_projector(C, M0, 1.5))), abs=1e-12
    )


def test_loss_curve_limits_and_full_rank_case():
    rng = np.random.default_rng(3)
    C, M0 = _sym(rng, 9), manifold.haar_orthonormal(9, 3, rng)
    lam = np.linalg.eigvalsh(C)
    L = closed_form.loss_curve(C, M0, [0.0, 1e4])
    assert L[0] == pytest.approx(np.trace(M0.T @ C @ M0), abs=1e-12)
    assert L[1] == pytest.approx(lam[:3].sum(), abs=1e-12)  # no overflow at huge t
    assert np.all(
        np.diff(closed_form.loss_curve(C, M0, np.linspace(0, 5, 50))) <= 1e-12
    )  # gradient flow
    full = manifold.haar_orthonormal(9, 9, rng)
    np.testing.assert_allclose(
        closed_form.loss_curve(C, full, [0.0, 2.0]), np.trace(C), atol=1e-12
    )


def test_tangent_matrix_spans_the_flow_subspace():
    rng = np.random.default_rng(4)
    C, M0 = _sym(rng, 7), manifold.haar_orthonormal(7, 2, rng)
    Q = np.linalg.eigh(C)[1]
    K = closed_form.tangent_matrix(C, M0, 0.9)
    W = Q @ np.vstack([np.eye(2), K])
    np.testing.assert_allclose(
        _projector(W), dynamics.flow_projector(C, M0, 0.9), atol=1e-12
    )
    assert closed_form.tangent_matrix(C, M0, [0.0, 0.9]).shape == (2, 5, 2)


def test_qr_basis_is_the_positive_diagonal_qr_factor():
    rng = np.random.default_rng(5)
    C, M0 = 3 * _sym(rng, 6), manifold.haar_orthonormal(6, 3, rng)
    for t in (0.0, 0.4, 1.3):
        Q, R = np.linalg.qr(expm(-2 * C * t) @ M0)
        Q = Q * np.sign(np.diag(R))
        np.testing.assert_allclose(closed_form.qr_basis(C, M0, t), Q, atol=1e-10)
    Yh = closed_form.qr_basis(
        C, M0, [50.0, 0.0]
    )  # long times: still orthonormal, right span
    assert manifold.is_orthonormal(Yh[0], tol=1e-12)
    np.testing.assert_allclose(
        Yh[0] @ Yh[0].T, dynamics.flow_projector(C, M0, 50.0), atol=1e-10
    )
    np.testing.assert_allclose(Yh[1], M0, atol=1e-15)


def test_eigengap():
    C = np.diag([3.0, -1.0, 0.5, 2.0])
    assert closed_form.eigengap(C, 1) == pytest.approx(1.5)
    assert closed_form.eigengap(C, 3) == pytest.approx(1.0)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**16), logdelta=st.floats(-10, -1))
def test_convergence_time_bound_holds_and_asymptotic_is_a_lower_bound(seed, logdelta):
    rng = np.random.default_rng(seed)
    d = int(rng.integers(3, 9))
    z = int(rng.integers(1, d))
    C, M0 = _sym(rng, d), manifold.haar_orthonormal(d, z, rng)
    delta = 10.0**logdelta
    bound, asym = closed_form.convergence_time(C, M0, delta)
    theta0 = closed_form.distance_curve(C, M0, 0.0)
    assert closed_form.distance_curve(C, M0, bound) <= delta * (1 + 1e-9)
    if theta0 > delta and asym > 0:
        # before T_inf the angle is still above delta (it is at least kappa e^{-2gt})
        assert closed_form.distance_curve(C, M0, asym * (1 - 1e-6)) > delta


def test_convergence_time_is_asymptotically_exact():
    rng = np.random.default_rng(8)
    Q = manifold.haar_orthonormal(6, 6, rng)
    C = (Q * np.array([-2.0, -1.5, -1.0, 0.0, 0.5, 1.0])) @ Q.T
    C = (C + C.T) / 2
    M0 = manifold.haar_orthonormal(6, 2, rng)
    for delta, tol in ((1e-3, 1e-2), (1e-8, 1e-6)):
        _, asym = closed_form.convergence_time(C, M0, delta)
        # T(delta) by bisection on the monotone distance curve
        lo, hi = 0.0, 100.0
        for _ in range(200):
            mid = (lo + hi) / 2
            lo, hi = (
                (mid, hi)
                if closed_form.distance_curve(C, M0, mid) > delta
                else (lo, mid)
            )
        assert asym <= hi + 1e-9 and hi - asym < tol


def test_degenerate_initialisation_is_rejected():
    C = np.diag([-2.0, -1.0, 0.0, 1.0])
    M0 = np.eye(4)[:, 1:3]  # contains e_3, orthogonal to E_2 = span(e_1, e_2)
    with pytest.raises(ValueError, match="orthogonal to the bottom-z eigenspace"):
        closed_form.loss_curve(C, M0, 1.0)
    with pytest.raises(ValueError, match="orthogonal to the bottom-z eigenspace"):
        closed_form.convergence_time(C, np.eye(4)[:, 1:2], 1e-3)
    # the projector itself is still fine there: span(e_2, e_3) is invariant
    np.testing.assert_allclose(
        dynamics.flow_projector(C, M0, 5.0), M0 @ M0.T, atol=1e-15
    )


def test_bad_input():
    C, M0 = np.diag([-1.0, 0.0, 1.0]), np.eye(3)[:, :1]
    with pytest.raises(ValueError, match="delta"):
        closed_form.convergence_time(C, M0, 0.0)
    with pytest.raises(ValueError, match="delta"):
        closed_form.convergence_time(C, M0, 2.0)
    with pytest.raises(ValueError, match="eigengap"):
        closed_form.convergence_time(
            np.diag([-1.0, -1.0, 1.0]), np.array([[0.6], [0.8], [0.0]]), 1e-3
        )
    with pytest.raises(ValueError, match="z"):
        closed_form.eigengap(C, 3)
    with pytest.raises(TypeError, match="z"):
        closed_form.eigengap(C, 1.0)
    with pytest.raises(ValueError, match="t:"):
        closed_form.loss_curve(C, M0, -1.0)
    with pytest.raises(ValueError, match="t:"):
        closed_form.loss_curve(C, M0, [])
    with pytest.raises(TypeError, match="t:"):
        closed_form.loss_curve(C, M0, "soon")
    with pytest.raises(ValueError, match="M0: expected 3 rows"):
        closed_form.distance_curve(C, np.eye(4)[:, :1], 1.0)
    with pytest.raises(ValueError, match="z < d"):
        closed_form.tangent_matrix(C, np.eye(3), 1.0)
    with pytest.raises(ValueError, match="C: expected a symmetric"):
        closed_form.loss_curve(np.triu(np.ones((3, 3))), M0, 1.0)


# ---------------------------------------------------------------- any t, validation


def _stepped_qr_basis(C, M0, t, max_step=4.0):
    """The previous implementation of qr_basis (positive-diagonal QR in short steps)."""
    lam, Q = np.linalg.eigh(C)
    B, spread, now = Q.T @ M0, lam[-1] - lam[0], 0.0
    while now < t:
        dt = t - now if spread == 0 else min(t - now, max_step / (2 * spread))
        B = manifold.qr_positive(np.exp(-2 * (lam - lam[0]) * dt)[:, None] * B)
        now += dt
    return Q @ B


@pytest.mark.parametrize("d, z, scale", [(5, 1, 1.0), (7, 3, 1.0), (9, 5, 4.0)])
def test_qr_basis_unchanged_at_small_times(d, z, scale):
    rng = np.random.default_rng(30 + d)
    C, M0 = scale * _sym(rng, d), manifold.haar_orthonormal(d, z, rng)
    ts = np.array([0.0, 0.1, 0.7, 2.0, 5.0])
    Yh = closed_form.qr_basis(C, M0, ts)
    for Y, t in zip(Yh, ts, strict=True):
        np.testing.assert_allclose(Y, _stepped_qr_basis(C, M0, t), atol=1e-12)


def test_huge_times_are_fast_in_every_route():
    import time

    rng = np.random.default_rng(31)
    C, M0 = _sym(rng, 10), manifold.haar_orthonormal(10, 3, rng)
    lam, Q = np.linalg.eigh(C)
    start = time.perf_counter()
    L = closed_form.loss_curve(C, M0, [1e6, 1e300])
    theta = closed_form.distance_curve(C, M0, 1e6)
    K = closed_form.tangent_matrix(C, M0, 1e6)
    Yh = closed_form.qr_basis(C, M0, [1e6, 200.0])
    bound, _ = closed_form.convergence_time(C, M0, 1e-300)
    assert time.perf_counter() - start < 2.0
    np.testing.assert_allclose(L, lam[:3].sum(), atol=1e-12)
    assert theta == 0.0 and np.all(K == 0.0)
    assert manifold.is_orthonormal(Yh[0], 1e-13)
    np.testing.assert_allclose(Yh[0], Yh[1], atol=1e-12)  # the QR basis has converged
    np.testing.assert_allclose(Yh[0] @ Yh[0].T, Q[:, :3] @ Q[:, :3].T, atol=1e-12)
    assert np.isfinite(bound)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"delta": None}, TypeError, "delta: "),
        ({"delta": float("nan")}, ValueError, "delta: "),
        ({"delta": True}, TypeError, "delta: "),
        ({"delta": "0.1"}, TypeError, "delta: "),
        ({"delta": 1e-3, "rtol": float("nan")}, ValueError, "rtol: "),
        ({"delta": 1e-3, "rtol": 0.0}, ValueError, "rtol: "),
    ],
)
def test_convergence_time_arguments(kwargs, exc, match):
    C, M0 = np.diag([-1.0, 0.0, 1.0]), np.array([[0.6], [0.8], [0.0]])
    with pytest.raises(exc, match=match):
        closed_form.convergence_time(C, M0, **kwargs)


@pytest.mark.parametrize(
    "fn",
    [
        closed_form.loss_curve,
        closed_form.distance_curve,
        closed_form.tangent_matrix,
        closed_form.qr_basis,
    ],
)
def test_no_silent_casts_in_closed_form(fn):
    C, M0 = np.diag([-1.0, 0.0, 1.0]), np.array([[0.6], [0.8], [0.0]])
    with pytest.raises(TypeError, match="t:"):
        fn(C, M0, True)
    with pytest.raises(TypeError, match="C:"):
        fn(C.astype(complex), M0, 1.0)
    with pytest.raises(TypeError, match="M0:"):
        fn(C, M0.astype(str), 1.0)
    with pytest.raises(TypeError, match="z"):
        closed_form.eigengap(C, True)

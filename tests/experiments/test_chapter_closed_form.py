"""Tests of ssl_notes.experiments.closed_form: each check passes on the right input
and fails on a deliberately wrong one (a wrong rate, a wrong sign, a wrong basis)."""

from __future__ import annotations

import numpy as np
import pytest

from ssl_notes import closed_form, dynamics, losses, manifold
from ssl_notes.experiments import closed_form as cfx


@pytest.fixture
def problem():
    rng = np.random.default_rng(0)
    C = cfx.random_symmetric(7, rng)
    return C, manifold.haar_orthonormal(7, 3, rng)


def _rate(rate):
    return lambda C, M0, t: cfx.oja_projector(C, M0, t, rate=rate)


def test_helpers_are_what_they_say():
    rng = np.random.default_rng(1)
    C = cfx.random_symmetric(5, rng)
    assert np.array_equal(C, C.T)
    Q = manifold.haar_orthonormal(5, 5, rng)
    lam = cfx.spectrum_with_gap(0.3, 5)
    assert np.allclose(lam, [-2.5, -2.0, -1.7, -1.2, 1.3])
    assert np.allclose(np.linalg.eigvalsh(cfx.with_spectrum(Q, lam)), lam)
    M0 = manifold.haar_orthonormal(5, 2, rng)
    t = [0.0, 0.7]
    P = cfx.oja_projector(C, M0, t)
    assert np.allclose(P, dynamics.flow_projector(C, M0, t), atol=1e-14)


def test_riccati_check_passes_on_the_closed_form(problem):
    r = cfx.riccati_check(*problem, t=0.6)
    assert r.passed and r.fine < 1e-5 and 90 < r.ratio < 110


@pytest.mark.parametrize("rate", [1.0, 4.0, 2.2])
def test_riccati_check_fails_on_a_wrong_rate(problem, rate):
    """e^{-Ct} (or e^{-4Ct}) instead of e^{-2Ct}: residual of order one, no h^2."""
    r = cfx.riccati_check(*problem, t=0.6, projector=_rate(rate))
    assert not r.passed and r.fine > 1e-3


def test_riccati_check_fails_on_an_unnormalised_projector(problem):
    """Y Y^T instead of Y (Y^T Y)^{-1} Y^T (the Gram inverse forgotten)."""

    def no_gram(C, M0, t):
        lam, Q = np.linalg.eigh(C)
        E = np.exp(-2 * np.asarray(t)[:, None] * lam)
        Y = np.einsum("ij,tj,jk->tik", Q, E, Q.T @ M0)
        return Y @ Y.transpose(0, 2, 1)

    assert not cfx.riccati_check(*problem, t=0.6, projector=no_gram).passed


def test_compare_with_ode_passes_and_fails():
    rng = np.random.default_rng(2)
    ts = np.linspace(0.0, 3.0, 20)
    for d, z in ((4, 1), (8, 2)):
        C = cfx.random_symmetric(d, rng)
        M0 = manifold.haar_orthonormal(d, z, rng)
        ok = cfx.compare_with_ode(C, M0, ts)
        assert ok.passed and ok.P_err.max() < 1e-9
        assert (z == 1) == (ok.m_err is not None)
        bad = cfx.compare_with_ode(C, M0, ts, projector=_rate(1.0))
        assert not bad.passed and bad.P_err.max() > 1e-3

        def slow_loss(C, M0, t):  # rate 1: the loss at half the time
            return closed_form.loss_curve(C, M0, np.asarray(t) / 2)

        bad = cfx.compare_with_ode(C, M0, ts, loss=slow_loss)
        assert not bad.passed and bad.L_err > 1e-3


def test_compare_with_ode_fails_on_a_non_projector():
    rng = np.random.default_rng(3)
    C = cfx.random_symmetric(6, rng)
    M0 = manifold.haar_orthonormal(6, 2, rng)
    ts = np.linspace(0.0, 1.0, 5)

    def scaled(C, M0, t):  # right span, but P^2 != P
        return (1 + 1e-6) * dynamics.flow_projector(C, M0, t)

    r = cfx.compare_with_ode(C, M0, ts, projector=scaled)
    assert not r.passed and r.idem > 1e-12


def test_omega_is_skew_and_rotation_check(problem):
    C, M0 = problem
    Yh = closed_form.qr_basis(C, M0, 0.4)
    Om = cfx.omega_matrix(C, Yh)
    assert np.allclose(Om, -Om.T, atol=0)
    ok = cfx.rotation_check(2 * C, M0, [0.4, 1.1])
    assert ok.passed and ok.residual < 1e-6


@pytest.mark.parametrize(
    "wrong",
    [
        lambda C, Yh: -cfx.omega_matrix(C, Yh),  # wrong sign
        lambda C, Yh: cfx.omega_matrix(C, Yh).T,  # transposed triangle
        lambda C, Yh: 0.5 * cfx.omega_matrix(C, Yh),  # H without the factor 2
    ],
)
def test_rotation_check_fails_on_a_wrong_omega(problem, wrong):
    C, M0 = problem
    r = cfx.rotation_check(2 * C, M0, [0.4, 1.1], omega=wrong)
    assert not r.passed and r.residual > 1e-3


def test_basis_gap_polar_vs_flow(problem):
    C, M0 = problem
    ts = np.linspace(0.0, 2.0, 11)
    polar = cfx.basis_gap(C, M0, ts)
    assert polar.same_span and not polar.same_basis and polar.angle > 1e-3
    # the true solution: same basis, so "the polar factor differs" would fail
    flow = cfx.basis_gap(C, M0, ts, candidate=dynamics.grassmann_flow)
    assert flow.same_span and flow.same_basis
    # a polar factor of the wrong Y: not even the span
    wrong = cfx.basis_gap(
        C, M0, ts, candidate=lambda C, M0, t: cfx.polar_factor(0.5 * C, M0, t)
    )
    assert not wrong.same_span
    m1 = M0[:, :1]
    assert cfx.basis_gap(C, m1, ts).same_basis  # z = 1: polar factor = Y/|Y| = M


def test_polar_factor_refuses_rank_deficient_y(problem):
    C, M0 = problem
    with pytest.raises(ValueError, match="t:"):
        cfx.polar_factor(C, M0, 1e6)


def test_first_crossing_interpolates_exponential_decay():
    t = np.linspace(0.0, 10.0, 11)
    theta = np.arctan(np.exp(-2 * t))
    T = cfx.first_crossing(t, theta, np.arctan(np.exp(-2 * 4.3)))
    assert abs(T - 4.3) < 1e-12
    with pytest.raises(ValueError, match="theta"):
        cfx.first_crossing(t, theta, 1e-12)


def _gap_problem(g=0.5):
    rng = np.random.default_rng(4)
    Q = manifold.haar_orthonormal(6, 6, rng)
    C = cfx.with_spectrum(Q, cfx.spectrum_with_gap(g, 6))
    M0 = manifold.haar_orthonormal(6, 2, rng)
    bound = closed_form.convergence_time(C, M0, 1e-6)[0]
    return C, M0, np.linspace(0.0, 1.2 * bound, 800)


def test_learning_time_inside_the_bracket():
    C, M0, ts = _gap_problem()
    r = cfx.learning_time(C, M0, 1e-6, ts)
    assert r.passed and r.T_inf <= r.measured + 1e-3 <= r.upper + 2e-3
    assert abs(r.g - 0.5) < 1e-12 and abs(r.g_next - 0.5) < 1e-12


@pytest.mark.parametrize("rate", [1.0, 4.0])
def test_learning_time_fails_on_a_wrong_rate(rate):
    """ln(kappa/tan delta)/g (or /4g) instead of /2g."""
    C, M0, ts = _gap_problem()
    r = cfx.learning_time(C, M0, 1e-6, ts, rate=rate)
    assert not r.passed


def test_learning_time_needs_a_gap():
    C, M0, ts = _gap_problem()
    lam, Q = np.linalg.eigh(C)
    lam[2] = lam[1]
    with pytest.raises(ValueError, match="C"):
        cfx.learning_time(cfx.with_spectrum(Q, lam), M0, 1e-6, ts)


def test_never_learns_passes_on_degenerate_and_fails_on_generic():
    lam = np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0])
    C = np.diag(lam)
    rng = np.random.default_rng(5)
    w = rng.standard_normal(6)
    w[0] = 0.0
    m0 = (w / np.linalg.norm(w))[:, None]
    ts = np.linspace(0.0, 10.0, 101)
    stuck = cfx.never_learns(C, m0, ts, atol=1e-20, tol=0.0)
    assert stuck.passed and np.all(stuck.deviation == 0.0)
    assert abs(stuck.loss[-1] - lam[1]) < 1e-6
    generic = manifold.haar_orthonormal(6, 1, rng)
    assert not cfx.never_learns(C, generic, ts).passed


def test_euler_benchmark_passes_and_fails():
    rng = np.random.default_rng(6)
    X = rng.standard_normal((20, 6))
    dm = losses.data_matrix(X, X + 0.1 * rng.standard_normal((20, 6)), X[::-1])
    M0 = manifold.haar_orthonormal(6, 2, rng)
    args = dict(T=2.0, n_times=100, steps=(400, 800, 1600), repeats=1)
    ok = cfx.euler_benchmark(dm, M0, **args)
    assert abs(ok.slope + 1) < 0.05 and ok.exact_vs_projector < 1e-9
    assert ok.constant > 0 and ok.steps_needed > 1600

    def twice_as_fast(C, M0, t):  # e^{-4Ct}: Euler cannot converge to it
        return closed_form.loss_curve(C, M0, 2 * np.asarray(t))

    bad = cfx.euler_benchmark(dm, M0, exact=twice_as_fast, **args)
    assert not bad.passed and abs(bad.slope + 1) > 0.05


def test_errors_name_the_argument(problem):
    C, M0 = problem
    with pytest.raises(ValueError, match="t:"):
        cfx.riccati_check(C, M0, t=0.001)
    with pytest.raises(TypeError, match="projector"):
        cfx.riccati_check(C, M0, t=0.5, projector="flow")
    with pytest.raises(ValueError, match="projector"):
        cfx.riccati_check(C, M0, t=0.5, projector=lambda C, M0, t: np.eye(3))
    with pytest.raises(TypeError, match="dm"):
        cfx.euler_benchmark(C, M0, 1.0)
    with pytest.raises(ValueError, match="d"):
        cfx.spectrum_with_gap(0.5, 3)

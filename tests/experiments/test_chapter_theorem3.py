"""Tests of :mod:`ssl_notes.experiments.theorem3`: the integrators against the exact
z = 1 solution, and every check passing on the right input and failing on a wrong one
(a wrong rate, a wrong sign, a wrong rate constant, a wrong expectation)."""

from __future__ import annotations

import numpy as np
import pytest

from ssl_notes import dynamics, manifold
from ssl_notes.experiments import theorem3 as t3


@pytest.fixture(scope="module")
def setting():
    rng = np.random.default_rng(0)
    d, k = 6, 4
    X = manifold.haar_orthonormal(d, k, rng)
    R = manifold.haar_orthonormal(k, k, rng)
    G = rng.standard_normal((d, 40))
    M0 = G / np.linalg.norm(G, axis=0)
    return X, R, M0


def _D(R, lam):
    return R @ np.diag(lam) @ R.T


# ------------------------------------------------------------------ integrators


def test_solve_m_matches_the_exact_solution(setting):
    X, R, M0 = setting
    C = X @ _D(R, [-0.8, -0.3, 0.5, 1.0]) @ X.T
    t = np.linspace(0, 5, 11)
    num = t3.solve_m(C, M0[:, :3], t).Y
    exact = dynamics.grassmann_flow(C, M0[:, :1], t)[:, :, 0]  # z = 1, exact
    assert np.max(np.abs(num[:, :, 0] - exact)) < 1e-10
    assert num.shape == (11, 6, 3)


def test_exact_m_solves_the_flow_at_large_t(setting):
    X, R, M0 = setting
    C = X @ _D(R, [-0.8, -0.3, 0.5, 1.0]) @ X.T
    t = np.array([0.0, 1.0, 500.0])
    M = t3.exact_m(C, M0[:, :2], t).Y
    ref = dynamics.grassmann_flow(C, M0[:, :1], t)[:, :, 0]
    assert np.all(np.isfinite(M)) and np.max(np.abs(M[:, :, 0] - ref)) < 1e-12
    assert np.allclose(np.linalg.norm(M, axis=1), 1)


def test_solve_f_is_x_transpose_m(setting):
    X, R, M0 = setting
    D = _D(R, [0.3, 0.6, 1.0, 1.5])
    t = np.linspace(0, 3, 7)
    F = t3.solve_f(D, X.T @ M0, t).Y
    M = t3.solve_m(X @ D @ X.T, M0, t).Y
    assert np.max(np.abs(F - np.einsum("dk,tdn->tkn", X, M))) < 1e-9


def test_output_velocity_is_tangent_on_the_sphere():
    rng = np.random.default_rng(1)
    D = _D(manifold.haar_orthonormal(3, 3, rng), [-1.0, 0.5, 2.0])
    F = rng.standard_normal((3, 5))
    F /= np.linalg.norm(F, axis=0)
    V = t3.output_velocity(D, F)
    assert np.max(np.abs(np.sum(F * V, axis=0))) < 1e-14


def test_solve_f_refuses_long_times(setting):
    X, R, M0 = setting
    with pytest.raises(ValueError, match="t"):
        t3.solve_f(np.eye(4), X.T @ M0, [0.0, 1e6])


def test_line_angle():
    v = np.array([1.0, 0.0])
    a = t3.line_angle(np.array([[1.0, 1.0], [0.0, 1.0]]), v)
    assert np.allclose(a.tan, [0.0, 1.0]) and np.allclose(a.overlap, [1.0, 1.0])


# --------------------------------------------------------------- the two cases


def test_case1_passes_and_a_doubled_rate_fails(setting):
    X, R, M0 = setting
    D = _D(R, [0.3, 0.6, 1.0, 1.5])
    t = np.linspace(0, 15, 31)
    right = t3.check_case1(D, X, M0, t)
    assert right.passed and right.tightness <= 1 and right.final < 1e-2
    assert not t3.check_case1(D, X, M0, t, mu=0.6).passed  # wrong factor 2


def test_case2_passes_and_wrong_claims_fail(setting):
    X, R, M0 = setting
    D = _D(R, [-0.8, -0.3, 0.5, 1.0])
    t = np.linspace(0, 15, 31)
    right = t3.check_case2(D, X, M0, t)
    assert right.passed and right.sign_kept and right.final < 1e-2
    assert right.gap == pytest.approx(0.5)
    assert not t3.check_case2(D, X, M0, t, gap=1.0).passed  # wrong factor 2
    # the gap of D (0.5 here by chance equals that of C): use one where it differs
    D2 = _D(R, [-0.8, 0.8, 2.5, 3.0])  # gap of D 1.6, of C 0.8 (zeros)
    assert t3.check_case2(D2, X, M0, t).passed
    wrong = t3.check_case2(D2, X, M0, t, gap=1.6)
    assert not wrong.passed and wrong.excess > 0.1


def test_cases_refuse_the_wrong_hypothesis(setting):
    X, R, M0 = setting
    t = [0.0, 1.0]
    with pytest.raises(ValueError, match="D"):
        t3.check_case1(_D(R, [-0.8, 0.6, 1.0, 1.5]), X, M0, t)
    with pytest.raises(ValueError, match="D"):
        t3.check_case2(_D(R, [0.3, 0.6, 1.0, 1.5]), X, M0, t)
    with pytest.raises(ValueError, match="D"):  # double smallest eigenvalue
        t3.check_case2(_D(R, [-0.8, -0.8, 1.0, 1.5]), X, M0, t)


# ------------------------------------------------------------------------ rates


def test_check_rate_at_2g():
    t = np.linspace(0, 60, 601)
    g = 0.3
    assert t3.check_rate(t, 5 * np.exp(-2 * g * t), g).passed


@pytest.mark.parametrize(
    "y",
    [
        lambda t, g: np.exp(-g * t),  # wrong rate: g instead of 2g
        lambda t, g: np.exp(-4 * g * t),  # wrong rate: 4g
        lambda t, g: 1e-10 * np.exp(2 * g * t),  # wrong sign: growth at 2g
    ],
)
def test_check_rate_fails_on_a_wrong_rate_or_sign(y):
    t = np.linspace(0, 60, 601)
    g = 0.3
    check = t3.check_rate(t, y(t, g), g)
    assert not check.passed and check.rel_err > 0.4


def test_fitted_rate_needs_a_window():
    t = np.linspace(0, 1, 11)
    with pytest.raises(ValueError, match="y"):
        t3.fitted_rate(t, np.ones(11))


def test_flow_rate_both_cases_and_the_capped_gap(setting):
    X, R, M0 = setting
    t = np.linspace(0, 60, 601)
    m0 = M0[:, :1]
    case2 = t3.flow_rate(_D(R, [-0.8, -0.5, 2.5, 3.0]), X, m0, t)
    assert case2.case == 2 and case2.rate.passed and case2.gap_C == pytest.approx(0.3)
    case1 = t3.flow_rate(_D(R, [0.3, 0.8, 2.5, 3.0]), X, m0, t)
    assert case1.case == 1 and case1.rate.passed
    capped = _D(R, [-0.8, 0.8, 2.5, 3.0])
    assert t3.flow_rate(capped, X, m0, t).rate.passed  # 2 * 0.8, set by the zeros
    assert not t3.flow_rate(capped, X, m0, t, gap=1.6).rate.passed  # gap of D
    with pytest.raises(ValueError, match="D"):  # neither case: a double eigenvalue
        t3.flow_rate(_D(R, [-0.8, -0.8, 2.5, 3.0]), X, m0, t)


# ------------------------------------------------------------ the expected C


@pytest.fixture(scope="module")
def mean_c():
    rng = np.random.default_rng(3)
    mu = np.array([1.0, -0.5, 0.8])
    L = np.tril(rng.standard_normal((3, 3))) * 0.6 + np.eye(3) * 0.5
    return mu, L, t3.mean_contrastive(mu, L, n=20, n_mc=1500, rng=rng)


def test_mean_of_c_is_minus_the_covariance(mean_c):
    mu, L, mc = mean_c
    assert t3.max_z_score(mc, -L @ L.T) < 4


@pytest.mark.parametrize(
    "wrong",
    [
        lambda mu, L: -L @ L.T - np.outer(mu, mu),  # -E[xx^T]: mean not removed
        lambda mu, L: -2 * L @ L.T,  # wrong factor 2
        lambda mu, L: L @ L.T,  # wrong sign
    ],
)
def test_a_wrong_expectation_fails(mean_c, wrong):
    mu, L, mc = mean_c
    assert t3.max_z_score(mc, wrong(mu, L)) > 4


# --------------------------------------------------------------------- z > 1


def test_check_subspace_and_a_wrong_rate():
    rng = np.random.default_rng(4)
    Q = manifold.haar_orthonormal(6, 6, rng)
    C = Q @ np.diag([-1.5, -1.0, -0.5, 0.2, 0.6, 1.0]) @ Q.T
    t = np.linspace(0, 30, 121)
    check = t3.check_subspace(C, 2, t, n_init=5, rng=rng)
    assert check.passed and check.gap == pytest.approx(0.5)
    # the rate is 2 (lambda_3 - lambda_2), not 2 (lambda_2 - lambda_1) or the gap
    wrong = t3.RateCheck(check.rate.fitted, 2 * 0.5 * 2, check.rate.rtol)
    assert not wrong.passed


def test_check_subspace_refuses_a_tie():
    C = np.diag([-1.0, -0.5, -0.5, 1.0])
    with pytest.raises(ValueError, match="C"):
        t3.check_subspace(C, 2, [0.0, 1.0])

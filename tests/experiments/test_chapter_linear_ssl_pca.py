"""The machinery of the linear-SSL-is-PCA chapter: each check passes on the right
input and fails on a wrong one (a wrong k, a wrong sign, a missing term, a wrong
constant, the anchor as its own negative)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ssl_notes import data, losses, metrics
from ssl_notes.experiments import linear_ssl_pca as lp


def _sym(d, seed=0):
    A = np.random.default_rng(seed).standard_normal((d, d))
    return (A + A.T) / 2


def _images(n=12, side=5, seed=0):
    """Smooth-ish non-negative images: a blob at a random place plus noise."""
    rng = np.random.default_rng(seed)
    r, c = np.mgrid[0:side, 0:side]
    out = []
    for _ in range(n):
        r0, c0 = rng.uniform(0, side - 1, 2)
        blob = np.exp(-((r - r0) ** 2 + (c - c0) ** 2) / 2.0)
        out.append(blob + 0.1 * rng.uniform(size=(side, side)))
    return np.array(out).reshape(n, -1)


# ---------------------------------------------------------------- top_eig


def _old_top_eig(A, k):
    """The chapter's former helper: it ignored k."""
    lam, U = np.linalg.eigh(A)
    return lam[::-1], U[:, ::-1]


def _is_top_k(values, vectors, A, k):
    """What top_eig promises: exactly k pairs, the k largest, descending."""
    values, vectors = np.asarray(values), np.asarray(vectors)
    if values.shape != (k,) or vectors.shape != (A.shape[0], k):
        return False
    ref = np.sort(np.linalg.eigvalsh(A))[::-1][:k]
    return bool(
        np.allclose(values, ref, atol=1e-12)
        and np.allclose(A @ vectors, vectors * values, atol=1e-10)
        and np.allclose(vectors.T @ vectors, np.eye(k), atol=1e-12)
    )


@pytest.mark.parametrize("k", [1, 3, 7])
def test_top_eig_returns_exactly_the_top_k(k):
    A = _sym(7)
    r = lp.top_eig(A, k)
    assert _is_top_k(r.values, r.vectors, A, k)
    assert np.all(np.diff(r.values) <= 0)


def test_the_shape_check_catches_the_former_top_eig_that_ignored_k():
    A = _sym(7)
    assert not _is_top_k(*_old_top_eig(A, 3), A, 3)
    assert _is_top_k(*_old_top_eig(A, 7), A, 7)  # only right when k = d


@pytest.mark.parametrize("k, exc", [(0, ValueError), (8, ValueError),
                                    (2.5, TypeError), (True, TypeError)])  # fmt: skip
def test_top_eig_rejects_a_wrong_k(k, exc):
    with pytest.raises(exc, match="k"):
        lp.top_eig(_sym(7), k)


def test_top_eig_rejects_a_non_symmetric_matrix():
    with pytest.raises(ValueError, match="A"):
        lp.top_eig(np.triu(np.ones((4, 4))), 2)


# ---------------------------------------------------------------- PCA helpers


def test_pca_basis_is_the_top_eigenspace_of_the_covariance():
    X = np.random.default_rng(3).standard_normal((200, 6)) * np.arange(1, 7)
    V = lp.pca_basis(X, 2)
    assert V.shape == (6, 2)
    assert metrics.subspace_distance(V, lp.top_eig(np.cov(X.T), 2).vectors) < 1e-10


def test_procrustes_align_keeps_the_span_and_moves_to_the_reference():
    rng = np.random.default_rng(4)
    ref = np.linalg.qr(rng.standard_normal((6, 2)))[0]
    B = np.linalg.qr(ref + 0.3 * rng.standard_normal((6, 2)))[0]
    A = lp.procrustes_align(B, ref)
    assert metrics.subspace_distance(A, B) < 1e-12
    assert np.linalg.norm(A - ref) <= np.linalg.norm(B - ref) + 1e-12
    Q = np.linalg.qr(rng.standard_normal((2, 2)))[0]
    assert np.allclose(lp.procrustes_align(ref @ Q, ref), ref, atol=1e-12)


# ---------------------------------------------------------------- Monte Carlo


def _mc_setup(n=8, d=6, seed=5):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * np.linspace(2, 0.5, d) + 1.0
    W = lp.top_eig(np.cov(X.T), 3).vectors
    return X, W


def _gauss(X, r):
    return data.gaussian_positives(X, 0.3, r)


def _anchor_may_be_negative(X, r):
    return X[r.integers(0, X.shape[0], X.shape[0])]


def test_mc_expectation_accepts_the_right_expectation():
    X, W = _mc_setup()
    Sig = np.cov(X.T)
    r = lp.mc_expectation(X, W, -Sig, _gauss, data.random_negatives, 4000, rng=0)
    assert r.passed and r.entries == 6
    assert r.false_alarm == pytest.approx(6 * math.erfc(4.5 / math.sqrt(2)))
    S = X.T @ X / X.shape[0]
    assert lp.mc_expectation(X, W, -S, _gauss, None, 4000, rng=1).passed


@pytest.mark.parametrize("wrong", ["anchor as negative", "sign", "second moment"])
def test_mc_expectation_rejects_a_wrong_expectation(wrong):
    X, W = _mc_setup()
    Sig = np.cov(X.T)
    neg, E = data.random_negatives, -Sig
    if wrong == "anchor as negative":  # E C = -(n-1)/n Sigma, 12.5 % off at n = 8
        neg = _anchor_may_be_negative
    elif wrong == "sign":
        E = Sig
    else:  # the non-contrastive expectation
        E = -X.T @ X / X.shape[0]
    r = lp.mc_expectation(X, W, E, _gauss, neg, 4000, rng=0)
    assert not r.passed and r.max_z > 2 * r.z_max


def test_mc_expectation_checks_its_samplers():
    X, W = _mc_setup()
    with pytest.raises(TypeError, match="positives"):
        lp.mc_expectation(X, W, np.eye(6), "gauss", None, 10)
    with pytest.raises(ValueError, match="negatives"):
        lp.mc_expectation(X, W, np.eye(6), _gauss, lambda X, r: X[:2], 10)
    with pytest.raises(ValueError, match="draws"):
        lp.mc_expectation(X, W, np.eye(6), _gauss, None, 1)


# ---------------------------------------------------------------- shifts


def _shift_reference(img, dr, dc):
    side = img.shape[0]
    out = np.zeros_like(img)
    for r in range(side):
        for c in range(side):
            if 0 <= r - dr < side and 0 <= c - dc < side:
                out[r, c] = img[r - dr, c - dc]
    return out


@pytest.mark.parametrize("dr, dc", [(1, 0), (-2, 0), (0, 3), (0, -1), (2, -1), (0, 0)])
def test_shift_images_against_a_pixel_loop(dr, dc):
    X = _images(3, side=5)
    got = lp.shift_images(X, dr, dc, side=5)
    for x, g in zip(X, got, strict=True):
        assert np.array_equal(g, _shift_reference(x.reshape(5, 5), dr, dc).ravel())
    S = lp.shift_matrix(dr, dc, side=5)
    assert np.array_equal(X @ S.T, got)
    assert np.array_equal(S.T, lp.shift_matrix(-dr, -dc, side=5))


def test_mean_shift_matrix_is_symmetric_and_averages_four_shifts():
    S_bar = lp.mean_shift_matrix(2, side=6)
    assert np.array_equal(S_bar, S_bar.T)
    parts = [lp.shift_matrix(a, b, 6) for a, b in [(2, 0), (-2, 0), (0, 2), (0, -2)]]
    assert np.allclose(S_bar, sum(parts) / 4, atol=0)


def test_shift_positives_uses_each_of_the_four_shifts():
    X = _images(200, side=5)
    P = lp.shift_positives(X, 1, rng=0, side=5)
    options = [
        lp.shift_images(X, a, b, 5) for a, b in [(1, 0), (-1, 0), (0, 1), (0, -1)]
    ]
    which = np.array(
        [[np.array_equal(P[i], o[i]) for o in options] for i in range(200)]
    )
    assert np.all(which.any(axis=1))  # every positive is one of the four
    assert np.all(which.sum(axis=0) > 20)  # and each shift is used


def test_expected_shift_C_is_C_at_the_expected_positives_and_negatives():
    """C is linear in each x_i^+ and x_i^-: E C is C at E x_i^+ = S_bar x_i and
    E x_i^- = (n mu - x_i)/(n - 1), exactly."""
    X = _images(12, side=5)
    n = X.shape[0]
    S_bar = lp.mean_shift_matrix(1, side=5)
    Xn_mean = (X.sum(axis=0) - X) / (n - 1)
    exact = losses.contrastive_matrix(X, X @ S_bar, Xn_mean)
    assert np.allclose(lp.expected_shift_C(X, 1, side=5), exact, atol=1e-13)


def _shift_variants(X, side=5):
    n, d = X.shape
    S_bar = lp.mean_shift_matrix(1, side)
    S_hat = X.T @ X / n
    corr = S_hat @ (np.eye(d) - S_bar)
    return {
        "right": lp.expected_shift_C(X, 1, side),
        "wrong sign of the correction": -np.cov(X.T) - (corr + corr.T) / 2,
        "correction missing": -np.cov(X.T),
        "negatives' term missing": -(S_hat @ S_bar + S_bar @ S_hat) / 2,
    }


def test_expected_shift_C_against_monte_carlo_and_its_wrong_variants():
    X = _images(12, side=5)
    W = lp.top_eig(np.cov(X.T), 5).vectors
    shifted = lambda X, r: lp.shift_positives(X, 1, r, side=5)
    for name, E in _shift_variants(X).items():
        r = lp.mc_expectation(X, W, E, shifted, data.random_negatives, 3000, rng=7)
        assert r.passed == (name == "right"), (name, r.max_z)


# ---------------------------------------------------------------- Davis-Kahan


def test_davis_kahan_bound_holds_and_is_tight_on_a_rotation():
    """A = diag(1, 0), F = eps [[0, 1], [1, 0]]: sin(theta) ~ eps ~ bound."""
    eps = 1e-3
    EC = -np.diag([1.0, 0.0])
    C = EC - eps * np.array([[0.0, 1.0], [1.0, 0.0]])
    r = lp.davis_kahan(C, EC, 1)
    assert r.applies and r.holds
    ratio = math.sin(r.angle) / r.bound
    assert 0.99 < ratio <= 1.0 + 1e-9  # so a bound half as large would fail
    assert math.sin(r.angle) > r.bound / 2


def test_davis_kahan_holds_on_random_perturbations():
    for seed in range(20):
        EC = -np.diag(np.linspace(3, 0, 6))
        C = EC + 0.2 * _sym(6, seed)
        r = lp.davis_kahan(C, EC, 2)
        assert r.holds
        if r.applies:
            assert math.sin(r.angle) <= r.bound * (1 + 1e-9)


def test_noise_term_against_monte_carlo_and_wrong_constants():
    """E||F_eps V||_F^2 = noise_term by Monte Carlo (CLT error bar); the variants
    with d instead of d + 2 and 3n instead of 4n are rejected."""
    rng = np.random.default_rng(9)
    n, d, z, R = 10, 3, 1, 40000
    X = rng.standard_normal((n, d)) * np.array([3.0, 0.5, 0.3])
    V = lp.top_eig(X.T @ X, z).vectors
    e = rng.standard_normal((R, n, d))
    a = e @ V  # (R, n, z)
    b = X @ V  # (n, z)
    FV = -(np.einsum("id,riz->rdz", X, a) + np.einsum("rid,iz->rdz", e, b)) / (2 * n)
    sq = np.sum(FV**2, axis=(1, 2))
    mean, se = sq.mean(), sq.std(ddof=1) / math.sqrt(R)
    right = lp.noise_term(X, V)
    assert abs(mean - right) / se < 4.5
    xx, bb = np.sum(X**2, 1), np.sum(b**2, 1)
    wrong_d = np.mean(z * xx + d * bb) / (4 * n)
    wrong_n = np.mean(z * xx + (d + 2) * bb) / (3 * n)
    assert abs(mean - wrong_d) / se > 4.5 and abs(mean - wrong_n) / se > 4.5


# ---------------------------------------------------------------- averaged C, sweep


def test_averaged_matrix_is_the_mean_of_single_draws():
    X = _mc_setup()[0]
    got = lp.averaged_matrix(X, _gauss, data.random_negatives, count=3, rng=0)
    r = np.random.default_rng(0)
    ref = (
        sum(
            losses.contrastive_matrix(X, _gauss(X, r), data.random_negatives(X, r))
            for _ in range(3)
        )
        / 3
    )
    assert np.allclose(got, ref, atol=1e-15)
    nc = lp.averaged_matrix(X, _gauss, None, count=1, rng=0)
    assert np.allclose(
        nc, losses.noncontrastive_matrix(X, _gauss(X, np.random.default_rng(0)))
    )


def test_one_draw_sweep_on_a_small_problem():
    rng = np.random.default_rng(10)
    X = rng.standard_normal((400, 5)) * np.array([3.0, 2.0, 1.0, 0.5, 0.3])
    sw = lp.one_draw_sweep(X, [100, 400], [0.0, 1.0], 4, 2, rng=0)
    assert sw.theta.shape == (16,) and sw.dk_holds()
    assert sw.fv_deviation() < 0.5  # the few-term sums fluctuate more at d = 5
    assert sw.mean_over_draws("theta", 400, 0.0) < 0.5
    again = lp.one_draw_sweep(X, [100, 400], [0.0, 1.0], 4, 2, rng=0)
    assert np.array_equal(sw.theta, again.theta)
    with pytest.raises(ValueError, match="ns"):
        lp.one_draw_sweep(X, [100, 500], [0.0], 1, 2)
    with pytest.raises(ValueError, match="sigmas"):
        lp.one_draw_sweep(X, [100], [-1.0], 1, 2)
    with pytest.raises(ValueError, match="z"):
        lp.one_draw_sweep(X, [100], [0.0], 1, 5)

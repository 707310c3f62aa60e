"""Tests of ssl_notes.experiments.proposition1: each check passes on the right input
and fails on a deliberately wrong one (a wrong factor 2, a wrong sign, a wrong rate,
a wrong order, a missing off-diagonal block, a wrong projector)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import scipy.linalg

from ssl_notes import losses, models
from ssl_notes.experiments import proposition1 as p1


def _data(n: int = 40, d: int = 5, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * np.linspace(1.0, 2.0, d)
    return X, X + 0.1 * rng.standard_normal((n, d)), X[rng.permutation(n)]


def _W0(d: int = 5, z: int = 3, seed: int = 1):
    return np.random.default_rng(seed).standard_normal((d, z)) / np.sqrt(d)


@pytest.fixture(scope="module")
def run():
    X, Xp, Xn = _data()
    return p1.collapse_run(p1.loss_matrix(X, Xp, Xn), _W0(), eps=0.04, decay=28.0)


def _flow_rate(run: p1.CollapseRun) -> float:
    return 2 * run.eta * (run.lam[1] - run.lam[0])


# ---------------------------------------------------------------- (4), (5), items 1-2


@pytest.mark.parametrize("loss", ["contrastive", "noncontrastive"])
def test_output_velocity_exact_and_missing_blocks_fail(loss):
    X, Xp, Xn = _data(12, 5)
    X_eval = np.random.default_rng(3).standard_normal((4, 5))
    net = models.two_layer_net(5, 8, 3, "tanh", init="gaussian", rng=0)
    ok = p1.output_velocity_check(net, loss, X, Xp, Xn, X_eval, 0.1)
    assert ok.passed and ok.error < 1e-13
    # Lemma 1's diagonal blocks only: not exact for a narrow network
    wrong = p1.output_velocity_check(net, loss, X, Xp, Xn, X_eval, 0.1, True)
    assert not wrong.passed and wrong.error > 1e-3


def test_linear_model_check_factor_and_sign():
    X, Xp, Xn = _data(12, 5)
    X_eval = np.random.default_rng(3).standard_normal((4, 5))
    W = _W0()
    assert p1.linear_model_check(W, X, Xp, Xn, X_eval, 0.1).passed
    for factor in (1.0, 4.0, -2.0):  # a factor 2 off, a wrong sign
        res = p1.linear_model_check(W, X, Xp, Xn, X_eval, 0.1, factor=factor)
        assert not res.passed and res.item2_error > 0.4


# ------------------------------------------------------------- recursion and flow


def test_recursion_and_flow_against_references():
    X, Xp, Xn = _data()
    C, W0, eta = p1.loss_matrix(X, Xp, Xn), _W0(), 0.01
    Ws = p1.gd_recursion(C, W0, eta, 7, record=True)
    assert Ws.shape == (8, 5, 3)
    ref = np.linalg.matrix_power(np.eye(5) - 2 * eta * C, 7) @ W0
    np.testing.assert_allclose(Ws[-1], ref, rtol=1e-12, atol=1e-14)
    flow = p1.linear_flow(C, W0, eta, 7.0)
    np.testing.assert_allclose(
        flow, scipy.linalg.expm(-14 * eta * C) @ W0, rtol=1e-12, atol=1e-15
    )
    W_gd = p1.train_linear(X, Xp, Xn, W0, eta, 7)
    np.testing.assert_allclose(W_gd, ref, rtol=1e-12, atol=1e-14)
    W_nc = p1.train_linear(X, Xp, None, W0, eta, 3, loss="noncontrastive")
    C_nc = p1.loss_matrix(X, Xp, loss="noncontrastive")
    np.testing.assert_allclose(W_nc, p1.gd_recursion(C_nc, W0, eta, 3), rtol=1e-12)


def test_order_check_first_order_only():
    X, Xp, Xn = _data()
    res = p1.order_check(X, Xp, Xn, _W0(), eps=0.04, decay=2.0)
    assert res.passed and abs(res.order - 1) < 0.05
    assert max(res.recursion_errors) < 1e-13
    for wrong in (0.0, 2.0):  # a method of order 0 or 2 misses by about 1
        bad = dataclasses.replace(res, claimed_order=wrong)
        assert not bad.passed
    # the same through the argument
    assert not p1.order_check(X, Xp, Xn, _W0(), claimed_order=2.0).passed


# ----------------------------------------------------------- bands and the rate


def test_bands_hold_and_a_wrong_ratio_fails(run):
    assert p1.band_check(run).passed
    faster = dataclasses.replace(run, ratio=run.ratio**1.5)
    assert not p1.band_check(faster).passed
    shifted = dataclasses.replace(run, lam=run.lam - 0.05)  # a wrong spectrum
    assert not p1.band_check(shifted).passed


def test_rate_check_right_rate_passes(run):
    res = p1.rate_check(run, _flow_rate(run))
    assert res.passed
    assert res.fit_error <= res.transient_tol + res.rounding_tol
    # the claim enters only the gap, never the tolerance of the fit
    again = p1.rate_check(run, 2 * _flow_rate(run))
    assert again.fit_tol == res.fit_tol and again.fit_error == res.fit_error


def test_rate_check_factor_two_in_the_claim_fails(run):
    for wrong in (2 * _flow_rate(run), 0.5 * _flow_rate(run)):
        res = p1.rate_check(run, wrong)
        assert not res.gap_passed and not res.passed


def test_rate_check_wrong_iteration_rate_fails(run):
    # the run decays twice as fast as its eigenvalues say (eta halved in the record)
    half = dataclasses.replace(run, eta=run.eta / 2)
    res = p1.rate_check(half, _flow_rate(run) / 2, window=(4.0, 10.0))
    assert not res.fit_passed and res.fit_error > 0.5
    # a ratio decaying at twice the rate of the iteration
    short = p1.collapse_run(p1.loss_matrix(*_data()), _W0(), decay=14.0)
    sq = dataclasses.replace(short, ratio=short.ratio**2 / short.ratio[0])
    res = p1.rate_check(sq, _flow_rate(short), window=(2.0, 7.0))
    assert not res.fit_passed and res.fit_error > 0.5


def test_rate_check_flow_rate_is_not_the_fitted_rate_at_large_steps():
    X, Xp, Xn = _data()
    big = p1.collapse_run(p1.loss_matrix(X, Xp, Xn), _W0(), eps=0.3)
    res = p1.rate_check(big, _flow_rate(big))
    assert res.passed
    assert abs(res.slope / _flow_rate(big) - 1) > 3 * res.fit_tol


def test_gap_is_second_order_in_eta():
    C = p1.loss_matrix(*_data())
    gaps = []
    for eps in (0.04, 0.02):
        r = p1.collapse_run(C, _W0(), eps=eps, decay=10.0)
        gaps.append(p1.rate_check(r, _flow_rate(r), window=(2.0, 10.0)).gap)
    assert 3.8 < gaps[0] / gaps[1] < 4.2  # O(eta^2) per step


@pytest.mark.parametrize("seed", range(6))
def test_transient_tolerance_is_a_bound(seed):
    X, Xp, Xn = _data(30, 6, seed)
    r = p1.collapse_run(p1.loss_matrix(X, Xp, Xn), _W0(6, 4, seed + 10), eps=0.1)
    res = p1.rate_check(r, _flow_rate(r), window=(4.0, 20.0))
    assert res.fit_error <= res.transient_tol + res.rounding_tol


# --------------------------------------------------------------- nonlinear models


def test_train_embedding_collapses_and_tracks_the_kernel():
    X, Xp, Xn = _data(20, 5)
    net = p1.seeded_model("network", 5, 3, np.random.default_rng(0), width=32)
    res = p1.train_embedding(net, "contrastive", X, Xp, Xn, 0.1, 20, 5, X[:4])
    assert res.erank.shape == (21,) and res.sv.shape == (21, 3)
    assert list(res.kernel_steps) == [0, 5, 10, 15, 20]
    assert res.kernel_move[0] == 0 and res.kernel_move[-1] > 0
    lin = p1.seeded_model("linear", 5, 3, 0)
    lam = np.linalg.eigvalsh(p1.loss_matrix(X, Xp, Xn))
    lr = 20 / (2 * (lam[1] - lam[0]) * 200)
    out = p1.train_embedding(lin, "contrastive", X, Xp, Xn, lr, 200)
    assert out.erank[-1] < 1.01 and out.final_ratio < 1e-3
    with pytest.raises(ValueError, match="X_kernel"):
        p1.train_embedding(lin, "contrastive", X, Xp, Xn, lr, 2, kernel_every=1)


def test_seeded_model_is_reproducible():
    a = p1.seeded_model("linear", 5, 3, 7)
    b = p1.seeded_model("linear", 5, 3, 7)
    np.testing.assert_array_equal(a.W.detach().numpy(), b.W.detach().numpy())
    with pytest.raises(ValueError, match="feature_map"):
        p1.seeded_model("kernel", 5, 3, 0)


def test_projector_closed_form_and_a_wrong_projector_fails():
    X, Xp, Xn = _data()
    rng = np.random.default_rng(4)
    P, W0 = rng.standard_normal((6, 3)) / np.sqrt(6), _W0(5, 6)
    res = p1.projector_check(X, Xp, Xn, W0, P, 0.01, 50)
    assert res.passed and res.erank.shape == (51,)
    wrong = p1.projector_check(X, Xp, Xn, W0, P, 0.01, 50, closed_form_P=2 * P)
    assert not wrong.passed


def test_spectral_targets_and_lift():
    X, Xp, _ = _data()
    mu = p1.spectral_targets(X, Xp, 3)
    n = X.shape[0]
    S = (X.T @ Xp + Xp.T @ X) / (2 * n)
    Sigma = (X.T @ X + Xp.T @ Xp) / (2 * n)
    ref = np.sort(np.linalg.eigvals(np.linalg.solve(Sigma, S)).real)[::-1][:3]
    np.testing.assert_allclose(mu**2, ref, rtol=1e-10)
    L = p1.lift_quadratic(np.array([[2.0, 3.0]]))
    np.testing.assert_array_equal(L, [[2.0, 3.0, 4.0, 6.0, 9.0]])


def test_bad_input_names_the_argument(run):
    X, Xp, Xn = _data()
    with pytest.raises(ValueError, match="X_neg"):
        p1.loss_matrix(X, Xp, None)
    with pytest.raises(TypeError, match="run"):
        p1.rate_check("run", 0.1)
    with pytest.raises(ValueError, match="window"):
        p1.rate_check(run, 0.1, window=(28.0, 14.0))
    with pytest.raises(ValueError, match="claimed_rate"):
        p1.rate_check(run, -0.1)
    with pytest.raises(ValueError, match="t"):
        p1.linear_flow(p1.loss_matrix(X, Xp, Xn), _W0(), 0.1, 1e6)
    with pytest.raises(ValueError, match="X_pos"):
        p1.order_check(X, Xp[:5], Xn, _W0())
    assert losses  # the loss module is what loss_matrix wraps

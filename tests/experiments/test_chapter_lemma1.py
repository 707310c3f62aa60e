"""Tests of :mod:`ssl_notes.experiments.lemma1`: every check passes on the right
input and fails on a deliberately wrong one (a transposed block, a factor 2, a
kernel off by 1 or 2 %, the paper's last-layer kernel, the wrong rate, outputs that
interact)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ssl_notes import kernels, models, ntk
from ssl_notes.experiments import lemma1

D, Z = 5, 4


def _X(n: int = 12, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, D))


# ---------------------------------------------------------------- eq. (3)


@pytest.fixture
def eq3_problem():
    rng = np.random.default_rng(0)
    X_train = rng.standard_normal((10, D))
    Y_train = np.sin(X_train @ rng.standard_normal((D, Z)))
    X_eval = rng.standard_normal((3, D))
    net = models.two_layer_net(D, 64, Z, "tanh", init="gaussian", rng=0)
    return net, X_train, Y_train, X_eval


def test_output_dynamics_passes_and_fails_on_wrong_blocks(eq3_problem):
    net, Xt, Yt, Xe = eq3_problem
    good = lemma1.output_dynamics_check(net, Xt, Yt, Xe, 0.3)
    assert good.passed and good.error < 1e-13 and good.n_params == 64 * (D + Z)
    T = ntk.empirical_ntk(net, Xe, Xt)
    # (the blocks of this network are symmetric in k, l: a transpose is no error)
    block_diagonal = np.einsum("abkk->abk", T)[..., None] * np.eye(Z)
    for wrong in (2 * T, -T, block_diagonal):
        bad = lemma1.output_dynamics_check(net, Xt, Yt, Xe, 0.3, Theta=wrong)
        assert not bad.passed and bad.error > 1e-3


def test_output_dynamics_validates(eq3_problem):
    net, Xt, Yt, Xe = eq3_problem
    with pytest.raises(ValueError, match="Y_train"):
        lemma1.output_dynamics_check(net, Xt, Yt[:, :2], Xe, 0.3)
    with pytest.raises(ValueError, match="Theta"):
        lemma1.output_dynamics_check(
            net, Xt, Yt, Xe, 0.3, Theta=np.zeros((3, 10, 2, 2))
        )
    with pytest.raises(TypeError, match="net"):
        lemma1.output_dynamics_check("net", Xt, Yt, Xe, 0.3)


# ---------------------------------------------------------------- items 1 and 2


def test_exact_block_checks_pass():
    rows = lemma1.exact_block_checks(_X(6), _X(5, 1), Z, rff_sizes=(1, 64),
                                     frozen_widths=(16,), rng=0)  # fmt: skip
    assert [r.D for r in rows] == [D, 1, 64, 16]
    assert all(r.passed and r.off_max == 0 and r.rel_error < 1e-14 for r in rows)


class _Coupled(torch.nn.Module):
    """f(x) = A W^T x: a linear model whose outputs interact through A."""

    def __init__(self, W, A=None):
        super().__init__()
        self.W = torch.nn.Parameter(torch.as_tensor(np.array(W, dtype=float)))
        z = self.W.shape[1]
        A = np.eye(z) + 0.5 * np.ones((z, z)) if A is None else A
        self.A = torch.as_tensor(A)

    def forward(self, x):
        return x @ self.W @ self.A


def test_block_check_fails_on_interacting_outputs_and_wrong_kernel():
    X1, X2 = _X(6), _X(5, 1)
    W = np.random.default_rng(2).standard_normal((D, Z))
    ok = lemma1.block_check("linear", ntk.feature_model(W), X1, X2, X1, X2)
    assert ok.passed
    coupled = lemma1.block_check("coupled", _Coupled(W), X1, X2, X1, X2)
    assert not coupled.passed and coupled.off_max > 0.1
    # a kernel off by a relative 1e-10 is far outside the rounding bound
    off = lemma1.block_check(
        "scaled", ntk.feature_model(W), X1, X2, X1 * (1 + 1e-10), X2
    )
    assert not off.passed and off.bound_excess > 0 and off.off_max == 0
    with pytest.raises(ValueError, match="feats1"):
        lemma1.block_check("linear", ntk.feature_model(W), X1, X2, X1[:, :3], X2)


# ---------------------------------------------------------------- rates


@pytest.fixture(scope="module")
def small_sweep():
    return lemma1.width_sweep("relu", _X(), (16, 64, 256, 1024), 6, Z, seed=0, stream=1)


def test_sweep_shapes_and_consistency(small_sweep):
    sw = small_sweep
    assert sw.off.shape == sw.ratio.shape == (6, 4)
    np.testing.assert_allclose(sw.ratio, sw.off / sw.diag, rtol=1e-12)
    # a width-16 network from the sweep's seed scheme gives the same ratio
    net = models.two_layer_net(D, 16, Z, "relu", init="gaussian",
                               rng=np.random.default_rng([0, 1, 2, 16]))  # fmt: skip
    assert ntk.block_ratio(ntk.empirical_ntk(net, _X())) == pytest.approx(
        sw.ratio[2, 0]
    )


def test_check_sweep_passes_at_rate_one_half_and_fails_at_wrong_rates(small_sweep):
    assert lemma1.check_sweep(small_sweep).passed
    for rate in (-1.0, -0.25):  # the wrong rate
        assert not lemma1.check_sweep(small_sweep, rate=rate).passed


def test_slope_check_fails_on_a_wrong_law():
    h = np.array([16, 64, 256, 1024])
    noise = np.exp(0.05 * np.random.default_rng(0).standard_normal((8, 4)))
    assert lemma1.slope_check(h, h**-0.5 * noise).passed
    assert not lemma1.slope_check(h, h**-1.0 * noise).passed  # rate h^-1
    assert not lemma1.slope_check(h, 0.1 + 0 * h * noise).passed  # no decay
    with pytest.raises(ValueError, match="values"):
        lemma1.slope_check(h, h[None] ** -0.5)  # one seed: no error bar


def test_shifted_output_weights_break_the_rate():
    sw = lemma1.width_sweep("tanh", _X(), (16, 64, 256, 1024), 3, Z, shift=1.0)
    chk = lemma1.check_sweep(sw)
    assert not chk.ratio.passed and abs(chk.ratio.mean) < 0.1


# ---------------------------------------------------------------- the mean


@pytest.fixture(scope="module")
def chapter_sample():
    """The chapter's ReLU sample: S = 96 seeds of width 4096 (about 4 s)."""
    X = _X(12, 7)
    return X, lemma1.kernel_sample("relu", X, 4096, 96, Z, seed=0, stream=2)


def test_mean_check_accepts_theta_inf(chapter_sample):
    X, s = chapter_sample
    K = kernels.two_layer_ntk(X, activation="relu")
    c = lemma1.mean_check(s.diag, K)
    assert c.passed and c.n_samples == 96 and c.se < 0.002
    assert c.power(0.01) > 0.95  # the check can see a 1 % bias


@pytest.mark.parametrize("factor", [1.01, 0.99, 1.02, 0.98, 2.0, 0.5])
def test_mean_check_rejects_a_kernel_off_by_one_or_two_percent(chapter_sample, factor):
    X, s = chapter_sample
    K = kernels.two_layer_ntk(X, activation="relu")
    assert not lemma1.mean_check(s.diag, factor * K).passed


def test_mean_check_rejects_the_papers_last_layer_kernel(chapter_sample):
    X, s = chapter_sample
    lim = lemma1.layer_limits(X, "relu")
    assert lemma1.mean_check(s.last_diag, lim.last).passed
    assert lemma1.mean_check(s.first_diag, lim.first).passed
    paper = lemma1.mean_check(s.diag, lim.last)  # only the last layer
    assert not paper.passed and paper.bias > 0.5
    # a wrong factor on one term only (first layer doubled) is rejected too
    assert not lemma1.mean_check(s.diag, lim.last + 2 * lim.first).passed
    assert not lemma1.mean_check(s.diag, lim.last + 1.02 * lim.first).passed


def test_off_diagonal_means(chapter_sample):
    X, s = chapter_sample
    K = kernels.two_layer_ntk(X, activation="relu")
    assert np.all(s.last_off == 0)  # exactly, for every weight
    assert np.any(s.first_off != 0)  # the first layer's part is not zero
    assert lemma1.mean_check(s.off, np.zeros_like(K), ref=K).passed
    assert not lemma1.mean_check(s.off, 0.01 * K, ref=K).passed
    with pytest.raises(ValueError, match="ref"):
        lemma1.mean_check(s.off, np.zeros_like(K))


def test_mean_check_statistic_on_synthetic_draws():
    rng = np.random.default_rng(0)
    K = np.array([[2.0, 0.5], [0.5, 1.0]])
    draws = K + 0.1 * rng.standard_normal((400, 2, 2))
    c = lemma1.mean_check(draws, K)
    assert c.passed and c.se == pytest.approx(0.1 * np.sqrt(np.sum(K**2)) / np.sum(K**2)
                                              / 20, rel=0.15)  # fmt: skip
    assert not lemma1.mean_check(draws + 0.05, K).passed
    assert c.power(0.0) < 1e-4 and c.power(1.0) == pytest.approx(1.0)
    exact = np.broadcast_to(K, (3, 2, 2))
    assert lemma1.mean_check(exact, K).passed
    assert not lemma1.mean_check(exact, K + 1e-9).passed  # zero spread: must match


def test_layer_limits_sum_to_theta_inf_and_halve_the_diagonal():
    X = _X()
    lim = lemma1.layer_limits(X, "relu")
    np.testing.assert_allclose(lim.total, kernels.two_layer_ntk(X, activation="relu"),
                               rtol=1e-13, atol=1e-15)  # fmt: skip
    # equal halves at x = x' (to 1e-8: arccos(1 - eps) loses half the digits)
    np.testing.assert_allclose(np.diag(lim.first), np.diag(lim.last), rtol=1e-7)
    ident = lemma1.layer_limits(X, "identity")
    np.testing.assert_allclose(
        ident.total, kernels.two_layer_ntk(X, activation="identity")
    )
    with pytest.raises(ValueError, match="activation"):
        lemma1.layer_limits(X, "tanh")


def test_kernel_sample_layers_add_up():
    X = _X(6)
    s = lemma1.kernel_sample("tanh", X, 32, 2, Z, seed=0, stream=5)
    net = models.two_layer_net(D, 32, Z, "tanh", init="gaussian",
                               rng=np.random.default_rng([0, 5, 1, 32]))  # fmt: skip
    T = ntk.empirical_ntk(net, X)
    np.testing.assert_allclose(s.diag[1], ntk.diagonal_mean(T), rtol=1e-12)
    off = (T.sum(axis=(2, 3)) - np.einsum("abkk->ab", T)) / (Z * (Z - 1))
    np.testing.assert_allclose(s.off[1], off, rtol=1e-10, atol=1e-14)
    with pytest.raises(ValueError, match="n_seeds"):
        lemma1.kernel_sample("tanh", X, 32, 1)
    with pytest.raises(ValueError, match="n_seeds, widths"):
        lemma1.kernel_sample("tanh", X, 10**6, 10)


# ---------------------------------------------------------------- Remark 1


def test_gd_regression_decreases_the_loss():
    X = _X(8)
    Y = np.sin(X[:, :2])
    W0 = np.zeros((D, 2))
    run = lemma1.gd_regression(ntk.feature_model(W0), X, Y, 0.02, 50)
    assert np.sum((run.F - Y) ** 2) < np.sum((run.F0 - Y) ** 2)
    with pytest.raises(ValueError, match="lr"):
        lemma1.gd_regression(ntk.feature_model(W0), X, 1e3 * Y, 10.0, 200)


def test_exact_regression_passes_and_fails_when_outputs_interact():
    X = _X(16)
    Y = np.sin(X @ np.random.default_rng(1).standard_normal((D, Z)))
    W0 = np.random.default_rng(2).standard_normal((D, Z)) / np.sqrt(D)
    lr = 1.0 / np.linalg.eigvalsh(X.T @ X)[-1]
    assert lemma1.exact_regression(W0, X, Y, lr, 100).passed

    def coupled(W, fmap):
        A = np.eye(W.shape[1]) + 0.3 * np.ones((W.shape[1],) * 2)
        return _Coupled(W, A / np.linalg.norm(A, 2))

    bad = lemma1.exact_regression(W0, X, Y, lr, 100, build=coupled)
    assert not bad.passed and bad.error > 1e-3


def test_joint_vs_separate_gap_shrinks_with_width():
    X = _X(16, 3)
    Y = np.sin(X @ np.random.default_rng(4).standard_normal((D, Z)))
    lr = 1.0 / np.linalg.eigvalsh(kernels.two_layer_ntk(X, activation="tanh"))[-1]
    rem = lemma1.remark_sweep(X, Y, (16, 1024), 2, lr, 50, seed=0)
    assert list(rem.widths) == [16, 1024]
    gaps = rem.gaps
    assert gaps.shape == (2, 2) and np.all(gaps[:, 1] < gaps[:, 0])
    assert gaps[0, 0] == pytest.approx(lemma1.joint_vs_separate(X, Y, 16, lr, 50))

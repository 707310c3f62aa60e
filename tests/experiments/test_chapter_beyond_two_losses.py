"""Tests of ssl_notes.experiments.beyond_two_losses: checks fail on wrong inputs."""

import dataclasses

import numpy as np
import pytest
import torch

from ssl_notes import data, losses
from ssl_notes.experiments import beyond_two_losses as b2


def _data(seed=0, n=24, d=5):
    rng = np.random.default_rng(seed)
    X = b2.anisotropic_gaussian(n, d, 10.0, rng)
    return X, data.gaussian_positives(X, 0.3, rng), rng


@pytest.mark.parametrize("similarity", ["dot", "cosine"])
def test_gradient_against_autograd(similarity):
    X, Xp, rng = _data(1)
    M = rng.standard_normal((5, 3))
    Mt = torch.tensor(M, requires_grad=True)
    L = losses.info_nce_loss(lambda A: torch.as_tensor(A) @ Mt, X, Xp, 0.4, similarity)
    (g,) = torch.autograd.grad(L, Mt)
    mine = b2.info_nce_gradient(X, Xp, M, 0.4, similarity)
    assert np.abs(mine - g.numpy()).max() < 1e-12 * (1 + np.abs(mine).max())


def test_small_norm_gradient_is_that_of_the_quadratic():
    X, Xp, rng = _data(2)
    M = rng.standard_normal((5, 2))
    Mt = torch.tensor(M, requires_grad=True)
    C0 = torch.tensor(losses.info_nce_matrix(X, Xp, 0 * M, 0.4))
    (g,) = torch.autograd.grad(torch.trace(Mt.T @ C0 @ Mt), Mt)
    mine = b2.info_nce_gradient(X, Xp, M, 0.4, "small_norm")
    assert np.abs(mine - g.numpy()).max() < 1e-13 * (1 + np.abs(mine).max())


def test_coupling_is_zero_only_for_the_decoupled_flow():
    X, Xp, rng = _data(3)
    M, w = rng.standard_normal((5, 3)) / 2, rng.standard_normal(5) / 2
    c = {s: b2.column_coupling(X, Xp, M, w, 0.5, s).coupling for s in b2.SIMILARITIES}
    assert c["small_norm"] == 0.0
    assert c["dot"] > 0.1 and c["cosine"] > 0.1


def test_collapse_verdict_separates_the_small_norm_flow_from_infonce():
    X, Xp, rng = _data(4, n=48)
    W0 = rng.standard_normal((5, 5)) / np.sqrt(5)
    lin = b2.rank_run(X, Xp, W0, 0.2, "small_norm", eta=0.01, T=4.0)
    dot = b2.rank_run(X, Xp, W0, 0.2, "dot", eta=0.01, T=4.0)
    assert b2.collapse_verdict(lin) and not b2.collapse_verdict(dot)
    assert dot.step_gap < 0.05 and lin.step_gap == 0.0
    # a run with a wrong (collapsed) end is judged collapsed
    fake = dataclasses.replace(dot, eranks=(*dot.eranks[:-1], 1.2))
    assert b2.collapse_verdict(fake)
    with pytest.raises(TypeError, match="run"):
        b2.collapse_verdict(dot.eranks)
    with pytest.raises(ValueError, match="threshold"):
        b2.collapse_verdict(dot, 1.5)


def test_rank_run_rejects_a_step_that_does_not_divide_T():
    X, Xp, rng = _data(5)
    with pytest.raises(ValueError, match="eta"):
        b2.rank_run(X, Xp, rng.standard_normal((5, 2)), eta=0.03, T=1.0)


def test_step_gap_shrinks_with_the_step():
    X, Xp, rng = _data(6, n=32)
    W0 = 0.1 * rng.standard_normal((5, 5))
    a = b2.rank_run(X, Xp, W0, 1.0, "dot", eta=0.04, T=2.0)
    b = b2.rank_run(X, Xp, W0, 1.0, "dot", eta=0.02, T=2.0)
    assert 1.5 < a.step_gap / b.step_gap < 2.5  # O(eta)


def test_projector_classification_and_wrong_claims():
    C = np.diag([-2.0, -1.0, 0.5])
    rng = np.random.default_rng(7)
    gauss = b2.projector_check(C, rng.standard_normal((4, 2)))
    frozen = b2.projector_check(C, np.eye(4)[:, :2])
    square = b2.projector_check(C, np.linalg.qr(rng.standard_normal((3, 3)))[0])
    assert (gauss.decoupled, gauss.identical, gauss.frozen) == (False, False, 0)
    assert (frozen.decoupled, frozen.identical, frozen.frozen) == (True, False, 2)
    assert (square.decoupled, square.identical, square.frozen) == (True, True, 0)
    # the paper's "identical for any P" fails on the Gaussian projector
    assert not gauss.identical
    # a diagonal Q with unequal entries: decoupled, not identical
    diag = b2.projector_check(C, np.diag([1.0, 2.0]))
    assert diag.decoupled and not diag.identical


def test_projector_flow_matches_euler_and_item_4():
    C = np.diag([-1.0, -0.4, 0.3])
    rng = np.random.default_rng(8)
    P, W0 = rng.standard_normal((4, 2)) / 2, rng.standard_normal((3, 4)) / 2
    W, eta = W0.copy(), 1e-4
    for _ in range(5000):
        W = W - eta * 2 * C @ W @ P @ P.T
    exact = b2.projector_flow(C, P, W0, 0.5)
    assert np.abs(W - exact).max() < 1e-3 * np.abs(exact).max()
    # item 4 with the wrong rate (P P^T in place of P^T P acting on M) fails
    dk, R = np.linalg.eigh(P.T @ P)
    good = [
        np.exp(-2 * dk[k] * np.diag(C) * 0.5) * (W0 @ P @ R[:, k]) for k in range(2)
    ]
    bad = [np.exp(-4 * dk[k] * np.diag(C) * 0.5) * (W0 @ P @ R[:, k]) for k in range(2)]
    MR = exact @ P @ R
    assert np.abs(MR - np.column_stack(good)).max() < 1e-12 * np.abs(MR).max()
    assert np.abs(MR - np.column_stack(bad)).max() > 1e-2
    with pytest.raises(ValueError, match="t"):
        b2.projector_flow(C, P, W0, 1e6)


def test_two_outputs_frobenius_scaling_collapses_subspace_scaling_does_not():
    C = np.diag([-0.8, -0.2])
    M0 = np.array([[1.0, 0.3], [0.2, 0.7]])
    r = b2.two_outputs(C, M0, T=6.0, eta=0.002)
    assert r.plain < 1e-1 * r.start and r.frobenius < 1e-1 * r.start
    assert abs(np.log(r.frobenius_euler / r.frobenius)) < 0.02
    assert abs(r.grassmann - r.start) < 1e-12 and r.grassmann_grad < 1e-14
    # the claim "the Frobenius-scaled loss keeps rank 2" is false
    assert not r.frobenius > 0.5 * r.start
    with pytest.raises(ValueError, match="M0"):
        b2.two_outputs(C, np.ones((2, 1)))


def test_data_sets_and_wrong_inputs():
    X = b2.lifted_moons(50, 0.1, 0)
    assert X.shape == (50, 5)
    assert np.allclose(X.mean(0), 0, atol=1e-12) and np.allclose(X.std(0), 1)
    G = b2.anisotropic_gaussian(4000, 3, 10.0, 0)
    assert np.allclose(G.var(0), [1.0, 10**-0.5, 0.1], rtol=0.1)
    with pytest.raises(ValueError, match="ratio"):
        b2.anisotropic_gaussian(5, 3, 0.5)
    with pytest.raises(ValueError, match="similarity"):
        b2.info_nce_gradient(X, X, np.ones((5, 2)), similarity="l2")
    with pytest.raises(ValueError, match="M"):
        b2.column_coupling(X, X, np.ones((5, 1)), np.ones(5))


def test_multi_sample_mean_and_fluctuation_and_a_wrong_factor():
    mu, S = np.array([1.0, 0.0, 0.5]), np.diag([1.0, 0.4, 0.1])
    r = b2.multi_sample(mu, S, 0.5, 15, 1, 1, 1500, 3)
    assert r.mean_z < 4.5 and abs(r.excess_z) < 4
    # the formula without the 1/2 of the symmetrisation is rejected
    wrong = dataclasses.replace(r, excess_pred=2 * r.excess_pred)
    assert abs(wrong.excess_z) > 10
    # negatives equal to the anchors' mean shift E C away from -Sigma: caught
    rng = np.random.default_rng(4)
    Cs = []
    for _ in range(400):
        X = mu + rng.standard_normal((15, 3)) * np.sqrt(np.diag(S))
        Xp = X[None] + 0.5 * rng.standard_normal((1, 15, 3))
        Cs.append(losses.multi_contrastive_matrix(X, Xp, 0 * Xp))
    assert np.abs(np.mean(Cs, 0) + S).max() > 0.5
    # more views shrink the fluctuation like 1/k + 1/m
    big = b2.multi_excess(mu, S, 0.5, 15, 16, 16)
    assert abs(big / r.excess_pred - 1 / 16) < 1e-12
    with pytest.raises(ValueError, match="Sigma"):
        b2.multi_sample(mu, -S, draws=3)
    with pytest.raises(ValueError, match="mu"):
        b2.multi_excess(mu[:2], S, 0.5, 5, 1, 1)


def _kernel_data(seed=0, n=6):
    rng = np.random.default_rng(seed)
    X, _ = data.two_moons(n, 0.1, rng)
    return (
        X,
        data.gaussian_positives(X, 0.1, rng),
        data.two_moons(n, 0.1, rng)[0],
    ), rng


def test_kernel_blocks_decoupled_for_loss_1_coupled_for_the_spectral_loss():
    Z, rng = _kernel_data()
    F = rng.standard_normal((18, 3))
    good = b2.kernel_blocks(*Z, F, 1.0, "contrastive")
    assert max(good.offdiag, good.diag_spread, good.vs_formula) < 1e-12
    bad = b2.kernel_blocks(*Z, F, 1.0, "spectral")
    assert bad.offdiag > 0.1 and bad.vs_formula > 0.1
    with pytest.raises(ValueError, match="F"):
        b2.kernel_blocks(*Z, F[:, :1])


def test_kernel_collapse_rate_and_a_wrong_prediction():
    Z, rng = _kernel_data(1, n=8)
    A0 = rng.standard_normal((24, 3))
    Xt = data.two_moons(40, 0.1, rng)[0]
    r = b2.kernel_collapse(*Z, A0, Xt, (0.0, 30.0, 40.0))
    assert abs(r.rate_fit / r.rate_pred - 1) < 0.02
    assert r.ratio_test[-1] < 1e-2 * r.ratio_test[0]
    # the gap to the third eigenvalue (sigma_3 / sigma_1) is a wrong prediction
    wrong = dataclasses.replace(r, rate_pred=2 * r.rate_pred)
    assert abs(wrong.rate_fit / wrong.rate_pred - 1) > 0.2
    with pytest.raises(ValueError, match="times"):
        b2.kernel_collapse(*Z, A0, Xt, (1.0, 0.5))


_CW = np.diag([-1.0, -0.3, 0.5, 1.0])


def test_weight_decay_passes_with_the_right_thresholds():
    wd = b2.weight_decay_check(_CW, 0.2)
    assert wd.passed
    assert [r.observed for r in wd.runs] == [
        "shrink",
        "shrink",
        "blow-up",
        "blow-up",
        "collapse",
        "vanish",
    ]


@pytest.mark.parametrize("factor", [4.0, 0.25])
def test_weight_decay_rejects_a_factor_threshold_off_by_four(factor):
    wd = b2.weight_decay_check(_CW, 0.2, threshold=factor * 0.2 / 1.0)
    assert not wd.passed


@pytest.mark.parametrize("claimed", [0.05, 5.0])
def test_weight_decay_rejects_the_wrong_side_of_the_product_threshold(claimed):
    wd = b2.weight_decay_check(_CW, 0.2, product_threshold=claimed)
    assert not wd.passed
    wrong = [r for r in wd.runs if r.predicted != r.observed]
    assert len(wrong) == 1 and wrong[0].penalty == "product"


def test_weight_decay_needs_a_negative_eigenvalue():
    with pytest.raises(ValueError, match="C"):
        b2.weight_decay_check(np.eye(3))
    with pytest.raises(ValueError, match="scales"):
        b2.weight_decay_check(_CW, scales=(1.0, -1.0))

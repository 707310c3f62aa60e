"""InfoNCE and the k-positives / m-negatives data matrix of ssl_notes.losses."""

import numpy as np
import pytest
import torch

from ssl_notes import losses


def _pairs(seed, n=7, d=4, z=3):
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal((n, d)),
        rng.standard_normal((n, d)),
        rng.standard_normal((d, z)),
    )


def _torch_loss(X, Xp, M, tau, similarity):
    Mt = torch.tensor(M, requires_grad=True)
    L = losses.info_nce_loss(lambda A: torch.as_tensor(A) @ Mt, X, Xp, tau, similarity)
    (g,) = torch.autograd.grad(L, Mt)
    return float(L.detach()), g.numpy()


@pytest.mark.parametrize("similarity", ["dot", "cosine"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_numpy_and_torch_agree_with_the_formula(similarity, seed):
    X, Xp, M = _pairs(seed)
    tau = 0.3
    U, V = X @ M, Xp @ M
    if similarity == "cosine":
        U = U / np.linalg.norm(U, axis=1, keepdims=True)
        V = V / np.linalg.norm(V, axis=1, keepdims=True)
    S = U @ V.T / tau
    want = np.mean(np.log(np.exp(S).sum(1)) - np.diag(S))
    got = losses.info_nce_loss(lambda A: A @ M, X, Xp, tau, similarity)
    assert abs(got - want) < 1e-13 * (1 + abs(want))
    assert abs(_torch_loss(X, Xp, M, tau, similarity)[0] - want) < 1e-13 * (
        1 + abs(want)
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dot_gradient_is_2_C_tau_M_against_autograd(seed):
    X, Xp, M = _pairs(seed)
    g = _torch_loss(X, Xp, M, 0.7, "dot")[1]
    mine = 2 * losses.info_nce_matrix(X, Xp, M, 0.7) @ M
    assert np.abs(mine - g).max() < 1e-12 * (1 + np.abs(g).max())


def test_the_uniform_softmax_is_not_the_gradient_at_finite_weights():
    # the small-norm matrix C_tau(0) in place of C_tau(M): a wrong claim, caught
    X, Xp, M = _pairs(3)
    g = _torch_loss(X, Xp, M, 0.7, "dot")[1]
    wrong = 2 * losses.info_nce_matrix(X, Xp, 0 * M, 0.7) @ M
    assert np.abs(wrong - g).max() > 0.1 * np.abs(g).max()


def test_C_tau_at_zero_is_loss_1_with_the_batch_mean_as_negative():
    X, Xp, M = _pairs(4)
    tau = 0.25
    mean_neg = np.tile(Xp.mean(0), (X.shape[0], 1))
    want = losses.contrastive_matrix(X, Xp, mean_neg) / tau
    got = losses.info_nce_matrix(X, Xp, 0 * M, tau)
    assert np.abs(got - want).max() < 1e-14 * np.abs(want).max() * 10
    assert np.array_equal(got, got.T)


def test_small_norm_expansion_is_first_order_exact():
    X, Xp, M = _pairs(5)
    C0 = losses.info_nce_matrix(X, Xp, 0 * M, 0.5)
    errs = []
    for c in (1e-2, 2e-2):
        W = c * M
        L = losses.info_nce_loss(lambda A, W=W: A @ W, X, Xp, 0.5)
        errs.append(abs(L - np.log(X.shape[0]) - np.sum(W * (C0 @ W))))
    assert 12 < errs[1] / errs[0] < 20  # O(c^4): a factor 16 when c doubles


def test_cosine_loss_is_scale_invariant():
    X, Xp, M = _pairs(6)
    a = losses.info_nce_loss(lambda A: A @ M, X, Xp, 0.4, "cosine")
    b = losses.info_nce_loss(lambda A: A @ (3.0 * M), X, Xp, 0.4, "cosine")
    assert abs(a - b) < 1e-13


def test_info_nce_wrong_inputs():
    X, Xp, M = _pairs(7)
    f = lambda A: A @ M  # noqa: E731
    with pytest.raises(ValueError, match="tau"):
        losses.info_nce_loss(f, X, Xp, tau=0.0)
    with pytest.raises(ValueError, match="similarity"):
        losses.info_nce_loss(f, X, Xp, similarity="euclid")
    with pytest.raises(ValueError, match="X"):
        losses.info_nce_loss(f, X[:1], Xp[:1])
    with pytest.raises(ValueError, match="zero embedding"):
        losses.info_nce_loss(lambda A: 0 * A @ M, X, Xp, similarity="cosine")
    with pytest.raises(ValueError, match="M"):
        losses.info_nce_matrix(X, Xp, M[:2])
    with pytest.raises(ValueError, match="X_pos"):
        losses.info_nce_matrix(X, Xp[:3], M)


def test_multi_matrix_reduces_to_contrastive_and_keeps_the_trace_form():
    rng = np.random.default_rng(8)
    n, d, k, m = 9, 4, 3, 5
    X = rng.standard_normal((n, d))
    Xp, Xn = rng.standard_normal((k, n, d)), rng.standard_normal((m, n, d))
    M = rng.standard_normal((d, 2))
    C1 = losses.multi_contrastive_matrix(X, Xp[:1], Xn[:1])
    assert np.array_equal(C1, losses.contrastive_matrix(X, Xp[0], Xn[0]))
    C = losses.multi_contrastive_matrix(X, Xp, Xn)
    F = X @ M
    direct = -np.mean(
        np.sum(F * (np.mean(Xp @ M, axis=0) - np.mean(Xn @ M, axis=0)), axis=1)
    )
    assert abs(direct - losses.trace_loss(C, M)) < 1e-13 * (1 + abs(direct))
    # a wrong normalisation (sums instead of averages) is caught
    wrong = losses.contrastive_matrix(X, Xp.sum(0), Xn.sum(0))
    assert abs(losses.trace_loss(wrong, M) - direct) > 1e-3


def test_multi_matrix_wrong_shapes():
    X = np.ones((4, 3))
    with pytest.raises(ValueError, match="X_pos"):
        losses.multi_contrastive_matrix(X, np.ones((2, 4, 2)), np.ones((1, 4, 3)))
    with pytest.raises(ValueError, match="X_neg"):
        losses.multi_contrastive_matrix(X, np.ones((2, 4, 3)), np.ones((4, 3)))

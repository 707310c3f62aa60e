"""ntk.projected_ntk: the tangent kernel of the projected gradients (issue 16)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ssl_notes import models, ntk


def _closed_form(X, M):
    G = X @ X.T
    Y = X @ M
    z = M.shape[1]
    return G[:, :, None, None] * (np.eye(z) - M.T @ M) + (G - Y @ Y.T)[
        :, :, None, None
    ] * np.eye(z)


@pytest.mark.parametrize("h", [6, 15, 60])
def test_linear_network_matches_the_closed_form(h):
    net = models.two_layer_net(6, h, 3, "identity", rng=h)
    X = np.random.default_rng(0).standard_normal((4, 6))
    K = ntk.projected_ntk(net, X)
    M = net.M().detach().numpy()
    np.testing.assert_allclose(K, _closed_form(X, M), atol=1e-13)
    # the free kernel is Lemma 1's 2 x^T x' delta_kl; the projected one differs
    free = ntk.empirical_ntk(net, X)
    lemma = 2 * (X @ X.T)[:, :, None, None] * np.eye(3)
    np.testing.assert_allclose(free, lemma, atol=1e-13)
    assert np.abs(K - lemma).max() > 1e-2


def test_kernel_is_psd_and_moves_the_outputs_like_a_projected_step():
    """f(x) after a small projected-gradient step on L = sum_i g_i^T f(x_i)."""
    net = models.two_layer_net(5, 12, 2, "tanh", rng=1)
    X = torch.as_tensor(np.random.default_rng(2).standard_normal((6, 5)))
    g = torch.as_tensor(np.random.default_rng(3).standard_normal((6, 2)))
    K = ntk.projected_ntk(net, X)
    mat = K.transpose(0, 2, 1, 3).reshape(12, 12)
    assert np.linalg.eigvalsh((mat + mat.T) / 2).min() > -1e-12
    L = (net(X) * g).sum()
    gW, gV = torch.autograd.grad(L, [net.W, net.V])
    W, V = net.W.detach(), net.V.detach()
    eps = 1e-6
    with torch.no_grad():
        f0 = net(X).numpy()
        net.W -= eps * (gW - gW @ (W.T @ W))
        net.V -= eps * (gV - V @ (V.T @ gV))
        df = (net(X).numpy() - f0) / eps
    pred = -np.einsum("abkl,bl->ak", K, g.numpy())
    np.testing.assert_allclose(df, pred, atol=1e-4)


def test_bad_input_is_named():
    narrow = models.two_layer_net(6, 4, 2, "tanh", rng=0)
    with pytest.raises(ValueError, match="net"):
        ntk.projected_ntk(narrow, np.ones((2, 6)))
    net = models.two_layer_net(4, 8, 2, "tanh", rng=0)
    with torch.no_grad():
        net.V *= 2
    with pytest.raises(ValueError, match="net"):
        ntk.projected_ntk(net, np.ones((2, 4)))
    with pytest.raises(TypeError, match="net"):
        ntk.projected_ntk("net", np.ones((2, 4)))

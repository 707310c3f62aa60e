"""Tests of ssl_notes.ntk: shapes, symmetry, a slow reference, Lemma 1's exact cases."""

import numpy as np
import pytest
import torch

from ssl_notes import kernels, models, ntk


def slow_ntk(model, X1, X2):
    """Reference: one autograd.grad per point and output, flattened over parameters."""
    params = [p for p in model.parameters() if p.requires_grad]

    def grads(X):
        out = []
        for x in torch.as_tensor(X, dtype=torch.float64):
            f = model(x[None])[0]
            rows = []
            for k in range(f.shape[0]):
                g = torch.autograd.grad(f[k], params, retain_graph=True)
                rows.append(torch.cat([gi.reshape(-1) for gi in g]))
            out.append(torch.stack(rows))
        return torch.stack(out)  # (n, z, P)

    G1, G2 = grads(X1), grads(X2)
    return torch.einsum("akp,blp->abkl", G1, G2).detach().numpy()


@pytest.mark.parametrize("activation", ["tanh", "relu", "identity"])
def test_agrees_with_slow_reference(rng, activation):
    net = models.two_layer_net(3, 7, 2, activation, init="gaussian", rng=1)
    X1, X2 = rng.standard_normal((4, 3)), rng.standard_normal((5, 3))
    T = ntk.empirical_ntk(net, X1, X2)
    assert T.shape == (4, 5, 2, 2) and T.dtype == np.float64
    np.testing.assert_allclose(T, slow_ntk(net, X1, X2), rtol=1e-12, atol=1e-14)


def test_symmetry_and_psd(rng):
    net = models.two_layer_net(4, 16, 3, "tanh", init="gaussian", rng=2)
    X = rng.standard_normal((6, 4))
    T = ntk.empirical_ntk(net, X)
    assert T.shape == (6, 6, 3, 3)
    np.testing.assert_allclose(T, T.transpose(1, 0, 3, 2), atol=1e-14)
    K = ntk.ntk_matrix(T)
    np.testing.assert_allclose(K, K.T, atol=1e-14)
    assert np.linalg.eigvalsh(K)[0] > -1e-12
    # X2 = X1 given explicitly gives the same answer
    np.testing.assert_allclose(ntk.empirical_ntk(net, X, X), T, atol=1e-14)


def test_linear_and_kernel_models_are_exactly_block_diagonal(rng):
    X1, X2 = rng.standard_normal((5, 3)), rng.standard_normal((4, 3))
    lin = ntk.feature_model(rng.standard_normal((3, 2)))
    T = ntk.empirical_ntk(lin, X1, X2)
    np.testing.assert_allclose(T[:, :, 0, 0], X1 @ X2.T, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(T[:, :, 1, 1], X1 @ X2.T, rtol=1e-14, atol=1e-14)
    assert np.all(T[:, :, 0, 1] == 0) and ntk.block_ratio(T) == 0.0
    Om, b = kernels.rff_weights(3, 50, 1.0, rng)
    km = ntk.feature_model(
        rng.standard_normal((50, 3)), lambda A: kernels.rff_features(A, Om, b)
    )
    T = ntk.empirical_ntk(km, X1, X2)
    P1, P2 = kernels.rff_features(X1, Om, b), kernels.rff_features(X2, Om, b)
    for k in range(3):
        np.testing.assert_allclose(T[:, :, k, k], P1 @ P2.T, rtol=1e-13, atol=1e-15)
    assert ntk.block_ratio(T) == 0.0


def test_frozen_first_layer_is_a_kernel_machine(rng):
    net = models.two_layer_net(3, 20, 2, "relu", init="gaussian", rng=3)
    X = rng.standard_normal((4, 3))
    T = ntk.empirical_ntk(net, X, params=["V"])
    with torch.no_grad():
        S = torch.relu(net.hidden(torch.as_tensor(X))).numpy() / np.sqrt(20)
    np.testing.assert_allclose(T[:, :, 1, 1], S @ S.T, atol=1e-14)
    assert ntk.block_ratio(T) == 0.0


def test_block_summaries():
    T = np.zeros((2, 2, 2, 2))
    T[:, :, 0, 0] = T[:, :, 1, 1] = np.eye(2)
    T[:, :, 0, 1] = T[:, :, 1, 0] = 0.5 * np.eye(2)
    assert ntk.block_ratio(T) == pytest.approx(0.5)
    assert ntk.diagonal_spread(T) == 0.0
    np.testing.assert_allclose(ntk.diagonal_mean(T), np.eye(2))
    T[:, :, 1, 1] = 3 * np.eye(2)
    assert ntk.diagonal_spread(T) == pytest.approx(0.5)  # mean 2I, deviations +-I
    with pytest.raises(ValueError, match="z >= 2"):
        ntk.block_ratio(np.ones((2, 2, 1, 1)))


def test_bad_input(rng):
    net = models.two_layer_net(3, 5, 2, "tanh", init="gaussian", rng=0)
    X = rng.standard_normal((4, 3))
    with pytest.raises(TypeError, match="model"):
        ntk.empirical_ntk(lambda x: x, X)
    with pytest.raises(ValueError, match=r"X1: expected shape \(n, 3\)"):
        ntk.empirical_ntk(net, rng.standard_normal((4, 2)))
    with pytest.raises(ValueError, match="X2: expected a 2-D"):
        ntk.empirical_ntk(net, X, X[0])
    bad = X.copy()
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match="X2: contains NaN"):
        ntk.empirical_ntk(net, X, bad)
    with pytest.raises(ValueError, match="params"):
        ntk.empirical_ntk(net, X, params=["U"])
    with pytest.raises(TypeError, match="params"):
        ntk.empirical_ntk(net, X, params="V")
    with pytest.raises(ValueError, match="Theta"):
        ntk.block_ratio(np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="W: contains NaN"):
        ntk.feature_model(np.array([[np.nan]]))


def test_inputs_of_bad_dtype_are_rejected(rng):
    net = models.two_layer_net(3, 5, 2, "tanh", init="gaussian", rng=0)
    X = rng.standard_normal((4, 3))
    with pytest.raises(TypeError, match="X1: expected a real"):
        ntk.empirical_ntk(net, X + 0j)
    with pytest.raises(TypeError, match="X2: expected a real"):
        ntk.empirical_ntk(net, X, X > 0)
    with pytest.raises(TypeError, match="X1"):
        ntk.empirical_ntk(net, X.astype(str))
    with pytest.raises(TypeError, match="X1: expected a real numeric tensor"):
        ntk.empirical_ntk(net, torch.ones(2, 3, dtype=torch.complex128))
    with pytest.raises(TypeError, match="X1: expected a real numeric tensor"):
        ntk.empirical_ntk(net, torch.ones(2, 3, dtype=torch.bool))
    with pytest.raises(TypeError, match="Theta: expected a real"):
        ntk.block_ratio(np.ones((2, 2, 2, 2)) + 0j)
    with pytest.raises(ValueError, match="Theta: contains NaN"):
        ntk.diagonal_mean(np.full((2, 2, 2, 2), np.nan))
    with pytest.raises(TypeError, match="W: expected a real"):
        ntk.feature_model(np.ones((2, 2), dtype=bool))
    with pytest.raises(TypeError, match="W: expected a floating tensor"):
        ntk.feature_model(torch.ones(2, 2, dtype=torch.int64))


def test_too_large_a_kernel_is_refused(rng):
    net = models.two_layer_net(3, 4000, 4, "tanh", init="gaussian", rng=0)
    with pytest.raises(ValueError, match="params"):
        ntk.empirical_ntk(net, rng.standard_normal((2000, 3)))


def test_params_must_be_a_sequence(rng):
    net = models.two_layer_net(3, 5, 2, "tanh", init="gaussian", rng=0)
    for bad in (True, 1.5):
        with pytest.raises(TypeError, match="params"):
            ntk.empirical_ntk(net, rng.standard_normal((2, 3)), params=bad)

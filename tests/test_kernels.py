"""Tests of ssl_notes.kernels: RFF, arc-cosine closed forms, infinite-width NTK."""

import numpy as np
import pytest
import torch

from ssl_notes import kernels, models, ntk
from ssl_notes.activations import ACTIVATIONS, get_activation


def test_rff_approximates_gaussian_kernel(rng):
    X = rng.standard_normal((6, 3))
    Om, b = kernels.rff_weights(3, 20000, lengthscale=1.5, rng=rng)
    P = kernels.rff_features(X, Om, b)
    K = kernels.gaussian_kernel(X, lengthscale=1.5)
    # Monte Carlo error of a mean of D = 20000 bounded terms (|2 cos cos| <= 2):
    # ~ 1/sqrt(D)
    assert np.max(np.abs(P @ P.T - K)) < 5 / np.sqrt(20000)
    np.testing.assert_allclose(np.diag(K), 1.0)


def test_rff_torch_matches_numpy(rng):
    X = rng.standard_normal((4, 2))
    Om, b = kernels.rff_weights(2, 7, rng=0)
    Pt = kernels.rff_features(torch.as_tensor(X, dtype=torch.float64), Om, b)
    assert torch.is_tensor(Pt)
    np.testing.assert_allclose(Pt.numpy(), kernels.rff_features(X, Om, b), atol=1e-15)


def test_arccos_closed_forms_against_monte_carlo(rng):
    X = rng.standard_normal((5, 4))
    w = rng.standard_normal((4, 200000))
    U = X @ w
    k1 = 2 * np.maximum(U, 0) @ np.maximum(U, 0).T / w.shape[1]
    k0 = 2 * (U > 0).astype(float) @ (U > 0).astype(float).T / w.shape[1]
    np.testing.assert_allclose(
        kernels.arccos_kernel(X, order=1), k1, rtol=0.03, atol=0.03
    )
    np.testing.assert_allclose(kernels.arccos_kernel(X, order=0), k0, atol=0.01)
    # exact values on the diagonal: k1(x, x) = |x|^2, k0(x, x) = 1
    np.testing.assert_allclose(
        np.diag(kernels.arccos_kernel(X, order=1)), np.sum(X**2, 1), rtol=1e-12
    )
    np.testing.assert_allclose(np.diag(kernels.arccos_kernel(X, order=0)), 1.0)


def test_two_layer_ntk_quadrature_matches_closed_forms(rng):
    X = rng.standard_normal((4, 3))
    np.testing.assert_allclose(
        kernels.two_layer_ntk(X, activation="identity"), 2 * X @ X.T / 3, atol=1e-14
    )
    # tanh: the rule at two orders agrees (smooth integrand, fast convergence)
    a = kernels.two_layer_ntk(X, activation="tanh", quad_points=200)
    b = kernels.two_layer_ntk(X, activation="tanh", quad_points=300)
    np.testing.assert_allclose(a, b, atol=1e-12)
    np.testing.assert_allclose(a, a.T, atol=1e-12)


def test_infinite_width_limit_of_empirical_ntk(rng):
    X = rng.standard_normal((4, 3))
    for act in ["relu", "tanh"]:
        net = models.two_layer_net(3, 40000, 1, act, init="gaussian", rng=5)
        T = ntk.empirical_ntk(net, X)[:, :, 0, 0]
        K = kernels.two_layer_ntk(X, activation=act)
        # fluctuations of a mean of h i.i.d. terms: relative ~ few / sqrt(h) = 0.015
        assert np.linalg.norm(T - K) / np.linalg.norm(K) < 0.05, act


def test_relu_ntk_zero_row_and_bad_input(rng):
    X = np.vstack([np.zeros(3), rng.standard_normal((2, 3))])
    K = kernels.relu_ntk(X)
    assert np.all(np.isfinite(K)) and np.all(K[0] == 0)
    with pytest.raises(ValueError, match="undefined at x = 0"):
        kernels.arccos_kernel(X, order=0)
    with pytest.raises(ValueError, match="order"):
        kernels.arccos_kernel(X, order=2)
    with pytest.raises(ValueError, match="same number of columns"):
        kernels.relu_ntk(X, np.ones((2, 2)))
    with pytest.raises(ValueError, match="activation"):
        kernels.two_layer_ntk(X, activation="gelu")
    with pytest.raises(ValueError, match="lengthscale"):
        kernels.rff_weights(3, 4, lengthscale=0.0)
    with pytest.raises(ValueError, match="n_features"):
        kernels.rff_weights(3, 0)
    Om, b = kernels.rff_weights(3, 4, rng=0)
    with pytest.raises(ValueError, match="X: expected shape"):
        kernels.rff_features(np.ones((2, 2)), Om, b)
    with pytest.raises(ValueError, match="b: expected shape"):
        kernels.rff_features(np.ones((2, 3)), Om, b[:2])
    with pytest.raises(ValueError, match="NaN"):
        kernels.gaussian_kernel(np.array([[np.nan]]))


def test_quadrature_path_on_closed_forms(rng):
    """The Gauss-Legendre path itself, on activations whose expectations are known."""
    from ssl_notes.kernels import _quadrature_ntk

    def rule(name, m):
        act = get_activation(name)
        return _quadrature_ntk(X, X, act.numpy, act.derivative, m)

    X = rng.standard_normal((5, 3))
    ident = rule("identity", 200)
    np.testing.assert_allclose(ident, 2 * X @ X.T / 3, atol=1e-12)  # polynomial: exact
    relu = rule("relu", 400)
    # the kink of relu' makes the rule converge only algebraically (1e-3 relative at
    # 400 nodes): a loose check, but of two independent derivations of the same kernel
    np.testing.assert_allclose(relu, kernels.relu_ntk(X), rtol=5e-3, atol=1e-3)


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "softplus0"])
def test_quadrature_converges_for_every_smooth_activation(rng, name):
    """200 nodes against 400 at |x|^2/d = 2 (the docstring's claim: 1e-12 for tanh)."""
    X = rng.standard_normal((4, 3))
    X *= np.sqrt(2 * 3) / np.linalg.norm(X, axis=1, keepdims=True)
    a = kernels.two_layer_ntk(X, activation=name, quad_points=200)
    b = kernels.two_layer_ntk(X, activation=name, quad_points=400)
    np.testing.assert_allclose(a, b, atol=1e-12)


def test_quadrature_matches_a_monte_carlo_estimate(rng):
    """Gauss-Legendre E[s(u)s(u')] + (x.x'/d) E[s'(u)s'(u')] against Monte Carlo."""
    X = rng.standard_normal((2, 3))
    K = kernels.two_layer_ntk(X, activation="sigmoid")
    act = get_activation("sigmoid")
    w = rng.standard_normal((3, 400000))
    U = X @ w / np.sqrt(3)
    mc = act.numpy(U) @ act.numpy(U).T / w.shape[1]
    mc += (X @ X.T / 3) * (act.derivative(U) @ act.derivative(U).T / w.shape[1])
    # Monte Carlo error of a mean of 4e5 bounded terms: a few 1e-3 / sqrt(4e5) ~ 1e-5
    np.testing.assert_allclose(K, mc, atol=2e-3)


@pytest.mark.parametrize(
    "call, err, match",
    [
        (lambda X: kernels.two_layer_ntk(X, activation="gelu"), ValueError, "tanh"),
        (lambda X: kernels.two_layer_ntk(X, activation=3), TypeError, "activation"),
        (
            lambda X: kernels.two_layer_ntk(X, activation="tanh", quad_points=0),
            ValueError,
            "quad_points",
        ),
        (
            lambda X: kernels.two_layer_ntk(X, activation="tanh", quad_points=2.5),
            TypeError,
            "quad_points",
        ),
        (
            lambda X: kernels.two_layer_ntk(X, activation="tanh", quad_points=True),
            TypeError,
            "quad_points",
        ),
        (
            lambda X: kernels.two_layer_ntk(X, activation="tanh", quad_points=10**5),
            ValueError,
            "at most 2000",
        ),
        (
            lambda X: kernels.two_layer_ntk(np.ones((300, 3)), activation="tanh"),
            ValueError,
            "10 s",
        ),
        (lambda X: kernels.two_layer_ntk(X + 0j), TypeError, "X1: expected a real"),
        (lambda X: kernels.gaussian_kernel(X, X.astype(str)), TypeError, "X2"),
        (lambda X: kernels.gaussian_kernel(X > 0), TypeError, "X1"),
        (
            lambda X: kernels.gaussian_kernel(X, lengthscale=float("nan")),
            ValueError,
            "lengthscale",
        ),
        (
            lambda X: kernels.gaussian_kernel(X, lengthscale=True),
            TypeError,
            "lengthscale",
        ),
        (
            lambda X: kernels.gaussian_kernel(X, lengthscale="1"),
            TypeError,
            "lengthscale",
        ),
        (lambda X: kernels.arccos_kernel(X, order=True), TypeError, "order"),
        (lambda X: kernels.arccos_kernel(X, order=1.0), TypeError, "order"),
        (
            lambda X: kernels.relu_ntk(np.ones((20000, 3)), np.ones((20000, 3))),
            ValueError,
            "blocks",
        ),
        (lambda X: kernels.rff_weights(3, 10**8), ValueError, "n_features"),
        (lambda X: kernels.rff_weights(True, 4), TypeError, "d"),
        (
            lambda X: kernels.rff_features(
                torch.ones(2, 3, dtype=torch.complex128), *kernels.rff_weights(3, 4)
            ),
            TypeError,
            "X",
        ),
        (
            lambda X: kernels.rff_features(
                torch.ones(2, 3).bool(), *kernels.rff_weights(3, 4)
            ),
            TypeError,
            "X",
        ),
    ],
)
def test_kernel_input_checks_name_the_argument(rng, call, err, match):
    with pytest.raises(err, match=match):
        call(rng.standard_normal((3, 3)))


def test_every_registered_activation_has_a_kernel(rng):
    X = rng.standard_normal((3, 2))
    for name in ACTIVATIONS:
        K = kernels.two_layer_ntk(X, activation=name)
        assert K.shape == (3, 3) and np.all(np.isfinite(K))


def test_angles_are_accurate_near_parallel_points():
    """At x = x' the angle is 0 to rounding (arccos of a rounded cosine gives ~1e-8),
    so the order-0 kernel's diagonal is exactly pi/pi = 1 times the norms' product."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 50))
    K0 = kernels.arccos_kernel(X, order=0)
    assert np.max(np.abs(np.diag(K0) - 1.0)) < 1e-15
    theta, _, _ = kernels._angles(X, X)
    assert np.max(np.abs(np.diag(theta))) < 1e-15
    # nearly parallel: theta = 1e-7 exactly recovered to relative 1e-8
    a = np.zeros(3)
    a[0] = 1.0
    b = np.array([np.cos(1e-7), np.sin(1e-7), 0.0])
    (t,) = kernels._angles(a[None], b[None])[0].ravel()
    assert abs(t - 1e-7) < 1e-15
    # antiparallel: pi
    (t,) = kernels._angles(a[None], -a[None])[0].ravel()
    assert abs(t - np.pi) < 1e-15

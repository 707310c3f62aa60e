"""Tests of ssl_notes.activations: the one registry of numpy and torch activations."""

import math

import numpy as np
import pytest
import torch

from ssl_notes import wide_bounds as wb
from ssl_notes.activations import ACTIVATION_FACTS, ACTIVATIONS, get_activation
from ssl_notes.models import two_layer_net


# ---------------------------------------------------------------- activations
@pytest.mark.parametrize("name", list(ACTIVATION_FACTS))
def test_activation_facts(name):
    """sigma(0), sigma'(0) by central differences and sup|sigma''| on a fine grid."""
    f = get_activation(name).numpy
    s0, ds0, K = ACTIVATION_FACTS[name]
    e = 1e-6
    assert f(np.array(0.0)) == pytest.approx(s0, abs=1e-15)
    left, right = (
        (f(np.array(0.0)) - f(np.array(-e))) / e,
        (f(np.array(e)) - f(np.array(0.0))) / e,
    )
    if math.isnan(ds0):  # relu: the one-sided derivatives differ
        assert left == pytest.approx(0.0, abs=1e-9) and right == pytest.approx(
            1.0, abs=1e-9
        )
        assert math.isinf(K)
        return
    assert left == pytest.approx(ds0, abs=1e-6) and right == pytest.approx(
        ds0, abs=1e-6
    )
    u = np.linspace(-12, 12, 200001)
    hstep = u[1] - u[0]
    second = (f(u[2:]) - 2 * f(u[1:-1]) + f(u[:-2])) / hstep**2
    # rounding of the second difference: ~ eps * 12 / hstep^2 ~ 1e-7
    assert np.max(np.abs(second)) == pytest.approx(K, rel=1e-4, abs=1e-6)


@pytest.mark.parametrize("name", ["identity", "tanh", "relu", "sigmoid"])
def test_numpy_activations_match_the_torch_model(name):
    net = two_layer_net(3, 7, 2, activation=name, rng=0)
    x = np.random.default_rng(1).standard_normal((5, 3)) * 3
    out, _, _ = wb.linearization_gap(
        x, net.W.detach().numpy().T, net.V.detach().numpy(), name
    )
    ref = (
        torch.linalg.vector_norm(net(x) - net.forward_linear(x), dim=1).detach().numpy()
    )
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-14)


def test_activation_rejects_unknown_names():
    with pytest.raises(ValueError, match="name"):
        get_activation("gelu", "name")


# ---------------------------------------------------------------- the registry
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_torch_and_numpy_forms_agree(name):
    act = get_activation(name)
    u = np.linspace(-40, 40, 2001)
    out = act.torch(torch.as_tensor(u)).numpy()
    np.testing.assert_allclose(out, act.numpy(u), rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_derivative_is_the_derivative(name):
    """Central differences of the numpy form, away from relu's kink."""
    act = get_activation(name)
    u = np.linspace(-6, 6, 1201)
    u = u[np.abs(u) > 1e-3]
    e = 1e-6
    fd = (act.numpy(u + e) - act.numpy(u - e)) / (2 * e)
    np.testing.assert_allclose(act.derivative(u), fd, atol=1e-8)
    # torch autograd agrees too
    t = torch.as_tensor(u, dtype=torch.float64).requires_grad_(True)
    (g,) = torch.autograd.grad(act.torch(t).sum(), t)
    np.testing.assert_allclose(g.numpy(), act.derivative(u), atol=1e-12)


def test_overflow_free_forms():
    u = np.array([-1000.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        for name in ACTIVATIONS:
            act = get_activation(name)
            assert np.all(np.isfinite(act.numpy(u))) and np.all(
                np.isfinite(act.derivative(u))
            )


def test_registry_errors_list_the_valid_names():
    with pytest.raises(
        ValueError, match=r"activation: expected one of \('identity', 'tanh', "
    ):
        get_activation("gelu")
    with pytest.raises(ValueError, match=r"act: expected one of \('tanh', 'relu'"):
        get_activation("identity", "act", exclude=("identity",))
    with pytest.raises(TypeError, match="activation: expected an activation name"):
        get_activation(None)
    with pytest.raises(TypeError, match="activation"):
        get_activation(np.tanh)


def test_every_consumer_uses_the_registry():
    """models, kernels, wide_bounds and twins accept exactly the registered names."""
    from ssl_notes import kernels, models

    x = np.random.default_rng(0).standard_normal((3, 2))
    for name in ACTIVATIONS:
        models.two_layer_net(2, 3, 1, name, rng=0)(x)
        kernels.two_layer_ntk(x, activation=name)
        wb.linearization_gap(x, np.eye(3)[:, :2], np.eye(3)[:, :1], name)


def test_exclude_must_name_registered_activations():
    with pytest.raises(TypeError, match="exclude"):
        get_activation("tanh", exclude="identity")
    with pytest.raises(TypeError, match="exclude"):
        get_activation("tanh", exclude=("gelu",))

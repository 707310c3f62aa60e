import numpy as np
import pytest
import torch

from ssl_notes import default_device, manifold
from ssl_notes.models import ACTIVATIONS, two_layer_net


@pytest.mark.parametrize("d, h", [(10, 4), (4, 10), (6, 6)])
def test_orthonormal_init_is_semi_orthogonal(d, h):
    net = two_layer_net(d, h, 3, init="orthonormal", rng=0)
    W, V = net.W.detach().numpy(), net.V.detach().numpy()
    assert W.shape == (d, h) and V.shape == (h, 3)
    assert manifold.is_orthonormal(W if h <= d else W.T, tol=1e-12)
    assert manifold.is_orthonormal(V, tol=1e-12)
    assert net.W.dtype == torch.float64


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_forward_matches_formula(activation):
    d, h, z = 5, 7, 2
    fn = {"identity": lambda u: u, "tanh": np.tanh, "relu": lambda u: np.maximum(u, 0),
          "sigmoid": lambda u: 1 / (1 + np.exp(-u))}[activation]
    for init in ("orthonormal", "gaussian"):
        net = two_layer_net(d, h, z, activation=activation, init=init, rng=1)
        x = np.random.default_rng(2).standard_normal((9, d))
        W, V = net.W.detach().numpy(), net.V.detach().numpy()
        s1, s2 = (1, 1) if init == "orthonormal" else (d**-0.5, h**-0.5)
        expected = s2 * fn(s1 * x @ W) @ V
        np.testing.assert_allclose(net(x).detach().numpy(), expected, rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(net.forward_linear(x).detach().numpy(), x @ net.M().detach().numpy(),
                                   rtol=1e-12, atol=1e-14)


def test_linear_copy_is_independent():
    net = two_layer_net(4, 6, 2, activation="tanh", rng=0)
    twin = net.linear_copy()
    assert twin.activation == "identity"
    x = torch.randn(3, 4, dtype=torch.float64)
    torch.testing.assert_close(twin(x), net.forward_linear(x))
    with torch.no_grad():
        twin.W.add_(1.0)
    assert not torch.equal(twin.W, net.W)


def test_bad_input():
    with pytest.raises(ValueError, match="activation"):
        two_layer_net(3, 3, 1, activation="gelu")
    with pytest.raises(ValueError, match="init"):
        two_layer_net(3, 3, 1, init="xavier")
    with pytest.raises(ValueError, match="z"):
        two_layer_net(3, 2, 3)
    with pytest.raises(ValueError, match="h"):
        two_layer_net(3, 0, 1)
    net = two_layer_net(3, 4, 1)
    with pytest.raises(ValueError, match=r"x: expected shape \(n, 3\)"):
        net(torch.zeros(2, 5, dtype=torch.float64))


def test_default_device_is_cpu_here_or_cuda():
    dev = default_device()
    assert dev.type == ("cuda" if torch.cuda.is_available() else "cpu")

import numpy as np
import pytest
import torch

from ssl_notes import default_device, manifold, models
from ssl_notes._validate import check_device, check_tensor
from ssl_notes.activations import ACTIVATIONS
from ssl_notes.models import TwoLayerNet, two_layer_net


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
    fn = {
        "identity": lambda u: u,
        "tanh": np.tanh,
        "relu": lambda u: np.maximum(u, 0),
        "sigmoid": lambda u: 1 / (1 + np.exp(-u)),
        "softplus0": lambda u: 2 * np.log((1 + np.exp(u)) / 2),
    }[activation]
    for init in ("orthonormal", "gaussian"):
        net = two_layer_net(d, h, z, activation=activation, init=init, rng=1)
        x = np.random.default_rng(2).standard_normal((9, d))
        W, V = net.W.detach().numpy(), net.V.detach().numpy()
        s1, s2 = (1, 1) if init == "orthonormal" else (d**-0.5, h**-0.5)
        expected = s2 * fn(s1 * x @ W) @ V
        np.testing.assert_allclose(
            net(x).detach().numpy(), expected, rtol=1e-13, atol=1e-14
        )
        np.testing.assert_allclose(
            net.forward_linear(x).detach().numpy(),
            x @ net.M().detach().numpy(),
            rtol=1e-12,
            atol=1e-14,
        )


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


def test_two_layer_net_is_a_plain_class():
    net = two_layer_net(3, 4, 2, "tanh", rng=0)
    assert type(net) is TwoLayerNet and isinstance(net, torch.nn.Module)
    assert not hasattr(models, "__getattr__")


def test_unknown_activation_lists_the_valid_ones():
    with pytest.raises(
        ValueError, match=r"activation: expected one of \('identity', 'tanh'"
    ):
        two_layer_net(3, 3, 1, activation="gelu")
    with pytest.raises(TypeError, match="activation"):
        two_layer_net(3, 3, 1, activation=None)


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        (dict(d=True), TypeError, "d"),
        (dict(h=2.0), TypeError, "h"),
        (dict(z=-1), ValueError, "z"),
        (dict(init=3), TypeError, "init"),
        (dict(dtype=np.float64), TypeError, "dtype"),
        (dict(dtype=torch.int64), TypeError, "dtype"),
        (dict(rng="seed"), TypeError, "rng"),
        (dict(d=10**5, h=10**4), ValueError, "smaller width"),
    ],
)
def test_two_layer_net_checks_its_arguments(kwargs, err, match):
    args = dict(d=3, h=4, z=2)
    args.update(kwargs)
    with pytest.raises(err, match=match):
        two_layer_net(**args)


def test_forward_rejects_bad_inputs():
    net = two_layer_net(3, 4, 1, rng=0)
    with pytest.raises(TypeError, match="x: expected a real"):
        net(np.ones((2, 3)) + 0j)
    with pytest.raises(TypeError, match="x: expected a real"):
        net(np.ones((2, 3), dtype=bool))
    with pytest.raises(TypeError, match="x"):
        net(np.array([["1", "2", "3"]]))
    with pytest.raises(ValueError, match="x: contains NaN"):
        net(np.full((2, 3), np.nan))
    with pytest.raises(TypeError, match="x: expected a real numeric tensor"):
        net(torch.ones(2, 3, dtype=torch.complex128))
    with pytest.raises(TypeError, match="x: expected a real numeric tensor"):
        net(torch.ones(2, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match="x: contains NaN"):
        net(torch.full((2, 3), float("nan"), dtype=torch.float64))


def test_constructor_and_check_tensor():
    W, V = torch.ones(3, 4, dtype=torch.float64), torch.ones(4, 2, dtype=torch.float64)
    with pytest.raises(ValueError, match="V: expected 4 rows"):
        TwoLayerNet(W, V[:3], "tanh", 1.0, 1.0)
    with pytest.raises(TypeError, match="W, V: expected one floating dtype"):
        TwoLayerNet(W, V.float(), "tanh", 1.0, 1.0)
    with pytest.raises(ValueError, match="scale_in"):
        TwoLayerNet(W, V, "tanh", 0.0, 1.0)
    with pytest.raises(ValueError, match="activation"):
        TwoLayerNet(W, V, "elu", 1.0, 1.0)
    with pytest.raises(TypeError, match="W: expected a torch tensor"):
        TwoLayerNet(W.numpy(), V, "tanh", 1.0, 1.0)
    with pytest.raises(ValueError, match="W: expected a 2-D tensor"):
        check_tensor("W", torch.ones(3), ndim=2)


def test_forward_runs_under_vmap():
    """The NaN check of the input is skipped inside torch.func transforms."""
    net = two_layer_net(3, 4, 2, "tanh", rng=0)
    x = torch.randn(5, 3, dtype=torch.float64)
    out = torch.func.vmap(lambda r: net(r[None])[0])(x)
    torch.testing.assert_close(out, net(x))


def test_check_device_and_ndim_name_their_argument():
    assert check_device(None) is None
    assert check_device(None, "cpu") == torch.device("cpu")
    assert check_device("cpu") == torch.device("cpu")
    with pytest.raises(TypeError, match="device"):
        check_device(True)
    with pytest.raises(TypeError, match="device"):
        check_device(float("nan"))
    with pytest.raises(ValueError, match="device"):
        check_device("gpu-please")
    with pytest.raises(TypeError, match="default"):
        check_device("cpu", default=1.5)
    with pytest.raises(TypeError, match="device"):
        two_layer_net(3, 4, 2, device=True)
    with pytest.raises(TypeError, match="ndim"):
        check_tensor("x", torch.ones(2), ndim="2")

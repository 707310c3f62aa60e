import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2

from ssl_notes import data, linearization as lz, losses, manifold, training
from ssl_notes.models import two_layer_net


# ---------------------------------------------------------------- activations
@pytest.mark.parametrize("name", list(lz.ACTIVATION_FACTS))
def test_activation_facts(name):
    """sigma(0), sigma'(0) by central differences and sup|sigma''| on a fine grid."""
    f = lz.activation(name)
    s0, ds0, K = lz.ACTIVATION_FACTS[name]
    e = 1e-6
    assert f(np.array(0.0)) == pytest.approx(s0, abs=1e-15)
    left, right = (f(np.array(0.0)) - f(np.array(-e))) / e, (f(np.array(e)) - f(np.array(0.0))) / e
    if math.isnan(ds0):  # relu: the one-sided derivatives differ
        assert left == pytest.approx(0.0, abs=1e-9) and right == pytest.approx(1.0, abs=1e-9)
        assert math.isinf(K)
        return
    assert left == pytest.approx(ds0, abs=1e-6) and right == pytest.approx(ds0, abs=1e-6)
    u = np.linspace(-12, 12, 200001)
    hstep = u[1] - u[0]
    second = (f(u[2:]) - 2 * f(u[1:-1]) + f(u[:-2])) / hstep**2
    # rounding of the second difference: ~ eps * 12 / hstep^2 ~ 1e-7
    assert np.max(np.abs(second)) == pytest.approx(K, rel=1e-4, abs=1e-6)


@pytest.mark.parametrize("name", ["identity", "tanh", "relu", "sigmoid"])
def test_numpy_activations_match_the_torch_model(name):
    net = two_layer_net(3, 7, 2, activation=name, rng=0)
    x = np.random.default_rng(1).standard_normal((5, 3)) * 3
    out, _, _ = lz.linearization_gap(x, net.W.detach().numpy().T, net.V.detach().numpy(), name)
    ref = torch.linalg.vector_norm(net(x) - net.forward_linear(x), dim=1).detach().numpy()
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-14)


def test_activation_rejects_unknown_names():
    with pytest.raises(ValueError, match="name"):
        lz.activation("gelu")


# ---------------------------------------------------------------- Lemma 2
def test_lemma2_bound_values():
    assert lz.lemma2_bound(100) == pytest.approx(2 * math.sqrt(2) * math.sqrt(math.log(100) / 100))
    assert lz.lemma2_bound(100, 5, 0.01) == pytest.approx(2 * math.sqrt(math.log(2 * 100 * 5 / 0.01) / 100))
    # with delta = 2d/h the two forms agree
    assert lz.lemma2_bound(1000, 4, 2 * 4 / 1000) == pytest.approx(lz.lemma2_bound(1000))
    kappa = (math.log(2) - 0.5) / 2
    assert lz.lemma2_probability(1000, 4) == pytest.approx(1 - 8 / 1000 - 4 * math.exp(-kappa * 1000))
    assert lz.lemma2_probability(10, 10) == 0.0  # vacuous for small h


def test_lemma2_bad_input():
    with pytest.raises(ValueError, match="h"):
        lz.lemma2_bound(1)
    with pytest.raises(ValueError, match="d"):
        lz.lemma2_bound(10, 20, 0.1)
    with pytest.raises(ValueError, match="d: required"):
        lz.lemma2_bound(10, None, 0.1)
    with pytest.raises(ValueError, match="delta"):
        lz.lemma2_bound(10, 2, 1.5)
    with pytest.raises(TypeError, match="h"):
        lz.lemma2_bound(10.0)


@settings(max_examples=60, deadline=None)
@given(h=st.integers(2, 5000))
def test_chi2_lower_tail_constant(h):
    """The Chernoff step of the proof: P(chi2_h < h/2) <= exp(-kappa h), kappa = (log 2 - 1/2)/2."""
    kappa = (math.log(2) - 0.5) / 2
    assert chi2.cdf(h / 2, h) <= math.exp(-kappa * h) * (1 + 1e-12)


@settings(max_examples=60, deadline=None)
@given(t=st.floats(0.0, 12.0))
def test_gaussian_tail_constant(t):
    """The Chernoff step of the proof: P(|g| > t) <= 2 exp(-t^2/2)."""
    from scipy.stats import norm

    assert 2 * norm.sf(t) <= 2 * math.exp(-t * t / 2) * (1 + 1e-12)


@settings(max_examples=60, deadline=None)
@given(h=st.integers(2, 20000), d=st.integers(1, 50), delta=st.floats(1e-6, 0.5))
def test_exact_union_bound_is_below_the_lemma(h, d, delta):
    """The exact-tail union bound never exceeds Lemma 2's failure probability (consistency of the proof)."""
    if d > h:
        return
    s = lz.lemma2_bound(h, d, delta)
    kappa = (math.log(2) - 0.5) / 2
    assert lz.lemma2_failure_bound(s, h, d) <= delta + d * math.exp(-kappa * h) + 1e-12


def test_haar_entry_tail_against_monte_carlo():
    h, reps = 6, 40000
    rng = np.random.default_rng(3)
    g = rng.standard_normal((reps, h))
    q = g[:, 0] / np.linalg.norm(g, axis=1)
    for s in (0.1, 0.5, 0.8):
        p = lz.haar_entry_tail(s, h)
        emp = np.mean(np.abs(q) > s)
        assert abs(emp - p) < 5 * math.sqrt(p * (1 - p) / reps)
    assert lz.haar_entry_tail(0.0, h) == pytest.approx(1.0)
    assert lz.haar_entry_tail(1.0, h) == 0.0
    np.testing.assert_allclose(lz.haar_entry_tail([0.0, 2.0], h), [1.0, 0.0])
    with pytest.raises(ValueError, match="s"):
        lz.haar_entry_tail(-0.1, h)


def test_max_entry_ratio():
    W = manifold.haar_orthonormal(400, 5, 0)
    assert lz.max_entry_ratio(W) == pytest.approx(np.abs(W).max() * math.sqrt(400 / math.log(400)))
    # coordinate vectors: orthonormal but not spread out, the ratio grows like sqrt(h / log h)
    assert lz.max_entry_ratio(np.eye(400)[:, :5]) == pytest.approx(math.sqrt(400 / math.log(400)))


# ---------------------------------------------------------------- Theorem 1
def test_theorem1_constant_and_bound():
    K = lz.ACTIVATION_FACTS["tanh"][2]
    assert lz.theorem1_constant(K) == pytest.approx(math.sqrt(2) * K)
    b = lz.theorem1_bound(np.array([1.0, 2.0]), 100, 4, K)
    np.testing.assert_allclose(b, math.sqrt(2) * K * np.array([1, 4]) * math.sqrt(4 * math.log(100) / 100))
    with pytest.raises(ValueError, match="K"):
        lz.theorem1_constant(float("inf"))
    with pytest.raises(ValueError, match="x_norm"):
        lz.theorem1_bound(-1.0, 100, 4, K)


@settings(max_examples=30, deadline=None)
@given(h=st.integers(3, 400), d=st.integers(1, 3), seed=st.integers(0, 2**16), scale=st.floats(0.1, 5.0))
def test_theorem1_steps_hold_for_every_draw(h, d, seed, scale):
    """The deterministic steps of the proof for tanh: |s(u) - u| <= K u^2 / 2 summed,
    ||f_nl - f_lin|| <= ||s(Wx) - Wx|| <= (K/2) ||Wx||_inf ||x|| <= (K/2) sqrt(d) max|W| ||x||^2,
    and the final bound on the event of Lemma 2."""
    rng = np.random.default_rng(seed)
    W, V = manifold.haar_orthonormal(h, d, rng), manifold.haar_orthonormal(h, min(2, h), rng)
    X = scale * rng.standard_normal((8, d))
    K = lz.ACTIVATION_FACTS["tanh"][2]
    out, hid, _ = lz.linearization_gap(X, W, V, "tanh")
    xn = np.linalg.norm(X, axis=1)
    inf = np.max(np.abs(X @ W.T), axis=1)
    tol = 1e-12
    assert np.all(out <= hid + tol)
    assert np.all(hid <= K / 2 * inf * xn + tol)
    assert np.all(inf <= math.sqrt(d) * np.abs(W).max() * xn + tol)
    if np.abs(W).max() <= lz.lemma2_bound(h):
        assert np.all(out <= lz.theorem1_bound(xn, h, d, K) + tol)


def test_linearization_gap_shapes_and_errors():
    W, V = manifold.haar_orthonormal(20, 3, 0), manifold.haar_orthonormal(20, 2, 1)
    X = np.ones((4, 3))
    out, hid, lin = lz.linearization_gap(X, W, V, "identity")
    assert out.shape == hid.shape == lin.shape == (4,)
    assert np.all(out == 0) and np.all(hid == 0)
    with pytest.raises(ValueError, match="W"):
        lz.linearization_gap(np.ones((4, 5)), W, V, "tanh")
    with pytest.raises(ValueError, match="V"):
        lz.linearization_gap(X, W, V[:5], "tanh")
    with pytest.raises(ValueError, match="name"):
        lz.linearization_gap(X, W, V, "elu")


def test_twin_difference_at_init():
    net = two_layer_net(4, 30, 3, activation="tanh", rng=2)
    X = np.random.default_rng(0).standard_normal((6, 4))
    diff, lin = lz.twin_difference(net, net.linear_copy(), X)
    out, _, lin_ref = lz.linearization_gap(X, net.W.detach().numpy().T, net.V.detach().numpy(), "tanh")
    np.testing.assert_allclose(diff, out, rtol=1e-12)
    np.testing.assert_allclose(lin, lin_ref, rtol=1e-12)
    with pytest.raises(TypeError, match="net_nl"):
        lz.twin_difference("net", net, X)
    with pytest.raises(ValueError, match="net_lin"):
        lz.twin_difference(net, two_layer_net(4, 30, 2, rng=0), X)


# ---------------------------------------------------------------- training
def _moons(n=40, d=4, seed=0):
    rng = np.random.default_rng(seed)
    X2, _ = data.two_moons(n, 0.05, rng)
    X = np.hstack([X2, 0.1 * rng.standard_normal((n, d - 2))]) / 2
    return X, data.gaussian_positives(X, 0.05, rng), data.random_negatives(X, rng)


def test_polar_project_torch_matches_manifold():
    A = np.random.default_rng(0).standard_normal((9, 4))
    P = lz.polar_project_torch(torch.as_tensor(A)).numpy()
    np.testing.assert_allclose(P, manifold.project_orthonormal(A), atol=1e-13)
    with pytest.raises(ValueError, match="rank deficient"):
        lz.polar_project_torch(torch.zeros(5, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match="columns"):
        lz.polar_project_torch(torch.zeros(2, 5, dtype=torch.float64))
    with pytest.raises(TypeError, match="A"):
        lz.polar_project_torch(A)


def test_initial_difference_and_linear_first_step():
    """Epoch 0 is the initialisation; the linear twin's loss is Tr(M^T C M) and its first GD
    step is W - lr 2CWVV^T, V - lr 2W^T CWV (stored W is d x h, M = WV)."""
    X, Xp, Xn = _moons()
    net = two_layer_net(4, 12, 2, activation="tanh", rng=1)
    res = lz.train_twins(net, X, Xp, Xn, lr=0.05, epochs=1, progress=False)
    diff0, lin0 = lz.twin_difference(net, net.linear_copy(), X)
    assert res.diff[0] == pytest.approx(np.sqrt(np.mean(diff0**2)), rel=1e-12)
    assert res.linear_norm[0] == pytest.approx(np.sqrt(np.mean(lin0**2)), rel=1e-12)
    C = losses.contrastive_matrix(X, Xp, Xn)
    W, V = net.W.detach().numpy(), net.V.detach().numpy()
    assert res.loss_lin[0] == pytest.approx(losses.trace_loss(C, W @ V), rel=1e-12)
    W1, V1 = W - 0.05 * 2 * C @ W @ V @ V.T, V - 0.05 * 2 * W.T @ C @ W @ V
    np.testing.assert_allclose(res.net_lin.W.detach().numpy(), W1, atol=1e-13)
    np.testing.assert_allclose(res.net_lin.V.detach().numpy(), V1, atol=1e-13)
    assert res.loss_lin[1] == pytest.approx(losses.trace_loss(C, W1 @ V1), rel=1e-12)
    # the original network is left unchanged
    np.testing.assert_array_equal(net.W.detach().numpy(), W)


def test_projected_linear_twin_is_reference_training_11():
    """For h <= d the projected linear twin is exactly training.projected_gd (11)."""
    X, Xp, Xn = _moons(d=6)
    net = two_layer_net(6, 4, 2, activation="relu", rng=5)
    res = lz.train_twins(net, X, Xp, Xn, lr=0.1, epochs=15, project=True, progress=False)
    C = losses.contrastive_matrix(X, Xp, Xn)
    ref = training.projected_gd(C, net.W.detach().numpy(), net.V.detach().numpy(), lr=0.1, steps=15)
    np.testing.assert_allclose(res.loss_lin, ref.losses, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(res.net_lin.W.detach().numpy(), ref.W, atol=1e-10)


@pytest.mark.parametrize("h", [3, 12])
def test_projection_keeps_the_constraints(h):
    X, Xp, Xn = _moons()
    net = two_layer_net(4, h, 2, activation="sigmoid", rng=0)
    res = lz.train_twins(net, X, Xp, Xn, lr=0.5, epochs=10, project=True, progress=False)
    for m in (res.net_nl, res.net_lin):
        W = m.W.detach().numpy()
        assert manifold.is_orthonormal(W.T if h >= 4 else W, 1e-12)
        assert manifold.is_orthonormal(m.V.detach().numpy(), 1e-12)
    free = lz.train_twins(net, X, Xp, Xn, lr=0.5, epochs=10, project=False, progress=False)
    assert not manifold.is_orthonormal(free.net_nl.V.detach().numpy(), 1e-6)


def test_identity_twin_has_zero_difference():
    X, Xp, Xn = _moons()
    res = lz.train_twins(two_layer_net(4, 8, 2, rng=0), X, Xp, Xn, lr=0.1, epochs=5, progress=False)
    assert np.all(res.diff == 0.0)
    assert np.all(res.rel_diff == 0.0)


def test_threads_are_restored_and_divergence_is_reported():
    X, Xp, Xn = _moons()
    before = torch.get_num_threads()
    lz.train_twins(two_layer_net(4, 8, 2, "tanh", rng=0), X, Xp, Xn, epochs=2, progress=False, threads=1)
    assert torch.get_num_threads() == before
    with pytest.raises(FloatingPointError, match="diverged"):
        lz.train_twins(two_layer_net(4, 8, 2, rng=0), 30 * X, 30 * Xp, 30 * Xn, lr=1.0, epochs=200, progress=False)
    assert torch.get_num_threads() == before


def test_train_twins_bad_input():
    X, Xp, Xn = _moons()
    net = two_layer_net(4, 8, 2, "tanh", rng=0)
    with pytest.raises(TypeError, match="net"):
        lz.train_twins("net", X, Xp, Xn, progress=False)
    with pytest.raises(ValueError, match="X: expected 4 columns"):
        lz.train_twins(net, X[:, :3], Xp[:, :3], Xn[:, :3], progress=False)
    with pytest.raises(ValueError, match="same shape"):
        lz.train_twins(net, X, Xp[:5], Xn, progress=False)
    with pytest.raises(ValueError, match="lr"):
        lz.train_twins(net, X, Xp, Xn, lr=-0.1, progress=False)
    with pytest.raises(ValueError, match="epochs"):
        lz.train_twins(net, X, Xp, Xn, epochs=0, progress=False)
    with pytest.raises(ValueError, match="X_eval"):
        lz.train_twins(net, X, Xp, Xn, X_eval=np.ones((3, 2)), progress=False)
    with pytest.raises(ValueError, match="constraint set"):
        lz.train_twins(two_layer_net(4, 8, 2, "tanh", init="gaussian", rng=0), X, Xp, Xn, project=True, progress=False)


def test_sweep_matches_single_runs_and_shares_the_linear_twin():
    X, Xp, Xn = _moons()
    sw = lz.sweep_twins(X, Xp, Xn, [4, 16], ["tanh", "relu"], [0, 1], z=2, lr=0.1, epochs=3, progress=False)
    assert sw.diff["tanh"].shape == (2, 2, 4)
    one = lz.train_twins(two_layer_net(4, 16, 2, "relu", rng=1), X, Xp, Xn, lr=0.1, epochs=3, progress=False)
    np.testing.assert_allclose(sw.diff["relu"][1, 1], one.diff, rtol=1e-12)
    np.testing.assert_allclose(sw.linear_norm["tanh"][1, 1], one.linear_norm, rtol=1e-12)
    np.testing.assert_allclose(sw.rel_diff("relu")[1, 1], one.rel_diff, rtol=1e-12)
    np.testing.assert_allclose(sw.loss_lin[1, 1], one.loss_lin, rtol=1e-12)
    np.testing.assert_allclose(sw.max_entry["relu"][1, 1], one.max_entry, rtol=1e-12)
    with pytest.raises(ValueError, match="h >= d"):
        lz.sweep_twins(X, Xp, Xn, [2], ["tanh"], [0], z=2, progress=False)
    with pytest.raises(ValueError, match="activations"):
        lz.sweep_twins(X, Xp, Xn, [4], ["identity"], [0], z=2, progress=False)


def test_float32_networks_train():
    X, Xp, Xn = _moons()
    net = two_layer_net(4, 16, 2, "tanh", rng=0, dtype=torch.float32)
    res = lz.train_twins(net, X, Xp, Xn, lr=0.1, epochs=3, project=True, progress=False)
    ref = lz.train_twins(two_layer_net(4, 16, 2, "tanh", rng=0), X, Xp, Xn, lr=0.1, epochs=3, project=True,
                         progress=False)
    np.testing.assert_allclose(res.diff, ref.diff, rtol=1e-4)


def test_negatives_by_index_give_the_same_training():
    rng = np.random.default_rng(0)
    X, _ = data.two_moons(30, 0.05, rng)
    X = np.hstack([X, 0.1 * rng.standard_normal((30, 2))])
    Xp = data.gaussian_positives(X, 0.05, rng)
    Xn, idx = data.random_negatives(X, rng, return_index=True)
    net = two_layer_net(4, 9, 2, "tanh", rng=0)
    a = lz.train_twins(net, X, Xp, Xn, lr=0.1, epochs=4, progress=False)
    b = lz.train_twins(net, X, Xp, Xn, lr=0.1, epochs=4, progress=False, neg_index=idx)
    np.testing.assert_allclose(b.diff, a.diff, rtol=1e-12)
    np.testing.assert_allclose(b.loss_nl, a.loss_nl, rtol=1e-12)
    sw = lz.sweep_twins(X, Xp, Xn, [9], ["tanh"], [0], z=2, lr=0.1, epochs=4, progress=False, neg_index=idx)
    np.testing.assert_allclose(sw.diff["tanh"][0, 0], a.diff, rtol=1e-12)
    with pytest.raises(ValueError, match="neg_index"):
        lz.train_twins(net, X, Xp, Xn, progress=False, neg_index=(idx + 1) % 30)
    with pytest.raises(ValueError, match="neg_index"):
        lz.train_twins(net, X, Xp, Xn, progress=False, neg_index=idx[:5])


def test_polar_project_torch_on_a_stack():
    A = np.random.default_rng(1).standard_normal((3, 7, 2))
    P = lz.polar_project_torch(torch.as_tensor(A)).numpy()
    for b in range(3):
        np.testing.assert_allclose(P[b], manifold.project_orthonormal(A[b]), atol=1e-13)
    A[1, :, 1] = A[1, :, 0]
    with pytest.raises(ValueError, match="rank deficient"):
        lz.polar_project_torch(torch.as_tensor(A))


def test_networks_trained_together_must_match():
    X, Xp, Xn = _moons()
    data_ = lz._tensors(torch.float64, "cpu", X, Xp, Xn, None, None)
    nets = [two_layer_net(4, 8, 2, "tanh", rng=0), two_layer_net(4, 8, 2, "relu", rng=1)]
    with pytest.raises(ValueError, match="share"):
        lz._gradient_descent(nets, data_, 0.1, 2, False)

"""Tests of ssl_notes.twins and its engine ssl_notes.batched_gd (Conjecture 1)."""

import numpy as np
import pytest
import torch

from ssl_notes import batched_gd, data, losses, manifold, training
from ssl_notes import twins as tw
from ssl_notes import wide_bounds as wb
from ssl_notes.models import two_layer_net


def test_twin_difference_at_init():
    net = two_layer_net(4, 30, 3, activation="tanh", rng=2)
    X = np.random.default_rng(0).standard_normal((6, 4))
    diff, lin = tw.twin_difference(net, net.linear_copy(), X)
    out, _, lin_ref = wb.linearization_gap(
        X, net.W.detach().numpy().T, net.V.detach().numpy(), "tanh"
    )
    np.testing.assert_allclose(diff, out, rtol=1e-12)
    np.testing.assert_allclose(lin, lin_ref, rtol=1e-12)
    with pytest.raises(TypeError, match="net_nl"):
        tw.twin_difference("net", net, X)
    with pytest.raises(ValueError, match="net_lin"):
        tw.twin_difference(net, two_layer_net(4, 30, 2, rng=0), X)


# ---------------------------------------------------------------- training
def _moons(n=40, d=4, seed=0):
    rng = np.random.default_rng(seed)
    X2, _ = data.two_moons(n, 0.05, rng)
    X = np.hstack([X2, 0.1 * rng.standard_normal((n, d - 2))]) / 2
    return X, data.gaussian_positives(X, 0.05, rng), data.random_negatives(X, rng)


def test_initial_difference_and_linear_first_step():
    """Epoch 0 is the initialisation; the linear twin's loss is Tr(M^T C M), its first
    GD step is W - lr 2CWVV^T, V - lr 2W^T CWV (stored W is d x h, M = WV)."""
    X, Xp, Xn = _moons()
    net = two_layer_net(4, 12, 2, activation="tanh", rng=1)
    res = tw.train_twins(net, X, Xp, Xn, lr=0.05, epochs=1, progress=False)
    diff0, lin0 = tw.twin_difference(net, net.linear_copy(), X)
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
    res = tw.train_twins(
        net, X, Xp, Xn, lr=0.1, epochs=15, project=True, progress=False
    )
    C = losses.contrastive_matrix(X, Xp, Xn)
    ref = training.projected_gd(
        C, net.W.detach().numpy(), net.V.detach().numpy(), lr=0.1, steps=15
    )
    np.testing.assert_allclose(res.loss_lin, ref.losses, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(res.net_lin.W.detach().numpy(), ref.W, atol=1e-10)


@pytest.mark.parametrize("h", [3, 12])
def test_projection_keeps_the_constraints(h):
    X, Xp, Xn = _moons()
    net = two_layer_net(4, h, 2, activation="sigmoid", rng=0)
    res = tw.train_twins(
        net, X, Xp, Xn, lr=0.5, epochs=10, project=True, progress=False
    )
    for m in (res.net_nl, res.net_lin):
        W = m.W.detach().numpy()
        assert manifold.is_orthonormal(W.T if h >= 4 else W, 1e-12)
        assert manifold.is_orthonormal(m.V.detach().numpy(), 1e-12)
    free = tw.train_twins(
        net, X, Xp, Xn, lr=0.5, epochs=10, project=False, progress=False
    )
    assert not manifold.is_orthonormal(free.net_nl.V.detach().numpy(), 1e-6)


def test_identity_twin_has_zero_difference():
    X, Xp, Xn = _moons()
    res = tw.train_twins(
        two_layer_net(4, 8, 2, rng=0), X, Xp, Xn, lr=0.1, epochs=5, progress=False
    )
    assert np.all(res.diff == 0.0)
    assert np.all(res.rel_diff == 0.0)


def test_threads_are_restored_and_divergence_is_reported():
    X, Xp, Xn = _moons()
    before = torch.get_num_threads()
    tw.train_twins(
        two_layer_net(4, 8, 2, "tanh", rng=0),
        X,
        Xp,
        Xn,
        epochs=2,
        progress=False,
        threads=1,
    )
    assert torch.get_num_threads() == before
    with pytest.raises(FloatingPointError, match="diverged"):
        tw.train_twins(
            two_layer_net(4, 8, 2, rng=0),
            30 * X,
            30 * Xp,
            30 * Xn,
            lr=1.0,
            epochs=200,
            progress=False,
        )
    assert torch.get_num_threads() == before


def test_train_twins_bad_input():
    X, Xp, Xn = _moons()
    net = two_layer_net(4, 8, 2, "tanh", rng=0)
    with pytest.raises(TypeError, match="net"):
        tw.train_twins("net", X, Xp, Xn, progress=False)
    with pytest.raises(ValueError, match="X: expected 4 columns"):
        tw.train_twins(net, X[:, :3], Xp[:, :3], Xn[:, :3], progress=False)
    with pytest.raises(ValueError, match="same shape"):
        tw.train_twins(net, X, Xp[:5], Xn, progress=False)
    with pytest.raises(ValueError, match="lr"):
        tw.train_twins(net, X, Xp, Xn, lr=-0.1, progress=False)
    with pytest.raises(ValueError, match="epochs"):
        tw.train_twins(net, X, Xp, Xn, epochs=0, progress=False)
    with pytest.raises(ValueError, match="X_eval"):
        tw.train_twins(net, X, Xp, Xn, X_eval=np.ones((3, 2)), progress=False)
    with pytest.raises(ValueError, match="constraint set"):
        tw.train_twins(
            two_layer_net(4, 8, 2, "tanh", init="gaussian", rng=0),
            X,
            Xp,
            Xn,
            project=True,
            progress=False,
        )


def test_sweep_matches_single_runs_and_shares_the_linear_twin():
    X, Xp, Xn = _moons()
    sw = tw.sweep_twins(
        X,
        Xp,
        Xn,
        [4, 16],
        ["tanh", "relu"],
        [0, 1],
        z=2,
        lr=0.1,
        epochs=3,
        progress=False,
    )
    assert sw.diff["tanh"].shape == (2, 2, 4)
    one = tw.train_twins(
        two_layer_net(4, 16, 2, "relu", rng=1),
        X,
        Xp,
        Xn,
        lr=0.1,
        epochs=3,
        progress=False,
    )
    np.testing.assert_allclose(sw.diff["relu"][1, 1], one.diff, rtol=1e-12)
    np.testing.assert_allclose(
        sw.linear_norm["tanh"][1, 1], one.linear_norm, rtol=1e-12
    )
    np.testing.assert_allclose(sw.rel_diff("relu")[1, 1], one.rel_diff, rtol=1e-12)
    np.testing.assert_allclose(sw.loss_lin[1, 1], one.loss_lin, rtol=1e-12)
    np.testing.assert_allclose(sw.max_entry["relu"][1, 1], one.max_entry, rtol=1e-12)
    with pytest.raises(ValueError, match="h >= d"):
        tw.sweep_twins(X, Xp, Xn, [2], ["tanh"], [0], z=2, progress=False)
    with pytest.raises(ValueError, match="activations"):
        tw.sweep_twins(X, Xp, Xn, [4], ["identity"], [0], z=2, progress=False)


def test_float32_networks_train():
    X, Xp, Xn = _moons()
    net = two_layer_net(4, 16, 2, "tanh", rng=0, dtype=torch.float32)
    res = tw.train_twins(net, X, Xp, Xn, lr=0.1, epochs=3, project=True, progress=False)
    ref = tw.train_twins(
        two_layer_net(4, 16, 2, "tanh", rng=0),
        X,
        Xp,
        Xn,
        lr=0.1,
        epochs=3,
        project=True,
        progress=False,
    )
    np.testing.assert_allclose(res.diff, ref.diff, rtol=1e-4)


def test_negatives_by_index_give_the_same_training():
    rng = np.random.default_rng(0)
    X, _ = data.two_moons(30, 0.05, rng)
    X = np.hstack([X, 0.1 * rng.standard_normal((30, 2))])
    Xp = data.gaussian_positives(X, 0.05, rng)
    Xn, idx = data.random_negatives(X, rng, return_index=True)
    net = two_layer_net(4, 9, 2, "tanh", rng=0)
    a = tw.train_twins(net, X, Xp, Xn, lr=0.1, epochs=4, progress=False)
    b = tw.train_twins(net, X, Xp, Xn, lr=0.1, epochs=4, progress=False, neg_index=idx)
    np.testing.assert_allclose(b.diff, a.diff, rtol=1e-12)
    np.testing.assert_allclose(b.loss_nl, a.loss_nl, rtol=1e-12)
    sw = tw.sweep_twins(
        X,
        Xp,
        Xn,
        [9],
        ["tanh"],
        [0],
        z=2,
        lr=0.1,
        epochs=4,
        progress=False,
        neg_index=idx,
    )
    np.testing.assert_allclose(sw.diff["tanh"][0, 0], a.diff, rtol=1e-12)
    with pytest.raises(ValueError, match="neg_index"):
        tw.train_twins(net, X, Xp, Xn, progress=False, neg_index=(idx + 1) % 30)
    with pytest.raises(ValueError, match="neg_index"):
        tw.train_twins(net, X, Xp, Xn, progress=False, neg_index=idx[:5])


def test_networks_trained_together_must_match():
    X, Xp, Xn = _moons()
    data_ = batched_gd.contrastive_data(X, Xp, Xn)
    nets = [
        two_layer_net(4, 8, 2, "tanh", rng=0),
        two_layer_net(4, 8, 2, "relu", rng=1),
    ]
    with pytest.raises(ValueError, match="share"):
        batched_gd.train_batch(nets, data_, 0.1, 2)


_X, _XP, _XN = _moons()


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        (dict(X=_X + 0j), TypeError, "X: expected a real"),
        (dict(X_pos=_XP > 0), TypeError, "X_pos"),
        (dict(X_neg=_XN.astype(str)), TypeError, "X_neg"),
        (dict(X=np.full_like(_X, np.nan)), ValueError, "X: contains NaN"),
        (dict(lr=float("nan")), ValueError, "lr"),
        (dict(lr=True), TypeError, "lr"),
        (dict(lr="0.1"), TypeError, "lr"),
        (dict(epochs=True), TypeError, "epochs"),
        (dict(epochs=2.0), TypeError, "epochs"),
        (dict(epochs=10**9), ValueError, "MAX_WORK"),
        (dict(project="yes"), TypeError, "project"),
        (dict(progress=1), TypeError, "progress"),
        (dict(threads=0), ValueError, "threads"),
        (dict(device="not-a-device"), ValueError, "device"),
        (dict(X_eval=np.ones((3, 4)) + 0j), TypeError, "X_eval"),
        (dict(neg_index=np.zeros(40, dtype=bool)), ValueError, "neg_index"),
    ],
)
def test_train_twins_checks_name_the_argument(kwargs, err, match):
    args = dict(
        net=two_layer_net(4, 8, 2, "tanh", rng=0),
        X=_X,
        X_pos=_XP,
        X_neg=_XN,
        epochs=2,
        progress=False,
    )
    args.update(kwargs)
    with pytest.raises(err, match=match):
        tw.train_twins(**args)


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        (dict(widths="16"), TypeError, "widths"),
        (dict(widths=[]), ValueError, "widths"),
        (dict(widths=[16.0]), TypeError, "widths"),
        (dict(seeds=[-1]), ValueError, "seeds"),
        (dict(seeds=[True]), TypeError, "seeds"),
        (dict(activations="tanh"), TypeError, "activations"),
        (
            dict(activations=["gelu"]),
            ValueError,
            r"activations: expected one of \('tanh'",
        ),
        (dict(z=0), ValueError, "z"),
        (dict(lr=-1.0), ValueError, "lr"),
        (dict(project=None), TypeError, "project"),
        (
            dict(widths=[10**4], seeds=list(range(10)), epochs=10**4),
            ValueError,
            "MAX_WORK",
        ),
        (dict(dtype=torch.int32), TypeError, "dtype"),
    ],
)
def test_sweep_twins_checks_name_the_argument(kwargs, err, match):
    args = dict(
        X=_X,
        X_pos=_XP,
        X_neg=_XN,
        widths=[4],
        activations=["tanh"],
        seeds=[0],
        z=2,
        epochs=2,
        progress=False,
    )
    args.update(kwargs)
    with pytest.raises(err, match=match):
        tw.sweep_twins(**args)


def test_twin_difference_checks_its_points():
    net = two_layer_net(4, 8, 2, "tanh", rng=0)
    with pytest.raises(TypeError, match="X: expected a real numeric tensor"):
        tw.twin_difference(
            net, net.linear_copy(), torch.ones(3, 4, dtype=torch.complex128)
        )
    with pytest.raises(ValueError, match="X: contains NaN"):
        tw.twin_difference(net, net.linear_copy(), np.full((3, 4), np.nan))
    with pytest.raises(ValueError, match=r"X: expected shape \(n, 4\)"):
        tw.twin_difference(net, net.linear_copy(), np.ones((3, 5)))
    diff, _ = tw.twin_difference(
        net, net.linear_copy(), torch.ones(3, 4, dtype=torch.float64)
    )
    assert diff.shape == (3,)


def test_engine_checks_its_arguments():
    data_ = batched_gd.contrastive_data(_X, _XP, _XN)
    net = two_layer_net(4, 8, 2, "tanh", rng=0)
    with pytest.raises(TypeError, match="nets"):
        batched_gd.train_batch(net, data_, 0.1, 2)
    with pytest.raises(TypeError, match="nets"):
        batched_gd.train_batch(["net"], data_, 0.1, 2)
    with pytest.raises(TypeError, match="data"):
        batched_gd.train_batch([net], (_X, _XP, _XN), 0.1, 2)
    with pytest.raises(ValueError, match="X: expected 5 columns"):
        batched_gd.train_batch([two_layer_net(5, 8, 2, rng=0)], data_, 0.1, 2)
    run = batched_gd.train_batch([net], data_, 0.1, 2)
    assert run.embeddings.shape == (3, 1, 40, 2) and run.losses.shape == (3, 1)
    assert batched_gd.forward_work(data_, 2, 1, 8, 2) == 3 * 1 * 120 * 8 * 6


def test_sweep_rel_diff_names_the_activation():
    sw = tw.sweep_twins(_X, _XP, _XN, [4], ["tanh"], [0], z=2, epochs=1, progress=False)
    with pytest.raises(ValueError, match="name: expected one of"):
        sw.rel_diff("relu")


def test_work_helpers_check_their_arguments():
    data_ = batched_gd.contrastive_data(_X, _XP, _XN)
    with pytest.raises(TypeError, match="data"):
        batched_gd.forward_work(_X, 2, 1, 8, 2)
    with pytest.raises(ValueError, match="runs"):
        batched_gd.forward_work(data_, 2, 0, 8, 2)
    with pytest.raises(TypeError, match="work"):
        batched_gd.check_work(1.5, "epochs")
    with pytest.raises(TypeError, match="what"):
        batched_gd.check_work(1, None)
    with pytest.raises(ValueError, match="epochs: .* MAX_WORK"):
        batched_gd.check_work(batched_gd.MAX_WORK + 1, "epochs")
    batched_gd.check_work(0, "epochs")

"""The checks of the data-matrix chapter pass on the right input and fail on a
wrong one (a factor 2, a sign, a missing symmetrisation, the wrong loss)."""

from __future__ import annotations

import numpy as np
import pytest

from ssl_notes import data, losses
from ssl_notes.experiments import data_matrix as dm


def _views(n=60, d=5, sigma=0.3, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    X = scale * (rng.standard_normal((n, d)) + 1.0)
    return X, data.gaussian_positives(X, sigma, rng), data.random_negatives(X, rng)


@pytest.fixture
def views():
    return _views()


@pytest.fixture
def M():
    return np.random.default_rng(1).standard_normal((5, 3))


# ---------------------------------------------------------------- trace_identity


@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e3])
def test_trace_identity_passes_for_both_losses(scale, M):
    X, Xp, Xn = _views(scale=scale)
    rc = dm.trace_identity(losses.contrastive_matrix(X, Xp, Xn), M, X, Xp, Xn)
    rn = dm.trace_identity(losses.noncontrastive_matrix(X, Xp), M, X, Xp)
    assert rc.passed and rn.passed
    assert (rc.kind, rn.kind) == ("contrastive", "non-contrastive")
    assert rc.asym == 0.0 and rc.trace_err <= rc.trace_tol
    C = losses.contrastive_matrix(X, Xp, Xn)
    assert rc.loss == pytest.approx(losses.trace_loss(C, M), rel=1e-12)


@pytest.mark.parametrize("wrong", ["factor 2", "sign", "non-contrastive C"])
def test_trace_identity_fails_on_a_wrong_matrix(views, M, wrong):
    X, Xp, Xn = views
    C = losses.contrastive_matrix(X, Xp, Xn)
    bad = {
        "factor 2": 2 * C,
        "sign": -C,
        "non-contrastive C": losses.noncontrastive_matrix(X, Xp),
    }[wrong]
    r = dm.trace_identity(bad, M, X, Xp, Xn)
    assert not r.passed
    assert r.trace_err > 1e6 * r.trace_tol  # misses by the size of the loss


def test_missing_symmetrisation_passes_the_trace_but_fails_the_gradient(views, M):
    X, Xp, Xn = views
    A = -(Xp - Xn).T @ X / X.shape[0]  # the proof's A, before (A + A^T)/2
    r = dm.trace_identity(A, M, X, Xp, Xn)
    assert r.trace_err <= r.trace_tol  # a quadratic form only sees C's symmetric part
    assert r.grad_err > 1e6 * r.grad_tol and r.asym > 0
    assert not r.passed


def test_trace_identity_checks_its_input(views, M):
    X, Xp, Xn = views
    C = losses.contrastive_matrix(X, Xp, Xn)
    with pytest.raises(ValueError, match="C"):
        dm.trace_identity(C[:4, :4], M, X, Xp, Xn)
    with pytest.raises(ValueError, match="M"):
        dm.trace_identity(C, M[:4], X, Xp, Xn)
    with pytest.raises(ValueError, match="X_neg"):
        dm.trace_identity(C, M, X, Xp, Xn[:10])
    with pytest.raises(TypeError, match="X_pos"):
        dm.trace_identity(C, M, X, Xp.astype(complex), Xn)


# ---------------------------------------------------------------- sign_structure


def _structured(seed=0, n=3000, d=8):
    """Anchors with one dominant direction and a mean, as MNIST has."""
    rng = np.random.default_rng(seed)
    scales = np.r_[3.0, np.linspace(1.0, 0.3, d - 1)]
    X = 1.0 + rng.standard_normal((n, d)) * scales
    Xp = data.gaussian_positives(X, 0.1, rng)
    return X, Xp, data.random_negatives(X, rng)


def test_sign_structure_passes_on_the_right_matrices():
    X, Xp, Xn = _structured()
    r = dm.sign_structure(
        X, losses.contrastive_matrix(X, Xp, Xn), losses.noncontrastive_matrix(X, Xp)
    )
    assert r.passed and r.cos_pc > 0.99 and r.rel_nc < 0.02 and r.n_big >= 2


@pytest.mark.parametrize(
    "wrong", ["sign of C", "anchor as its own negative", "factor 2 in C_nc",
              "unsymmetrised C_nc"]
)  # fmt: skip
def test_sign_structure_fails_on_a_wrong_construction(wrong):
    X, Xp, Xn = _structured()
    C = losses.contrastive_matrix(X, Xp, Xn)
    C_nc = losses.noncontrastive_matrix(X, Xp)
    if wrong == "sign of C":
        C = -C
    elif wrong == "anchor as its own negative":
        C = losses.contrastive_matrix(X, Xp, X)  # only the noise is left
    elif wrong == "factor 2 in C_nc":
        C_nc = 2 * C_nc
    else:  # the asymmetric part dropped the wrong way: only x_i x_i^+T, halved
        G = -X.T @ Xp / X.shape[0]
        C_nc = (G + G.T) / 4
    assert not dm.sign_structure(X, C, C_nc).passed


def test_sign_structure_checks_its_input():
    X, Xp, Xn = _structured()
    C = losses.contrastive_matrix(X, Xp, Xn)
    with pytest.raises(ValueError, match="C_nc"):
        dm.sign_structure(X, C, C + np.triu(np.ones_like(C), 1))
    with pytest.raises(ValueError, match="level"):
        dm.sign_structure(X, C, C, level=-1e6)
    with pytest.raises(ValueError, match="level"):
        dm.sign_structure(X, C, C, level=0.5)


# ---------------------------------------------------------------- scale_ratios


def test_scale_ratios_separate_linear_from_nonlinear(views):
    X, Xp, Xn = views
    M = np.linalg.qr(np.random.default_rng(2).standard_normal((5, 2)))[0]
    lin = dm.scale_ratios(X, Xp, Xn, M, activation="identity")
    tanh = dm.scale_ratios(X, Xp, Xn, M, activation="tanh")
    relu = dm.scale_ratios(X, Xp, Xn, M, activation="relu")
    assert lin.spread < 1e-12 and lin.flip < 1e-12
    assert tanh.spread > 0.1
    assert relu.spread < 1e-12 and relu.flip > 0.1  # homogeneous, yet not even
    assert lin.alphas[0] == pytest.approx(0.1) and lin.alphas[-1] == pytest.approx(10)
    C = losses.contrastive_matrix(X, Xp, Xn)
    assert lin.ratios == pytest.approx(losses.trace_loss(C, M), rel=1e-12)


def test_scale_ratios_checks_its_input(views, M):
    X, Xp, Xn = views
    with pytest.raises(ValueError, match="activation"):
        dm.scale_ratios(X, Xp, Xn, M, activation="swish")
    with pytest.raises(ValueError, match="count"):
        dm.scale_ratios(X, Xp, Xn, M, count=1)
    with pytest.raises(ValueError, match="alpha_max"):
        dm.scale_ratios(X, Xp, Xn, M, alpha_max=0.5)
    with pytest.raises(TypeError, match="X_neg"):
        dm.scale_ratios(X, Xp, None, M)

"""Tests of :mod:`ssl_notes.experiments.proposition2`: every check passes on the
right run and fails on a deliberately wrong one (gradient ascent, no projection,
the wrong step, the wrong rescaling, a missing factor 2)."""

from __future__ import annotations

import numpy as np
import pytest

from ssl_notes import constrained
from ssl_notes.experiments import proposition2 as p2
from ssl_notes.manifold import project_frobenius_ball


def _C(d: int = 6, seed: int = 0, shift: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    lam = np.linspace(-1.0, 0.8, d) + shift
    return (Q * lam) @ Q.T


def _pgd(C, M0, radius, steps, lr, sign=1.0, project=True):
    """Projected gradient descent written out, with optional mistakes."""
    ball = project_frobenius_ball if project else (lambda M, r: M)
    M = ball(M0, radius)
    losses, svals = [], []
    for k in range(steps + 1):
        losses.append(np.sum(M * (C @ M)))
        svals.append(np.linalg.svd(M, compute_uv=False))
        if k < steps:
            M = ball(M - sign * 2 * lr * C @ M, radius)
    return constrained.ConstrainedResult(M, np.array(losses), np.array(svals))


@pytest.fixture
def setup():
    C = _C()
    M0 = np.random.default_rng(1).standard_normal((6, 3))
    lr = 1 / (2 * np.max(np.abs(np.linalg.eigvalsh(C))))
    K = int(np.ceil(np.log(1e-10) / np.log(p2.power_method_rate(C))))
    return C, M0, lr, K


def test_power_method_rate_is_the_eigenvalue_ratio():
    C = _C()
    lam = np.linalg.eigvalsh(C)
    a = 1 - lam / np.max(np.abs(lam))
    assert p2.power_method_rate(C) == pytest.approx(np.max(np.abs(a[1:])) / a[0])
    with pytest.raises(ValueError, match="C"):
        p2.power_method_rate(_C(shift=2.0))  # no negative eigenvalue


def test_check_power_method_passes_on_the_right_run(setup):
    C, M0, lr, K = setup
    run = constrained.projected_gd_trace(C, M0, "frobenius", 2.0, steps=K)
    chk = p2.check_power_method(C, M0, run, 2.0)
    assert chk.passed and chk.ratio <= chk.bound and chk.monotone


@pytest.mark.parametrize(
    "mistake",
    [
        dict(sign=-1.0),  # gradient ascent: the top eigenvector, wrong value
        dict(project=False),  # no projection: sigma_1 runs off
        dict(lr_factor=0.5),  # half the claimed step: too slow for the bound
    ],
    ids=["wrong-sign", "no-projector", "wrong-step"],
)
def test_check_power_method_fails_on_a_wrong_run(setup, mistake):
    C, M0, lr, K = setup
    run = _pgd(
        C,
        M0,
        2.0,
        K,
        lr * mistake.get("lr_factor", 1.0),
        sign=mistake.get("sign", 1.0),
        project=mistake.get("project", True),
    )
    assert not p2.check_power_method(C, M0, run, 2.0, lr=lr).passed


def test_check_power_method_fails_on_the_wrong_radius(setup):
    C, M0, _, K = setup
    run = constrained.projected_gd_trace(C, M0, "frobenius", 2.0, steps=K)
    assert not p2.check_power_method(C, M0, run, 4.0).passed  # a factor 2


def test_frobenius_collapse_sweep():
    sw = p2.frobenius_collapse(_C(), 3, 2.0, 3, rng=0)
    assert sw.passed and sw.max_ratio <= 1e-9 and sw.rho**sw.steps <= 1e-10
    with pytest.raises(ValueError, match="target"):
        p2.frobenius_collapse(_C(), 3, 2.0, 3, rng=0, target=1.5)


def test_check_two_layer_right_and_wrong():
    C = _C()
    rng = np.random.default_rng(2)
    W0, V0 = rng.standard_normal((6, 4)), rng.standard_normal((4, 3))
    run = constrained.projected_gd_factored(C, W0, V0, "frobenius", (1.0, 2.0))
    assert p2.check_two_layer(C, run, (1.0, 2.0)).passed
    assert not p2.check_two_layer(C, run, (1.0, 4.0)).passed  # wrong factor 2
    # gradient ascent ends at the top eigenvector
    up = constrained.projected_gd_factored(-C, W0, V0, "frobenius", (1.0, 2.0))
    up = constrained.ConstrainedResult(up.M, -up.losses, up.singular_values, up.W, up.V)
    assert not p2.check_two_layer(C, up, (1.0, 2.0)).passed
    # a run stopped early (not converged) fails too
    early = constrained.projected_gd_factored(
        C, W0, V0, "frobenius", (1.0, 2.0), steps=5
    )
    assert not p2.check_two_layer(C, early, (1.0, 2.0)).passed
    with pytest.raises(ValueError, match="run"):
        p2.check_two_layer(C, constrained.projected_gd_trace(C, W0[:, :3], "frobenius"),
                           (1.0, 2.0))  # fmt: skip


def test_check_two_layer_fails_without_the_projector_on_V():
    C = _C()
    rng = np.random.default_rng(2)
    W, V = rng.standard_normal((6, 4)), rng.standard_normal((4, 3))
    W, V = project_frobenius_ball(W, 1.0), project_frobenius_ball(V, 2.0)
    lr = 1 / (2 * np.max(np.abs(np.linalg.eigvalsh(C))) * 9)  # 1/L of the sweep
    losses, svals = [], []
    for _ in range(1000):
        M = W @ V
        G = 2 * C @ M
        losses.append(np.sum(M * (C @ M)))
        svals.append(np.linalg.svd(M, compute_uv=False))
        W, V = project_frobenius_ball(W - lr * G @ V.T, 1.0), V - lr * W.T @ G
    run = constrained.ConstrainedResult(W @ V, np.array(losses), np.array(svals), W, V)
    assert not p2.check_two_layer(C, run, (1.0, 2.0)).passed


def test_two_layer_sweep():
    sw = p2.two_layer_collapse(_C(), 4, 3, (1.0, 2.0), 2, rng=0)
    assert sw.passed and sw.max_nuclear_ratio <= 1.0 and sw.nuclear_gap <= 1e-8


def _exact_flows(C, M0, betas, t, factor=2.0, beta_sign=1.0):
    """M_beta(t) = U exp(-factor (Lambda + beta) t) U^T M0, optionally wrong."""
    lam, U = np.linalg.eigh(C)

    def flow(beta):
        g = np.exp(-factor * np.outer(t, lam + beta_sign * beta))
        return np.einsum("ij,tj,kj,kl->til", U, g, U, M0)

    plain = flow(0.0)
    return p2.WeightDecayFlows(t, M0, tuple(betas), plain, tuple(map(flow, betas)))


def test_check_weight_decay_right_and_wrong():
    C = _C(d=5, seed=3)
    lam = np.linalg.eigvalsh(C)
    M0 = np.random.default_rng(4).standard_normal((5, 3))
    t = np.linspace(0, 30, 301)
    betas = (-lam[0] - 0.5, -lam[0], -lam[0] + 0.5)
    assert p2.check_weight_decay(
        C, _exact_flows(C, M0, betas, t), rate_rtol=1e-3
    ).passed
    # e^{+2 beta t}: the wrong sign of the rescaling
    wrong = _exact_flows(C, M0, betas, t, beta_sign=-1.0)
    assert not p2.check_weight_decay(C, wrong).passed
    # dM/dt = -(C + beta) M: a missing factor 2, half the rate
    half = _exact_flows(C, M0, betas, t, factor=1.0)
    chk = p2.check_weight_decay(C, half)
    assert not chk.passed and chk.fitted_rate == pytest.approx(
        chk.predicted_rate / 2, 1e-2
    )


def test_autograd_flow_matches_the_exponential():
    C = _C(d=4, seed=5)
    M0 = np.random.default_rng(6).standard_normal((4, 2))
    t = np.linspace(0, 2, 5)
    got = p2.autograd_flow(C, M0, 0.3, t)
    lam, U = np.linalg.eigh(C)
    want = np.einsum("ij,tj,kj,kl->til", U, np.exp(-2 * np.outer(t, lam + 0.3)), U, M0)
    assert np.max(np.abs(got - want)) <= 1e-8 * np.max(np.abs(want))
    with pytest.raises(ValueError, match="t"):
        p2.autograd_flow(C, M0, 0.3, np.array([0.0, 1e6]))


def test_check_frobenius_limit_right_and_wrong():
    rng = np.random.default_rng(7)
    M0 = rng.standard_normal((6, 3))
    lam = np.linspace(-1.0, 0.8, 6)
    Q, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    for spectrum in (lam - lam[0] + 0.1, lam - lam[0], np.r_[lam[0], lam[:-1]]):
        C = (Q * spectrum) @ Q.T  # positive definite; kernel; repeated lambda_1
        run = constrained.projected_gd_trace(C, M0, "frobenius", 2.0, steps=400)
        assert p2.check_frobenius_limit(C, M0, run, 2.0).passed
        lr = 1 / (2 * np.max(np.abs(spectrum)))
        ascent = _pgd(C, M0, 2.0, 400, lr, sign=-1.0)
        assert not p2.check_frobenius_limit(C, M0, ascent, 2.0).passed
    # with a kernel, dropping the projection keeps the wrong kernel component
    C = (Q * (lam - lam[0])) @ Q.T
    free = _pgd(C, M0, 2.0, 400, lr=1 / (2 * (lam[-1] - lam[0])), project=False)
    assert not p2.check_frobenius_limit(C, M0, free, 2.0).passed


def test_validation_names_the_argument():
    C = _C()
    with pytest.raises(TypeError, match="run"):
        p2.check_power_method(C, np.ones((6, 2)), "not a run", 1.0)
    with pytest.raises(TypeError, match="flows"):
        p2.check_weight_decay(C, None)
    with pytest.raises(ValueError, match="M0"):
        p2.check_frobenius_limit(C, np.ones((5, 2)), None, 1.0)

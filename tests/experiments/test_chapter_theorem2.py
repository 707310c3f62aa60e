"""The machinery of the chapter Theorem 2 (ssl_notes.experiments.theorem2).

Each check passes on the right input and fails on a deliberately wrong one: the free
gradient instead of the projected one (a missing projector I - WW^T), a factor 2, a
Stiefel gradient instead of the Grassmann projection, a shift below lambda_z.
"""

from __future__ import annotations

import numpy as np
import pytest

from ssl_notes import data, dynamics, losses, manifold, training
from ssl_notes.experiments import theorem2 as t2

D_SMALL = 6


@pytest.fixture(scope="module")
def problem():
    """A small contrastive problem: C = Z^T D Z with d = 6 and n = 10 anchors."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((10, D_SMALL)) * np.sqrt(np.linspace(2.0, 0.2, D_SMALL))
    Xp, Xn = data.gaussian_positives(X, 0.2, rng), data.random_negatives(X, rng)
    C = losses.contrastive_matrix(X, Xp, Xn)
    Z, D = training.output_factor(X, Xp, Xn)
    return C, Z, D


def _spectrum(lam, seed=1):
    Q = manifold.haar_orthonormal(len(lam), len(lam), seed)
    return (Q * np.asarray(lam, dtype=float)) @ Q.T


# ------------------------------------------------------------------ generic_factors


def test_generic_factors_multiply_to_M_and_are_generic():
    M = manifold.haar_orthonormal(D_SMALL, 2, 0)
    W, V = t2.generic_factors(M, 4, rng=1)
    assert W.shape == (D_SMALL, 4) and V.shape == (4, 2)
    np.testing.assert_allclose(W @ V, M, atol=1e-14)
    np.testing.assert_allclose(W.T @ W, np.eye(4), atol=1e-14)
    np.testing.assert_allclose(V.T @ V, np.eye(2), atol=1e-14)
    assert np.max(np.abs(V[2:])) > 0.1  # not the special form [I; 0]


# ------------------------------------------------------------------ check 1


def test_identities_hold_for_the_grassmann_flow(problem):
    C, Z, D = problem
    res = t2.check_identities(C, Z, D, zs=(1, 2), rng=0)
    assert res.passed, res.table()
    assert res.worst < 1e-13
    assert {z for z, _ in res.pairs} == {1, 2}
    assert all(z <= h <= D_SMALL for z, h in res.pairs)
    assert "Riccati" in res.table() and res["Riccati"].passed


def _grassmann(C, W, V):
    return dynamics.factor_velocity(C, W, V, metric="grassmann")


def _free_gradient(C, W, V):
    """Missing projector: dW = -G_W, dV = -G_V."""
    CM = C @ W @ V
    return -2 * CM @ V.T, -2 * W.T @ CM


def _missing_W_projector(C, W, V):
    """The V-step projected, the W-step not: dW = -G_W."""
    _, dV = _grassmann(C, W, V)
    return -2 * C @ W @ V @ V.T, dV


@pytest.mark.parametrize(
    "velocity, flow, broken",
    [
        (_free_gradient, None, {"product rule", "tangency"}),
        (_missing_W_projector, None, {"product rule", "tangency"}),
        (
            lambda C, W, V: dynamics.factor_velocity(C, W, V, metric="euclidean"),
            None,
            {"product rule"},
        ),
        (
            lambda C, W, V: dynamics.factor_velocity(C, W, V, metric="canonical"),
            None,
            {"product rule"},
        ),
        (None, lambda C, M: dynamics.flow_velocity(C, M) / 2, None),  # factor 2
        (None, lambda C, M: -2 * C @ M, None),  # missing projector I - MM^T
        (None, lambda C, M: -dynamics.flow_velocity(C, M), None),  # wrong sign
    ],
    ids=[
        "free-gradient",
        "no-W-projector",
        "stiefel-euclidean",
        "stiefel-canonical",
        "factor-2",
        "no-M-projector",
        "sign",
    ],
)
def test_identities_fail_on_a_wrong_velocity(problem, velocity, flow, broken):
    C, Z, D = problem
    res = t2.check_identities(C, Z, D, zs=(1, 2), rng=0, velocity=velocity, flow=flow)
    assert not res.passed
    failed = {i.name for i in res.identities if not i.passed}
    if broken is None:  # a wrong M-velocity breaks every identity that uses it
        broken = {i.name for i in res.identities} - {"tangency"}
    assert broken <= failed, res.table()
    assert max(res[name].error for name in broken) > 1e-3


def test_output_form_fails_when_C_is_not_Z_T_D_Z(problem):
    C, Z, D = problem
    res = t2.check_identities(C, Z, 2 * D, zs=(1,), rng=0)  # a factor 2 in D
    assert not res["output form (9)"].passed and not res["new point"].passed
    assert res["product rule"].passed


def test_identities_validate_their_arguments(problem):
    C, Z, D = problem
    with pytest.raises(ValueError, match="zs"):
        t2.check_identities(C, Z, D, zs=(D_SMALL + 1,))
    with pytest.raises(ValueError, match="D"):
        t2.check_identities(C, Z, D[:-1, :-1])
    with pytest.raises(TypeError, match="velocity"):
        t2.check_identities(C, Z, D, velocity="grassmann")


# ------------------------------------------------------------------ check 2


def test_factor_flows_follow_the_M_flow_only_with_the_grassmann_projection(problem):
    C, _, _ = problem
    M0 = manifold.haar_orthonormal(D_SMALL, 2, 3)
    t = np.linspace(0.0, 1.0, 5)
    good = t2.factor_flow_check(C, M0, (2, 4, D_SMALL), t, rng=0)
    assert good.passed and good.angles.max() < 1e-8
    for metric in ("euclidean", "canonical"):  # Stiefel instead of Grassmann
        bad = t2.factor_flow_check(C, M0, (2, 4), t, metric=metric, rng=0)
        assert not bad.passed
        assert bad.gap[0] < 1e-8 < 1e-3 < bad.gap[1]  # exact at h = z only
        assert np.all(bad.drift < 1e-9)  # the Stiefel flows keep the constraints


def test_factor_flow_check_validates_widths(problem):
    C, _, _ = problem
    M0 = manifold.haar_orthonormal(D_SMALL, 2, 3)
    with pytest.raises(ValueError, match="widths"):
        t2.factor_flow_check(C, M0, (1,), 0.5)
    with pytest.raises(TypeError, match="widths"):
        t2.factor_flow_check(C, M0, 3, 0.5)


# ------------------------------------------------------------------ check 3 (drift)


def test_drift_cures_pass_and_the_repelling_case_is_lost():
    M0 = manifold.haar_orthonormal(D_SMALL, 2, 4)
    t = np.array([1.0, 5.0, 20.0])
    negative = t2.constraint_drift(_spectrum([-2, -1.5, -1, -0.5, -0.3, -0.1]), M0, t)
    assert negative.passed and not negative.lost and negative.blown < 1e-6
    repelling = _spectrum([-2, 1.0, 1.2, 1.5, 2.0, 2.5])  # lambda_2 > 0
    table = t2.constraint_drift(repelling, M0, t)
    assert table.lambda_z == pytest.approx(1.0)
    assert table.passed and table.lost
    assert "exact" in table.table("C'")


def test_a_shift_below_lambda_z_does_not_cure():
    M0 = manifold.haar_orthonormal(D_SMALL, 2, 4)
    C = _spectrum([-2, 1.0, 1.2, 1.5, 2.0, 2.5])
    t = np.array([1.0, 5.0, 20.0])
    assert t2.constraint_drift(C, M0, t, shift=3.0).passed  # c > lambda_max
    bad = t2.constraint_drift(C, M0, t, shift=0.0)  # c < lambda_z: no cure
    assert not bad.passed and bad.cured > 1e-3


# ------------------------------------------------------------------ check 3 (metric)


def test_metric_sweep_passes_with_the_proposition(problem):
    C, _, _ = problem
    M = manifold.haar_orthonormal(D_SMALL, 2, 5)
    sw = t2.metric_velocity_sweep(C, M, range(2, D_SMALL + 1), 60, rng=0)
    assert sw.passed
    assert sw.grassmann_max < 1e-13
    assert sw.rms["euclidean"][0] < 1e-13 < 0.05 < sw.rms["euclidean"][1]
    np.testing.assert_allclose(sw.rms["euclidean"][-1], 0.5, rtol=1e-12)  # h = d
    np.testing.assert_allclose(sw.rms["canonical"][-1], 1.0, rtol=1e-12)


@pytest.mark.parametrize(
    "extra",
    [(0.0, 2.0, 2.0), (0.0, 1.0, 1.0), (1.0, 1.0, 2.0), (0.0, 0.5, 1.0)],
    ids=["euclidean-factor-2", "canonical-factor-half", "grassmann-as-stiefel", "half"],
)
def test_metric_sweep_fails_on_a_wrong_extra_term(problem, extra):
    C, _, _ = problem
    M = manifold.haar_orthonormal(D_SMALL, 2, 5)
    sw = t2.metric_velocity_sweep(C, M, (2, 3, D_SMALL), 20, rng=0, extra=extra)
    assert not sw.passed
    assert sw.prediction_error > 1e-3


def test_metric_sweep_validates(problem):
    C, _, _ = problem
    M = manifold.haar_orthonormal(D_SMALL, 2, 5)
    with pytest.raises(ValueError, match="n_completions"):
        t2.metric_velocity_sweep(C, M, (3,), 1)
    with pytest.raises(ValueError, match="extra"):
        t2.metric_velocity_sweep(C, M, (3,), 5, extra=(0.0, 1.0))


# ------------------------------------------------------------------ Figure 3


def _starts(h, z=2, seed=6):
    M0 = manifold.haar_orthonormal(D_SMALL, z, seed)
    return training.factors_with_product(M0, h, seed)


def test_projected_gd_is_first_order_at_every_width(problem):
    C, _, _ = problem
    for h in (2, 4, D_SMALL):
        s = t2.gd_step_sweep(C, *_starts(h), 2.0, 0.02, halvings=2)
        assert s.first_order, s.ratios
        assert s.gaps.shape == (3,) and s.final.shape == (3, D_SMALL, 2)
        np.testing.assert_allclose(s.etas, [0.02, 0.01, 0.005])


def test_literal_gd_is_first_order_only_at_h_equal_z(problem):
    """The free gradient then polar (Stiefel, Euclidean metric) does not converge to
    the flow of Theorem 2 for h > z: the check of first order fails."""
    C, _, _ = problem
    at_z = t2.gd_step_sweep(C, *_starts(2), 2.0, 0.02, 1, gradient="euclidean")
    assert at_z.first_order
    wide = t2.gd_step_sweep(C, *_starts(4), 2.0, 0.02, 1, gradient="euclidean")
    assert not wide.first_order and wide.ratios[0] > 0.9


def test_qr_step_is_first_order(problem):
    C, _, _ = problem
    s = t2.gd_step_sweep(C, *_starts(4), 2.0, 0.02, 2, method="qr")
    assert s.first_order


def test_output_iteration_is_first_order_and_fails_with_a_wrong_D(problem):
    C, Z, D = problem
    M0 = manifold.haar_orthonormal(D_SMALL, 2, 6)
    good = t2.output_step_sweep(C, Z, D, M0, 2.0, 0.02, halvings=2, record=True)
    assert good.first_order
    assert good.trajectory.shape == (101, Z.shape[0], 2)
    bad = t2.output_step_sweep(C, Z, 2 * D, M0, 2.0, 0.02, halvings=2)  # factor 2
    assert not bad.first_order


def test_step_sweeps_refuse_unbounded_work(problem):
    C, _, _ = problem
    with pytest.raises(ValueError, match="t"):
        t2.gd_step_sweep(C, *_starts(2), 1e6, 0.01)
    with pytest.raises(TypeError, match="t"):
        t2.gd_step_sweep(C, *_starts(2), [1.0, 2.0], 0.01)
    with pytest.raises(ValueError, match="halvings"):
        t2.gd_step_sweep(C, *_starts(2), 1.0, 0.01, halvings=0)


# ------------------------------------------------------------------ end points


def test_long_runs_end_on_the_flow_span_and_short_literal_runs_do_not(problem):
    C, _, _ = problem
    X = np.random.default_rng(7).standard_normal((5, D_SMALL))
    for g in ("grassmann", "euclidean"):
        e = t2.end_point(C, *_starts(4), X, 60.0, 0.05, gradient=g)
        assert e.passed and e.angle < 1e-8
    z1 = t2.end_point(C, *_starts(3, z=1), X, 60.0, 0.05)
    assert z1.sign_gap < 1e-8
    # Wrong input: a time at which the literal (11) (Stiefel, h > z) is still off
    # the path of the flow of Theorem 2: the end-point check fails.
    short = t2.end_point(C, *_starts(4), X, 1.0, 0.05, gradient="euclidean")
    assert not short.passed and short.angle > 1e-3
    with pytest.raises(ValueError, match="X"):
        t2.end_point(C, *_starts(4), X[:, :-1], 1.0, 0.05)

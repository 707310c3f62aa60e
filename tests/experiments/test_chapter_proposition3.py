"""Tests of :mod:`ssl_notes.experiments.proposition3`: every check passes on the
right runs and fails on deliberately wrong ones (a false bound, a solver that always
gets stuck, a rank-deficient run, a saddle point, the wrong failure case)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ssl_notes import constrained
from ssl_notes.experiments import proposition3 as p3


@pytest.fixture(scope="module")
def good():
    """A random C of Check 2 and the four solvers' runs on it."""
    rng = np.random.default_rng(5)
    C = p3.random_data_matrix(12, 3, rng)
    return p3.solve_four(C, 3, 5, rng, steps_3=1500)


def _stuck_runs(runs: p3.FourRuns) -> p3.FourRuns:
    """Problem 3 started at (and staying at) its rank-(z-1) local minimum: W spans
    u_1, u_2 and the three most positive eigenvectors, V = [e_1, e_2, 0]."""
    lam, U = np.linalg.eigh(runs.C)
    W = U[:, [0, 1, 9, 10, 11]]
    V = np.eye(5)[:, :3] * [1.0, 1.0, 0.0]
    stuck = constrained.projected_gd_factored(
        runs.C, W, V, "operator", lr=runs.eta, steps=200
    )
    return dataclasses.replace(runs, factored=stuck)


# ------------------------------------------------------------- key inequality


def test_key_inequality_holds():
    check = p3.check_key_inequality(200, rng=1)
    assert check.passed and check.n_tested == 400
    assert 0 <= check.min_slack < 1e-4  # nearly tight near the minimisers


@pytest.mark.parametrize(
    "bound",
    [
        lambda lam, z: 0.5 * p3.negative_part_bound(lam, z),  # factor 2 too high
        lambda lam, z: float(np.sum(lam[:z])),  # the negative part left out
    ],
)
def test_key_inequality_fails_on_a_false_bound(bound):
    assert not p3.check_key_inequality(200, rng=1, bound=bound).passed


def test_negative_part_bound():
    assert p3.negative_part_bound(np.array([-2.0, -1.0, 0.5]), 3) == -3.0
    with pytest.raises(ValueError, match="z"):
        p3.negative_part_bound(np.array([-1.0]), 2)


# ------------------------------------------------------------- four problems


def test_random_data_matrix_meets_the_hypotheses():
    C = p3.random_data_matrix(12, 3, rng=2)
    lam = np.linalg.eigvalsh(C)
    assert lam[2] < 0 and lam[3] - lam[2] >= 0.1 * np.abs(lam).max()


def test_check_four_passes_on_the_solvers(good):
    check = p3.check_four(good)
    assert check.passed, check.failures
    assert not check.stuck and [e.problem for e in check.errors] == [1, 2, 3, 4]
    assert check.worst("angle") < 1e-6 and check.tan_theta <= check.tan_bound + 1e-14


def test_stuck_run_is_recognised_not_failed(good):
    check = p3.check_four(_stuck_runs(good))
    assert check.passed and check.stuck
    assert 3 not in [e.problem for e in check.errors]


def test_a_solver_that_always_gets_stuck_fails_the_sweep(good):
    n = 10
    checks = [p3.check_four(_stuck_runs(good))] * n
    verdict = p3.sweep_verdict(checks, p3.stuck_allowance(n))
    assert verdict.n_stuck == n and not verdict.passed
    # ... and so does one stuck from half of the starts
    half = [p3.check_four(good)] * 5 + [p3.check_four(_stuck_runs(good))] * 5
    assert not p3.sweep_verdict(half, p3.stuck_allowance(n)).passed
    # while the solvers themselves pass
    assert p3.sweep_verdict([p3.check_four(good)] * n, 2).passed


def test_rank_deficient_problem_2_fails(good):
    M0 = good.M0.copy()
    M0[:, 2] = 0.0  # rank 2: the iteration keeps the third column zero
    bad = constrained.projected_gd_trace(good.C, M0, "operator", lr=good.eta, steps=600)
    check = p3.check_four(dataclasses.replace(good, ball=bad, M0=good.M0))
    assert not check.passed
    assert any("problem 2" in f for f in check.failures)


def test_gradient_ascent_fails(good):
    eta = good.eta
    C = good.C
    ascent = constrained.projected_gd_trace(-C, good.M0, "operator", lr=eta, steps=600)
    # the losses recorded are those of -C: recompute them for C
    losses = np.array([-x for x in ascent.losses])
    wrong = dataclasses.replace(ascent, losses=losses)
    check = p3.check_four(dataclasses.replace(good, ball=wrong))
    assert not check.passed


def test_unexplained_non_optimal_problem_3_fails(good):
    short = constrained.projected_gd_factored(
        good.C, good.factored.W * 0 + 0.01, good.factored.V, "operator", steps=3
    )
    check = p3.check_four(dataclasses.replace(good, factored=short))
    assert not check.passed and not check.stuck


def test_check_four_refuses_c_without_z_negative_eigenvalues(good):
    lam = np.linalg.eigvalsh(good.C)
    shifted = dataclasses.replace(good, C=good.C - lam[2] * np.eye(12) + 0.1)
    with pytest.raises(ValueError, match="runs"):
        p3.check_four(shifted)
    with pytest.raises(TypeError, match="runs"):
        p3.check_four("runs")


def test_stuck_allowance():
    assert p3.stuck_allowance(10) == 2
    assert p3.stuck_allowance(20) == 3
    assert p3.stuck_allowance(100) == 10
    assert p3.stuck_allowance(10, rate=0.0) == 0


# ----------------------------------------------------------- local minimum


C_LOC = np.diag([-2.0, -1.5, -1.0, 0.5, 1.0, 2.0])
V_LOC = np.eye(4)[:, :3] * [1.0, 1.0, 0.0]


def test_the_caveat_point_is_a_local_minimum():
    check = p3.check_local_minimum(C_LOC, np.eye(6)[:, [0, 1, 4, 5]], V_LOC, 0, 300)
    assert check.passed and check.loss == -3.5 and check.optimum == -4.5


def test_a_saddle_fails_the_local_minimum_check():
    check = p3.check_local_minimum(C_LOC, np.eye(6)[:, [0, 1, 2, 5]], V_LOC, 0, 300)
    assert not check.passed and check.returned < -4.4


def test_a_non_stationary_point_fails_the_local_minimum_check():
    W = np.eye(6)[:, [0, 1, 4, 5]]
    check = p3.check_local_minimum(C_LOC, W, 0.5 * V_LOC, 0, 100)
    assert not check.passed and check.fixed > 1e-3


# ----------------------------------------------------------- failure case


@pytest.fixture(scope="module")
def few_negative():
    rng = np.random.default_rng(8)  # seed 7: problem 3 ends stuck at rank 1
    C = p3.random_data_matrix(12, 2, rng)
    lam = np.linalg.eigvalsh(C)
    C_r = C - (lam[1] + lam[2]) / 2 * np.eye(12)
    return p3.solve_four(C_r, 3, 5, rng, steps_3=5000)


def test_failure_case_passes(few_negative):
    check = p3.check_failure_case(few_negative)
    assert check.passed, check.failures
    assert check.r == 2 and check.value_z > check.value_r


def test_failure_case_fails_if_problem_4_collapses(few_negative):
    # problem 4 "solved" by the rank-r run of problem 2: the claimed gap is missing
    wrong = dataclasses.replace(few_negative, orthonormal=few_negative.ball)
    assert not p3.check_failure_case(wrong).passed


def test_failure_case_fails_if_problem_2_keeps_rank_z(few_negative):
    wrong = dataclasses.replace(few_negative, ball=few_negative.orthonormal)
    assert not p3.check_failure_case(wrong).passed


def test_failure_case_refuses_enough_negative_eigenvalues(good):
    with pytest.raises(ValueError, match="runs"):
        p3.check_failure_case(good)

"""Tests of :mod:`ssl_notes.experiments.example1_half_moons`: every check passes on
the right run and fails on a deliberately wrong one (gradient ascent, the wrong
time scale, exponential instead of finite-time growth, the first power of the
norm, a scaled gradient without its tangential projector)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from ssl_notes import constrained
from ssl_notes.experiments import example1_half_moons as ex


def _C() -> np.ndarray:
    c, s = np.cos(0.4), np.sin(0.4)
    U = np.array([[c, -s], [s, c]])
    return (U * np.array([-0.8, -0.2])) @ U.T


def _init(seed: int = 0):
    return ex.gaussian_inits(2, 2, 1, seed)[0]


def _retimed(run, factor):
    """The same path at a different speed: the flow of factor^-1 times the loss."""
    return constrained.FlowResult(factor * run.t, run.W, run.V, run.stopped)


def test_angle_to_line():
    u = np.array([1.0, 0.0])
    M = np.array([[2.0, 0.0], [1.0, 1.0], [0.0, -3.0], [-1.0, 1e-12]])
    want = [0.0, np.pi / 4, np.pi / 2, 1e-12]
    np.testing.assert_allclose(ex.angle_to_line(M, u), want, rtol=1e-12, atol=0)
    np.testing.assert_allclose(ex.angle_to_line(M[:, :, None], 3 * u), want, rtol=1e-12)
    with pytest.raises(ValueError, match="u"):
        ex.angle_to_line(M, np.zeros(2))


def test_gaussian_inits_shapes_and_seed():
    a = ex.gaussian_inits(2, 3, 4, 7)
    b = ex.gaussian_inits(2, 3, 4, 7)
    assert len(a) == 4 and a[0][0].shape == (2, 3) and a[0][1].shape == (3, 1)
    assert all(np.array_equal(x[0], y[0]) for x, y in zip(a, b, strict=True))


@pytest.fixture(scope="module")
def plain_run():
    W0, V0 = _init()
    return constrained.factored_flow(
        _C(), W0, V0, 100.0, "plain", max_norm=1e8, rtol=1e-12, atol=1e-14
    )


def test_check_plain_blowup_passes(plain_run):
    chk = ex.check_plain_blowup(_C(), plain_run)
    assert chk.passed and chk.slope_error < 1e-2 and chk.exponent_error < 1e-2


def test_check_plain_blowup_fails_on_gradient_ascent():
    W0, V0 = _init()
    up = constrained.factored_flow(-_C(), W0, V0, 20.0, "plain", max_norm=1e8)
    assert not up.stopped
    assert not ex.check_plain_blowup(_C(), up).passed


def test_check_plain_blowup_fails_on_the_wrong_time_scale(plain_run):
    chk = ex.check_plain_blowup(_C(), _retimed(plain_run, 2.0))  # slope 2 lambda_1
    assert not chk.passed and chk.slope_error == pytest.approx(0.5, abs=1e-2)


def test_check_plain_blowup_fails_on_exponential_growth():
    """The one-layer flow dM/dt = -2CM (W = M, V = 1) grows without blowing up."""
    C = _C()
    m0 = _init()[0][:, 0]
    lam, U = np.linalg.eigh(C)
    t = np.linspace(0.0, 12.0, 400)
    M = np.einsum("ij,tj,j->ti", U, np.exp(-2 * np.outer(t, lam)), U.T @ m0)
    run = constrained.FlowResult(t, M[:, :, None], np.ones((t.size, 1, 1)), True)
    assert not ex.check_plain_blowup(C, run).passed


def test_plain_sweep():
    sw = ex.plain_blowup(_C(), ex.gaussian_inits(2, 2, 2, 1))
    assert sw.passed and len(sw.runs) == 2
    assert sw.least("blow_up_time") > 0 and sw.worst("slope_error") < 1e-2


@pytest.fixture(scope="module")
def scaled_run():
    W0, V0 = _init(3)
    T = 40 / (2 * 0.6 / np.sum(W0**2))
    return constrained.factored_flow(
        _C(), W0, V0, max(60.0, T), "scaled", rtol=1e-12, atol=1e-14
    )


def test_check_scaled_convergence_passes(scaled_run):
    chk = ex.check_scaled_convergence(_C(), scaled_run)
    assert chk.passed and chk.final_angle < 1e-8 and chk.kappa >= chk.kappa_low


def test_check_scaled_convergence_fails_on_gradient_ascent(scaled_run):
    W0, V0 = scaled_run.W[0], scaled_run.V[0]
    t = np.linspace(0, 2, 21)  # it reaches u_2 fast and then gets stiff
    up = constrained.factored_flow(-_C(), W0, V0, t, "scaled", rtol=1e-10)
    chk = ex.check_scaled_convergence(_C(), up)
    assert not chk.passed and chk.final_angle > 1.0  # it ends on u_2


def test_check_scaled_convergence_fails_on_the_first_power(scaled_run):
    W0, V0 = scaled_run.W[0], scaled_run.V[0]
    t = np.linspace(0, 20, 101)
    p1 = constrained.factored_flow(_C(), W0, V0, t, "scaled", power=1.0, rtol=1e-10)
    chk = ex.check_scaled_convergence(_C(), p1)
    assert not chk.passed and chk.conservation > 1.0


def test_check_scaled_convergence_fails_without_the_projector(scaled_run):
    """G = 2CM/|M|^2 instead of 2(I - m m^T)CM/|M|^2: the norms are not conserved."""
    C = _C()
    W0, V0 = scaled_run.W[0], scaled_run.V[0]

    def rhs(_, y):
        W, V = y[:4].reshape(2, 2), y[4:].reshape(2, 1)
        M = W @ V
        G = 2 * C @ M / np.sum(M**2)
        return -np.concatenate([(G @ V.T).ravel(), (W.T @ G).ravel()])

    t = np.linspace(0, 30, 301)
    sol = solve_ivp(
        rhs,
        (0, 30),
        np.r_[W0.ravel(), V0.ravel()],
        "DOP853",
        t_eval=t,
        rtol=1e-10,
        atol=1e-12,
    )
    Y = sol.y.T
    run = constrained.FlowResult(
        sol.t, Y[:, :4].reshape(-1, 2, 2), Y[:, 4:].reshape(-1, 2, 1), False
    )
    chk = ex.check_scaled_convergence(C, run)
    assert not chk.passed and chk.conservation > 1e-3


def test_check_scaled_convergence_fails_on_the_wrong_time_scale(scaled_run):
    chk = ex.check_scaled_convergence(_C(), _retimed(scaled_run, 2.0))
    assert not chk.passed and chk.rate_error == pytest.approx(0.5, abs=1e-2)


def test_check_first_power_right_and_wrong(scaled_run):
    C = _C()
    W0, V0 = scaled_run.W[0], scaled_run.V[0]
    t = np.linspace(0, 20, 201)
    p1 = constrained.factored_flow(
        C, W0, V0, t, "scaled", power=1.0, rtol=1e-12, atol=1e-14
    )
    assert ex.check_first_power(C, p1).passed
    assert not ex.check_first_power(C, _retimed(p1, 2.0), fit_from=20.0).passed
    p2 = constrained.factored_flow(C, W0, V0, t, "scaled", rtol=1e-12, atol=1e-14)
    chk = ex.check_first_power(C, p2)
    assert not chk.passed and chk.growth < 10  # the square: bounded


def test_sweeps_of_the_scaled_and_first_power_flows():
    inits = ex.gaussian_inits(2, 2, 1, 5)
    assert ex.scaled_convergence(_C(), inits).passed
    fp = ex.first_power_growth(_C(), inits)
    assert fp.passed and fp.predicted == pytest.approx(1.6)


def test_validation_names_the_argument(plain_run):
    with pytest.raises(ValueError, match="C"):
        ex.check_plain_blowup(np.diag([-1.0, 0.5]), plain_run)  # lambda_2 > 0
    with pytest.raises(TypeError, match="run"):
        ex.check_scaled_convergence(_C(), "a run")
    with pytest.raises(TypeError, match="inits"):
        ex.plain_blowup(_C(), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="inits"):
        ex.plain_blowup(_C(), [(np.zeros((3, 2)), np.zeros((2, 1)))])

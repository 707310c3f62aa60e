"""Tests of ssl_notes.wide_bounds: Lemma 2 and Theorem 1 (numpy)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2

from ssl_notes import manifold
from ssl_notes import wide_bounds as wb
from ssl_notes.activations import ACTIVATION_FACTS


# ---------------------------------------------------------------- Lemma 2
def test_lemma2_bound_values():
    assert wb.lemma2_bound(100) == pytest.approx(
        2 * math.sqrt(2) * math.sqrt(math.log(100) / 100)
    )
    assert wb.lemma2_bound(100, 5, 0.01) == pytest.approx(
        2 * math.sqrt(math.log(2 * 100 * 5 / 0.01) / 100)
    )
    # with delta = 2d/h the two forms agree
    assert wb.lemma2_bound(1000, 4, 2 * 4 / 1000) == pytest.approx(
        wb.lemma2_bound(1000)
    )
    kappa = (math.log(2) - 0.5) / 2
    assert wb.lemma2_probability(1000, 4) == pytest.approx(
        1 - 8 / 1000 - 4 * math.exp(-kappa * 1000)
    )
    assert wb.lemma2_probability(10, 10) == 0.0  # vacuous for small h


def test_lemma2_bad_input():
    with pytest.raises(ValueError, match="h"):
        wb.lemma2_bound(1)
    with pytest.raises(ValueError, match="d"):
        wb.lemma2_bound(10, 20, 0.1)
    with pytest.raises(ValueError, match="d: required"):
        wb.lemma2_bound(10, None, 0.1)
    with pytest.raises(ValueError, match="delta"):
        wb.lemma2_bound(10, 2, 1.5)
    with pytest.raises(TypeError, match="h"):
        wb.lemma2_bound(10.0)


@settings(max_examples=60, deadline=None)
@given(h=st.integers(2, 5000))
def test_chi2_lower_tail_constant(h):
    """The Chernoff step of the proof: P(chi2_h < h/2) <= exp(-kappa h).

    kappa = (log 2 - 1/2)/2."""
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
    """The exact-tail union bound never exceeds Lemma 2's failure probability."""
    if d > h:
        return
    s = wb.lemma2_bound(h, d, delta)
    kappa = (math.log(2) - 0.5) / 2
    assert wb.lemma2_failure_bound(s, h, d) <= delta + d * math.exp(-kappa * h) + 1e-12


def test_haar_entry_tail_against_monte_carlo():
    h, reps = 6, 40000
    rng = np.random.default_rng(3)
    g = rng.standard_normal((reps, h))
    q = g[:, 0] / np.linalg.norm(g, axis=1)
    for s in (0.1, 0.5, 0.8):
        p = wb.haar_entry_tail(s, h)
        emp = np.mean(np.abs(q) > s)
        assert abs(emp - p) < 5 * math.sqrt(p * (1 - p) / reps)
    assert wb.haar_entry_tail(0.0, h) == pytest.approx(1.0)
    assert wb.haar_entry_tail(1.0, h) == 0.0
    np.testing.assert_allclose(wb.haar_entry_tail([0.0, 2.0], h), [1.0, 0.0])
    with pytest.raises(ValueError, match="s"):
        wb.haar_entry_tail(-0.1, h)


def test_max_entry_ratio():
    W = manifold.haar_orthonormal(400, 5, 0)
    assert wb.max_entry_ratio(W) == pytest.approx(
        np.abs(W).max() * math.sqrt(400 / math.log(400))
    )
    # coordinate vectors: orthonormal but not spread out, the ratio grows like
    # sqrt(h / log h)
    assert wb.max_entry_ratio(np.eye(400)[:, :5]) == pytest.approx(
        math.sqrt(400 / math.log(400))
    )


# ---------------------------------------------------------------- Theorem 1
def test_theorem1_constant_and_bound():
    K = ACTIVATION_FACTS["tanh"][2]
    assert wb.theorem1_constant(K) == pytest.approx(math.sqrt(2) * K)
    b = wb.theorem1_bound(np.array([1.0, 2.0]), 100, 4, K)
    np.testing.assert_allclose(
        b, math.sqrt(2) * K * np.array([1, 4]) * math.sqrt(4 * math.log(100) / 100)
    )
    with pytest.raises(ValueError, match="K"):
        wb.theorem1_constant(float("inf"))
    with pytest.raises(ValueError, match="x_norm"):
        wb.theorem1_bound(-1.0, 100, 4, K)


@settings(max_examples=30, deadline=None)
@given(
    h=st.integers(3, 400),
    d=st.integers(1, 3),
    seed=st.integers(0, 2**16),
    scale=st.floats(0.1, 5.0),
)
def test_theorem1_steps_hold_for_every_draw(h, d, seed, scale):
    """The deterministic steps of the proof for tanh: |s(u) - u| <= K u^2 / 2 summed,
    ||f_nl - f_lin|| <= ||s(Wx) - Wx|| <= (K/2) ||Wx||_inf ||x||
                     <= (K/2) sqrt(d) max|W| ||x||^2,
    and the final bound on the event of Lemma 2."""
    rng = np.random.default_rng(seed)
    W, V = (
        manifold.haar_orthonormal(h, d, rng),
        manifold.haar_orthonormal(h, min(2, h), rng),
    )
    X = scale * rng.standard_normal((8, d))
    K = ACTIVATION_FACTS["tanh"][2]
    out, hid, _ = wb.linearization_gap(X, W, V, "tanh")
    xn = np.linalg.norm(X, axis=1)
    inf = np.max(np.abs(X @ W.T), axis=1)
    tol = 1e-12
    assert np.all(out <= hid + tol)
    assert np.all(hid <= K / 2 * inf * xn + tol)
    assert np.all(inf <= math.sqrt(d) * np.abs(W).max() * xn + tol)
    if np.abs(W).max() <= wb.lemma2_bound(h):
        assert np.all(out <= wb.theorem1_bound(xn, h, d, K) + tol)


def test_linearization_gap_shapes_and_errors():
    W, V = manifold.haar_orthonormal(20, 3, 0), manifold.haar_orthonormal(20, 2, 1)
    X = np.ones((4, 3))
    out, hid, lin = wb.linearization_gap(X, W, V, "identity")
    assert out.shape == hid.shape == lin.shape == (4,)
    assert np.all(out == 0) and np.all(hid == 0)
    with pytest.raises(ValueError, match="W"):
        wb.linearization_gap(np.ones((4, 5)), W, V, "tanh")
    with pytest.raises(ValueError, match="V"):
        wb.linearization_gap(X, W, V[:5], "tanh")
    with pytest.raises(ValueError, match="name"):
        wb.linearization_gap(X, W, V, "elu")


@pytest.mark.parametrize(
    "call, err, match",
    [
        (lambda: wb.lemma2_bound(True), TypeError, "h"),
        (lambda: wb.lemma2_bound(100, 5, float("nan")), ValueError, "delta"),
        (lambda: wb.lemma2_bound(100, 5, 0.0), ValueError, "delta"),
        (lambda: wb.lemma2_bound(100, 5, "0.1"), TypeError, "delta"),
        (lambda: wb.lemma2_bound(100, 5, True), TypeError, "delta"),
        (lambda: wb.lemma2_probability(100, 5, 1.0), ValueError, "delta"),
        (lambda: wb.lemma2_probability(100, 5, complex(0.1, 0)), TypeError, "delta"),
        (lambda: wb.lemma2_probability(100, 200), ValueError, "d"),
        (lambda: wb.haar_entry_tail(float("nan"), 10), ValueError, "s"),
        (lambda: wb.haar_entry_tail(True, 10), TypeError, "s"),
        (lambda: wb.haar_entry_tail("0.5", 10), TypeError, "s"),
        (
            lambda: wb.haar_entry_tail(np.array([0.1, np.nan]), 10),
            ValueError,
            "s: contains NaN",
        ),
        (
            lambda: wb.haar_entry_tail(np.array([0.1j]), 10),
            TypeError,
            "s: expected a real",
        ),
        (lambda: wb.haar_entry_tail(np.array([True]), 10), TypeError, "s"),
        (lambda: wb.haar_entry_tail(np.array(["0.1"]), 10), TypeError, "s"),
        (lambda: wb.haar_entry_tail(0.1, 10.0), TypeError, "h"),
        (lambda: wb.lemma2_failure_bound(-1.0, 10, 2), ValueError, "s"),
        (lambda: wb.lemma2_failure_bound(np.nan, 10, 2), ValueError, "s"),
        (lambda: wb.max_entry_ratio(np.ones((1, 1))), ValueError, "W: expected h >= 2"),
        (lambda: wb.max_entry_ratio(np.ones((3, 2)) + 0j), TypeError, "W"),
        (lambda: wb.theorem1_constant(float("nan")), ValueError, "K"),
        (lambda: wb.theorem1_constant(-1.0), ValueError, "K"),
        (lambda: wb.theorem1_constant(True), TypeError, "K"),
        (
            lambda: wb.theorem1_bound(np.array([1.0, np.nan]), 100, 4, 1.0),
            ValueError,
            "x_norm",
        ),
        (lambda: wb.theorem1_bound(np.array([True]), 100, 4, 1.0), TypeError, "x_norm"),
        (lambda: wb.theorem1_bound(1.0, 100, 4, "1"), TypeError, "K"),
        (
            lambda: wb.linearization_gap(
                np.ones((2, 3), dtype=bool), np.eye(3), np.eye(3), "tanh"
            ),
            TypeError,
            "X",
        ),
        (
            lambda: wb.linearization_gap(
                np.ones((2, 3)), np.eye(3) + 0j, np.eye(3), "tanh"
            ),
            TypeError,
            "W",
        ),
        (
            lambda: wb.linearization_gap(
                np.ones((2, 3)), np.eye(3), np.full((3, 3), np.nan), "tanh"
            ),
            ValueError,
            "V",
        ),
        (
            lambda: wb.linearization_gap(np.ones((2, 3)), np.eye(3), np.eye(3), None),
            TypeError,
            "activation_name",
        ),
    ],
)
def test_bounds_input_checks_name_the_argument(call, err, match):
    with pytest.raises(err, match=match):
        call()


def test_scalar_and_array_inputs_keep_their_shape():
    assert isinstance(wb.haar_entry_tail(0.2, 10), float)
    assert isinstance(wb.haar_entry_tail(np.float64(0.2), 10), float)
    assert wb.haar_entry_tail(np.array([[0.2, 0.3]]), 10).shape == (1, 2)
    assert isinstance(wb.theorem1_bound(1.0, 100, 4, 1.0), float)
    assert wb.theorem1_bound([1.0, 2.0], 100, 4, 1.0).shape == (2,)


def test_d_is_required_where_the_bound_needs_it():
    with pytest.raises(TypeError, match="d: expected a positive integer"):
        wb.lemma2_probability(100, None)
    with pytest.raises(TypeError, match="d: expected a positive integer"):
        wb.lemma2_failure_bound(0.5, 100, None)
    with pytest.raises(TypeError, match="d: expected a positive integer"):
        wb.theorem1_bound(1.0, 100, None, 1.0)
    assert wb.lemma2_bound(100, None) == wb.lemma2_bound(100)

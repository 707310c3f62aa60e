"""Tests of the machinery of the Theorem 1 chapter (ssl_notes.experiments.theorem1).

Each check is fed the right input (it passes) and a deliberately wrong one (it
fails): a level off by a factor 1.5, the wrong power of h, the wrong second-layer
factor, a wrong exponent, swapped activations, gaps of other initialisations.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from ssl_notes import manifold
from ssl_notes.experiments import theorem1 as t1

WIDTHS = np.array([10, 32, 100, 316, 1000])
SEEDS = range(10)
ACTS = ("tanh", "softplus0", "relu", "sigmoid")


@pytest.fixture(scope="module")
def problem():
    return t1.mnist_problem(d=10, seed=0)


@pytest.fixture(scope="module")
def gaps(problem):
    return t1.init_gaps(problem.X, WIDTHS, SEEDS, ACTS, 4)


def _level(problem, a):
    return np.array([t1.expected_gap_sq(a, problem.norms, h).mean() for h in WIDTHS])


# ------------------------------------------------------------------ the data


def test_mnist_problem_is_normalised(problem):
    assert problem.X.shape == (100, 10)
    assert problem.moment(2) == pytest.approx(1.0, rel=1e-12)
    np.testing.assert_array_equal(problem.X_neg, problem.X[problem.neg_index])
    assert np.all(problem.norms > 0)


# ------------------------------------------------------------------ Lemma 2


def test_lemma2_sweep_passes_and_counts():
    sw = t1.lemma2_sweep([10, 100, 1000], 20, 10, seed=0)
    assert sw.ratio.shape == (3, 20) and sw.passed
    assert np.all(sw.ratio < 2 * math.sqrt(2)) and sw.p_any < 1e-3
    # without the log the ratio grows (the log of Lemma 2 is needed)
    assert sw.growth_without_log > 1.2


# ----------------------------------------------------------- the exact level


@pytest.mark.parametrize("h", [2, 3, 10, 1000, 10**5])
def test_expected_gap_relu_is_half_the_second_moment(h):
    rho = np.array([0.0, 0.3, 1.0, 2.5])
    # E u^2 = rho^2 / h, and (relu(u) - u)^2 = u^2 1{u < 0}
    np.testing.assert_allclose(
        t1.expected_gap_sq("relu", rho, h), rho**2 / (2 * h), rtol=1e-10, atol=0
    )
    assert t1.expected_gap_sq("identity", 1.7, h) == 0.0


@pytest.mark.parametrize("a", ["tanh", "sigmoid", "softplus0"])
def test_expected_gap_against_monte_carlo(a):
    """E (sigma(u) - u)^2 for u a coordinate of a uniform vector of radius rho."""
    from ssl_notes.activations import get_activation

    h, rho, N = 5, 1.5, 400_000
    rng = np.random.default_rng(0)
    g = rng.standard_normal((N, h))
    u = rho * g[:, 0] / np.linalg.norm(g, axis=1)
    phi = (get_activation(a).numpy(u) - u) ** 2
    se = phi.std() / math.sqrt(N)
    assert abs(phi.mean() - t1.expected_gap_sq(a, rho, h)) < 5 * se


@pytest.mark.parametrize("a", ["tanh", "softplus0", "sigmoid", "relu"])
def test_leading_order_is_the_limit(a):
    """exact / leading -> 1 as h grows, with an O(1/h) error."""
    rho = np.array([0.5, 1.0, 2.0])
    errs = [
        np.max(np.abs(t1.expected_gap_sq(a, rho, h) / t1.leading_gap_sq(a, rho, h) - 1))
        for h in (10**3, 10**4)
    ]
    assert errs[1] < 2e-2
    if a != "relu":  # relu: exact at every width
        assert errs[1] < 0.2 * errs[0]


def test_leading_order_fails_at_small_width():
    """The reason the level check uses the exact integral."""
    ex = t1.expected_gap_sq("tanh", 1.0, 10)
    assert abs(t1.leading_gap_sq("tanh", 1.0, 10) / ex - 1) > 0.2


# ------------------------------------------------------------ the second layer


def test_projection_moments_against_monte_carlo():
    rng = np.random.default_rng(1)
    h, z, n = 12, 3, 5
    rows = rng.standard_normal((n, h)) + 0.7  # a common offset, like the sigmoid
    mean, var = t1.projection_moments(rows, z)
    Q = []
    for _ in range(20_000):
        V = manifold.haar_orthonormal(h, z, rng)
        Q.append(np.mean(np.sum((rows @ V) ** 2, axis=1)))
    Q = np.array(Q)
    N = Q.size
    assert abs(Q.mean() - mean) < 5 * math.sqrt(var / N)
    # the variance of the sample variance: (m4 - var^2) / N
    m4 = np.mean((Q - Q.mean()) ** 4)
    assert abs(Q.var() - var) < 5 * math.sqrt((m4 - var**2) / N)


# ------------------------------------------------------------- Check 2 data


def test_init_gaps_theorem1_inequalities(gaps):
    assert gaps.out_sq["tanh"].shape == (WIDTHS.size, 10)
    assert gaps.max_excess <= 1e-12 and gaps.in_event.all()
    assert set(gaps.bound_ratio) == {"tanh", "softplus0"}  # those meeting Theorem 1
    assert all(r.max() <= 1.0 for r in gaps.bound_ratio.values())
    assert np.all(gaps.rel("relu") > 0.3)


# ----------------------------------------------------------------- the level


@pytest.mark.parametrize("a", ACTS)
def test_level_check_passes_on_the_exact_level(problem, gaps, a):
    chk = t1.level_check(gaps.hid_sq[a], WIDTHS * _level(problem, a))
    assert chk.passed, chk.t


@pytest.mark.parametrize("a", ["tanh", "softplus0", "relu", "sigmoid"])
@pytest.mark.parametrize("factor", [1.5, 1 / 1.5])
def test_level_check_fails_a_factor_one_and_a_half(problem, gaps, a, factor):
    chk = t1.level_check(gaps.hid_sq[a], factor * WIDTHS * _level(problem, a))
    assert not chk.passed
    assert np.all(np.abs(chk.t) > chk.k)  # it fails at every width


def test_level_check_fails_the_leading_order_level(problem, gaps):
    lead = np.array(
        [t1.leading_gap_sq("tanh", problem.norms, h).mean() for h in WIDTHS]
    )
    assert not t1.level_check(gaps.hid_sq["tanh"], WIDTHS * lead).passed


def test_level_check_fails_the_wrong_power_of_h(problem, gaps):
    """A prediction with tanh's level at the middle width but the exponent of a
    sigma''(0) != 0 activation (one power of h^{1/2} too slow)."""
    right = WIDTHS * _level(problem, "tanh")
    wrong = right * np.sqrt(WIDTHS / WIDTHS[2])
    chk = t1.level_check(gaps.hid_sq["tanh"], wrong)
    assert not chk.passed and abs(chk.t[2]) < chk.k  # right in the middle only


def test_level_check_fails_h_to_the_minus_one_for_sqrt_log_h_over_h():
    """Synthetic: the truth decays like sqrt(log h / h) with 5 % seed noise; a
    prediction h^{-1}, matched at the middle width, fails, the truth passes."""
    rng = np.random.default_rng(3)
    h = np.geomspace(10, 1e4, 7)
    truth = np.sqrt(np.log(h) / h)
    measured = truth[:, None] * (1 + 0.05 * rng.standard_normal((h.size, 10)))
    assert t1.level_check(measured, truth).passed
    wrong = truth[3] * h[3] / h
    chk = t1.level_check(measured, wrong)
    assert not chk.passed and abs(chk.t[3]) < chk.k


def test_level_check_tolerance_is_the_student_quantile():
    from scipy.stats import t

    rng = np.random.default_rng(0)
    chk = t1.level_check(1 + 0.1 * rng.standard_normal((7, 10)), np.ones(7))
    assert chk.k == pytest.approx(t.ppf(1 - 1e-3 / 14, 9))
    assert "max|t|" in chk.summary()


# ----------------------------------------------------------- second layer


@pytest.mark.parametrize("a", ACTS)
def test_projection_check_passes_with_z_over_h(gaps, a):
    mean = 4 / WIDTHS[:, None] * gaps.hid_sq[a]
    assert t1.projection_check(gaps.out_sq[a], mean, gaps.proj_var[a]).passed


@pytest.mark.parametrize("a", ["tanh", "softplus0", "relu"])
def test_projection_check_fails_a_wrong_second_layer_factor(gaps, a):
    for factor in (1.5, 1 / 1.5):
        mean = factor * 4 / WIDTHS[:, None] * gaps.hid_sq[a]
        chk = t1.projection_check(gaps.out_sq[a], mean, gaps.proj_var[a])
        assert not chk.passed, (a, factor)


def test_projection_check_fails_d_over_h_for_the_sigmoid(gaps):
    """d/h instead of z/h (the factor 2.5 of using the input dimension)."""
    mean = 10 / WIDTHS[:, None] * gaps.hid_sq["sigmoid"]
    chk = t1.projection_check(gaps.out_sq["sigmoid"], mean, gaps.proj_var["sigmoid"])
    assert not chk.passed


def test_projection_check_fails_without_the_projector(gaps):
    """Forgetting V (the hidden gap as the output gap) fails."""
    a = "tanh"
    chk = t1.projection_check(gaps.out_sq[a], gaps.hid_sq[a], gaps.proj_var[a])
    assert not chk.passed


# ------------------------------------------------------------------ slopes


@pytest.mark.parametrize("a", ACTS)
def test_slope_check_passes_and_fails_a_wrong_exponent(problem, gaps, a):
    big = WIDTHS >= 100
    right = 4 * _level(problem, a)[big]
    assert t1.slope_check(WIDTHS[big], gaps.out_sq[a][big], right).passed
    # half a power of h off in the RMS gap
    wrong = right * WIDTHS[big] ** 1.0
    assert not t1.slope_check(WIDTHS[big], gaps.out_sq[a][big], wrong).passed


def test_slope_check_tanh_is_not_h_to_the_minus_one(problem, gaps):
    big = WIDTHS >= 100
    wrong = 1.0 / WIDTHS[big] ** 2.0  # RMS ~ h^{-1}, the sigma''(0) != 0 rate
    assert not t1.slope_check(WIDTHS[big], gaps.out_sq["tanh"][big], wrong).passed


# ------------------------------------------------------- coordinate first layer


def test_coordinate_layer(problem):
    co = t1.coordinate_layer(problem.X, [10, 10**4], 4)
    assert co.lemma2_ratio[-1] > 2 * math.sqrt(2)
    assert co.rel_coord[1] > 0.5 * co.rel_coord[0]
    assert co.rel_haar[1] < 0.01 * co.rel_haar[0]


# -------------------------------------------------------------- Conjecture 1


def _summary(abs_end, rel_end):
    abs_end, rel_end = np.asarray(abs_end, float), np.asarray(rel_end, float)
    return t1.GapSummary(abs_end, abs_end * 1.1, rel_end, rel_end * 1.1)


def _fake_summaries():
    w = np.array([1.0, 0.1, 0.01])[:, None] * np.ones((3, 4))
    tanh = _summary(w, w)
    relu = _summary(0.3 * np.sqrt(w), 0.7 * np.ones((3, 4)))
    sig = _summary(
        np.ones((3, 4)), np.array([1.0, 3.0, 9.0])[:, None] * np.ones((3, 4))
    )
    return tanh, relu, sig


def test_orderings_pass_and_fail_on_swapped_activations():
    tanh, relu, sig = _fake_summaries()
    widths = [10, 100, 1000]
    assert t1.conjecture1_orderings(tanh, relu, sig, widths).passed
    assert not t1.conjecture1_orderings(relu, relu, sig, widths).passed
    assert not t1.conjecture1_orderings(tanh, tanh, sig, widths).passed
    assert not t1.conjecture1_orderings(tanh, relu, tanh, widths).passed
    # one seed against the trend is enough to fail
    bad = tanh.rel_end.copy()
    bad[2, 1] = 2.0
    tanh_bad = t1.GapSummary(tanh.abs_end, tanh.abs_sup, bad, tanh.rel_sup)
    assert not t1.conjecture1_orderings(tanh_bad, relu, sig, widths).passed


@pytest.fixture(scope="module")
def small_run():
    p = t1.mnist_problem(d=4, per_class=4, seed=0)
    run = t1.conjecture1(p, [8, 80], range(2), z=2, lr=0.01, epochs=3)
    gaps = t1.init_gaps(p.X, [8, 80], range(2), ("sigmoid", "relu", "tanh"), 2)
    return p, run, gaps


def test_conjecture1_and_precision(small_run):
    p, run, gaps = small_run
    assert run.free.diff["tanh"].shape == (2, 2, 4)
    s = t1.gap_summary(run.sweep("projected"), "tanh")
    assert s.abs_end.shape == (2, 2) and np.all(s.abs_sup >= s.abs_end)
    assert run.max_lemma2_ratio("projected") <= 2 * math.sqrt(2)
    prec = t1.twin_precision(run, p, gaps)
    assert prec.passed and prec.epoch0_dev < 1e-5


def test_precision_fails_on_other_gaps(small_run):
    p, run, gaps = small_run
    doubled = {a: 1.1 * v for a, v in gaps.out_sq.items()}
    other = t1.InitGaps(**{**gaps.__dict__, "out_sq": doubled})
    assert not t1.twin_precision(run, p, other).passed
    with pytest.raises(ValueError, match="gaps"):
        t1.twin_precision(run, p, t1.init_gaps(p.X, [8, 80], [5, 6], ("tanh",), 2))


# --------------------------------------------------------------- validation


def test_bad_arguments_are_named(problem):
    with pytest.raises(ValueError, match="widths"):
        t1.init_gaps(problem.X, [100, 10], SEEDS, ACTS, 4)
    with pytest.raises(ValueError, match="activation"):
        t1.expected_gap_sq("swish", 1.0, 10)
    with pytest.raises(ValueError, match="measured"):
        t1.level_check(np.ones((3, 2)), np.ones(3))
    with pytest.raises(ValueError, match="cond_var"):
        t1.projection_check(np.ones((2, 3)), np.ones((2, 3)), np.ones((3, 2)))
    with pytest.raises(TypeError, match="problem"):
        t1.conjecture1(problem.X, [10], [0])
    with pytest.raises(ValueError, match="x_norm"):
        t1.leading_gap_sq("tanh", [-1.0], 10)

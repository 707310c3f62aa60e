"""The machinery of the MNIST chapter (ssl_notes.experiments.mnist_experiment).

Each check passes on the right input and fails on a deliberately wrong one: a C that
is not Z^T D Z (a factor 2, a wrong sign), a QR step in place of the low-rank one, a
flop model with a wrong power of h or of m, benchmark results whose ratios contradict
a claim, a crossover fed swapped routes, a point scaling that grows like m, a route
0.05 less accurate, a reference that does not learn. No test asserts on a measured
time: the benchmark results below are synthetic (times proportional to the flop
model), or only their structure is checked.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from ssl_notes import benchmark, data, losses, manifold, steps, training
from ssl_notes.experiments import mnist_experiment as mx

D_IN, Z_OUT, M_PTS = 784, 10, 1200


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def small():
    """C = Z^T D Z with d = 6 and n = 10 anchors (m = 30 >= d)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((10, 6)) * np.sqrt(np.linspace(2.0, 0.2, 6))
    Xp, Xn = data.gaussian_positives(X, 0.2, rng), data.random_negatives(X, rng)
    C = losses.contrastive_matrix(X, Xp, Xn)
    Z, D = training.output_factor(X, Xp, Xn)
    M0 = manifold.haar_orthonormal(6, 2, 1)
    return C, Z, D, M0


def _synthetic(rate=1e10, scale=None, flops=None, z=Z_OUT):
    """A BenchmarkResult whose times are flops / rate (times ``scale[route]``)."""
    widths = timing_widths(z)
    fl = flops or {
        r: [float(steps.route_flops(r, D_IN, h, z, M_PTS)) for h in widths]
        for r in steps.ROUTES
    }
    scale = scale or {}
    routes = {
        r: [float(t) for t in np.array(v) / rate * scale.get(r, 1.0)]
        for r, v in fl.items()
    }
    return benchmark.BenchmarkResult(
        d=D_IN, z=z, m=M_PTS, n=M_PTS // 3, widths=widths, routes=routes,
        samples={r: [[t] for t in v] for r, v in routes.items()},
        steps_per_sample={r: [1] * len(widths) for r in routes},
        flops=fl, gemm_flops_per_second=rate, one_off={}, lr=0.01,
        gradient="euclidean", repeats=1, warmup=0, threads=1, device="cpu",
        machine={},
    )  # fmt: skip


def timing_widths(z):
    return benchmark.default_widths(z, D_IN, 6)


# ------------------------------------------------------------------ problem


def test_ssl_problem_factor_and_shapes():
    P = mx.ssl_problem(per_class=10, test_per_class=5, rng=0)
    assert P.X.shape == (20, 784) and P.Z.shape == (60, 784)
    assert P.D.shape == (60, 60) and P.K.shape == (60, 60)
    assert P.X_test.shape == (10, 784) and set(P.y) == {3, 5}
    assert P.factor_error < 1e-12
    np.testing.assert_allclose(P.K, P.Z @ P.Z.T)


def test_ssl_problem_rejects_bad_sizes():
    with pytest.raises(ValueError, match="per_class"):
        mx.ssl_problem(per_class=0)
    with pytest.raises(TypeError, match="test_per_class"):
        mx.ssl_problem(test_per_class=2.5)


# ------------------------------------------------------------------ check 1


def test_output_check_passes_when_C_is_Z_D_Z(small):
    C, Z, D, M0 = small
    res = mx.output_check(Z, D, C, M0, lr=0.05, steps=50)
    assert res.passed
    assert res.rel_F < 1e-13 and res.tol_F == pytest.approx(50 * 36 * mx.UNIT_ROUNDOFF)
    assert res.tol_lsq == pytest.approx(res.cond_Z * res.tol_F)


@pytest.mark.parametrize("factor", [2.0, -1.0])
def test_output_check_fails_for_a_wrong_factor_of_D(small, factor):
    """C = Z^T (factor D) Z: (12) with D is another iteration than Euler with C."""
    C, Z, D, M0 = small
    res = mx.output_check(Z, D, factor * C, M0, lr=0.05, steps=50)
    assert not res.passed
    assert res.rel_F > 1e3 * res.tol_F


def test_output_check_names_mismatched_shapes(small):
    C, Z, D, M0 = small
    with pytest.raises(ValueError, match="D"):
        mx.output_check(Z, D[:-3, :-3], C, M0)
    with pytest.raises(ValueError, match="M0"):
        mx.output_check(Z, D, C, 2 * M0)


# ------------------------------------------------------------------ low rank


def test_lowrank_check_passes_and_qr_fails(small):
    C, _, _, _ = small
    W0, V0 = manifold.haar_orthonormal(6, 6, 2), manifold.haar_orthonormal(6, 2, 3)
    assert mx.lowrank_check(C, W0, V0, steps=3).passed
    qr = mx.lowrank_check(C, W0, V0, steps=3, method="qr")
    assert not qr.passed and qr.gap > 1e-6


# ------------------------------------------------------------------ flop models


def test_flop_model_of_the_package_has_the_lemmas_powers():
    res = mx.flop_model_check(steps.route_flops, D_IN, Z_OUT, M_PTS)
    assert res.passed, res.failures()
    assert res.degree_h["gd_lowrank"] == 1 and res.degree_h["flow_M"] == 0
    assert res.degree_m["flow_F"] == 2 and res.degree_m["gd_naive"] == 0
    assert "power of h" in res.table()


def _patched(route, extra):
    def flops(r, d, h, z, m):
        f = steps.route_flops(r, d, h, z, m)
        return f + extra(d, h, z, m) if r == route else f

    return flops


@pytest.mark.parametrize(
    "route, extra, what",
    [
        ("gd_lowrank", lambda d, h, z, m: 2 * d * h * h * z, "degree 2 in h"),
        ("flow_M", lambda d, h, z, m: 2 * d * h, "degree 1 in h"),
        ("flow_F", lambda d, h, z, m: 2 * m * m * m, "degree 3 in m"),
        ("gd_naive", lambda d, h, z, m: d * m, "degree 1 in m"),
    ],
)
def test_flop_model_with_a_wrong_power_fails(route, extra, what):
    res = mx.flop_model_check(_patched(route, extra), D_IN, Z_OUT, M_PTS)
    assert not res.passed
    assert any(line.startswith(route) and what in line for line in res.failures())


def test_flop_model_without_the_svd_fails():
    """(11) as written with its polar factor priced as linear in h."""

    def flops(r, d, h, z, m):
        if r == "gd_naive":
            return 2 * d * d * (z + h) + 8 * d * h * z
        return steps.route_flops(r, d, h, z, m)

    res = mx.flop_model_check(flops, D_IN, Z_OUT, M_PTS)
    assert res.failures() == ["gd_naive: degree 1 in h, expected 2..3"]


def test_flop_model_with_a_wrong_power_of_m_in_flow_F_fails():
    """(12) priced as linear in m (a dense K missed)."""

    def flops(r, d, h, z, m):
        if r == "flow_F":
            return 2 * 1200 * m * z
        return steps.route_flops(r, d, h, z, m)

    assert not mx.flop_model_check(flops, D_IN, Z_OUT, M_PTS).passed


# ------------------------------------------------------------------ runtime


def test_runtime_check_passes_on_times_proportional_to_flops():
    for z in (1, Z_OUT):
        rc = mx.runtime_check(_synthetic(z=z))
        assert rc.passed, rc.failures()
        assert rc.ratio("gd_naive", "flow_M").model > mx.CLAIMED_GAP
        assert rc.ratio("gd_lowrank", "flow_M").model < mx.CLAIMED_GAP / 5
        assert "gd_naive / flow_M" in rc.table()


@pytest.mark.parametrize(
    "scale, failing",
    [
        ({"gd_lowrank": 50.0}, "gd_lowrank/flow_M"),  # low-rank 400x: a gap after all
        ({"gd_naive": 1 / 50}, "gd_naive/flow_M"),  # (11) as written only ~12x
        ({"nonlinear_gd": 1 / 50}, "nonlinear_gd/flow_M"),
        ({"gd_naive": 1 / 20}, "gd_naive/gd_lowrank"),  # projection not the cost
    ],
)
def test_runtime_check_fails_when_a_ratio_contradicts_its_claim(scale, failing):
    rc = mx.runtime_check(_synthetic(scale=scale))
    assert not rc.passed
    assert failing in rc.failures()


def test_runtime_check_fails_when_a_flat_route_grows_with_h():
    widths = timing_widths(Z_OUT)
    growing = np.geomspace(1.0, 100.0, len(widths))  # x100 over the widths
    rc = mx.runtime_check(_synthetic(scale={"flow_M": growing / 100}))
    assert any(line.startswith("flow_M varies") for line in rc.failures())


def test_runtime_check_fails_when_a_flat_flop_model_depends_on_h():
    res = _synthetic()
    fl = dict(res.flops)
    fl["closed_form"] = [f * (1 + 1e-3 * i) for i, f in enumerate(fl["closed_form"])]
    rc = mx.runtime_check(dataclasses.replace(res, flops=fl))
    assert "a flat route's flop model depends on h" in rc.failures()


def test_runtime_check_needs_the_full_range_of_widths():
    res = _synthetic()
    short = dataclasses.replace(res, widths=res.widths[:-1] + [500])
    assert not mx.runtime_check(short).passed
    with pytest.raises(TypeError, match="result"):
        mx.runtime_check({"routes": {}})


def test_timing_table_names_the_implementation_and_the_gemm_distance():
    text = mx.timing_table(_synthetic())
    assert "(11), SVD polar" in text and "x GEMM" in text
    assert max(map(len, text.splitlines())) <= 76
    # times proportional to flops at the GEMM rate: 1.00 x GEMM for every route
    assert all(line.endswith("1.00") for line in text.splitlines()[2:])


# ------------------------------------------------------------------ crossover


def test_crossover_matches_the_flop_model_for_proportional_times():
    c = mx.crossover_width(_synthetic(), "gd_lowrank", "flow_F")
    assert c.width is not None and c.model_width is not None
    assert c.width == pytest.approx(c.model_width, rel=1e-12)
    # at the crossover the model of gd_lowrank reaches that of flow_F
    h = int(round(c.width))
    lo = steps.route_flops("gd_lowrank", D_IN, h - 10, Z_OUT, M_PTS)
    hi = steps.route_flops("gd_lowrank", D_IN, h + 10, Z_OUT, M_PTS)
    target = steps.route_flops("flow_F", D_IN, h, Z_OUT, M_PTS)
    assert lo < target < hi


def test_crossover_fed_swapped_routes_fails():
    res = _synthetic()
    with pytest.raises(ValueError, match="slow"):
        mx.crossover_width(res, "flow_F", "gd_lowrank")
    with pytest.raises(ValueError, match="fast"):
        mx.crossover_width(res, "gd_naive", "gd_lowrank")


def test_crossover_never_reached_and_already_reached():
    res = _synthetic()
    assert mx.crossover_width(res, "gd_lowrank", "flow_F", fast_scale=1e3).width is None
    first = mx.crossover_width(res, "gd_naive", "flow_F", fast_scale=1e-3)
    assert first.width == res.widths[0]


# ------------------------------------------------------------------ more points


def _scaling(grow_F, grow_M, flop_F=(3000 / 1200) ** 2):
    return mx.PointScaling(
        m_small=1200, m_big=3000,
        seconds_small={"flow_F": 1.0, "flow_M": 1.0},
        seconds_big={"flow_F": grow_F, "flow_M": grow_M},
        flop_ratio={"flow_F": flop_F, "flow_M": 1.0},
        vs_gemm_big={"flow_F": 1.0, "flow_M": 1.0},
    )  # fmt: skip


def test_point_scaling_verdict():
    assert _scaling(6.0, 1.1).passed
    assert not _scaling(1.0, 1.0).passed  # (12) did not get dearer
    assert not _scaling(6.0, 6.0).passed  # the Euler step in M did
    assert not _scaling(6.0, 1.1, flop_F=2.5).passed  # a flop model linear in m


def test_point_scaling_runs_and_brackets():
    a, b = benchmark.make_problem(per_class=5), benchmark.make_problem(per_class=10)
    res = mx.point_scaling(a, b, z=2, repeats=1, target_seconds=0.001)
    assert (res.m_small, res.m_big) == (30, 60)
    assert res.flop_ratio["flow_M"] == 1.0
    assert 3.0 < res.flop_ratio["flow_F"] < 4.0  # about (60/30)^2
    with pytest.raises(TypeError, match="big"):
        mx.point_scaling(a, "b")


# ------------------------------------------------------------------ retraction


def test_retraction_gap_qr_against_polar(small):
    C, _, _, _ = small
    W0, V0 = manifold.haar_orthonormal(6, 4, 5), manifold.haar_orthonormal(4, 2, 6)
    res = mx.retraction_gap(C, W0, V0, time=1.0, lr=0.02)
    assert res.passed, res.gaps
    assert 0.4 < res.ratio("grassmann") < 0.6


def test_retraction_gap_of_polar_against_itself_fails(small):
    C, _, _, _ = small
    W0, V0 = manifold.haar_orthonormal(6, 4, 5), manifold.haar_orthonormal(4, 2, 6)
    res = mx.retraction_gap(C, W0, V0, time=1.0, lr=0.02, method="lowrank")
    assert not res.passed
    assert max(res.gaps["euclidean"]) < 1e-6


# ------------------------------------------------------------------ accuracy


def test_svm_accuracy_separates_separable_points():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3)) + np.repeat([[4.0, 0, 0], [-4.0, 0, 0]], 20, 0)
    y = np.repeat([0, 1], 20)
    assert mx.svm_accuracy(X[::2], y[::2], X[1::2], y[1::2]) == 1.0
    with pytest.raises(ValueError, match="y_train"):
        mx.svm_accuracy(X, y[:-1], X, y)


def _accuracies(seed=0, S=5):
    rng = np.random.default_rng(seed)
    mean = np.array([0.65, 0.78, 0.84, 0.88])
    return lambda shift=0.0: mean + shift + 0.02 * rng.standard_normal((S, 4))


KS = (0, 5, 20, 100)


def test_compare_accuracies_passes_for_indistinguishable_routes():
    draw = _accuracies()
    res = mx.compare_accuracies({"(12)": draw(), "(11)": draw()}, KS)
    assert res.passed
    assert res.tolerance == pytest.approx(2 * np.sqrt(2 / 5) * res.s_bar)
    assert res.learned > 0.2


def test_compare_accuracies_fails_for_a_less_accurate_route():
    draw = _accuracies()
    worse = draw(-0.05)
    worse[:, 0] += 0.05  # same at initialisation, 0.05 worse after training
    res = mx.compare_accuracies({"(12)": draw(), "(11)": worse}, KS)
    assert not res.passed and res.gaps["(11)"] > res.tolerance


def test_compare_accuracies_fails_for_a_reference_that_does_not_learn():
    rng = np.random.default_rng(1)
    flat = 0.65 + 0.02 * rng.standard_normal((5, 4))
    res = mx.compare_accuracies({"(12)": flat, "(11)": flat + 0.001}, KS)
    assert not res.passed and res.learned < res.tolerance


def test_compare_accuracies_rejects_bad_tables():
    draw = _accuracies()
    with pytest.raises(ValueError, match="accuracy"):
        mx.compare_accuracies({"(12)": draw(), "(11)": draw()[:, :3]}, KS)
    with pytest.raises(ValueError, match="reference"):
        mx.compare_accuracies({"a": draw(), "b": draw()}, KS)


def test_accuracy_sweep_small():
    sw = mx.accuracy_sweep(
        seeds=(0, 1), z=2, h=4, lr=0.05, steps=5, eval_steps=(0, 5),
        per_class=10, test_per_class=5,
    )  # fmt: skip
    assert set(sw.accuracy) == set(mx.METHODS)
    assert all(a.shape == (2, 2) for a in sw.accuracy.values())
    # at k = 0 every route has the same embedding M_0
    a0 = {name: a[:, 0] for name, a in sw.accuracy.items()}
    np.testing.assert_array_equal(a0["(11) euclidean"], a0["(12)"])
    assert sw.output_gap <= sw.output_tolerance
    assert "steps" in sw.table()
    with pytest.raises(ValueError, match="eval_steps"):
        mx.accuracy_sweep(seeds=(0,), steps=5, eval_steps=(0, 6), per_class=10)

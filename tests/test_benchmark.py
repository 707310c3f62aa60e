"""Tests of ssl_notes.benchmark: the timing arithmetic, the sweep's output, the command line."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import ROOT
from ssl_notes import benchmark, dynamics

KEYS = {"widths", "gd_step_seconds", "flow_step_seconds", "z", "d", "machine"}


def _tiny_problem(seed=0, n=12, d=9):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    Xp, Xn = X + 0.1 * rng.standard_normal((n, d)), X[rng.permutation(n)]
    Z, D = dynamics.output_factor(X, Xp, Xn)
    return {"C": Z.T @ D @ Z, "Z": Z, "D": D, "K": Z @ Z.T, "n": n}


class _FakeClock:
    """A perf_counter whose time advances only when the timed function runs."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self):
        return self.now


def test_default_widths():
    w = benchmark.default_widths(2, 784)
    assert w[0] == 2 and w[-1] == 784 and len(w) == 8 and w == sorted(set(w))
    assert benchmark.default_widths(3, 4, count=8) == [3, 4]  # fewer when z, d are close
    with pytest.raises(ValueError, match="z: expected z <= d"):
        benchmark.default_widths(10, 5)
    with pytest.raises(TypeError, match="count"):
        benchmark.default_widths(1, 5, count=2.5)


def test_step_times_cancels_the_fixed_cost():
    # calls cost 1.0 s fixed + 0.25 s per step; the 1-step calls were slowed once by load
    t1 = [1.25, 1.9, 1.25]
    tk = [1.0 + 0.25 * 5, 1.0 + 0.25 * 5 + 0.4]
    np.testing.assert_allclose(benchmark.step_times(t1, tk, 4), [0.25, 0.35])
    with pytest.raises(ValueError, match="t1, tk"):
        benchmark.step_times([], [1.0], 1)
    with pytest.raises(ValueError, match="k"):
        benchmark.step_times([1.0], [1.0], 0)


def test_calibrate_steps_with_a_fake_clock(monkeypatch):
    clock = _FakeClock()
    monkeypatch.setattr(benchmark, "time", clock)

    def call(fixed, per_step):
        def fn(steps):
            clock.now += fixed + per_step * steps
        return fn

    # cheap steps behind a large fixed cost: the k extra steps must reach max(target, t1/2)
    k = benchmark.calibrate_steps(call(0.1, 1e-4), target_seconds=0.01)
    assert k * 1e-4 >= 0.05 and (k // 2) * 1e-4 < 0.05 * 8  # reached, without a wild overshoot
    # one step longer than the target: k = 1
    assert benchmark.calibrate_steps(call(0.01, 0.5), target_seconds=0.05) == 1
    # capped
    assert benchmark.calibrate_steps(call(0.0, 1e-9), target_seconds=1.0, max_steps=16) == 16


def test_run_benchmark_on_a_tiny_problem():
    prob = _tiny_problem()
    r = benchmark.run_benchmark([2, 5, 9], 2, problem=prob, repeats=2, warmup=1,
                                target_seconds=1e-3, max_steps=64, rng=1)
    assert KEYS <= set(r)
    assert r["widths"] == [2, 5, 9] and r["z"] == 2 and r["d"] == 9 and r["m"] == 36 and r["n"] == 12
    for key in ("gd_step_seconds", "flow_step_seconds", "ratio", "gd_samples", "flow_samples"):
        assert len(r[key]) == 3
    assert all(len(s) == 2 for s in r["gd_samples"] + r["flow_samples"])
    assert np.all(np.isfinite(r["gd_step_seconds"])) and np.all(np.isfinite(r["flow_step_seconds"]))
    np.testing.assert_allclose(r["gd_step_seconds"], np.median(r["gd_samples"], axis=1))
    assert r["gradient"] == "euclidean" and r["repeats"] == 2
    json.dumps(r)  # plain Python types only
    table = benchmark.format_table(r)
    assert len(table.splitlines()) == 5 + 3 and "(11)/(12)" in table


def test_run_benchmark_threads_are_recorded():
    pytest.importorskip("threadpoolctl")
    r = benchmark.run_benchmark([2], 2, problem=_tiny_problem(), repeats=1, warmup=0,
                                target_seconds=1e-4, max_steps=4, threads=1)
    assert r["threads"] == 1
    assert all(b["num_threads"] == 1 for b in r["machine"]["blas"])


def test_machine_description():
    m = benchmark.machine_description()
    assert {"platform", "processor", "cpu_count", "python", "numpy", "blas"} <= set(m)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(widths=[1, 5], z=2), ValueError, "widths"),
        (dict(widths=[2, 10], z=2), ValueError, "widths"),
        (dict(widths=[2], z=10), ValueError, "z: expected z <= d"),
        (dict(widths=[2], z=2, repeats=0), ValueError, "repeats"),
        (dict(widths=[2], z=2, warmup=-1), ValueError, "warmup"),
        (dict(widths=[2], z=2, gradient="riemann"), ValueError, "gradient"),
        (dict(widths=[2], z=2, target_seconds=0.0), ValueError, "target_seconds"),
        (dict(widths=[2], z=2, threads=0), ValueError, "threads"),
    ],
)
def test_run_benchmark_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        benchmark.run_benchmark(problem=_tiny_problem(), **kwargs)


def test_run_benchmark_rejects_a_foreign_problem():
    with pytest.raises(TypeError, match="problem"):
        benchmark.run_benchmark([2], 2, problem={"C": np.eye(3)})


def _cli(*args, timeout=120):
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "ssl_notes.benchmark", *args], cwd=ROOT,
                         capture_output=True, text=True, timeout=timeout, check=True)
    return out, time.perf_counter() - t0


def test_cli_json_stdout_is_pure_json():
    out, _ = _cli("--json", "--z", "2", "--widths", "2", "8", "--repeats", "1", "--warmup", "0",
                  "--per-class", "10", "--target-seconds", "0.001")
    r = json.loads(out.stdout)  # the progress bar went to stderr
    assert KEYS <= set(r)
    assert r["widths"] == [2, 8] and r["z"] == 2 and r["d"] == 784
    assert len(r["gd_step_seconds"]) == len(r["flow_step_seconds"]) == 2


def test_main_prints_a_table(monkeypatch, capsys):
    monkeypatch.setattr(benchmark, "make_problem", lambda *a, **k: _tiny_problem())
    assert benchmark.main(["--z", "1", "--widths", "1", "3", "9", "--repeats", "1", "--warmup", "0",
                           "--target-seconds", "0.0005"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any("(11)/(12)" in line for line in lines)
    assert [line.split()[0] for line in lines[-3:]] == ["1", "3", "9"]


def test_main_reports_bad_arguments(capsys):
    with pytest.raises(SystemExit) as exc:
        benchmark.main(["--z", "0"])
    assert exc.value.code == 2 and "z: expected a positive integer" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        benchmark.main(["--threads", "-1"])


@pytest.mark.slow
def test_cli_quick_json_under_30_seconds():
    """--quick does under 30 s of work. Measured as the child's CPU time (one BLAS thread, so
    on an idle machine CPU time is wall time): the wall time on a shared machine says more about
    the other jobs than about the sweep."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out, wall = _cli("--quick", "--json")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    r = json.loads(out.stdout)
    assert r["widths"][0] == r["z"] and r["widths"][-1] == r["d"] == 784 and len(r["widths"]) == 4
    assert r["threads"] == 1
    assert cpu < 30, f"--quick used {cpu:.1f} s of CPU ({wall:.1f} s wall)"

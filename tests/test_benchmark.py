"""Tests of ssl_notes.benchmark / ssl_notes.timing: the schema of the result, the route
equivalences on the benchmark's own problem, the command line. Never speeds: timing is a
benchmark, not a test."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import ROOT

from ssl_notes import benchmark, losses, manifold, steps

KEYS = {
    "d",
    "z",
    "m",
    "n",
    "widths",
    "routes",
    "samples",
    "steps_per_sample",
    "flops",
    "vs_gemm",
    "gemm_flops_per_second",
    "one_off",
    "machine",
    "device",
}


def _tiny_problem(seed=0, n=12, d=9):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    Xp, Xn = X + 0.1 * rng.standard_normal((n, d)), X[rng.permutation(n)]
    return benchmark.BenchmarkProblem.from_data(losses.data_matrix(X, Xp, Xn))


class _FakeClock:
    """A perf_counter whose time advances only when the timed function runs."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self):
        return self.now


def test_default_widths():
    w = benchmark.default_widths(2, 784)
    assert w[0] == 2 and w[-1] == 784 and len(w) == 8 and w == sorted(set(w))
    assert benchmark.default_widths(3, 4, count=8) == [
        3,
        4,
    ]  # fewer when z, d are close
    with pytest.raises(ValueError, match="z: expected z <= d"):
        benchmark.default_widths(10, 5)
    with pytest.raises(TypeError, match="count"):
        benchmark.default_widths(1, 5, count=2.5)


def test_calibrate_steps_with_a_fake_clock(monkeypatch):
    from ssl_notes import timing

    clock = _FakeClock()
    monkeypatch.setattr(timing, "time", clock)

    def call(per_step):
        def fn(steps):
            clock.now += per_step * steps

        return fn

    k = benchmark.calibrate_steps(call(1e-4), target_seconds=0.01)
    assert (
        k * 1e-4 >= 0.01 and (k // 2) * 1e-4 < 0.01
    )  # reached, the smallest power of 2
    assert benchmark.calibrate_steps(call(0.5), target_seconds=0.05) == 1
    assert benchmark.calibrate_steps(call(1e-9), target_seconds=1.0, max_steps=16) == 16
    with pytest.raises(ValueError, match="target_seconds"):
        benchmark.calibrate_steps(call(1.0), target_seconds=0.0)


def test_run_benchmark_schema_on_a_tiny_problem():
    r = benchmark.run_benchmark(
        [2, 5, 9],
        2,
        problem=_tiny_problem(),
        repeats=2,
        warmup=1,
        target_seconds=1e-4,
        max_steps=8,
        rng=1,
    )
    out = r.to_dict()
    assert KEYS <= set(out)
    assert out["widths"] == [2, 5, 9] and out["z"] == 2 and out["d"] == 9
    assert out["m"] == 36 and out["n"] == 12 and out["device"] == "cpu"
    assert list(out["routes"]) == list(steps.ROUTES)
    for key in ("routes", "samples", "steps_per_sample", "flops", "vs_gemm"):
        assert set(out[key]) == set(steps.ROUTES) and all(
            len(v) == 3 for v in out[key].values()
        )
    assert all(len(s) == 2 for v in out["samples"].values() for s in v)
    for name, med in out["routes"].items():
        assert np.all(np.isfinite(med)) and np.all(np.array(med) > 0)
        np.testing.assert_allclose(med, np.median(out["samples"][name], axis=1))
    for name in (
        "flow_F",
        "flow_M",
        "closed_form",
    ):  # h does not appear: one flop count
        assert len(set(out["flops"][name])) == 1
    setup = out["one_off"][steps.CLOSED_FORM_SETUP]
    assert setup["seconds"] > 0 and setup["flops"] > 0
    assert r.ratio("gd_naive", "flow_M") == pytest.approx(
        [
            a / b
            for a, b in zip(
                out["routes"]["gd_naive"], out["routes"]["flow_M"], strict=True
            )
        ]
    )
    json.loads(json.dumps(out))  # plain Python types only
    table = benchmark.format_table(r)
    assert all(name in table for name in steps.ROUTES) and "Gflop/s" in table
    assert len(table.splitlines()) == 3 + 3 * (3 + 3)


def test_run_benchmark_subset_of_routes_and_threads():
    pytest.importorskip("threadpoolctl")
    r = benchmark.run_benchmark(
        [2],
        2,
        problem=_tiny_problem(),
        repeats=1,
        warmup=0,
        target_seconds=1e-4,
        max_steps=4,
        threads=1,
        routes=["flow_M", "gd_naive"],
    )
    assert list(r.routes) == ["gd_naive", "flow_M"] and r.threads == 1
    assert all(b["num_threads"] == 1 for b in r.machine["blas"])


def test_routes_agree_on_the_benchmark_problem():
    """The equivalences the comparison rests on, on the benchmark's own data structures:
    gd_lowrank gives gd_naive's iterates, flow_F is Z times flow_M, and the closed form
    is the limit of flow_M as lr -> 0."""
    P = _tiny_problem(3, n=10, d=8)
    Z, S, C, K = np.array(P.data.Z), np.array(P.data.D_blocks), P.C, P.K
    rng = np.random.default_rng(0)
    W, V = manifold.haar_orthonormal(8, 5, rng), manifold.haar_orthonormal(5, 2, rng)
    Wa, Va, Wb, Vb = W, V, W, V
    F, M = Z @ (W @ V), W @ V
    for _ in range(50):
        Wa, Va, la = steps.gd_naive_step(C, Wa, Va, 0.01)
        Wb, Vb, lb = steps.gd_lowrank_step(C, Wb, Vb, 0.01)
        F, lf = steps.flow_F_step(F, K, S, 0.01)
        M, lm = steps.flow_M_step(C, M, 0.01)
        assert la == pytest.approx(lb, abs=1e-12) and lf == pytest.approx(lm, abs=1e-12)
    np.testing.assert_allclose(Wb @ Vb, Wa @ Va, atol=1e-12)
    np.testing.assert_allclose(F, Z @ M, atol=1e-12)
    lam, Q, K0 = steps.closed_form_setup(C, W @ V)
    gaps = []
    for lr in (0.01, 0.005):
        M = W @ V
        for _ in range(int(round(0.5 / lr))):
            M = steps.flow_M_step(C, M, lr)[0]
        B = steps.closed_form_point(lam, Q, K0, 0.5)[1]
        gaps.append(np.max(np.abs(B @ B.T - M @ np.linalg.pinv(M))))
    assert gaps[1] / gaps[0] == pytest.approx(0.5, abs=0.1)  # Euler: O(lr)


def test_machine_description():
    m = benchmark.machine_description()
    assert {
        "platform",
        "processor",
        "cpu_count",
        "python",
        "numpy",
        "blas",
        "device",
    } <= set(m)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(widths=[1, 5], z=2), ValueError, "widths"),
        (dict(widths=[2, 10], z=2), ValueError, "widths"),
        (dict(widths=[2], z=10), ValueError, "z: expected z < d"),
        (dict(widths=[2], z=2, repeats=0), ValueError, "repeats"),
        (dict(widths=[2], z=2, warmup=-1), ValueError, "warmup"),
        (dict(widths=[2], z=2, gradient="riemann"), ValueError, "gradient"),
        (dict(widths=[2], z=2, target_seconds=0.0), ValueError, "target_seconds"),
        (dict(widths=[2], z=2, threads=0), ValueError, "threads"),
        (dict(widths=[2], z=2, lr=float("nan")), ValueError, "lr"),
        (dict(widths=[2], z=2, routes=["gd_fast"]), ValueError, "routes"),
        (dict(widths=[2], z=2, routes="gd_naive"), TypeError, "routes"),
        (dict(widths=[2], z=2, device="tpu"), ValueError, "device"),
    ],
)
def test_run_benchmark_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        benchmark.run_benchmark(problem=_tiny_problem(), **kwargs)


def test_run_benchmark_rejects_a_foreign_problem():
    with pytest.raises(TypeError, match="problem"):
        benchmark.run_benchmark([2], 2, problem={"C": np.eye(3)})
    with pytest.raises(TypeError, match="data"):
        benchmark.BenchmarkProblem.from_data(np.eye(3))


def test_cuda_without_a_gpu_is_refused():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(ValueError, match="device: 'cuda' asked for"):
        benchmark.run_benchmark([2], 2, problem=_tiny_problem(), device="cuda")


def _cli(*args, timeout=180):
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "ssl_notes.benchmark", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    return out, time.perf_counter() - t0


def test_cli_json_stdout_is_pure_json():
    out, _ = _cli(
        "--json",
        "--z",
        "2",
        "--widths",
        "2",
        "8",
        "--repeats",
        "1",
        "--warmup",
        "0",
        "--per-class",
        "10",
        "--target-seconds",
        "0.0005",
        "--device",
        "cpu",
    )
    r = json.loads(out.stdout)  # the progress bar went to stderr
    assert KEYS <= set(r)
    assert r["widths"] == [2, 8] and r["z"] == 2 and r["d"] == 784
    assert set(r["routes"]) == set(steps.ROUTES)
    assert all(len(v) == 2 for v in r["routes"].values())


def test_main_prints_tables(monkeypatch, capsys):
    from ssl_notes import timing

    monkeypatch.setattr(timing, "make_problem", lambda *a, **k: _tiny_problem())
    assert (
        benchmark.main(
            [
                "--z",
                "1",
                "--widths",
                "1",
                "3",
                "9",
                "--repeats",
                "1",
                "--warmup",
                "0",
                "--target-seconds",
                "0.0002",
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert any("gd_lowrank" in line for line in lines)
    assert [line.split()[0] for line in lines[-3:]] == ["1", "3", "9"]


def test_main_reports_bad_arguments(capsys):
    with pytest.raises(SystemExit) as exc:
        benchmark.main(["--z", "0"])
    assert (
        exc.value.code == 2
        and "z: expected a positive integer" in capsys.readouterr().err
    )
    with pytest.raises(SystemExit):
        benchmark.main(["--threads", "-1"])


@pytest.mark.slow
def test_cli_quick_json_under_60_seconds():
    """--quick does under 60 s of work. Measured as the child's CPU time (one BLAS
    thread, so on an idle machine CPU time is wall time): the wall time on a shared
    machine says more about the other jobs than about the sweep."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out, wall = _cli("--quick", "--json", "--device", "cpu")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    r = json.loads(out.stdout)
    assert r["widths"][0] == r["z"] and r["widths"][-1] == r["d"] == 784
    assert (
        len(r["widths"]) == 4
        and r["threads"] == 1
        and set(r["routes"]) == set(steps.ROUTES)
    )
    assert cpu < 60, f"--quick used {cpu:.1f} s of CPU ({wall:.1f} s wall)"

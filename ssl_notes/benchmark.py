r"""Runtime of one step of projected gradient descent (11) against the output flow (12).

Run ``python -m ssl_notes.benchmark`` for a table (``--json`` for one JSON object,
``--quick`` for a reduced sweep; ``--help`` for every option). The command line times
with one BLAS thread unless told otherwise (``--threads N``; ``--threads 0`` leaves the
threads as they are): on a small machine shared with other jobs, multi-threaded BLAS
calls wait for each other and single timings jump by an order of magnitude.

What is timed (Figure 4, left, of the paper), on MNIST anchors with Gaussian positives
and random negatives, :math:`C = Z^\top D Z` from eq. (7):

- **(11)**: one step of :func:`ssl_notes.training.projected_gd`: both gradients of
  :math:`\operatorname{Tr}(V^\top W^\top C W V)` and both polar projections, with
  :math:`W \in \mathbb{R}^{d\times h}`, :math:`V \in \mathbb{R}^{h\times z}`. Its cost
  grows with the width h (:math:`CW` costs :math:`2d^2h` flops, the polar factor of
  :math:`W` an SVD of a :math:`d\times h` matrix, :math:`O(dh^2)`).
- **(12)**: one step of :func:`ssl_notes.dynamics.output_flow`,
  :math:`F \leftarrow F - 2\eta(K - FF^\top)DF` with :math:`F \in \mathbb{R}^{m\times z}`,
  :math:`K = ZZ^\top`, m = 3n the number of points that build C. No h appears: its cost,
  :math:`O(m^2 z)`, depends on the number of points instead.

How a step is timed. Both functions validate their inputs once per call (symmetry of
C, K, D, orthonormality of W, V), which costs more than a step of (12). So the
per-step time is the slope of wall time against the number of steps: each repeat times
one call with 1 step and one call with ``1 + k`` steps from the same state, and a sample
is :math:`(t_{1+k} - \min t_1)/k`: the fixed cost of a call cancels (:func:`step_times`). ``k`` is calibrated (:func:`calibrate_steps`: doubled until the k
extra steps take at least ``target_seconds`` and half a 1-step call; once per width for
(11), once per run for (12)), so a step of a fraction of a millisecond is lost neither in
the timer's resolution nor in the noise of the fixed cost. Both methods run in the same process with the same BLAS threads, after
``warmup`` untimed calls each, interleaved repeat by repeat (a burst of load on a
shared machine hits both), with the widths visited in a random order (a slow drift of
the load becomes scatter, not a trend in h). The reported value is the median over
``repeats``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from typing import Any, Callable, Sequence

import numpy as np

from ._validate import as_rng, check_positive_int

__all__ = [
    "default_widths",
    "machine_description",
    "make_problem",
    "run_benchmark",
    "calibrate_steps",
    "step_times",
    "format_table",
    "main",
]


def default_widths(z: int, d: int, count: int = 8) -> list[int]:
    """``count`` widths spaced geometrically from z to d (both included), as distinct ints.

    Parameters
    ----------
    z, d : int
        Smallest and largest width, ``1 <= z <= d``.
    count : int
        Number of widths asked for (fewer come back when z and d are too close).
    """
    z = check_positive_int("z", z)
    d = check_positive_int("d", d)
    count = check_positive_int("count", count)
    if z > d:
        raise ValueError(f"z: expected z <= d, got z = {z}, d = {d}")
    return sorted({int(round(h)) for h in np.geomspace(z, d, count)})


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_description() -> dict[str, Any]:
    """What the timings ran on: OS, CPU, core count, Python, numpy and its BLAS threads.

    The BLAS entries come from ``threadpoolctl`` (installed with scikit-learn) when it
    is available.
    """
    desc: dict[str, Any] = {
        "platform": platform.platform(),
        "processor": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
    }
    try:
        from threadpoolctl import threadpool_info

        desc["blas"] = [
            {k: info.get(k) for k in ("internal_api", "version", "num_threads", "threading_layer", "architecture")}
            for info in threadpool_info()
            if info.get("user_api") == "blas"
        ]
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        desc["blas"] = "threadpoolctl not installed"
    return desc


def make_problem(
    digits: Sequence[int] = (0, 1), per_class: int = 200, sigma: float = 0.1, rng: Any = 0
) -> dict[str, Any]:
    r"""The MNIST problem of the benchmark: C of eq. (7) and its factor :math:`C = Z^\top D Z`.

    Anchors: ``per_class`` images of each digit (:func:`ssl_notes.data.mnist_digits`);
    positives :math:`x_i + \varepsilon_i`, :math:`\varepsilon_i \sim N(0, \sigma^2 I)`;
    negatives drawn from the other anchors.

    Returns
    -------
    dict with ``C`` (d, d), ``Z`` (3n, d), ``D`` (3n, 3n), ``K`` = :math:`ZZ^\top`,
    ``n`` (anchors), ``d``, ``digits``, ``sigma``
    """
    from . import data, dynamics, losses

    gen = as_rng(rng)
    X, _ = data.mnist_digits(digits, per_class, gen)
    Xp = data.gaussian_positives(X, sigma, gen)
    Xn = data.random_negatives(X, gen)
    Z, D = dynamics.output_factor(X, Xp, Xn)
    return {
        "C": losses.contrastive_matrix(X, Xp, Xn),
        "Z": Z,
        "D": D,
        "K": Z @ Z.T,
        "n": int(X.shape[0]),
        "d": int(X.shape[1]),
        "digits": [int(c) for c in digits],
        "sigma": float(sigma),
    }


def _wall(fn: Callable[[int], Any], steps: int) -> float:
    t0 = time.perf_counter()
    fn(steps)
    return time.perf_counter() - t0


def calibrate_steps(fn: Callable[[int], Any], target_seconds: float, max_steps: int = 1024) -> int:
    """How many extra steps k to time so that they stand out from the fixed cost of a call.

    With ``t1`` the time of a call with one step, k grows through powers of 2 until the
    k extra steps take ``t(1 + k) - t1 >= max(target_seconds, t1 / 2)`` or k reaches
    ``max_steps``: then neither the timer's resolution nor the noise of the fixed cost
    (input validation, which for (12) costs more than many steps) swamps them. Each try
    jumps to the power of 2 its measurement predicts (at least doubling), so a large
    fixed cost is paid only a few times.
    """
    max_steps = check_positive_int("max_steps", max_steps)
    if not np.isfinite(target_seconds) or target_seconds <= 0:
        raise ValueError(f"target_seconds: expected a positive number, got {target_seconds!r}")
    t1 = _wall(fn, 1)
    goal = max(float(target_seconds), t1 / 2)
    k = 1
    while True:
        extra = _wall(fn, 1 + k) - t1
        if extra >= goal or k >= max_steps:
            return k
        want = k * goal / extra if extra > 0.1 * goal else 8 * k  # a small extra is mostly noise
        k = min(max_steps, max(2 * k, 1 << int(np.ceil(np.log2(want)))))


def step_times(t1: Sequence[float], tk: Sequence[float], k: int) -> np.ndarray:
    r"""Per-step samples :math:`(t_{1+k,i} - \min_j t_{1,j}) / k`.

    ``t1`` are wall times of calls with 1 step, ``tk`` of calls with ``1 + k`` steps
    (same starting state). The fixed cost of a call (input validation, allocation) is
    in both and cancels. It is a fixed amount of work that interruptions by other
    processes can only lengthen, so the fastest 1-step call estimates it best; a burst
    of load during one short call then cannot spoil (or make negative) the samples.
    """
    k = check_positive_int("k", k)
    t1 = np.asarray(t1, dtype=np.float64)
    tk = np.asarray(tk, dtype=np.float64)
    if t1.ndim != 1 or tk.ndim != 1 or t1.size == 0 or tk.size == 0:
        raise ValueError(f"t1, tk: expected non-empty 1-D sequences, got shapes {t1.shape}, {tk.shape}")
    return (tk - np.min(t1)) / k


def run_benchmark(
    widths: Sequence[int] | int | None = None,
    z: int = 10,
    *,
    problem: dict[str, Any] | None = None,
    digits: Sequence[int] = (0, 1),
    per_class: int = 200,
    sigma: float = 0.1,
    repeats: int = 5,
    warmup: int = 1,
    target_seconds: float = 0.05,
    max_steps: int = 1024,
    lr: float = 0.01,
    gradient: str = "euclidean",
    threads: int | None = None,
    rng: Any = 0,
    progress: bool = False,
) -> dict[str, Any]:
    r"""Time one step of (11) at each width h and one step of (12) next to it.

    Parameters
    ----------
    widths : sequence of int, or int, optional
        Hidden widths h, each in [z, d]; an int asks for that many widths spaced
        geometrically from z to d (:func:`default_widths`); default 8 of them.
    z : int
        Embedding dimension.
    problem : dict, optional
        Output of :func:`make_problem` (built from ``digits``, ``per_class``, ``sigma``,
        ``rng`` when omitted), so that a sweep over z loads the data once.
    repeats : int
        Timed samples per width and method; the median is reported.
    warmup : int
        Untimed calls of each method per width before timing (>= 0).
    target_seconds : float
        Each timed call with ``1 + k`` steps spends at least about this long on its k
        extra steps (see :func:`calibrate_steps`, :func:`step_times`), with ``k <= max_steps``.
    lr : float
        Step size of both iterations (the time per step does not depend on it).
    gradient : {"euclidean", "grassmann"}
        Direction of (11), see :func:`ssl_notes.training.projected_gd`. The literal (11)
        is "euclidean"; "grassmann" costs one more product :math:`W(W^\top G)`.
    threads : int, optional
        Limit the BLAS threads of both methods to this number (``threadpoolctl``);
        default: leave them as they are.
    rng : int or numpy.random.Generator
        Seeds the data (when ``problem`` is None) and the Haar initialisations.
    progress : bool
        Show a tqdm progress bar on stderr.

    Returns
    -------
    dict with keys ``widths``, ``gd_step_seconds``, ``flow_step_seconds`` (medians, lists
    of equal length), ``gd_samples``, ``flow_samples`` (all repeats, one list per width),
    ``gd_steps_per_sample``, ``flow_steps_per_sample`` (the calibrated k), ``ratio``
    (median (11) / median (12)), ``z``, ``d``, ``n``, ``m`` (= rows of Z), ``repeats``,
    ``warmup``, ``gradient``, ``threads``, ``machine`` (:func:`machine_description`).
    """
    from . import dynamics, manifold, training

    z = check_positive_int("z", z)
    repeats = check_positive_int("repeats", repeats)
    max_steps = check_positive_int("max_steps", max_steps)
    if isinstance(warmup, bool) or not isinstance(warmup, (int, np.integer)) or warmup < 0:
        raise ValueError(f"warmup: expected a non-negative integer, got {warmup!r}")
    if not np.isfinite(target_seconds) or target_seconds <= 0:
        raise ValueError(f"target_seconds: expected a positive number, got {target_seconds!r}")
    if gradient not in ("euclidean", "grassmann"):
        raise ValueError(f"gradient: expected 'euclidean' or 'grassmann', got {gradient!r}")
    if threads is not None:
        threads = check_positive_int("threads", threads)
    gen = as_rng(rng)
    if problem is None:
        problem = make_problem(digits, per_class, sigma, gen)
    elif not isinstance(problem, dict) or not {"C", "Z", "D", "K"} <= set(problem):
        raise TypeError("problem: expected the dict returned by make_problem (keys C, Z, D, K)")
    C, Z, D, K = problem["C"], problem["Z"], problem["D"], problem["K"]
    d = C.shape[0]
    if z > d:
        raise ValueError(f"z: expected z <= d = {d}, got {z}")
    if widths is None or isinstance(widths, (int, np.integer)):
        widths = default_widths(z, d, 8 if widths is None else widths)
    else:
        widths = [check_positive_int("widths", h) for h in widths]
    bad = [h for h in widths if not z <= h <= d]
    if not widths or bad:
        raise ValueError(f"widths: expected non-empty widths in [z, d] = [{z}, {d}], got {list(widths)}")

    from contextlib import nullcontext

    limit = nullcontext()
    if threads is not None:
        from threadpoolctl import threadpool_limits

        limit = threadpool_limits(limits=threads, user_api="blas")

    from tqdm import tqdm  # plain text bar (the CLI writes it to stderr); no widget warning in notebooks

    widths = sorted(set(widths))
    results: dict[int, tuple[list[float], list[float], int]] = {}
    kf = None
    order = gen.permutation(len(widths))  # random order: slow drifts of load become scatter
    bar = tqdm(total=len(widths) * repeats, desc=f"benchmark z = {z}", file=sys.stderr,
               disable=not progress, leave=False)
    with limit:
        for h in (widths[i] for i in order):
            W0 = manifold.haar_orthonormal(d, h, gen)
            V0 = manifold.haar_orthonormal(h, z, gen)
            F0 = Z @ (W0 @ V0)  # shared initialisation, F0 = Z M0

            def gd(steps: int, W0=W0, V0=V0) -> Any:
                return training.projected_gd(C, W0, V0, lr, steps, gradient=gradient)

            def flow(steps: int, F0=F0) -> Any:
                return dynamics.output_flow(F0, K, D, lr, steps)

            for _ in range(warmup):
                gd(1)
                flow(1)
            kg = calibrate_steps(gd, target_seconds, max_steps)
            if kf is None:  # (12) is the same computation at every width: calibrate once
                kf = calibrate_steps(flow, target_seconds, max_steps)
            t = {key: [] for key in ("g1", "gk", "f1", "fk")}
            for _ in range(repeats):  # interleaved, so that a burst of load hits both
                t["g1"].append(_wall(gd, 1))
                t["gk"].append(_wall(gd, 1 + kg))
                t["f1"].append(_wall(flow, 1))
                t["fk"].append(_wall(flow, 1 + kf))
                bar.update(1)
            results[h] = (step_times(t["g1"], t["gk"], kg).tolist(), step_times(t["f1"], t["fk"], kf).tolist(), kg)
        machine = machine_description()  # inside the limit: records the threads used
    bar.close()
    gd_samples = [results[h][0] for h in widths]
    flow_samples = [results[h][1] for h in widths]
    gd_k = [results[h][2] for h in widths]
    gd_med = [float(np.median(s)) for s in gd_samples]
    flow_med = [float(np.median(s)) for s in flow_samples]
    return {
        "widths": [int(h) for h in widths],
        "gd_step_seconds": gd_med,
        "flow_step_seconds": flow_med,
        "ratio": [g / f for g, f in zip(gd_med, flow_med)],
        "gd_samples": gd_samples,
        "flow_samples": flow_samples,
        "gd_steps_per_sample": gd_k,
        "flow_steps_per_sample": kf,
        "z": z,
        "d": int(d),
        "n": int(problem.get("n", Z.shape[0] // 3)),
        "m": int(Z.shape[0]),
        "repeats": repeats,
        "warmup": int(warmup),
        "gradient": gradient,
        "threads": threads,
        "machine": machine,
    }


def format_table(result: dict[str, Any]) -> str:
    """A readable table of a :func:`run_benchmark` result: one row per width."""
    mach = result["machine"]
    blas = mach.get("blas")
    if isinstance(blas, list) and blas:
        threads = ", ".join(
            f"{b['internal_api']} ({b['num_threads']} thread{'' if b['num_threads'] == 1 else 's'})" for b in blas
        )
    else:
        threads = str(blas)
    lines = [
        f"time per step: projected GD (11, {result['gradient']} direction) vs output flow (12)",
        f"MNIST: n = {result['n']} anchors (m = {result['m']} points in Z), d = {result['d']}, "
        f"z = {result['z']}; median of {result['repeats']} repeats after {result['warmup']} warm-up",
        f"machine: {mach['processor']}, {mach['cpu_count']} CPUs, {threads}",
        "",
        f"{'h':>6}  {'(11) ms/step':>13}  {'(12) ms/step':>13}  {'(11)/(12)':>10}",
    ]
    for h, g, f, r in zip(result["widths"], result["gd_step_seconds"], result["flow_step_seconds"], result["ratio"]):
        lines.append(f"{h:>6}  {1e3 * g:>13.4f}  {1e3 * f:>13.4f}  {r:>10.3g}")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m ssl_notes.benchmark",
        description="Time one step of projected gradient descent (11) against one step of the "
        "output flow (12) on MNIST, for widths h from z to d.",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--quick", action="store_true", help="reduced sweep (4 widths, 3 repeats), under 30 s")
    p.add_argument("--z", type=int, default=10, help="embedding dimension (default 10)")
    p.add_argument("--widths", type=int, nargs="+", help="widths h to time (default: 8 from z to d)")
    p.add_argument("--repeats", type=int, help="timed repeats per width (default 5; 3 with --quick)")
    p.add_argument("--warmup", type=int, default=1, help="untimed calls per width and method (default 1)")
    p.add_argument("--gradient", choices=("euclidean", "grassmann"), default="euclidean",
                   help="direction of (11) (default: euclidean, the literal (11))")
    p.add_argument("--threads", type=int, default=1,
                   help="BLAS threads for both methods (default 1: on a machine shared with other "
                   "jobs, multi-threaded BLAS timings can jump tenfold; 0 leaves the threads as they are)")
    p.add_argument("--seed", type=int, default=0, help="seed of the data and initialisations")
    # Small problems for the test suite (not part of the documented interface).
    p.add_argument("--per-class", type=int, default=200, help=argparse.SUPPRESS)
    p.add_argument("--target-seconds", type=float, help=argparse.SUPPRESS)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    repeats = (3 if args.quick else 5) if args.repeats is None else args.repeats
    target = (0.02 if args.quick else 0.05) if args.target_seconds is None else args.target_seconds
    widths = (4 if args.quick else 8) if args.widths is None else args.widths
    if args.threads < 0:
        parser.error(f"--threads: expected 0 (leave as is) or a positive number, got {args.threads}")
    try:
        result = run_benchmark(
            widths, args.z, per_class=args.per_class, repeats=repeats, warmup=args.warmup,
            target_seconds=target, gradient=args.gradient, threads=args.threads or None,
            rng=args.seed, progress=True,
        )
    except (TypeError, ValueError) as exc:
        parser.error(str(exc))
    if args.json:
        print(json.dumps(result))
    else:
        print(format_table(result))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

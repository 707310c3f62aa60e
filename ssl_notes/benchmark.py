r"""Runtime of one step of every route to the dynamics (Figure 4, left, honestly).

Run ``python -m ssl_notes.benchmark`` for tables (``--json`` for one JSON object,
``--quick`` for a reduced sweep, ``--device cuda`` for a GPU through torch; ``--help``
for every option). The command line times with one BLAS thread unless told otherwise
(``--threads N``; ``--threads 0`` leaves the threads as they are): on a small machine
shared with other jobs, multi-threaded BLAS calls wait for each other and single
timings jump by an order of magnitude.

What is timed, on MNIST anchors with Gaussian positives and random negatives,
:math:`C = Z^\top DZ` from eq. (7) (:func:`ssl_notes.losses.data_matrix`): the seven
unchecked step kernels of :mod:`ssl_notes.steps` (``steps.ROUTES``), each in its
fastest correct form, so that a timing measures the step and not the input checks:
three implementations of projected gradient descent (11) (``gd_naive``, the literal
one with thin SVDs; ``gd_lowrank``, the same iterates in :math:`O(d^2z + dhz)`;
``gd_qr``, QR instead of the polar factor), the output iteration (12) on the m points
(``flow_F``), the Euler step of the flow in M (``flow_M``), the closed form at one
time point (``closed_form``; its one-off eigendecomposition is timed separately) and
one projected-GD step of the tanh two-layer network (``nonlinear_gd``).

How. A sample is the wall time of k consecutive steps from the same starting state,
divided by k, with k calibrated (:func:`calibrate_steps`) so that the k steps take at
least ``target_seconds``. Every route is timed at every width, even those in which h
does not appear (that turns one computation into a measurement of the timing noise),
all routes interleaved repeat by repeat in a rotating order (a burst of load hits
them all), with the widths visited in a random order (a drift of the load becomes
scatter, not a trend in h). The value reported is the median over ``repeats``. A
flop model of each route (:func:`ssl_notes.steps.route_flops`) is printed beside the
times, with the ratio of the measured time to the time those flops take at the rate
of a plain d x d x d matrix product measured in the same run (1 = as fast as GEMM).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from . import steps as kernels
from .timing import (
    BenchmarkProblem,
    BenchmarkResult,
    calibrate_steps,
    default_widths,
    gemm_rate,
    machine_description,
    make_problem,
    run_benchmark,
)

__all__ = [
    "BenchmarkProblem",
    "BenchmarkResult",
    "calibrate_steps",
    "default_widths",
    "gemm_rate",
    "machine_description",
    "make_problem",
    "run_benchmark",
    "format_table",
    "main",
]


def format_table(result: BenchmarkResult) -> str:
    """Tables of a :func:`run_benchmark` result: times, flops, ratio to GEMM."""
    if not isinstance(result, BenchmarkResult):
        raise TypeError(
            f"result: expected a BenchmarkResult, got {type(result).__name__}"
        )
    mach = result.machine
    blas = mach.get("blas")
    if isinstance(blas, list) and blas:
        threads = ", ".join(
            f"{b['internal_api']} ({b['num_threads']} threads)" for b in blas
        )
    else:
        threads = str(blas)
    names = list(result.routes)
    head = f"{'h':>5}" + "".join(f"{r:>13}" for r in names)
    setup = result.one_off[kernels.CLOSED_FORM_SETUP]
    lines = [
        f"one step of each route ((11): {result.gradient} direction), MNIST: "
        f"n = {result.n} anchors, m = {result.m} points, d = {result.d}, "
        f"z = {result.z}",
        f"machine: {mach['processor']}, {mach['cpu_count']} CPUs, {threads}, "
        f"device {result.device}; median of {result.repeats} repeats",
        f"plain GEMM ({result.d}^3): {result.gemm_flops_per_second / 1e9:.1f} Gflop/s; "
        f"closed form one-off eigendecomposition: {1e3 * setup['seconds']:.1f} ms "
        f"({setup['flops'] / 1e6:.0f} Mflop)",
    ]
    blocks = (
        (
            "time per step (ms)",
            lambda r: [1e3 * t for t in result.routes[r]],
            "{:>13.4g}",
        ),
        (
            "flop model (Mflop per step)",
            lambda r: [f / 1e6 for f in result.flops[r]],
            "{:>13.4g}",
        ),
        ("measured / (flops at the GEMM rate)", result.vs_gemm, "{:>13.3g}"),
    )
    for title, values, fmt in blocks:
        cols = {r: values(r) for r in names}
        lines += ["", title, head]
        for i, h in enumerate(result.widths):
            lines.append(f"{h:>5}" + "".join(fmt.format(cols[r][i]) for r in names))
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m ssl_notes.benchmark",
        description="Time one step of every route to the learning dynamics on MNIST "
        f"({', '.join(kernels.ROUTES)}) for widths h from z to d.",
    )
    add = p.add_argument
    add("--json", action="store_true", help="print one JSON object instead of tables")
    add("--quick", action="store_true", help="reduced sweep (4 widths, 3 repeats)")
    add("--z", type=int, default=10, help="embedding dimension (default 10)")
    add(
        "--widths",
        type=int,
        nargs="+",
        help="widths h to time (default: 8 from z to d)",
    )
    add(
        "--repeats",
        type=int,
        help="timed repeats per width (default 5; 3 with --quick)",
    )
    add(
        "--warmup",
        type=int,
        default=1,
        help="untimed steps per width and route (default 1)",
    )
    add(
        "--gradient",
        choices=("euclidean", "grassmann"),
        default="euclidean",
        help="direction of (11) (default: euclidean, the literal (11))",
    )
    add(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="auto",
        help="cuda: torch on the GPU; auto (default): the GPU when torch sees one",
    )
    add(
        "--threads",
        type=int,
        default=1,
        help="BLAS threads (default 1: on a machine shared with other jobs, "
        "multi-threaded BLAS timings can jump tenfold; 0 leaves the threads as "
        "they are)",
    )
    add("--seed", type=int, default=0, help="seed of the data and initialisations")
    # Small problems for the test suite (not part of the documented interface).
    add("--per-class", type=int, default=200, help=argparse.SUPPRESS)
    add("--target-seconds", type=float, help=argparse.SUPPRESS)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    repeats = (3 if args.quick else 5) if args.repeats is None else args.repeats
    target = (
        (0.02 if args.quick else 0.05)
        if args.target_seconds is None
        else args.target_seconds
    )
    widths = (4 if args.quick else 8) if args.widths is None else args.widths
    if args.threads < 0:
        parser.error(
            f"--threads: expected 0 (leave as is) or a positive number, "
            f"got {args.threads}"
        )
    try:
        result = run_benchmark(
            widths,
            args.z,
            per_class=args.per_class,
            repeats=repeats,
            warmup=args.warmup,
            target_seconds=target,
            gradient=args.gradient,
            threads=args.threads or None,
            device=args.device,
            rng=args.seed,
            progress=True,
        )
    except (TypeError, ValueError) as exc:
        parser.error(str(exc))
    print(json.dumps(result.to_dict()) if args.json else format_table(result))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

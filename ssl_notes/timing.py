r"""Timing of the step kernels of :mod:`ssl_notes.steps`: helpers, a result dataclass.

:func:`run_benchmark` times one step of every route (``steps.ROUTES``) at each
hidden width and returns a :class:`BenchmarkResult`; the command line and the tables
are in :mod:`ssl_notes.benchmark` (``python -m ssl_notes.benchmark``), whose
docstring says what is timed and how. (Over 400 lines: :func:`run_benchmark` is one
procedure, checks, interleaved loop and result, that reads best in one place; the
docstrings are a third of the module.)
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from . import steps as kernels
from ._validate import (
    as_rng,
    check_choice,
    check_flag,
    check_nonnegative_int,
    check_positive_float,
    check_positive_int,
    check_scalar,
)
from .losses import DataMatrix

__all__ = [
    "default_widths",
    "machine_description",
    "BenchmarkProblem",
    "make_problem",
    "calibrate_steps",
    "gemm_rate",
    "BenchmarkResult",
    "run_benchmark",
]


def default_widths(z: int, d: int, count: int = 8) -> list[int]:
    """``count`` distinct int widths spaced geometrically from z to d (both included).

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


def machine_description(device: str = "cpu") -> dict[str, Any]:
    """What the timings ran on: OS, CPU, cores, Python, numpy, BLAS threads, GPU.

    The BLAS entries come from ``threadpoolctl`` (installed with scikit-learn).
    ``device`` is "cpu" or "cuda".
    """
    device = check_choice("device", device, ("cpu", "cuda"))
    desc: dict[str, Any] = {
        "platform": platform.platform(),
        "processor": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "device": device,
    }
    try:
        from threadpoolctl import threadpool_info

        keys = (
            "internal_api",
            "version",
            "num_threads",
            "threading_layer",
            "architecture",
        )
        desc["blas"] = [
            {k: info.get(k) for k in keys}
            for info in threadpool_info()
            if info.get("user_api") == "blas"
        ]
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        desc["blas"] = "threadpoolctl not installed"
    if device != "cpu":
        import torch

        desc["gpu"] = torch.cuda.get_device_name(torch.device(device))
        desc["torch"] = torch.__version__
    return desc


@dataclass
class BenchmarkProblem:
    r"""What the routes need: :math:`C = Z^\top DZ` and :math:`K = ZZ^\top`.

    Attributes
    ----------
    data : DataMatrix, the m points Z (m x d) and the block pattern of D
    C : ndarray, shape (d, d)
    K : ndarray, shape (m, m)
    digits : list of int, sigma : float (how the data were drawn; informative)
    """

    data: DataMatrix
    C: np.ndarray
    K: np.ndarray
    digits: list[int] = field(default_factory=list)
    sigma: float = float("nan")

    @classmethod
    def from_data(cls, data: DataMatrix, **info: Any) -> BenchmarkProblem:
        """Build C and K from a :class:`~ssl_notes.losses.DataMatrix`."""
        if not isinstance(data, DataMatrix):
            raise TypeError(
                f"data: expected a losses.DataMatrix, got {type(data).__name__}"
            )
        Z = np.asarray(data.Z)
        return cls(data, data.C(), Z @ Z.T, **info)


def _check_data_args(digits: Any, per_class: Any, sigma: Any):
    if isinstance(digits, (str, bytes)) or not isinstance(
        digits, (list, tuple, np.ndarray)
    ):
        raise TypeError(f"digits: expected a sequence of digits 0-9, got {digits!r}")
    digits = [check_scalar("digits", c, "int", min_val=0, max_val=9) for c in digits]
    if len(digits) < 2 or len(set(digits)) != len(digits):
        raise ValueError(f"digits: expected at least two distinct digits, got {digits}")
    per_class = check_positive_int("per_class", per_class)
    sigma = check_scalar("sigma", sigma, "real", min_val=0.0)
    return digits, per_class, sigma


def make_problem(
    digits: Sequence[int] = (0, 1),
    per_class: int = 200,
    sigma: float = 0.1,
    rng: Any = 0,
) -> BenchmarkProblem:
    r"""The MNIST problem of the benchmark: ``per_class`` images of each digit.

    Positives :math:`x_i + \varepsilon_i`, :math:`\varepsilon_i \sim N(0, \sigma^2 I)`;
    negatives drawn from the other anchors; m = 3n points.
    """
    from . import data, losses

    digits, per_class, sigma = _check_data_args(digits, per_class, sigma)
    gen = as_rng(rng)
    X, _ = data.mnist_digits(digits, per_class, gen)
    Xp = data.gaussian_positives(X, sigma, gen)
    Xn = data.random_negatives(X, gen)
    dm = losses.data_matrix(X, Xp, Xn)
    return BenchmarkProblem.from_data(
        dm, digits=[int(c) for c in digits], sigma=float(sigma)
    )


def _sync(device: str) -> None:
    if device != "cpu":
        import torch

        torch.cuda.synchronize()


def _wall(fn: Callable[[int], Any], steps: int, device: str) -> float:
    t0 = time.perf_counter()
    fn(steps)
    _sync(device)
    return time.perf_counter() - t0


def calibrate_steps(
    fn: Callable[[int], Any],
    target_seconds: float,
    max_steps: int = 1024,
    device: str = "cpu",
) -> int:
    """Number of steps k per sample: doubled until ``fn(k)`` takes ``target_seconds``.

    Each try jumps to the power of 2 its measurement predicts (at least doubling),
    capped at ``max_steps``, so that neither the timer's resolution nor the overhead
    of the Python loop swamps a step of a fraction of a millisecond.
    """
    if not callable(fn):
        raise TypeError(f"fn: expected a callable fn(k), got {type(fn).__name__}")
    target_seconds = check_positive_float("target_seconds", target_seconds)
    if target_seconds > 10:
        raise ValueError(f"target_seconds: expected at most 10, got {target_seconds}")
    max_steps = check_positive_int("max_steps", max_steps)
    device = check_choice("device", device, ("cpu", "cuda"))
    k = 1
    while True:
        t = _wall(fn, k, device)
        if t >= target_seconds or k >= max_steps:
            return k
        want = k * target_seconds / max(t, 1e-9)
        k = min(max_steps, max(2 * k, 1 << int(np.ceil(np.log2(want)))))


def gemm_rate(
    d: int, device: str = "cpu", repeats: int = 5, target_seconds: float = 0.05
) -> float:
    """Flops per second of a plain d x d x d matrix product (2 d^3 flops), median.

    Parameters
    ----------
    d : int, size (at most 8192)
    device : {"cpu", "cuda", "auto"}
    repeats : int, samples (the median is returned)
    target_seconds : float, duration of one sample (see :func:`calibrate_steps`)
    """
    d = check_positive_int("d", d)
    if d > 8192:
        raise ValueError(f"d: expected at most 8192 (a GEMM of size d^3), got {d}")
    device = _resolve_device(device)
    repeats = check_positive_int("repeats", repeats)
    target_seconds = check_positive_float("target_seconds", target_seconds)
    if target_seconds > 10:
        raise ValueError(f"target_seconds: expected at most 10, got {target_seconds}")
    rng = np.random.default_rng(0)
    A, B = (_to(rng.standard_normal((d, d)), device) for _ in range(2))

    def fn(k: int) -> None:
        for _ in range(k):
            A @ B

    k = calibrate_steps(fn, target_seconds, 4096, device)
    times = [_wall(fn, k, device) / k for _ in range(repeats)]
    return 2.0 * d**3 / float(np.median(times))


def _to(A: np.ndarray, device: str) -> Any:
    if device == "cpu":
        return np.ascontiguousarray(A)
    import torch

    return torch.as_tensor(A, dtype=torch.float64, device=device)


@dataclass
class BenchmarkResult:
    """Result of :func:`run_benchmark` (``to_dict()`` for JSON).

    Attributes
    ----------
    d, z, m, n : int, input dim, embedding dim, points in Z, anchors
    widths : list of int
    routes : dict, route name -> median seconds per step at each width
    samples : dict, route name -> every sample, one list per width
    steps_per_sample : dict, route name -> calibrated k at each width
    flops : dict, route name -> flop model at each width
    gemm_flops_per_second : float, rate of a plain d x d x d product in this run
    one_off : dict, ``closed_form_setup`` -> {"seconds", "flops"}
    lr, gradient, repeats, warmup, threads, device, machine : how it was run
    """

    d: int
    z: int
    m: int
    n: int
    widths: list[int]
    routes: dict[str, list[float]]
    samples: dict[str, list[list[float]]]
    steps_per_sample: dict[str, list[int]]
    flops: dict[str, list[float]]
    gemm_flops_per_second: float
    one_off: dict[str, dict[str, float]]
    lr: float
    gradient: str
    repeats: int
    warmup: int
    threads: int | None
    device: str
    machine: dict[str, Any]

    def ratio(self, num: str, den: str) -> list[float]:
        """Median time of route ``num`` over that of ``den``, at each width."""
        return [a / b for a, b in zip(self.routes[num], self.routes[den], strict=True)]

    def vs_gemm(self, route: str) -> list[float]:
        """Measured time over the time of the route's flops at the GEMM rate."""
        rate = self.gemm_flops_per_second
        return [
            t * rate / f
            for t, f in zip(self.routes[route], self.flops[route], strict=True)
        ]

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["vs_gemm"] = {r: self.vs_gemm(r) for r in self.routes}
        return out


def _routes_at_width(P: dict[str, Any], W0, V0, lr: float, grassmann: bool):
    """(initial state, step) for each route at one width; arrays on the device."""
    C, K, Z, S = P["C"], P["K"], P["Z"], P["S"]
    M0 = W0 @ V0
    lam, Q, K0 = kernels.closed_form_setup(C, M0, eig=P["eig"])

    def gd(kernel):
        return (W0, V0), lambda s: kernel(C, s[0], s[1], lr, grassmann)[:2]

    def closed_form(t: float) -> float:
        kernels.closed_form_point(lam, Q, K0, t)
        return t + lr

    return {
        "gd_naive": gd(kernels.gd_naive_step),
        "gd_lowrank": gd(kernels.gd_lowrank_step),
        "gd_qr": gd(kernels.gd_qr_step),
        "flow_F": (Z @ M0, lambda F: kernels.flow_F_step(F, K, S, lr)[0]),
        "flow_M": (M0, lambda M: kernels.flow_M_step(C, M, lr)[0]),
        "closed_form": (0.0, closed_form),
        "nonlinear_gd": (
            (W0, V0),
            lambda s: kernels.nonlinear_gd_step(Z, S, *s, lr)[:2],
        ),
    }


def _runner(state0: Any, step: Callable[[Any], Any]) -> Callable[[int], Any]:
    def run(k: int) -> Any:  # k steps from the same starting state
        s = state0
        for _ in range(k):
            s = step(s)
        return s

    return run


def _resolve_device(device: str) -> str:
    device = check_choice("device", device, ("auto", "cpu", "cuda"))
    if device == "cpu":
        return device
    try:
        import torch

        available = torch.cuda.is_available()
    except ImportError:  # pragma: no cover - torch is a dependency
        available = False
    if device == "cuda" and not available:
        raise ValueError("device: 'cuda' asked for, but torch sees no GPU (use 'cpu')")
    return "cuda" if available else "cpu"


def run_benchmark(
    widths: Sequence[int] | int | None = None,
    z: int = 10,
    *,
    problem: BenchmarkProblem | None = None,
    digits: Sequence[int] = (0, 1),
    per_class: int = 200,
    sigma: float = 0.1,
    repeats: int = 5,
    warmup: int = 1,
    target_seconds: float = 0.05,
    max_steps: int = 1024,
    lr: float = 0.01,
    gradient: str = "euclidean",
    routes: Sequence[str] = kernels.ROUTES,
    threads: int | None = None,
    device: str = "cpu",
    rng: Any = 0,
    progress: bool = False,
) -> BenchmarkResult:
    r"""Time one step of each route of :mod:`ssl_notes.steps` at each width h.

    Parameters
    ----------
    widths : sequence of int, or int, optional
        Hidden widths h in [z, d]; an int asks for that many, geometrically spaced
        from z to d (:func:`default_widths`); default 8.
    z : int
        Embedding dimension.
    problem : BenchmarkProblem, optional
        Built by :func:`make_problem` from ``digits``, ``per_class``, ``sigma``, ``rng``
        when omitted.
    repeats : int
        Samples per width and route; the median is reported.
    warmup : int
        Untimed steps of each route per width before timing (>= 0).
    target_seconds : float
        A sample runs k consecutive steps, k <= ``max_steps`` calibrated so that they
        take at least this long (:func:`calibrate_steps`; once per run for the routes
        in which h does not appear, once per width for the others).
    lr : float
        Step size of every iteration (the time per step does not depend on it).
    gradient : {"euclidean", "grassmann"}
        Direction of the three (11) routes.
    routes : sequence of str
        Subset of ``steps.ROUTES`` to time.
    threads : int, optional
        Limit the BLAS threads (``threadpoolctl``; and torch's) to this number.
    device : {"cpu", "cuda", "auto"}
        ``"cpu"``: numpy arrays; ``"cuda"``: torch tensors on the GPU;
        ``"auto"``: the GPU when torch sees one.
    rng : int or numpy.random.Generator
        Seeds the data (when ``problem`` is None) and the Haar initialisations.
    progress : bool
        Show a tqdm progress bar on stderr.
    """
    from . import manifold

    z = check_positive_int("z", z)
    repeats = check_positive_int("repeats", repeats)
    warmup = check_nonnegative_int("warmup", warmup)
    max_steps = check_positive_int("max_steps", max_steps)
    target_seconds = check_positive_float("target_seconds", target_seconds)
    lr = check_positive_float("lr", lr)
    grassmann = (
        check_choice("gradient", gradient, ("euclidean", "grassmann")) == "grassmann"
    )
    progress = check_flag("progress", progress)
    digits, per_class, sigma = _check_data_args(digits, per_class, sigma)
    if not isinstance(routes, (list, tuple)) or not routes:
        raise TypeError(
            f"routes: expected a non-empty list of names from {kernels.ROUTES}"
        )
    routes = [check_choice("routes", r, kernels.ROUTES) for r in routes]
    routes = [r for r in kernels.ROUTES if r in routes]
    if threads is not None:
        threads = check_positive_int("threads", threads)
    device = _resolve_device(device)
    gen = as_rng(rng)
    if problem is None:
        problem = make_problem(digits, per_class, sigma, gen)
    elif not isinstance(problem, BenchmarkProblem):
        raise TypeError("problem: expected a BenchmarkProblem (see make_problem)")
    dm = problem.data
    d, m, n = dm.d, dm.m, dm.n
    if z >= d:
        raise ValueError(f"z: expected z < d = {d}, got {z}")
    if widths is None or isinstance(widths, (int, np.integer)):
        if isinstance(widths, bool):
            raise TypeError("widths: expected an int or a sequence of ints, got a bool")
        widths = default_widths(z, d, 8 if widths is None else widths)
    elif not isinstance(widths, (list, tuple, np.ndarray)):
        raise TypeError(
            f"widths: expected a sequence of ints, got {type(widths).__name__}"
        )
    else:
        widths = sorted({check_positive_int("widths", h) for h in widths})
    if not widths or any(not z <= h <= d for h in widths):
        raise ValueError(
            f"widths: expected widths in [z, d] = [{z}, {d}], got {list(widths)}"
        )

    limit = nullcontext()
    torch_threads = None
    if threads is not None:
        from threadpoolctl import threadpool_limits

        limit = threadpool_limits(limits=threads, user_api="blas")
        if device != "cpu":
            import torch

            torch_threads = torch.get_num_threads()
            torch.set_num_threads(threads)
    from tqdm import tqdm  # plain text bar on stderr; no widget warning in notebooks

    fixed = {"flow_F", "flow_M", "closed_form"}  # routes in which h does not appear
    samples = {r: {} for r in routes}
    ks: dict[str, dict[int, int]] = {r: {} for r in routes}
    order = gen.permutation(len(widths))
    bar = tqdm(
        total=len(widths) * repeats,
        desc=f"benchmark z = {z}",
        file=sys.stderr,
        disable=not progress,
        leave=False,
    )
    with limit:
        P = {
            "C": _to(problem.C, device),
            "K": _to(problem.K, device),
            "Z": _to(np.asarray(dm.Z), device),
            "S": _to(np.asarray(dm.D_blocks), device),
        }
        rate = gemm_rate(d, device)
        setup_times = []
        M00 = manifold.haar_orthonormal(d, z, gen)
        for _ in range(max(1, min(repeats, 3))):
            t0 = time.perf_counter()
            lam, Q, _ = kernels.closed_form_setup(P["C"], _to(M00, device))
            _sync(device)
            setup_times.append(time.perf_counter() - t0)
        P["eig"] = (lam, Q)
        fixed_k: dict[str, int] = {}
        for i in order:
            h = widths[i]
            W0 = _to(manifold.haar_orthonormal(d, h, gen), device)
            V0 = _to(manifold.haar_orthonormal(h, z, gen), device)
            closures = _routes_at_width(P, W0, V0, lr, grassmann)
            run = {r: _runner(*closures[r]) for r in routes}
            for r in routes:
                if warmup:
                    run[r](warmup)
                if r in fixed and r in fixed_k:
                    ks[r][h] = fixed_k[r]
                else:
                    ks[r][h] = fixed_k[r] = calibrate_steps(
                        run[r], target_seconds, max_steps, device
                    )
                samples[r][h] = []
            for rep in range(repeats):  # interleaved, rotating order
                for j in range(len(routes)):
                    r = routes[(j + rep) % len(routes)]
                    samples[r][h].append(_wall(run[r], ks[r][h], device) / ks[r][h])
                bar.update(1)
        machine = machine_description(
            device
        )  # inside the limit: records the threads used
    bar.close()
    if torch_threads is not None:
        import torch

        torch.set_num_threads(torch_threads)
    h_of = {r: [samples[r][h] for h in widths] for r in routes}
    return BenchmarkResult(
        d=int(d),
        z=z,
        m=int(m),
        n=int(n),
        widths=[int(h) for h in widths],
        routes={r: [float(np.median(s)) for s in h_of[r]] for r in routes},
        samples={r: [[float(x) for x in s] for s in h_of[r]] for r in routes},
        steps_per_sample={r: [int(ks[r][h]) for h in widths] for r in routes},
        flops={
            r: [float(kernels.route_flops(r, d, h, z, m, grassmann)) for h in widths]
            for r in routes
        },
        gemm_flops_per_second=float(rate),
        one_off={
            kernels.CLOSED_FORM_SETUP: {
                "seconds": float(np.median(setup_times)),
                "flops": float(
                    kernels.route_flops(kernels.CLOSED_FORM_SETUP, d, d, z, m)
                ),
            }
        },
        lr=lr,
        gradient=gradient,
        repeats=repeats,
        warmup=warmup,
        threads=threads,
        device=device,
        machine=machine,
    )

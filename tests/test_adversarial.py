"""Adversarial sweep over every public function of :mod:`ssl_notes` (issue 13).

Each module's ``__all__`` is walked (modules are discovered with ``pkgutil``, so new
modules join the sweep by themselves). For each function one valid call is built from
a table of example arguments by parameter name (:data:`EXAMPLES`; a few per-function
values in :data:`OVERRIDES`; two *profiles* of sizes are tried in turn, since Theorem
1's code wants a wide first layer ``W`` of shape (h, d) with h >= d). Then one
argument at a time is replaced by a bad value (:func:`mutations`): complex, string,
bool, object and NaN-containing arrays, ``True``, ``None``, NaN, a string, a
non-integer size, negative and zero sizes and tolerances, and a huge time ``t = 1e6``.
Each call is classified as

- ``clear``: a ``TypeError``/``ValueError`` whose message names the argument;
- ``unnamed``: any other exception, or one that does not name the argument;
- ``silent``: a bad value accepted (or a valid one giving a non-finite result);
- ``slow``: more than :data:`TIME_LIMIT` seconds (a ``SIGALRM`` guard stops it);
- ``valid``: a value that is genuinely valid (``None`` where it is the default, a
  zero sample count, ``t = 1e6``...) accepted with a finite result.

Under pytest one test per function runs a fixed, deterministic sample of its cases
(``SSL_NOTES_ADVERSARIAL=all`` runs them all; ``=N`` one case in N) and fails on any
unnamed error, silent acceptance or slow call that is not in the commented
allowlists below. ``python tests/test_adversarial.py --report [--all]`` prints the
counts per module and every problem.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import inspect
import io
import math
import os
import pkgutil
import re
import signal
import sys
import time
import warnings
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

import ssl_notes

TIME_LIMIT = 10.0  # seconds per call (issue 13: no call over 10 s at any valid input)
HUGE_T = 1e6

#: Functions not swept at all, with the reason.
SKIP = {
    "benchmark.main": "the command line: parses sys.argv-style strings and exits",
}
# The step kernels of issue 12 are unchecked by design (their module docstring says
# so): a timing must measure the step and nothing else. Their validated front ends are
# training.projected_gd / output_flow / euler_flow and timing.run_benchmark, which the
# sweep covers; tests/test_benchmark.py checks each kernel against a plain reference.
_UNCHECKED_KERNEL = "unchecked kernel by design (steps docstring; issue 12)"
SKIP.update({
    f"steps.{name}": _UNCHECKED_KERNEL
    for name in (
        "block_product", "gd_naive_step", "gd_lowrank_step", "gd_qr_step",
        "flow_F_step", "flow_M_step", "closed_form_setup", "closed_form_point",
        "nonlinear_gd_step",
    )
})  # fmt: skip

#: Functions whose valid call the table cannot build, with the reason.
NO_VALID_CALL: dict[str, str] = {}

#: (function, argument, mutation) whose unnamed error is accepted, with the reason.
#: Issue 13 allows "at most a handful"; every entry must say why.
UNNAMED_OK: dict[tuple[str, str, str], str] = {}

#: (function, argument, mutation) that is a genuinely valid input, with the reason
#: (beyond the general rules in :func:`_is_valid_mutation`).
VALID_CASES: dict[tuple[str, str, str], str] = {
    ("ssl_notes.glue", "name", "unknown_string"): "any non-empty key can be glued",
}

#: Arguments never mutated: any value is valid.
FREE_ARGUMENTS = {
    ("ssl_notes.glue", "variable"): "glue records any object",
    ("activations.get_activation", "argname"): "the name its errors use; any string",
    ("batched_gd.check_work", "what"): "the description its error uses; any string",
}

# Names whose zero is a genuinely valid value (a count that may be 0, a noise level).
ZERO_OK = {
    "rng", "seed", "test_per_class", "warmup", "noise", "sigma", "s", "x_norm", "t",
    "order", "K", "rcond", "work",
}  # fmt: skip
# Names whose None is genuinely valid even where the default is not None.
NONE_OK = {"rng", "threads", "device"}
# Real-valued names that must be > 0 (tolerances, steps, radii, scales).
POSITIVE = {
    "rtol", "atol", "tol", "lr", "lr0", "radius", "power", "max_norm",
    "lengthscale", "max_step", "delta", "target_seconds", "scale_in",
    "scale_out", "width", "height",
}  # fmt: skip
# Real-valued names that must be >= 0.
NONNEGATIVE = {"sigma", "noise", "s", "x_norm", "K", "rcond"}
TIME_NAMES = {"t"}

# ------------------------------------------------------------------ example arguments


def _sym(d: int, seed: int = 1) -> np.ndarray:
    """A symmetric d x d matrix with two negative eigenvalues, well separated."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    lam = np.linspace(-2.0, 1.5, d)
    return (Q * lam) @ Q.T


def _orth(m: int, k: int, seed: int) -> np.ndarray:
    Q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((m, k)))
    return Q


def _randn(*shape: int, seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def _net(activation: str, d: int = 4, h: int = 8, z: int = 2):
    from ssl_notes import models

    return models.two_layer_net(d, h, z, activation=activation, rng=0)


def _torch(A: np.ndarray):
    import torch

    return torch.as_tensor(A)


_PROBLEM: dict[str, Any] = {}


def _problem():
    """A small benchmark problem (cached: it loads MNIST)."""
    if "p" not in _PROBLEM:
        from ssl_notes import benchmark

        _PROBLEM["p"] = benchmark.make_problem(per_class=5)
    return _PROBLEM["p"]


def _contrastive_data():
    from ssl_notes import batched_gd

    return batched_gd.contrastive_data(
        _randn(12, 4, seed=10), _randn(12, 4, seed=11), _randn(12, 4, seed=12)
    )


def _closed_form_parts():
    from ssl_notes import steps

    return steps.closed_form_setup(_sym(4), _orth(4, 2, 2))


def _benchmark_kwargs() -> dict[str, Any]:
    return dict(
        widths=(4,), z=2, problem=_problem(), repeats=1, warmup=0,
        target_seconds=0.001, max_steps=2, threads=1, progress=False,
    )  # fmt: skip


def _benchmark_result():
    from ssl_notes import benchmark

    return benchmark.run_benchmark(**_benchmark_kwargs())


def _standard() -> dict[str, Callable[[], Any]]:
    """d = 4, h = 3, z = 2; W of shape (d, h); n = 12 points; m = 6."""
    d, h, z, n = 4, 3, 2, 12
    return {
        "C": lambda: _sym(d),
        "M0": lambda: _orth(d, z, 2),
        "M": lambda: _orth(d, z, 2),
        "W": lambda: _orth(d, h, 4),
        "W0": lambda: _orth(d, h, 4),
        "V": lambda: _orth(h, z, 5),
        "V0": lambda: _orth(h, z, 5),
        "G": lambda: _randn(d, h),
        "Y": lambda: _randn(d, z),
        "A": lambda: _randn(d, z, seed=6),
        "B": lambda: _randn(d, z, seed=7),
        "F": lambda: _randn(n, z),
        "F0": lambda: _orth(6, z, 8),
        "D": lambda: _sym(6, seed=9),
        "Theta": lambda: _randn(5, 5, z, z),
        "X": lambda: _randn(n, d, seed=10),
        "X_pos": lambda: _randn(n, d, seed=11),
        "X_neg": lambda: _randn(n, d, seed=12),
        "X1": lambda: _randn(5, d, seed=13),
        "X2": lambda: _randn(3, d, seed=14),
        "Omega": lambda: _randn(d, 8, seed=15),
        "b": lambda: np.linspace(0.0, 6.0, 8),
        "x": lambda: np.array([1.0, 2.0, 4.0, 8.0]),
        "y": lambda: np.array([1.0, 0.6, 0.26, 0.13]),
        "t1": lambda: [0.1, 0.2, 0.15],
        "tk": lambda: [0.5, 0.9, 0.7],
        "t": lambda: 0.5,
        "z": lambda: z,
        "h": lambda: h,
        "d": lambda: d,
        "m": lambda: d,
        "k": lambda: z,
        "n": lambda: 10,
        "count": lambda: 3,
        "n_features": lambda: 8,
        "order": lambda: 1,
        "quad_points": lambda: 20,
        "steps": lambda: 3,
        "epochs": lambda: 2,
        "per_class": lambda: 5,
        "test_per_class": lambda: 2,
        "digits": lambda: (0, 1),
        "widths": lambda: (8,),
        "seeds": lambda: (0,),
        "activations": lambda: ("tanh",),
        "repeats": lambda: 1,
        "warmup": lambda: 0,
        "max_steps": lambda: 2,
        "threads": lambda: 1,
        "rng": lambda: 0,
        "seed": lambda: 0,
        "lr": lambda: 0.01,
        "lr0": lambda: 0.1,
        "delta": lambda: 0.1,
        "s": lambda: 0.5,
        "K": lambda: 2.0,
        "x_norm": lambda: 1.0,
        "sigma": lambda: 0.1,
        "noise": lambda: 0.1,
        "target_seconds": lambda: 0.001,
        "max_norm": lambda: 1e6,
        "radius": lambda: 1.0,
        "radii": lambda: (1.0, 1.0),
        "constraint": lambda: "frobenius",
        "activation": lambda: "tanh",
        "activation_name": lambda: "tanh",
        "name": lambda: "tanh",
        "f": lambda: lambda A: A[:, :2] * 1.0,
        "fn": lambda: lambda k: None,
        "net": lambda: _net("tanh"),
        "model": lambda: _net("tanh"),
        "net_nl": lambda: _net("tanh"),
        "net_lin": lambda: _net("identity"),
        "problem": _problem,
        "result": _benchmark_result,
        "S": lambda: _sym(3, seed=16),  # the k x k pattern of D = S (x) I_n
        "Z": lambda: _randn(n, d, seed=17),
        "route": lambda: "gd_naive",
        "data": _contrastive_data,
        "nets": lambda: [_net("tanh"), _net("tanh")],
        "runs": lambda: 2,
        "device": lambda: "cpu",
        "work": lambda: 1000,
        "what": lambda: "a test run",
        "record": lambda: False,
        "progress": lambda: False,
        "variable": lambda: 1.5,
    }


def _wide() -> dict[str, Callable[[], Any]]:
    """Theorem 1's orientation: W of shape (h, d) with h = 8 >= d = 4, V (h, z)."""
    ex = _standard()
    ex.update(
        W=lambda: _orth(8, 4, 4), V=lambda: _randn(8, 2), h=lambda: 8,
        A=lambda: _torch(_randn(4, 3, seed=6)),
    )  # fmt: skip
    return ex


PROFILES: dict[str, Callable[[], dict[str, Callable[[], Any]]]] = {
    "standard": _standard,
    "wide": _wide,
}

#: Per-function example arguments that the name table cannot give.
OVERRIDES: dict[str, dict[str, Callable[[], Any]]] = {
    "output_flow": {"K": lambda: np.eye(6)},
    "ssl_notes.glue": {"name": lambda: "adversarial_key", "display": lambda: False},
}
OVERRIDES["run_benchmark"] = {
    "widths": lambda: (4,),
    "z": lambda: 2,
    "repeats": lambda: 1,
    "warmup": lambda: 0,
    "target_seconds": lambda: 0.001,
    "max_steps": lambda: 2,
    "threads": lambda: 1,
}  # fmt: skip (no ``problem``: digits, per_class and sigma build it, and are swept)
OVERRIDES["get_activation"] = {"argname": lambda: "name"}
OVERRIDES["flow_F_step"] = {"K": lambda: np.eye(12)}
OVERRIDES["closed_form_point"] = {
    "lam": lambda: _closed_form_parts()[0],
    "Q": lambda: _closed_form_parts()[1],
    "K0": lambda: _closed_form_parts()[2],
}
OVERRIDES["gemm_rate"] = {"repeats": lambda: 1, "target_seconds": lambda: 0.001}
OVERRIDES["check_tensor"] = {"x": lambda: _torch(_randn(4, 3)), "name": lambda: "x"}


def _chapter_tables() -> list[Any]:
    """The sweep tables of the chapter machinery (``ssl_notes.experiments``): each
    ``tests/experiments/sweep_<chapter>.py`` may define OVERRIDES, SKIP,
    NO_VALID_CALL, UNNAMED_OK, VALID_CASES and FREE_ARGUMENTS for its own module
    (keys ``experiments.<chapter>.<function>``), merged into the tables above."""
    import importlib.util
    from pathlib import Path

    tables = []
    for path in sorted((Path(__file__).parent / "experiments").glob("sweep_*.py")):
        spec = importlib.util.spec_from_file_location(f"_adv_{path.stem}", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        tables.append(mod)
    return tables


for _table in _chapter_tables():
    for _name, _target in [
        ("OVERRIDES", OVERRIDES),
        ("SKIP", SKIP),
        ("NO_VALID_CALL", NO_VALID_CALL),
        ("UNNAMED_OK", UNNAMED_OK),
        ("VALID_CASES", VALID_CASES),
        ("FREE_ARGUMENTS", FREE_ARGUMENTS),
    ]:
        _target.update(getattr(_table, _name, {}))

# ------------------------------------------------------------------------ discovery


def module_names() -> list[str]:
    names = [
        m.name
        for m in pkgutil.walk_packages(ssl_notes.__path__, "ssl_notes.")
        if not any(part.startswith("_") for part in m.name.split("."))
    ]
    return ["ssl_notes"] + sorted(names)


def _key(modname: str, name: str) -> str:
    return f"ssl_notes.{name}" if modname == "ssl_notes" else f"{modname[10:]}.{name}"


def public_functions() -> tuple[dict[str, Callable], dict[str, str]]:
    """Every function in a module's ``__all__`` (once, under its defining module when
    it is re-exported), and the modules that failed to import."""
    funcs: dict[str, Callable] = {}
    seen: dict[int, str] = {}
    broken: dict[str, str] = {}
    for modname in module_names():
        try:
            mod = importlib.import_module(modname)
        except Exception as exc:  # a module being restructured
            broken[modname] = f"{type(exc).__name__}: {exc}"
            continue
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name, None)
            if not inspect.isfunction(obj):
                continue
            key = _key(modname, name)
            if id(obj) in seen:  # a re-export: keep the defining module's name
                if obj.__module__ == modname:
                    del funcs[seen[id(obj)]]
                else:
                    continue
            seen[id(obj)] = key
            funcs[key] = obj
    return funcs, broken


# ------------------------------------------------------------------------ mutations


class _NoValue:
    """Marks a parameter without an example (its default is used, not mutated)."""


def _kind(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, (bool, np.bool_)):
        return "flag"
    if isinstance(value, str):
        return "choice"
    if isinstance(value, (int, np.integer)):
        return "int"
    if isinstance(value, (float, np.floating)):
        return "real"
    if isinstance(value, np.ndarray):
        return "array"
    if type(value).__module__.startswith("torch") and hasattr(value, "dtype"):
        return "tensor"
    if isinstance(value, (tuple, list)):
        if value and all(isinstance(v, str) for v in value):
            return "choices"
        numbers = (int, float, np.integer, np.floating)
        if all(isinstance(v, numbers) and not isinstance(v, bool) for v in value):
            return "sequence"
        return "object"  # e.g. a list of networks
    if callable(value):
        return "callable"
    return "object"


def _arrays(valid: Any) -> dict[str, Any]:
    a = np.array(valid, dtype=float, ndmin=1)
    if a.size == 0:  # an empty sequence: mutate a one-element one
        a = np.ones(1)
    nan = a.copy()
    nan.flat[0] = np.nan
    return {
        "complex_array": a + 1j,
        "string_array": a.astype(str),
        "bool_array": np.ones(a.shape, dtype=bool),
        "object_array": a.astype(object),
        "nan_array": nan,
    }


def mutations(name: str, valid: Any) -> dict[str, Any]:
    """The bad (and the borderline valid) values tried for argument ``name``."""
    kind = _kind(valid)
    common = {"bool_scalar": True, "none": None, "nan_scalar": math.nan}
    out: dict[str, Any] = {}
    if kind in ("array", "real", "int", "sequence"):
        out.update(_arrays(valid))
        out.update(common)
        out["string_scalar"] = "1"
        out["complex_scalar"] = 1 + 1j
    if kind == "tensor":
        import torch

        nan = valid.clone()
        nan.view(-1)[0] = math.nan
        out.update(
            complex_tensor=valid.to(torch.complex128), bool_tensor=valid > 0,
            nan_tensor=nan, **common,
        )  # fmt: skip
    if kind == "int":
        out.update(float_for_int=2.5, negative=-1, zero=0)
    if kind == "real" and name in POSITIVE | NONNEGATIVE:
        out.update(negative=-1.0, zero=0.0)
    if name in TIME_NAMES:
        out.update(negative=-1.0, huge_t=HUGE_T)
    if kind == "flag":
        out.update(
            string_scalar="yes", none=None, nan_scalar=math.nan, complex_scalar=1j
        )
    if kind == "choice":
        out.update(common, unknown_string="no-such-choice", complex_scalar=1j)
        out["string_array"] = np.array([valid])
    if kind == "choices":
        out.update(common, unknown_string=("no-such-choice",), string_scalar=valid[0])
    if kind in ("callable", "object"):
        out.update(common, string_scalar="x")
    if kind == "none":
        out.update(bool_scalar=True, nan_scalar=math.nan, string_scalar="x")
    return out


def _is_valid_mutation(key: str, name: str, mutation: str, param: Any) -> bool:
    """Whether a mutated value is genuinely valid (then it must give a finite result
    or a clear error; an invalid one must give a clear error)."""
    if (key, name, mutation) in VALID_CASES:
        return True
    if mutation == "none":
        if param is None:
            return False
        optional = "None" in str(param.annotation) or "Optional" in str(
            param.annotation
        )
        return param.default is None or optional or name in NONE_OK
    if mutation == "zero":
        return name in ZERO_OK
    if mutation == "huge_t":
        return True
    return False


# ------------------------------------------------------------------------ one call


class _SlowCall(BaseException):
    """Raised by the SIGALRM guard (a BaseException: ``except Exception`` in the
    code under test does not swallow it)."""


def _on_alarm(signum, frame):
    raise _SlowCall


def _finite(obj: Any, depth: int = 0) -> bool:
    if depth > 4 or obj is None or isinstance(obj, (str, bytes, bool)):
        return True
    if isinstance(obj, (int, float, complex, np.number)):
        return bool(np.isfinite(obj))
    if isinstance(obj, np.ndarray):
        return obj.dtype.kind not in "fc" or bool(np.all(np.isfinite(obj)))
    if type(obj).__module__.startswith("torch") and hasattr(obj, "isfinite"):
        return bool(obj.isfinite().all()) if obj.dtype.is_floating_point else True
    if isinstance(obj, dict):
        return all(_finite(v, depth + 1) for v in obj.values())
    if isinstance(obj, (tuple, list)):
        return all(_finite(v, depth + 1) for v in obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return all(
            _finite(getattr(obj, f.name), depth + 1) for f in dataclasses.fields(obj)
        )
    return True


def call_guarded(fn: Callable, kwargs: dict[str, Any]) -> tuple[str, Any, float]:
    """Run ``fn(**kwargs)`` with a time guard, quietly. Returns (outcome, value or
    exception, seconds) with outcome "returned", "raised" or "slow"."""
    use_alarm = hasattr(signal, "setitimer") and _in_main_thread()
    if use_alarm:
        old = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT)
    start = time.perf_counter()
    try:
        with (
            warnings.catch_warnings(),
            np.errstate(all="ignore"),
            contextlib.redirect_stdout(io.StringIO()),
            contextlib.redirect_stderr(io.StringIO()),
        ):
            warnings.simplefilter("ignore")
            value = fn(**kwargs)
        outcome = "returned"
    except _SlowCall:
        outcome, value = "slow", None
    except Exception as exc:  # noqa: BLE001 - classifying every error is the point
        outcome, value = "raised", exc
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
        _close_figures()
    seconds = time.perf_counter() - start
    if seconds > TIME_LIMIT:
        outcome = "slow"
    return outcome, value, seconds


def _in_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _close_figures() -> None:
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def names_argument(exc: BaseException, name: str) -> bool:
    """Whether the message names the argument (as a word: ``X`` is not ``X_pos``)."""
    return (
        re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", str(exc))
        is not None
    )


# ------------------------------------------------------------------------ the sweep


@dataclasses.dataclass
class Case:
    key: str
    arg: str
    mutation: str
    outcome: str  # clear, unnamed, silent, slow, valid
    detail: str = ""
    seconds: float = 0.0

    @property
    def id(self) -> str:
        return f"{self.key}:{self.arg}:{self.mutation}"


def _parameters(fn: Callable) -> list[inspect.Parameter]:
    kinds = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return [p for p in inspect.signature(fn).parameters.values() if p.kind not in kinds]


def valid_call(key: str, fn: Callable) -> tuple[dict[str, Any] | None, str]:
    """Build keyword arguments for one valid call, trying each profile in turn.

    Returns (factories by argument name, "") or (None, why no valid call was found).
    An argument with no example keeps its default (and is mutated from it)."""
    short = key.split(".", 1)[1]
    reasons = []
    for pname, profile in PROFILES.items():
        table = profile()
        table.update(OVERRIDES.get(key, {}))
        table.update(OVERRIDES.get(short, {}))
        factories: dict[str, Any] = {}
        missing = []
        for p in _parameters(fn):
            if p.name in table:
                factories[p.name] = table[p.name]
            elif p.default is not inspect.Parameter.empty:
                factories[p.name] = lambda v=p.default: v
            else:
                missing.append(p.name)
        if missing:
            reasons.append(f"{pname}: no example for {missing}")
            continue
        outcome, value, _ = call_guarded(fn, {k: f() for k, f in factories.items()})
        if outcome == "returned" and _finite(value):
            return factories, ""
        reasons.append(f"{pname}: {outcome} {_describe(value)}")
    return None, "; ".join(reasons)


def _describe(value: Any) -> str:
    if isinstance(value, BaseException):
        return f"{type(value).__name__}: {str(value)[:160]}"
    finite = "" if _finite(value) else ", non-finite"
    return f"(returned {type(value).__name__}{finite})"


def _sample_every() -> int:
    env = os.environ.get("SSL_NOTES_ADVERSARIAL", "")
    if env == "all":
        return 1
    return int(env) if env.isdigit() and int(env) > 0 else DEFAULT_SAMPLE_EVERY


#: In CI one case in this many runs (chosen by a hash of the case id: the same cases
#: on every run); the base call of every function always runs.
DEFAULT_SAMPLE_EVERY = 1


def _selected(case_id: str, every: int) -> bool:
    return every == 1 or zlib.crc32(case_id.encode()) % every == 0


def sweep_function(key: str, fn: Callable, every: int = 1) -> Iterator[Case]:
    """Yield one classified :class:`Case` per (argument, mutation) selected."""
    factories, why = valid_call(key, fn)
    if factories is None:
        yield Case(key, "-", "valid_call", "novalid", why)
        return
    params = {p.name: p for p in _parameters(fn)}
    for arg, factory in factories.items():
        if (key, arg) in FREE_ARGUMENTS:
            continue
        for mutation, bad in mutations(arg, factory()).items():
            case_id = f"{key}:{arg}:{mutation}"
            if not _selected(case_id, every):
                continue
            kwargs = {k: f() for k, f in factories.items()}
            kwargs[arg] = bad
            outcome, value, seconds = call_guarded(fn, kwargs)
            valid = _is_valid_mutation(key, arg, mutation, params.get(arg))
            yield Case(
                key,
                arg,
                mutation,
                _classify(outcome, value, arg, valid),
                _describe(value),
                seconds,
            )


def _classify(outcome: str, value: Any, arg: str, valid: bool) -> str:
    if outcome == "slow":
        return "slow"
    if outcome == "returned":
        return "valid" if valid and _finite(value) else "silent"
    if isinstance(value, (TypeError, ValueError)) and names_argument(value, arg):
        return "clear"
    return "unnamed"


def problems(cases: list[Case]) -> list[Case]:
    """The cases the sweep fails on (allowlisted unnamed errors excepted)."""
    bad = []
    for c in cases:
        if c.outcome in ("clear", "valid"):
            continue
        if c.outcome == "unnamed" and (c.key, c.arg, c.mutation) in UNNAMED_OK:
            continue
        if c.outcome == "novalid" and c.key in NO_VALID_CALL:
            continue
        bad.append(c)
    return bad


# ------------------------------------------------------------------------ pytest

FUNCTIONS, BROKEN = public_functions()


def _pytest_params():
    import pytest

    return [
        pytest.param(k, marks=pytest.mark.skip(reason=SKIP[k])) if k in SKIP else k
        for k in FUNCTIONS
    ]


try:
    import pytest
except ImportError:  # pragma: no cover - script mode without pytest
    pytest = None

if pytest is not None:

    def test_every_module_imports():
        assert not BROKEN, f"modules that do not import: {BROKEN}"

    def test_allowlists_name_existing_functions():
        listed = set(SKIP) | set(NO_VALID_CALL) | {k[0] for k in UNNAMED_OK}
        listed |= {k[0] for k in VALID_CASES} | {k[0] for k in FREE_ARGUMENTS}
        stale = sorted(listed - set(FUNCTIONS))
        assert not stale, (
            f"allowlist entries for functions that no longer exist: {stale}"
        )

    @pytest.mark.parametrize("key", _pytest_params())
    def test_adversarial_sweep(key):
        cases = list(sweep_function(key, FUNCTIONS[key], _sample_every()))
        bad = problems(cases)
        lines = [f"{c.arg}={c.mutation}: {c.outcome} {c.detail}" for c in bad]
        assert not bad, f"{key}: {len(bad)} of {len(cases)} cases fail:\n" + "\n".join(
            lines
        )


# ------------------------------------------------------------------------ script mode


def report(
    every: int = 1, only: str | None = None, verbose: bool = True, valid: bool = False
) -> int:
    """Print counts per module and every problem; return the number of problems."""
    per_module: dict[str, Counter] = defaultdict(Counter)
    all_bad: list[Case] = []
    start = time.perf_counter()
    for key, fn in FUNCTIONS.items():
        if key in SKIP or (only and not key.startswith(only)):
            continue
        cases = list(sweep_function(key, fn, every))
        mod = key.rsplit(".", 1)[0]
        per_module[mod].update(c.outcome for c in cases)
        per_module[mod]["cases"] += len(cases)
        all_bad += problems(cases)
        if valid:
            for c in cases:
                if c.outcome == "valid":
                    print(f"  valid: {c.key}({c.arg}={c.mutation}) {c.seconds:.2f} s")
    cols = ["cases", "clear", "valid", "unnamed", "silent", "slow", "novalid"]
    print(f"{'module':<16}" + "".join(f"{c:>9}" for c in cols))
    total: Counter = Counter()
    for mod in sorted(per_module):
        total.update(per_module[mod])
        print(f"{mod:<16}" + "".join(f"{per_module[mod][c]:>9}" for c in cols))
    print(f"{'total':<16}" + "".join(f"{total[c]:>9}" for c in cols))
    print(
        f"[{time.perf_counter() - start:.1f} s; one case in {every}; "
        f"broken modules: {BROKEN or 'none'}]"
    )
    if verbose and all_bad:
        print("\nproblems:")
        for c in all_bad:
            print(f"  {c.key}({c.arg}={c.mutation}): {c.outcome} {c.detail}")
    return len(all_bad)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--report", action="store_true", help="run the sweep, print counts"
    )
    parser.add_argument(
        "--all", action="store_true", help="every case, not the CI sample"
    )
    parser.add_argument("--every", type=int, default=None, help="one case in N")
    parser.add_argument("--only", default=None, help="functions whose key starts so")
    parser.add_argument("--quiet", action="store_true", help="counts only")
    parser.add_argument("--valid", action="store_true", help="list valid inputs too")
    args = parser.parse_args()
    every = 1 if args.all else (args.every or DEFAULT_SAMPLE_EVERY)
    n_bad = report(every, args.only, verbose=not args.quiet, valid=args.valid)
    sys.exit(1 if n_bad else 0)

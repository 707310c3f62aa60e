"""Input validation shared by every module of :mod:`ssl_notes`: the one layer.

Each helper raises a ``TypeError`` (wrong kind of object) or ``ValueError``
(right kind, wrong value) whose message names the argument and says what was
expected, so that a bad call fails loudly instead of broadcasting into a
silently wrong answer. In the spirit of scikit-learn's ``check_scalar``:

- scalars: :func:`check_scalar` (type, bounds, finiteness; a ``bool`` is never a
  number), with the shorthands :func:`check_positive_int`,
  :func:`check_nonnegative_int`, :func:`check_positive_float` and
  :func:`check_tolerance` (finite and > 0: NaN tolerances are rejected);
- arrays: :func:`as_array` / :func:`as_matrix` (real numeric dtype only: complex,
  bool, string and object arrays are a ``TypeError``; finite entries),
  :func:`check_symmetric`, :func:`check_orthonormal_columns`,
  :func:`check_same_shape`;
- times: :func:`check_times` (a scalar or a 1-D array of finite times >= 0);
- the flow's inputs: :func:`check_C_M0` and :func:`check_factors`;
- choices: :func:`check_choice`; randomness: :func:`as_rng`.

The module is private (its name starts with an underscore) but its functions are
the package's public validation vocabulary: every module imports them from here.

Over 400 lines because it is the one validation vocabulary of the package (scalars,
tolerances, times, arrays, C/M0/factors, tensors and devices): keeping every check in
one module is what lets the others import them instead of re-implementing them.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "as_rng",
    "as_array",
    "as_matrix",
    "check_scalar",
    "check_positive_int",
    "check_nonnegative_int",
    "check_positive_float",
    "check_tolerance",
    "check_choice",
    "check_times",
    "check_symmetric",
    "check_orthonormal_columns",
    "check_same_shape",
    "check_C_M0",
    "check_factors",
]

_REAL_KINDS = "iuf"  # signed int, unsigned int, float
_KIND_NAMES = {
    "b": "bool",
    "c": "complex",
    "U": "string",
    "S": "bytes",
    "O": "object",
    "M": "datetime",
    "m": "timedelta",
    "V": "void",
}


def _is_bool(value: Any) -> bool:
    return isinstance(value, (bool, np.bool_))


def check_flag(name: str, value: Any) -> bool:
    """A boolean switch: ``True`` or ``False`` only (not None, 0/1 or a string).

    NumPy booleans are accepted and returned as a Python ``bool``.
    """
    if not _is_bool(value):
        raise TypeError(f"{name}: expected True or False, got {value!r}")
    return bool(value)


def as_rng(rng: Any) -> np.random.Generator:
    """Return a ``numpy.random.Generator`` from a seed, a generator or ``None``.

    ``None`` gives a generator seeded with 0, so that nothing in the book is
    random unless asked to be: every call is reproducible by default.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng(0)
    if _is_bool(rng):
        raise TypeError(
            "rng: expected an int seed, a numpy.random.Generator or None, got a bool"
        )
    if isinstance(rng, numbers.Integral):
        if int(rng) < 0:
            raise ValueError(f"rng: a seed must be non-negative, got {rng}")
        return np.random.default_rng(int(rng))
    raise TypeError(
        "rng: expected an int seed, a numpy.random.Generator or None, "
        f"got {type(rng).__name__}"
    )


# ----------------------------------------------------------------------------- scalars


def check_scalar(
    name: str,
    value: Any,
    kind: str = "real",
    *,
    min_val: float | None = None,
    max_val: float | None = None,
    include_min: bool = True,
    include_max: bool = True,
    allow_none: bool = False,
) -> Any:
    """Check a scalar argument and return it as a Python ``int`` or ``float``.

    Parameters
    ----------
    name : str
        Argument name used in error messages.
    value : object
        The input. ``bool`` is rejected (``True`` is not the number 1 here), so
        are strings, complex numbers, arrays of size other than one-element-0-D,
        NaN and infinities.
    kind : {"real", "int"}
        ``"int"`` requires an integer (``numbers.Integral``; a float such as 3.0
        is rejected) and returns ``int``; ``"real"`` accepts any real number and
        returns ``float``.
    min_val, max_val : float, optional
        Bounds; ``include_min`` / ``include_max`` say whether they are allowed.
    allow_none : bool
        Return ``None`` for ``None`` instead of raising.
    """
    if value is None:
        if allow_none:
            return None
        raise TypeError(f"{name}: expected a {_kind_word(kind)}, got None")
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if _is_bool(value):
        raise TypeError(
            f"{name}: expected a {_kind_word(kind)}, got a bool ({value!r})"
        )
    if kind == "int":
        if not isinstance(value, numbers.Integral):
            raise TypeError(
                f"{name}: expected an integer, got {type(value).__name__} ({value!r})"
            )
        out: Any = int(value)
    elif kind == "real":
        if not isinstance(value, numbers.Real):
            raise TypeError(
                f"{name}: expected a real number, "
                f"got {type(value).__name__} ({value!r})"
            )
        out = float(value)
        if not np.isfinite(out):
            raise ValueError(f"{name}: expected a finite number, got {value!r}")
    else:  # pragma: no cover - programming error inside the package
        raise ValueError(f"check_scalar: unknown kind {kind!r}")
    if min_val is not None:
        bad = out < min_val if include_min else out <= min_val
        if bad:
            op = ">=" if include_min else ">"
            raise ValueError(f"{name}: expected a value {op} {min_val}, got {value!r}")
    if max_val is not None:
        bad = out > max_val if include_max else out >= max_val
        if bad:
            op = "<=" if include_max else "<"
            raise ValueError(f"{name}: expected a value {op} {max_val}, got {value!r}")
    return out


def _kind_word(kind: str) -> str:
    return "integer" if kind == "int" else "real number"


def check_positive_int(name: str, value: Any) -> int:
    """Return ``value`` as an ``int`` after checking that it is an integer >= 1."""
    if _is_bool(value) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: expected a positive integer, got {value!r}")
    if int(value) <= 0:
        raise ValueError(f"{name}: expected a positive integer, got {value}")
    return int(value)


def check_nonnegative_int(name: str, value: Any) -> int:
    """Return ``value`` as an ``int`` after checking that it is an integer >= 0."""
    if _is_bool(value) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: expected a non-negative integer, got {value!r}")
    if int(value) < 0:
        raise ValueError(f"{name}: expected a non-negative integer, got {value}")
    return int(value)


def check_positive_float(name: str, value: Any, allow_none: bool = False) -> Any:
    """Return ``value`` as a finite ``float`` > 0 (or ``None`` if allowed)."""
    return check_scalar(
        name, value, "real", min_val=0.0, include_min=False, allow_none=allow_none
    )


def check_tolerance(name: str, value: Any) -> float:
    """A tolerance: a finite float > 0. NaN, 0, negative and bool are rejected."""
    return check_scalar(name, value, "real", min_val=0.0, include_min=False)


def check_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    """Return ``value`` after checking that it is one of the strings ``choices``."""
    if not isinstance(value, str):
        raise TypeError(
            f"{name}: expected one of {tuple(choices)}, got {type(value).__name__}"
        )
    if value not in choices:
        raise ValueError(f"{name}: expected one of {tuple(choices)}, got {value!r}")
    return value


# ------------------------------------------------------------------------------ arrays


def check_callable(name: str, value: Any, allow_none: bool = True) -> Any:
    """Return ``value`` if it is callable (or None, where ``allow_none``)."""
    if value is None and allow_none:
        return None
    if not callable(value):
        raise TypeError(
            f"{name} must be callable{' or None' if allow_none else ''}, "
            f"got {type(value).__name__}"
        )
    return value


def _dtype_kind(A: Any) -> tuple[str, str]:
    """Return (numpy kind character, readable dtype name) of an array-like."""
    if hasattr(A, "detach") and hasattr(A, "dtype") and hasattr(A, "cpu"):  # torch
        dt = A.dtype
        if getattr(dt, "is_complex", False):
            return "c", str(dt)
        if str(dt) == "torch.bool":
            return "b", str(dt)
        return ("f" if dt.is_floating_point else "i"), str(dt)
    arr = np.asarray(A)
    return arr.dtype.kind, str(arr.dtype)


def as_array(name: str, A: Any, ndim: int | None = None) -> np.ndarray:
    """Convert ``A`` to a finite, non-empty float64 array.

    Parameters
    ----------
    name : str
        Argument name used in error messages.
    A : array_like or torch.Tensor
        The input. Only real numeric dtypes are accepted: bool, complex, string
        and object arrays raise ``TypeError`` (numpy would otherwise cast
        ``"1.5"`` to 1.5, ``True`` to 1.0 and drop imaginary parts with only a
        warning). A torch tensor is copied to a numpy array.
    ndim : int, optional
        Required number of dimensions.
    """
    if A is None:
        raise TypeError(f"{name}: expected an array, got None")
    if isinstance(A, (str, bytes)):
        raise TypeError(f"{name}: expected a numeric array, got {type(A).__name__}")
    try:
        kind, dtname = _dtype_kind(A)
    except (TypeError, ValueError) as exc:  # ragged nested lists and the like
        raise TypeError(
            f"{name}: expected a numeric array, got {type(A).__name__} ({exc})"
        ) from exc
    if kind not in _REAL_KINDS:
        raise TypeError(
            f"{name}: expected a real numeric array, got dtype {dtname} "
            f"({_KIND_NAMES.get(kind, kind)})"
        )
    if hasattr(A, "detach") and hasattr(A, "cpu"):  # a torch tensor
        A = A.detach().cpu().numpy()
    arr = np.asarray(A, dtype=np.float64)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name}: expected a {ndim}-D array, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name}: expected a non-empty array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: contains NaN or infinite entries")
    return arr


def as_matrix(name: str, A: Any, ndim: int = 2) -> np.ndarray:
    """Convert ``A`` to a finite float64 array with ``ndim`` dimensions (2 by default).

    See :func:`as_array` for what is rejected.
    """
    return as_array(name, A, ndim=ndim)


def check_times(
    t: Any, name: str = "t", max_time: float | None = None, hint: str = ""
) -> tuple[np.ndarray, bool]:
    """Check a time argument: a scalar or a non-empty 1-D array of finite times >= 0.

    Returns ``(ts, scalar)``: the times as a 1-D float64 array and whether the
    input was a scalar. ``max_time`` bounds the largest time (a route whose work
    grows with t uses it to refuse, with ``hint`` saying what to use instead).
    """
    if t is None:
        raise TypeError(
            f"{name}: expected a number or a 1-D array of numbers, got None"
        )
    if _is_bool(t):
        raise TypeError(
            f"{name}: expected a number or a 1-D array of numbers, got a bool"
        )
    scalar = np.ndim(t) == 0
    if scalar and not isinstance(t, (numbers.Real, np.ndarray)):
        raise TypeError(
            f"{name}: expected a number or a 1-D array of numbers, "
            f"got {type(t).__name__}"
        )
    ts = np.atleast_1d(as_array(name, t))
    if ts.ndim != 1:
        raise ValueError(
            f"{name}: expected a scalar or a 1-D array of times, got shape {ts.shape}"
        )
    if np.any(ts < 0):
        raise ValueError(f"{name}: times must be non-negative, got min {ts.min()!r}")
    if max_time is not None and float(ts.max()) > max_time:
        raise ValueError(
            f"{name}: t = {float(ts.max()):.4g} is longer than this route can "
            "integrate "
            f"in reasonable work (t <= {max_time:.4g}). {hint}".rstrip()
        )
    return ts, scalar


def check_symmetric(name: str, C: Any, rtol: float = 1e-10) -> np.ndarray:
    """Return ``C`` as a float64 square matrix after checking ``C == C.T``.

    The check is relative: ``max|C - C^T| <= rtol * max(1, max|C|)``.
    """
    C = as_matrix(name, C)
    if C.shape[0] != C.shape[1]:
        raise ValueError(f"{name}: expected a square matrix, got shape {C.shape}")
    scale = max(1.0, float(np.max(np.abs(C))))
    asym = float(np.max(np.abs(C - C.T)))
    if asym > rtol * scale:
        raise ValueError(
            f"{name}: expected a symmetric matrix, max |C - C^T| = {asym:.3e} "
            f"(tolerance {rtol * scale:.1e})"
        )
    return C


def check_orthonormal_columns(name: str, A: Any, tol: float = 1e-8) -> np.ndarray:
    """Return ``A`` after checking ``A^T A = I`` entrywise within ``tol``."""
    A = as_matrix(name, A)
    m, k = A.shape
    if k > m:
        raise ValueError(
            f"{name}: a {m}x{k} matrix cannot have orthonormal columns "
            "(more columns than rows)"
        )
    err = float(np.max(np.abs(A.T @ A - np.eye(k))))
    if err > tol:
        raise ValueError(
            f"{name}: columns are not orthonormal, max |A^T A - I| = {err:.3e} "
            f"(tolerance {tol:.1e})"
        )
    return A


def check_same_shape(names: tuple[str, ...], *arrays: np.ndarray) -> None:
    """Raise ``ValueError`` unless all arrays share one shape."""
    shapes = [a.shape for a in arrays]
    if any(s != shapes[0] for s in shapes[1:]):
        desc = ", ".join(f"{n} {s}" for n, s in zip(names, shapes, strict=False))
        raise ValueError(f"expected arrays of the same shape, got {desc}")


# ------------------------------------------------------------------ the flow's inputs


def check_C_M0(C: Any, M0: Any, mname: str = "M0") -> tuple[np.ndarray, np.ndarray]:
    """Check a symmetric C (d x d) and a d x z matrix with orthonormal columns."""
    C = check_symmetric("C", C)
    M0 = check_orthonormal_columns(mname, M0, tol=1e-8)
    if M0.shape[0] != C.shape[0]:
        raise ValueError(
            f"{mname}: expected {C.shape[0]} rows to match C {C.shape}, "
            f"got shape {M0.shape}"
        )
    return C, M0


def check_factors(
    C: Any, W: Any, V: Any, wname: str = "W", vname: str = "V"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Check C (d x d, symmetric), W (d x h) and V (h x z), both orthonormal columns."""
    C = check_symmetric("C", C)
    W = check_orthonormal_columns(wname, W, tol=1e-8)
    V = check_orthonormal_columns(vname, V, tol=1e-8)
    if W.shape[0] != C.shape[0]:
        raise ValueError(
            f"{wname}: expected {C.shape[0]} rows to match C {C.shape}, "
            f"got shape {W.shape}"
        )
    if V.shape[0] != W.shape[1]:
        raise ValueError(
            f"{vname}: expected {W.shape[1]} rows to match {wname} {W.shape}, "
            f"got shape {V.shape}"
        )
    return C, W, V


def check_tensor(name: str, x: Any, ndim: int | None = None) -> Any:
    """Check that ``x`` is a torch tensor of a real dtype (not complex, not bool).

    The tensor is returned unchanged (same dtype, device and autograd graph).
    Shapes are checked when ``ndim`` is given. Entries are checked for NaN and
    infinities except under ``torch.func`` transforms (``vmap``), where a
    data-dependent check cannot run.
    """
    import torch

    if not torch.is_tensor(x):
        raise TypeError(f"{name}: expected a torch tensor, got {type(x).__name__}")
    if ndim is not None:
        ndim = check_nonnegative_int("ndim", ndim)
    if x.dtype.is_complex or x.dtype == torch.bool:
        raise TypeError(f"{name}: expected a real numeric tensor, got dtype {x.dtype}")
    if ndim is not None and x.ndim != ndim:
        raise ValueError(
            f"{name}: expected a {ndim}-D tensor, got shape {tuple(x.shape)}"
        )
    try:
        finite = bool(torch.isfinite(x).all())
    except RuntimeError:  # a batched tensor inside torch.func.vmap
        finite = True
    if not finite:
        raise ValueError(f"{name}: contains NaN or infinite entries")
    return x


def check_device(device: Any, default: Any = None) -> Any:
    """Return ``device`` as a ``torch.device`` (``default`` when it is None).

    Each accepts a ``torch.device``, a string such as ``"cpu"`` or ``"cuda:0"``,
    or a CUDA index; anything else (a bool, a float, an unknown name) is an error
    naming the argument. Both None give None.
    """
    default = None if default is None else _as_device("default", default)
    return default if device is None else _as_device("device", device)


def _as_device(name: str, device: Any) -> Any:
    import torch

    if isinstance(device, torch.device):
        return device
    if _is_bool(device) or not isinstance(device, (str, int)):
        raise TypeError(
            f"{name}: expected a torch.device, a str or an int, got {device!r}"
        )
    try:
        return torch.device(device)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise ValueError(f"{name}: expected a torch device, got {device!r}") from exc

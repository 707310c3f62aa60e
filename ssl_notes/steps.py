r"""One step of each route to the linear dynamics, each in its fastest correct form.

These are the *unchecked kernels* behind the validated functions of
:mod:`ssl_notes.training` and the timings of :mod:`ssl_notes.benchmark`: they take
float64 arrays of the right shapes (numpy arrays, or torch tensors on one device)
and do no input checks, so that a timing measures the step and nothing else. Each is
tested against a plain reference implementation to about 1e-12 (``tests/``).

Notation: :math:`C` is d x d, :math:`W` d x h and :math:`V` h x z with orthonormal
columns, :math:`M = WV`, learning rate :math:`\eta`; the m points that build
:math:`C = Z^\top D Z` are the rows of Z (m x d), and :math:`D = S\otimes I_n` is the
block matrix of eq. (7) (k x k pattern S, m = kn; :func:`block_product`). Each step
returns the new state and the loss *before* the step. One flop is one addition or
multiplication (a multiply-add is two); :func:`route_flops` gives the model of each.

- ``gd_naive`` (:func:`gd_naive_step`): the literal (11), the free gradients
  :math:`G_W = 2CMV^\top`, :math:`G_V = 2W^\top CWV` (with :math:`CW`, :math:`2d^2h`)
  and the polar factors from full thin SVDs, :math:`O(dh^2 + h^3)`. The reference.
- ``gd_lowrank`` (:func:`gd_lowrank_step`): the same iterates without :math:`CW`
  (:math:`G_V = 2W^\top(CM)`) and without a d x h SVD. With :math:`U = -2\eta CM`,
  :math:`A = W - \eta G_W = W + UV^\top` and, since :math:`W^\top W = I`,
  :math:`A^\top A = I + BEB^\top`, :math:`B = [V, P]`, :math:`P = W^\top U`,
  :math:`E = \begin{pmatrix}U^\top U & I\\ I & 0\end{pmatrix}`. With the thin QR
  :math:`B = QR` (h x 2z) and :math:`T = (I + RER^\top)^{-1/2} - I` (2z x 2z),
  :math:`(A^\top A)^{-1/2} = I + QTQ^\top` and the polar factor is
  :math:`W + [UR_1^\top(I + T) + WQT]\,Q^\top`, :math:`R_1 = Q^\top V`:
  :math:`2d^2z + 12dhz + O(hz^2)` flops. For the Grassmann direction P = 0, Q = V.
- ``gd_qr`` (:func:`gd_qr_step`): (11) with the positive-diagonal QR factor instead of
  the polar factor, by Cholesky QR on the same low-rank Gram matrix,
  :math:`A L^{-\top}` with :math:`LL^\top = I + BEB^\top`: one h x h Cholesky and one
  triangular solve, :math:`O(dh^2)`. (No rank-z shortcut: the triangular factor
  mixes every column.) A different path from the polar one, see ``training``.
- ``flow_F`` (:func:`flow_F_step`): (12),
  :math:`F \leftarrow F - 2\eta(KDF - F F^\top DF)`, with DF from the blocks of D
  (O(mz)) and the dense Gram matrix K: :math:`2m^2z + O(mz^2)`.
- ``flow_M`` (:func:`flow_M_step`): the Euler step of Theorem 2's flow,
  :math:`M \leftarrow M - 2\eta(I - MM^\top)CM`: :math:`2d^2z + 4dz^2`.
- ``closed_form`` (:func:`closed_form_setup`, :func:`closed_form_point`): the loss and
  an orthonormal basis of span M(t) at any time from one eigendecomposition of C
  (the K(t) form of :mod:`ssl_notes.closed_form`): a one-off :math:`O(d^3)`, then
  :math:`2d^2z + O(dz^2)` per time point.
- ``nonlinear_gd`` (:func:`nonlinear_gd_step`): one projected-GD step of the tanh
  network :math:`f(x) = V^\top\tanh(W^\top x)` on the contrastive loss
  :math:`\operatorname{Tr}(F^\top DF)`, :math:`F = \tanh(ZW)V`, gradients by hand
  (backpropagation), polar factors from the Gram matrix. :math:`G_W = Z^\top(\cdot)`
  has full rank, so the low-rank trick does not apply: :math:`4mdh + O(dh^2 + h^3)`.

The polar factor from the Gram matrix, :math:`A(A^\top A)^{-1/2}`, agrees with the SVD
one to about :math:`\kappa(A)^2` units of rounding: exact to rounding for the
near-orthonormal :math:`A = W - \eta G` of a small step, which is the only use here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validate import (
    check_choice,
    check_flag,
    check_positive_int,
)
from .manifold import qr_positive

__all__ = [
    "ROUTES",
    "block_product",
    "gd_naive_step",
    "gd_lowrank_step",
    "gd_qr_step",
    "flow_F_step",
    "flow_M_step",
    "closed_form_setup",
    "closed_form_point",
    "nonlinear_gd_step",
    "route_flops",
    "CLOSED_FORM_SETUP",
]

#: The seven routes, in the order the benchmark reports them.
ROUTES = (
    "gd_naive",
    "gd_lowrank",
    "gd_qr",
    "flow_F",
    "flow_M",
    "closed_form",
    "nonlinear_gd",
)

#: Key of the one-off cost of the closed form (eigendecomposition of C).
CLOSED_FORM_SETUP = "closed_form_setup"


# ------------------------------------------------------------- numpy / torch helpers


def _xp(A: Any) -> Any:
    if isinstance(A, np.ndarray):
        return np
    import torch

    return torch


def _eye(n: int, like: Any) -> Any:
    if isinstance(like, np.ndarray):
        return np.eye(n)
    import torch

    return torch.eye(n, dtype=like.dtype, device=like.device)


def _qr_pos(Y: Any) -> Any:
    if isinstance(Y, np.ndarray):
        return qr_positive(Y, validate=False)
    import torch

    Q, R = torch.linalg.qr(Y)
    s = torch.sign(torch.diagonal(R))
    s[s == 0] = 1.0
    return Q * s


def _solve_lt_right(A: Any, L: Any) -> Any:
    """A L^{-T} for lower-triangular L."""
    if isinstance(A, np.ndarray):
        from scipy.linalg import solve_triangular

        return solve_triangular(L, A.T, lower=True, check_finite=False).T
    import torch

    return torch.linalg.solve_triangular(L.T, A, upper=True, left=False)


def _polar_svd(A: Any) -> Any:
    U, _, Pt = _xp(A).linalg.svd(A, full_matrices=False)
    return U @ Pt


def _isqrt_minus_one(w: Any) -> Any:
    """(1 + w)^{-1/2} - 1, without cancellation for small w."""
    r = _xp(w).sqrt(1.0 + w)
    return -w / (r * (1.0 + r))


def _polar_gram(A: Any) -> Any:
    """A (A^T A)^{-1/2} from the eigendecomposition of the Gram matrix (k x k)."""
    w, E = _xp(A).linalg.eigh(A.T @ A)
    return A @ ((E * w**-0.5) @ E.T)


def block_product(S: Any, F: Any) -> Any:
    r""":math:`DF` for :math:`D = S\otimes I_n`: block a is :math:`\sum_b S_{ab}F_b`.

    S is k x k (the pattern of D, its scale included), F is m x z with m = kn, split
    into k blocks of n rows. O(k m z) work instead of the :math:`2m^2z` of a dense D.
    """
    k = S.shape[0]
    m, z = F.shape
    return _xp(F).tensordot(S, F.reshape(k, m // k, z), 1).reshape(m, z)


# ---------------------------------------------------------------- projected GD (11)


def gd_naive_step(C: Any, W: Any, V: Any, lr: float, grassmann: bool = False):
    """One step of (11) as written: C W and two thin-SVD polar factors.

    Returns ``(W_new, V_new, loss)`` with loss :math:`\\operatorname{Tr}(M^\\top CM)`
    at the input (W, V).
    """
    M = W @ V
    CM = C @ M
    loss = (M * CM).sum()
    GW = 2.0 * CM @ V.T
    CW = C @ W
    GV = 2.0 * W.T @ (CW @ V)
    if grassmann:
        GW = GW - W @ (W.T @ GW)
        GV = GV - V @ (V.T @ GV)
    return _polar_svd(W - lr * GW), _polar_svd(V - lr * GV), loss


def _direction_factors(C: Any, W: Any, V: Any, lr: float, grassmann: bool):
    """M, loss, U (d x z), P = W^T U (h x z, None for Grassmann), G_V (h x z)."""
    M = W @ V
    CM = C @ M
    loss = (M * CM).sum()
    WtCM = W.T @ CM
    GV = 2.0 * WtCM
    if grassmann:
        U = (-2.0 * lr) * (CM - W @ WtCM)  # (I - WW^T) G_W = 2 (CM - W W^T CM) V^T
        GV = GV - V @ (V.T @ GV)
        return M, loss, U, None, GV
    return M, loss, (-2.0 * lr) * CM, (-2.0 * lr) * WtCM, GV


def gd_lowrank_step(C: Any, W: Any, V: Any, lr: float, grassmann: bool = False):
    """One step of (11), same iterates as :func:`gd_naive_step`, in O(d^2 z + dhz).

    See the module docstring for the formula. Returns ``(W_new, V_new, loss)``.
    """
    M, loss, U, P, GV = _direction_factors(C, W, V, lr, grassmann)
    xp = _xp(W)
    z = V.shape[1]
    if P is None:  # Grassmann: A = W + U V^T with W^T U = 0, A^T A = I + V U^T U V^T
        w, E = xp.linalg.eigh(U.T @ U)
        T = (E * _isqrt_minus_one(w)) @ E.T
        W_new = W + (U + (M + U) @ T) @ V.T
    else:
        Q, R = xp.linalg.qr(xp.hstack([V, P]))  # h x k, k = min(h, 2z)
        R1, R2 = R[:, :z], R[:, z:]
        S = R1 @ (U.T @ U) @ R1.T + R1 @ R2.T
        S = S + R2 @ R1.T  # R E R^T, symmetric
        w, E = xp.linalg.eigh(S)
        T = (E * _isqrt_minus_one(w)) @ E.T
        X = U @ (R1.T + R1.T @ T) + (W @ Q) @ T
        W_new = W + X @ Q.T
    return W_new, _polar_gram(V - lr * GV), loss


def gd_qr_step(C: Any, W: Any, V: Any, lr: float, grassmann: bool = False):
    """One step of (11) with the positive-diagonal QR factor in place of the polar one.

    :math:`W \\leftarrow \\operatorname{qf}(W - \\eta G_W)` by Cholesky QR on the
    low-rank Gram matrix, :math:`V \\leftarrow \\operatorname{qf}(V - \\eta G_V)`
    (Householder). Returns ``(W_new, V_new, loss)``.
    """
    M, loss, U, P, GV = _direction_factors(C, W, V, lr, grassmann)
    xp = _xp(W)
    h = W.shape[1]
    A = W + U @ V.T
    VU = V @ (U.T @ U)
    G = _eye(h, W) + (VU if P is None else VU + P) @ V.T
    if P is not None:
        G = G + V @ P.T
    L = xp.linalg.cholesky(G)
    return _solve_lt_right(A, L), _qr_pos(V - lr * GV), loss


# ------------------------------------------------------------- the flow, three forms


def flow_F_step(F: Any, K: Any, S: Any, lr: float):
    """One step of (12), :math:`F - 2\\eta(KDF - FF^\\top DF)`, D = S (x) I_n.

    Returns ``(F_new, loss)``, loss :math:`\\operatorname{Tr}(F^\\top DF)` at the input.
    """
    DF = block_product(S, F)
    loss = (F * DF).sum()
    return F - 2.0 * lr * (K @ DF - F @ (F.T @ DF)), loss


def flow_M_step(C: Any, M: Any, lr: float):
    """One Euler step of :math:`\\dot M = -2(I - MM^\\top)CM`: ``(M_new, loss)``.

    The arithmetic is that of ``M + lr * dynamics.flow_velocity(C, M)``, bit for bit.
    """
    CM = C @ M
    loss = (M * CM).sum()
    return M + lr * (-2.0 * (CM - M @ (M.T @ CM))), loss


def closed_form_setup(C: Any, M0: Any, eig: Any = None):
    """The one-off part of the closed form: ``(lam, Q, K0)``.

    ``lam, Q`` the ascending eigenvalues and eigenvectors of C (pass ``eig=(lam, Q)``
    to reuse them for another M0) and :math:`K_0 = B_2B_1^{-1}` for
    :math:`B = Q^\\top M_0` split after its first z rows (B_1 must be invertible;
    :mod:`ssl_notes.closed_form` checks that).
    """
    xp = _xp(C)
    lam, Q = xp.linalg.eigh(C) if eig is None else eig
    z = M0.shape[1]
    B = Q.T @ M0
    K0 = xp.linalg.solve(B[:z].T, B[z:].T).T
    return lam, Q, K0


def closed_form_point(lam: Any, Q: Any, K0: Any, t: float):
    r"""Loss and orthonormal basis of span M(t) at one time t >= 0.

    :math:`K = e^{-2\Lambda_2t}K_0e^{2\Lambda_1t}` (no exponent is positive),
    loss :math:`\operatorname{Tr}((I + K^\top K)^{-1}(\Lambda_1 + K^\top\Lambda_2K))`,
    basis :math:`Q\,[I; K]\,(I + K^\top K)^{-1/2}`. Returns ``(loss, basis)``, the
    basis d x z with orthonormal columns.
    """
    xp = _xp(Q)
    z = K0.shape[1]
    l1, l2 = lam[:z], lam[z:]
    K = xp.exp(-2.0 * t * (l2[:, None] - l1[None, :])) * K0
    G = K.T @ K
    G = G + _eye(z, K)
    w, E = xp.linalg.eigh(G)
    Gih = (E * w**-0.5) @ E.T  # (I + K^T K)^{-1/2}
    N = K.T @ (l2[:, None] * K) + xp.diag(l1)
    loss = (Gih * (N @ Gih)).sum()  # Tr(G^{-1/2} N G^{-1/2})
    basis = Q[:, :z] @ Gih + Q[:, z:] @ (K @ Gih)
    return loss, basis


# ------------------------------------------------------------ the nonlinear network


def nonlinear_gd_step(Z: Any, S: Any, W: Any, V: Any, lr: float):
    r"""One projected-GD step of :math:`f(x) = V^\top\tanh(W^\top x)` on (1).

    The loss is :math:`L = \operatorname{Tr}(F^\top DF)`, :math:`F = \tanh(ZW)V`,
    :math:`D = S\otimes I_n` (for the contrastive D of eq. (7) this is (1) on the
    anchors, positives and negatives stacked in Z). Backpropagation by hand:
    :math:`\partial L/\partial F = 2DF`, :math:`G_V = H^\top(2DF)`,
    :math:`G_W = Z^\top[(2DFV^\top)\odot(1 - H^{\odot 2})]`, :math:`H = \tanh(ZW)`;
    then :math:`W \leftarrow \Pi(W - \eta G_W)`, :math:`V \leftarrow \Pi(V - \eta G_V)`
    (polar factors). Returns ``(W_new, V_new, loss)``.
    """
    H = _xp(W).tanh(Z @ W)
    F = H @ V
    DF2 = 2.0 * block_product(S, F)
    loss = 0.5 * (F * DF2).sum()
    GV = H.T @ DF2
    GW = Z.T @ ((DF2 @ V.T) * (1.0 - H * H))
    return _polar_gram(W - lr * GW), _polar_gram(V - lr * GV), loss


# ------------------------------------------------------------------- flop models


def route_flops(route: str, d: int, h: int, z: int, m: int, grassmann: bool = False):
    r"""Flop model of one step of ``route`` (a multiply-add counts 2).

    Dense products :math:`2abc`; textbook counts for the factorisations (Golub and
    Van Loan; LAPACK's divide and conquer): thin SVD with both factors
    :math:`8ab^2 + 3b^3`, Householder QR with
    Q :math:`4ab^2 - \frac43b^3`, Cholesky :math:`b^3/3`, triangular solve
    :math:`ab^2`, symmetric eigendecomposition with vectors :math:`9b^3`. Terms of
    lower order than those shown in the module docstring are kept where cheap.
    ``route = CLOSED_FORM_SETUP`` gives the one-off eigendecomposition of C.
    """
    route = check_choice("route", route, ROUTES + (CLOSED_FORM_SETUP,))
    d, h, z, m = (
        check_positive_int(k, v) for k, v in zip("dhzm", (d, h, z, m), strict=True)
    )
    if not z <= h <= d:
        raise ValueError(f"h: expected z <= h <= d, got d = {d}, h = {h}, z = {z}")
    grassmann = check_flag("grassmann", grassmann)
    k = min(h, 2 * z)
    if route == "gd_naive":
        f = 2 * d * d * (z + h) + 8 * d * h * z + (8 * d * h * h + 3 * h**3)
        f += 2 * d * h * h + (8 * h * z * z + 3 * z**3) + 2 * h * z * z
        return f + (4 * d * h * h + 4 * h * h * z if grassmann else 0)
    if route == "gd_lowrank":
        # M = WV and W^T(CM): 4dhz; then 4dhk (W Q and X Q^T, k = 2z: the module
        # docstring's 12dhz) or, for Grassmann, 4dhz (W W^T CM and X V^T)
        f = 2 * d * d * z + 4 * d * h * z + 2 * d * h + 4 * h * z * z + 9 * z**3
        if grassmann:
            return f + 4 * d * h * z + 4 * h * z * z + 4 * d * z * z
        return f + 4 * d * h * k + 2 * d * z * k + 4 * h * k * k + 9 * k**3
    if route == "gd_qr":
        f = 2 * d * d * z + 6 * d * h * z + 2 * d * h + 2 * h * z * z
        f += (2 if grassmann else 4) * h * h * z + h**3 / 3 + d * h * h
        return f + 4 * h * z * z
    if route == "flow_F":
        return 2 * m * m * z + 4 * m * z * z + 2 * 3 * m * z + 6 * m * z
    if route == "flow_M":
        return 2 * d * d * z + 4 * d * z * z + 4 * d * z
    if route == "closed_form":
        return 2 * d * d * z + 6 * d * z * z + 4 * d * z + 15 * z**3
    if route == CLOSED_FORM_SETUP:
        return 9 * d**3 + 2 * d * d * z
    if route == "nonlinear_gd":
        f = 4 * m * d * h + 6 * m * h * z + 6 * m * h
        return f + (3 * d * h * h + 11 * h**3) + (3 * h * z * z + 11 * z**3)
    raise AssertionError(route)  # pragma: no cover - check_choice above

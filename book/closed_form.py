# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # The flow in closed form
#
# **The claim in plain words.** The constrained dynamics of Theorem 2,
# $\dot M = -2(I_d - MM^\top)CM$ with orthonormal columns, is Oja's subspace flow
# {cite}`oja1982simplified,yan1994oja`, and the part of it that matters for learning, the
# subspace spanned by $M(t)$ and with it the loss, is known in closed form: it is the span
# of $e^{-2Ct}M(0)$. The paper treats the flow as something to be integrated numerically;
# one eigendecomposition of $C$ gives instead the whole learning curve at every time, the
# time it takes to learn as a function of the eigengap of $C$, and the (measure-zero, but
# real) set of initialisations that never learn. Only the orientation of $M(t)$ inside its
# span needs a small $z\times z$ differential equation.

# %% tags=["remove-cell"]
# Make the helper package importable: in Colab it is installed from the repository
# (or, for testing, from SSL_NOTES_SOURCE with extra pip arguments SSL_NOTES_PIP_ARGS).
try:
    import ssl_notes
except ImportError:
    import os, shlex, subprocess, sys
    _src = os.environ.get("SSL_NOTES_SOURCE", "git+https://github.com/ssl-dynamics-notes/ssl-dynamics-notes@main")
    _args = shlex.split(os.environ.get("SSL_NOTES_PIP_ARGS", ""))
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", _src, *_args])
    if "--target" in _args:
        sys.path.insert(0, _args[_args.index("--target") + 1])
    import ssl_notes

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from ssl_notes import closed_form, data, dynamics, glue, losses, manifold, metrics, training
from ssl_notes.plotting import COLORS, new_figure
from threadpoolctl import threadpool_limits

# One BLAS thread: on a shared 2-core machine oversubscribed BLAS threads made 784 x 784
# eigendecompositions ten times slower, and the benchmark below times single-threaded code.
threadpool_limits(limits=1)
device = ssl_notes.default_device()  # everything here is float64 linear algebra in numpy
SIZE = "fast"  # "full": more (d, z) pairs, more eigengaps, more benchmark repeats
SEED = 0
rng = np.random.default_rng(SEED)
print(f"ssl_notes {ssl_notes.__version__}, torch {torch.__version__}, device {device}, SIZE = {SIZE}")


def random_symmetric(d, rng):
    """A symmetric d x d matrix with spectrum of order one."""
    A = rng.standard_normal((d, d)) / np.sqrt(d)
    return (A + A.T) / 2


def with_spectrum(Q, lam):
    """Q diag(lam) Q^T, exactly symmetric."""
    C = (Q * lam) @ Q.T
    return (C + C.T) / 2


# %% [markdown]
# ## The statement
#
# Time is measured as in the rest of the book: the learning rate is absorbed into $t$, so
# the flow of the end-to-end matrix $M = WV$ of {prf:ref}`Theorem 2 <thm-grassmann>` is
#
# $$
# \dot M = -2\,(I_d - MM^\top)\,C M, \qquad M(0) = M_0,\quad M_0^\top M_0 = I_z, \tag{F}
# $$
#
# and one gradient step of size $\eta$ advances time by $\eta$. We write
# $C = Q\Lambda Q^\top$ with ascending eigenvalues $\lambda_1\le\dots\le\lambda_d$ and
# eigenvectors $q_1,\dots,q_d$, and split $B = Q^\top M_0$ into its first $z$ rows $B_1$
# and the remaining $d - z$ rows $B_2$; likewise $\Lambda_1 = \operatorname{diag}(\lambda_1,
# \dots,\lambda_z)$ and $\Lambda_2 = \operatorname{diag}(\lambda_{z+1},\dots,\lambda_d)$.
# For a square matrix $H$, $\operatorname{low}(H)$ and $\operatorname{up}(H)$ are its strictly
# lower and strictly upper triangular parts.
#
# :::{prf:proposition} The flow in closed form
# :label: prop-closed-form
# :nonumber:
#
# Let $C\in\mathbb{R}^{d\times d}$ be symmetric, $1\le z\le d$, $M_0\in\mathbb{R}^{d\times z}$
# with $M_0^\top M_0 = I_z$, and $Y(t) = e^{-2Ct}M_0$. Then:
#
# 1. (F) has a unique solution $M(t)$ for all $t\ge 0$, and $M(t)^\top M(t) = I_z$.
# 2. Its projector is $P(t) = M(t)M(t)^\top = Y(t)\big(Y(t)^\top Y(t)\big)^{-1}Y(t)^\top$,
#    and $P$ solves the Riccati equation $\dot P = -2(CP + PC) + 4PCP$.
# 3. For $z = 1$: $M(t) = Y(t)/\|Y(t)\|$.
# 4. For any $z$, let $Y = \hat Y R$ be the QR factorisation with $R$ upper triangular with
#    positive diagonal. Then $M(t) = \hat Y(t)U(t)$, where $U(t)$ is orthogonal and solves
#
#    $$
#    \dot U = -\Omega U,\quad U(0) = I_z,\qquad \Omega = \operatorname{low}(H) -
#    \operatorname{up}(H),\quad H = -2\hat Y^\top C\hat Y .
#    $$
#
#    In general ($z\ge 2$) $M(t)$ is *not* the polar factor $Y(Y^\top Y)^{-1/2}$, although
#    both span the same subspace.
# 5. If $B_1$ is invertible, the loss is
#
#    $$
#    \operatorname{Tr}\big(M(t)^\top C M(t)\big) = \operatorname{Tr}\Big(\big(I_z + K^\top K\big)^{-1}
#    \big(\Lambda_1 + K^\top\Lambda_2 K\big)\Big),\qquad K(t) = e^{-2\Lambda_2 t}\,B_2B_1^{-1}\,e^{2\Lambda_1 t},
#    $$
#
#    where $K(t)_{ij} = e^{-2(\lambda_{z+i} - \lambda_j)t}\,(B_2B_1^{-1})_{ij}$ has only
#    non-positive exponents: one eigendecomposition of $C$ gives the loss at every time,
#    without overflow.
# :::
#
# :::{prf:proof}
# *Item 1.* The right-hand side of (F) is a polynomial in $M$, hence locally Lipschitz, so a
# unique solution exists on some interval $[0, \tau)$. Let $N = I_z - M^\top M$. From (F),
# $M^\top\dot M = -2(M^\top CM - M^\top M\,M^\top CM) = -2N\,M^\top CM$, so
# $\dot N = -(\dot M^\top M + M^\top\dot M) = 2(M^\top CM\,N + N\,M^\top CM)$: a linear
# equation for $N$ with $N(0) = 0$, whose only solution is $N\equiv 0$. Hence
# $\|M(t)\|_F^2 = z$ stays bounded, the solution cannot blow up, and $\tau = \infty$.
# Note for later that $M^\top\dot M = -2N\,M^\top C M = 0$: the flow is *horizontal*, it
# never rotates $M$ within its own span.
#
# *Item 2.* $e^{-2Ct}$ is invertible, so $Y(t)$ has full column rank and $G = Y^\top Y$ is
# positive definite for every $t$. Let $\tilde P = YG^{-1}Y^\top$. With $\dot Y = -2CY$,
# $\dot G = -4Y^\top CY$ and $\tfrac{d}{dt}G^{-1} = -G^{-1}\dot G G^{-1} = 4G^{-1}Y^\top CYG^{-1}$,
#
# $$
# \dot{\tilde P} = \dot Y G^{-1}Y^\top + Y\tfrac{d}{dt}(G^{-1})Y^\top + YG^{-1}\dot Y^\top
# = -2C\tilde P + 4\tilde P C\tilde P - 2\tilde P C .
# $$
#
# For $P = MM^\top$, (F) gives $\dot P = \dot MM^\top + M\dot M^\top = -2(I - P)CP - 2PC(I - P)
# = -2(CP + PC) + 4PCP$, the same polynomial equation. Both start from
# $\tilde P(0) = M_0(M_0^\top M_0)^{-1}M_0^\top = M_0M_0^\top = P(0)$, so by uniqueness
# $P = \tilde P$ for all $t$.
#
# *Item 3.* For $z = 1$ let $m = y/\|y\|$ with $y = Y$. Then
# $\dot m = \dot y/\|y\| - y\,(y^\top\dot y)/\|y\|^3 = -2Cm + 2m\,(m^\top Cm) = -2(I - mm^\top)Cm$
# and $m(0) = m_0$: $m$ solves (F), and by uniqueness it is $M(t)$.
#
# *Item 4.* The positive-diagonal QR factorisation of a full-rank matrix is unique and
# depends smoothly on it (Gram–Schmidt), so $\hat Y = YR^{-1}$ is smooth. By item 2,
# $M(t)$ and $\hat Y(t)$ are orthonormal bases of the same subspace, so $U = \hat Y^\top M$ is
# orthogonal and $M = \hat YU$. Differentiating and using horizontality (item 1),
# $0 = M^\top\dot M = U^\top(\hat Y^\top\dot{\hat Y})U + U^\top\dot U$, i.e.
# $\dot U = -\Omega U$ with $\Omega = \hat Y^\top\dot{\hat Y}$, which is skew-symmetric
# (differentiate $\hat Y^\top\hat Y = I$). Now $\dot{\hat Y} = \dot YR^{-1} - YR^{-1}\dot RR^{-1}
# = -2C\hat Y - \hat Y\dot RR^{-1}$, so
#
# $$
# \Omega = -2\hat Y^\top C\hat Y - \dot RR^{-1} = H - \dot RR^{-1}.
# $$
#
# $\dot RR^{-1}$ is upper triangular (a product of upper triangular matrices), so the
# strictly lower triangle of $\Omega$ is that of $H$; a skew-symmetric matrix is determined
# by its strictly lower triangle, and $H$ is symmetric, so
# $\Omega = \operatorname{low}(H) - \operatorname{low}(H)^\top = \operatorname{low}(H) -
# \operatorname{up}(H)$. Finally $M_0$ is its own positive-diagonal QR factor ($R(0) = I$),
# so $U(0) = I$. For $z = 1$, $\Omega = 0$ and item 3 is recovered. The polar factor is
# $Y(Y^\top Y)^{-1/2} = \hat Y\,R(R^\top R)^{-1/2}$, another orthogonal change of basis
# within the same span; nothing forces $R(R^\top R)^{-1/2}$ to obey $\dot U = -\Omega U$,
# and Check 3 below exhibits a case where it does not, which is all that "in general"
# claims.
#
# *Item 5.* $Y = Qe^{-2\Lambda t}B$. If $B_1$ is invertible, right-multiplying $Y$ by the
# invertible matrix $B_1^{-1}e^{2\Lambda_1 t}$ changes neither its span nor $P$, and gives
# $Q\,W$ with $W = \begin{pmatrix} I_z\\ K(t)\end{pmatrix}$. Hence
# $P = QW(W^\top W)^{-1}W^\top Q^\top$ with $W^\top W = I + K^\top K$ and, by the cyclic
# property of the trace, $\operatorname{Tr}(CP) = \operatorname{Tr}\big((W^\top W)^{-1}
# W^\top\Lambda W\big) = \operatorname{Tr}\big((I + K^\top K)^{-1}(\Lambda_1 + K^\top\Lambda_2K)\big)$.
# Entrywise, $K_{ij} = e^{-2\lambda_{z+i}t}(B_2B_1^{-1})_{ij}e^{2\lambda_j t}$ with
# $\lambda_{z+i}\ge\lambda_j$ for every $i\ge 1$, $j\le z$.
# :::
#
# The package implements items 2–5: `ssl_notes.dynamics.flow_projector` (item 2, for any
# array of times, in short exact steps so that nothing overflows),
# `ssl_notes.dynamics.grassmann_flow` (item 3 exactly, item 4 by integrating the $z\times z$
# equation), `ssl_notes.closed_form.loss_curve` (item 5, all times at once) and
# `ssl_notes.closed_form.qr_basis` ($\hat Y(t)$).

# %% [markdown]
# ## Check 1: the closed form solves the Riccati equation
#
# We differentiate the closed-form $P(t)$ by central differences and compare with
# $-2(CP + PC) + 4PCP$. A central difference with step $h$ is off by
# $\tfrac{h^2}{6}\|\dddot P\|$ plus rounding of order $10^{-16}/h$; if the closed form were
# wrong, the mismatch would not shrink with $h$. We assert that it is below $10^{-5}$ at
# $h = 10^{-3}$ and that it falls by a factor between 50 and 200 when $h$ falls tenfold
# (the $h^2$ law predicts 100).

# %%
d, z = 7, 3
C = random_symmetric(d, rng)
M0 = manifold.haar_orthonormal(d, z, rng)
t_fd = 0.6
fd_res = {}
for h in (1e-2, 1e-3):
    Pm, P0, Pp = dynamics.flow_projector(C, M0, [t_fd - h, t_fd, t_fd + h])
    rhs = -2 * (C @ P0 + P0 @ C) + 4 * P0 @ C @ P0
    fd_res[h] = float(np.max(np.abs((Pp - Pm) / (2 * h) - rhs)))
fd_ratio = fd_res[1e-2] / fd_res[1e-3]
print(f"Riccati residual: h = 1e-2: {fd_res[1e-2]:.2e}, h = 1e-3: {fd_res[1e-3]:.2e} (tol 1e-5), "
      f"ratio {fd_ratio:.1f} (expected 100, accepted 50..200)")
assert fd_res[1e-3] < 1e-5
assert 50 < fd_ratio < 200
glue("ric_res", fd_res[1e-3], display=False)
glue("ric_ratio", float(fd_ratio), display=False)

# %% [markdown]
# The residual is {glue:text}`ric_res:.1e` at $h = 10^{-3}$ and shrinks by a factor
# {glue:text}`ric_ratio:.1f` per decade of $h$: pure truncation error.
#
# ## Check 2: against a tight ODE solve
#
# The reference is `dynamics.grassmann_flow_ode`, the Dormand–Prince method of order 8
# applied to all $dz$ entries of (F), with relative and absolute tolerances $10^{-13}$. It
# integrates $C - cI$ with $c > \lambda_{\max}$, which leaves (F) unchanged on the
# constraint set but makes the constraint attracting, so local errors do not accumulate
# along it. Its global error is then a small multiple of its tolerance; we ask, as the
# issue that motivated this chapter does, for agreement within $10^{-9}$ on the projector
# and on the loss, at 200 times in $[0, 6]$, for several $d$ and $z$. The closed-form
# projectors must also be projectors of rank $z$ to rounding: $\max|P^2 - P|$,
# $\max|P - P^\top|$ and $|\operatorname{Tr}P - z|$ below $10^{-12}$ (a few hundred units of
# rounding for products of length $d\le 100$). For $z = 1$ we also compare $M(t)$ itself
# with $Y/\|Y\|$ computed directly from the eigendecomposition.

# %%
CASES = [(4, 1), (10, 2), (20, 3), (50, 5)] + ([(100, 10), (30, 1)] if SIZE == "full" else [])
ts2 = np.linspace(0.0, 6.0, 200)
check2 = {}
for d, z in CASES:
    C = random_symmetric(d, rng)
    M0 = manifold.haar_orthonormal(d, z, rng)
    M_ode = dynamics.grassmann_flow_ode(C, M0, ts2, rtol=1e-13, atol=1e-13)
    P_ode = np.einsum("tia,tja->tij", M_ode, M_ode)
    P_cf = dynamics.flow_projector(C, M0, ts2)
    L_cf = closed_form.loss_curve(C, M0, ts2)
    L_ode = np.einsum("tia,ij,tja->t", M_ode, C, M_ode)
    r = dict(
        P_err=np.max(np.abs(P_cf - P_ode), axis=(1, 2)),
        L_err=float(np.max(np.abs(L_cf - L_ode))),
        idem=float(np.max(np.abs(P_cf @ P_cf - P_cf))),
        sym=float(np.max(np.abs(P_cf - P_cf.transpose(0, 2, 1)))),
        tr=float(np.max(np.abs(np.trace(P_cf, axis1=1, axis2=2) - z))),
    )
    if z == 1:
        lam, Q = np.linalg.eigh(C)
        Yt = np.einsum("ij,tj->ti", Q, np.exp(-2 * np.outer(ts2, lam - lam[0])) * (Q.T @ M0[:, 0]))
        r["m_err"] = float(np.max(np.abs(Yt / np.linalg.norm(Yt, axis=1, keepdims=True) - M_ode[:, :, 0])))
    check2[d, z] = r
    extra = f", |M - Y/|Y|| = {r['m_err']:.1e}" if z == 1 else ""
    print(f"d = {d:3d}, z = {z:2d}: max|P_cf - P_ode| = {r['P_err'].max():.1e}, max|loss diff| = {r['L_err']:.1e}"
          f" (tol 1e-9); |P^2 - P| = {r['idem']:.0e}, |P - P^T| = {r['sym']:.0e}, |Tr P - z| = {r['tr']:.0e}"
          f" (tol 1e-12){extra}")
    assert r["P_err"].max() < 1e-9 and r["L_err"] < 1e-9 and r.get("m_err", 0.0) < 1e-9
    assert max(r["idem"], r["sym"], r["tr"]) < 1e-12

glue("c2_perr", float(max(r["P_err"].max() for r in check2.values())), display=False)
glue("c2_lerr", float(max(r["L_err"] for r in check2.values())), display=False)
glue("c2_ncases", len(CASES), display=False)

# %% [markdown]
# Over {glue:text}`c2_ncases` pairs $(d, z)$ the closed-form projector and the ODE differ
# by at most {glue:text}`c2_perr:.1e`, and the loss curves by at most
# {glue:text}`c2_lerr:.1e`: the ODE's own tolerance, not a property of the closed form.
#
# ## Check 3: the rotation inside the span
#
# Item 4 says two things we can test separately on an example with $d = 8$, $z = 3$.
# First, $U(t) = \hat Y(t)^\top M(t)$, with $M$ from the tight ODE and $\hat Y$ from
# `closed_form.qr_basis`, is orthogonal and obeys $\dot U = -\Omega U$; we check the
# equation by central differences with $h = 10^{-4}$: the truncation error
# $\tfrac{h^2}{6}\|\dddot U\|$ is of order $10^{-8}$ here, and the ODE's error of about
# $10^{-12}$ is amplified by $1/h$ to about $10^{-8}$; we assert $10^{-6}$, while a wrong
# $\Omega$ (a sign, a transposed triangle) leaves a residual of the size of $\Omega$, order one. Second, the natural guess
# $Y(Y^\top Y)^{-1/2}$ has the right projector but is *not* $M(t)$: we measure
# $\max_t\|M(t) - Y(Y^\top Y)^{-1/2}\|_F$ and the largest rotation angle of the orthogonal
# $z\times z$ matrix $M^\top Y(Y^\top Y)^{-1/2}$ that separates them, and assert the gap
# exceeds $10^{-6}$, a thousand times the ODE error, while the projectors agree within
# $10^{-9}$. For $z = 1$ the same gap must vanish (item 3).

# %%
def polar_factor(C, M0, t):
    """Y (Y^T Y)^{-1/2} for Y = exp(-2Ct) M0, via an SVD (moderate t: no overflow after the shift)."""
    lam, Q = np.linalg.eigh(C)
    Y = Q @ (np.exp(-2 * (lam - lam[0]) * t)[:, None] * (Q.T @ M0))
    u, _, vt = np.linalg.svd(Y, full_matrices=False)
    return u @ vt


def omega(C, Yh):
    H = -2 * Yh.T @ C @ Yh
    return np.tril(H, -1) - np.triu(H, 1)


d, z = 8, 3
C3 = random_symmetric(d, rng) * 2
M03 = manifold.haar_orthonormal(d, z, rng)
ts3 = np.linspace(0.0, 3.0, 61)
M3 = dynamics.grassmann_flow_ode(C3, M03, ts3, rtol=1e-13, atol=1e-13)
U3 = np.einsum("tia,tib->tab", closed_form.qr_basis(C3, M03, ts3), M3)
orth_err = float(np.max(np.abs(np.einsum("tab,tac->tbc", U3, U3) - np.eye(z))))

h = 1e-4
rot_res = 0.0
for t in (0.4, 1.1, 2.5):
    tt = [t - h, t, t + h]
    Mh = dynamics.grassmann_flow_ode(C3, M03, tt, rtol=1e-13, atol=1e-13)
    Yh = closed_form.qr_basis(C3, M03, tt)
    Uh = np.einsum("tia,tib->tab", Yh, Mh)
    rot_res = max(rot_res, float(np.max(np.abs((Uh[2] - Uh[0]) / (2 * h) + omega(C3, Yh[1]) @ Uh[1]))))

gf_err = float(np.max(np.abs(dynamics.grassmann_flow(C3, M03, ts3) - M3)))
Mp = np.stack([polar_factor(C3, M03, t) for t in ts3])
polar_gap = np.linalg.norm(Mp - M3, axis=(1, 2))
polar_proj = float(np.max(np.abs(np.einsum("tia,tja->tij", Mp, Mp) - np.einsum("tia,tja->tij", M3, M3))))
rot_angle = np.array([np.max(np.abs(np.angle(np.linalg.eigvals(a.T @ b)))) for a, b in zip(M3, Mp)])
m1 = manifold.haar_orthonormal(d, 1, rng)
gap_z1 = max(float(np.linalg.norm(polar_factor(C3, m1, t) - dynamics.grassmann_flow_ode(C3, m1, t, rtol=1e-13, atol=1e-13)))
             for t in (0.5, 1.5, 3.0))
print(f"U orthogonal: max|U^T U - I| = {orth_err:.1e} (tol 1e-9)")
print(f"dU/dt + Omega U, central differences: {rot_res:.1e} (tol 1e-6)")
print(f"grassmann_flow (integrates U' = -Omega U) vs ODE: {gf_err:.1e} (tol 1e-8)")
print(f"polar factor: same projector to {polar_proj:.1e} (tol 1e-9), but max_t |M - Y(Y^TY)^(-1/2)|_F = "
      f"{polar_gap.max():.3f}, rotation up to {rot_angle.max():.3f} rad (must exceed 1e-6); z = 1: {gap_z1:.1e}")
assert orth_err < 1e-9 and rot_res < 1e-6 and gf_err < 1e-8
assert polar_proj < 1e-9 and polar_gap.max() > 1e-6 and gap_z1 < 1e-9
glue("rot_res", rot_res, display=False)
glue("polar_gap", float(polar_gap.max()), display=False)
glue("polar_angle", float(rot_angle.max()), display=False)
glue("polar_deg", float(np.degrees(rot_angle.max())), display=False)

# %% [markdown]
# The rotation equation holds to {glue:text}`rot_res:.1e`. The polar factor
# $Y(Y^\top Y)^{-1/2}$ spans the right subspace, yet it is off from $M(t)$ by up to
# {glue:text}`polar_gap:.2f` in Frobenius norm, a rotation of
# {glue:text}`polar_angle:.2f` rad ({glue:text}`polar_deg:.0f` degrees) within the span: the
# flow's horizontality pins down one particular basis, and it is $\hat YU$, not the polar
# factor. For the loss and the learned subspace this does not matter; for the outputs
# $f(x) = M^\top x$ of a trained network it does, and the $z\times z$ equation is the price.

# %%
d_show, z_show = 50, 5
C_show = random_symmetric(d_show, np.random.default_rng(SEED + 1))
M0_show = manifold.haar_orthonormal(d_show, z_show, np.random.default_rng(SEED + 2))
t_dense = np.linspace(0.0, 6.0, 1000)
L_show = closed_form.loss_curve(C_show, M0_show, t_dense)
M_show = dynamics.grassmann_flow_ode(C_show, M0_show, ts2[::8], rtol=1e-13, atol=1e-13)
# Euler steps of (12) in the standard basis (X = I, so F = M, K = I and D = C), step 0.2
eul = training.output_flow(M0_show, np.eye(d_show), C_show, lr=0.2, steps=30)
eul_dev = float(np.max(np.abs(eul.losses - closed_form.loss_curve(C_show, M0_show, 0.2 * np.arange(31)))))

fig, (ax0, ax1) = new_figure(ncols=2, width=3.6, height=3.0)
ax0.plot(t_dense, L_show, color=COLORS[0], label="closed form")
ax0.plot(ts2[::8], np.einsum("tia,ij,tja->t", M_show, C_show, M_show), "o", ms=3.5, mfc="none",
         color=COLORS[1], label="ODE (tol $10^{-13}$)")
ax0.plot(0.2 * np.arange(31), eul.losses, "--", color=COLORS[2], label=r"Euler (12), $\eta = 0.2$")
ax0.axhline(np.sum(np.linalg.eigvalsh(C_show)[:z_show]), color="k", lw=0.6, ls=":")
ax0.set(xlabel="time $t$", ylabel=r"loss $\operatorname{Tr}(M^\top C M)$", title=f"d = {d_show}, z = {z_show}")
ax0.legend(loc="upper right", fontsize=7)
for k, ((d, z), r) in enumerate(check2.items()):
    ax1.semilogy(ts2[1:], np.maximum(r["P_err"][1:], 1e-17), color=COLORS[k % 7], lw=1, label=f"d = {d}, z = {z}")
ax1.semilogy(ts3[1:], polar_gap[1:], color="k", lw=1.6, ls="--", label=r"$\|M - Y(Y^\top Y)^{-1/2}\|_F$, z = 3")
ax1.axhline(1e-9, color="k", lw=0.6, ls=":")
ax1.set(xlabel="time $t$", ylabel=r"$\max_{ij}|P_{\rm closed} - P_{\rm ODE}|$", title="closed form vs ODE")
ax1.legend(loc="center right", fontsize=7)
glue("fig_closed_form", fig, display=False)
plt.close(fig)
glue("loss_lim", float(np.sum(np.linalg.eigvalsh(C_show)[:z_show])), display=False)
glue("eul_dev", eul_dev, display=False)

# %% [markdown]
# ```{glue:figure} fig_closed_form
# :name: fig-closed-form
#
# Left: the loss along the flow for a random symmetric $C$ with $d = 50$, $z = 5$, from
# the closed form (one eigendecomposition, 1,000 times), from the tight ODE (circles), and
# from Euler steps of (12) with step $0.2$ (dashed; it reaches the same limit
# $\lambda_1 + \dots + \lambda_5 =$ {glue:text}`loss_lim:.3f`, dotted, but is off by up to
# {glue:text}`eul_dev:.2f` on the way). Right: the largest entry of the difference between the closed-form
# projector and the ODE's, for every $(d, z)$ of Check 2; all stay below $10^{-9}$
# (dotted). The dashed black curve is the distance between $M(t)$ and the polar factor of
# $Y(t)$ for $z = 3$ (Check 3): same projector, different matrix.
# ```

# %% [markdown]
# ## Consequences: how long learning takes, and from where it fails
#
# The subspace $E_z = \operatorname{span}(q_1,\dots,q_z)$ of the $z$ most negative
# eigenvalues is where the loss $\operatorname{Tr}(M^\top CM)$ is smallest (Proposition 3 of the paper).
# Let $\theta(t)$ be the largest principal angle between $\operatorname{span}M(t)$ and
# $E_z$.
#
# :::{prf:corollary} Time to learn from the eigengap; initialisations that never learn
# :label: cor-closed-form-time
# :nonumber:
#
# In the setting of {prf:ref}`the proposition above <prop-closed-form>`, assume $\lambda_z < \lambda_{z+1}$ and let
# $g = \lambda_{z+1} - \lambda_z$.
#
# 1. If $B_1 = [q_1,\dots,q_z]^\top M_0$ is invertible, then $\tan\theta(t) = \|K(t)\|_2$,
#    $\theta$ is non-increasing and $\tan\theta(t)\le e^{-2gt}\tan\theta(0)$. Hence the first
#    time $T(\delta)$ at which $\theta\le\delta$ satisfies
#    $T(\delta)\le \ln\!\big(\tan\theta(0)/\tan\delta\big)/(2g)$.
# 2. If moreover $\lambda_{z-1} < \lambda_z$ and $\lambda_{z+1} < \lambda_{z+2}$ (where these
#    exist), let $\kappa = |K(0)_{1z}|$ (the entry coupling $q_{z+1}$ to $q_z$), assumed
#    non-zero, $X$ the matrix $K(0)$ with that entry set to zero, $g'$ the smaller of
#    $\lambda_{z+2} - \lambda_{z+1}$ and $\lambda_z - \lambda_{z-1}$, and
#    $T_\infty(\delta) = \ln(\kappa/\tan\delta)/(2g)$. If $\theta(0) > \delta$,
#
#    $$
#    T_\infty(\delta)\;\le\;T(\delta)\;\le\;T_\infty(\delta) + \frac{1}{2g}
#    \ln\!\Big(1 + \frac{2\|X\|_2}{\kappa}e^{-2g'T(\delta)}\Big),
#    $$
#
#    so $T(\delta) - T_\infty(\delta)\to 0$ as $\delta\to 0$: learning to precision $\delta$
#    takes a time $\ln(1/\delta)/(2g)$ plus a constant.
# 3. If $B_1$ is singular, equivalently if $\operatorname{span}M_0$ contains a non-zero
#    vector orthogonal to $E_z$, then $\theta(t) = \pi/2$ for every $t$: the flow never
#    reaches $E_z$. This set of initialisations is the zero set of $\det B_1$, of measure
#    zero (a Haar-random $M_0$ avoids it with probability one).
# :::
#
# :::{prf:proof}
# *1.* $E_z$ is spanned by $Q\binom{I}{0}$ and $\operatorname{span}M(t)$ by
# $QW$, $W = \binom{I}{K}$, with orthonormal basis $W(I + K^\top K)^{-1/2}$. The cosines of
# the principal angles are the singular values of $\begin{pmatrix}I & 0\end{pmatrix}W(I +
# K^\top K)^{-1/2} = (I + K^\top K)^{-1/2}$, namely $1/\sqrt{1 + s_k^2}$ for the singular
# values $s_k$ of $K$; so $\tan\theta_k = s_k$ and $\tan\theta = \|K\|_2$. Write
# $K(t) = e^{-2gt}D_2(t)K(0)D_1(t)$ with $D_2 = e^{-2(\Lambda_2 - \lambda_{z+1})t}$ and
# $D_1 = e^{-2(\lambda_z - \Lambda_1)t}$, diagonal with entries in $(0, 1]$. Since
# $\|D_2AD_1\|_2\le\|A\|_2$, $\tan\theta(t)\le e^{-2gt}\|K(0)\|_2$; and since
# $K(t + s) = e^{-2gs}D_2(s)K(t)D_1(s)$, $\tan\theta$ never increases. Solving
# $e^{-2gt}\tan\theta(0) = \tan\delta$ gives the bound on $T(\delta)$.
#
# *2.* The $(1, z)$ entry of $D_2(t)K(0)D_1(t)$ is $K(0)_{1z}$ for all $t$ (both diagonal
# factors are 1 there), and a matrix has spectral norm at least the modulus of any entry,
# so $\tan\theta(t)\ge\kappa e^{-2gt}$, which exceeds $\tan\delta$ for $t < T_\infty(\delta)$.
# For the upper bound split $X = X_r + X_o$ into its first row and the rest. Columns
# $j < z$ of $D_1$ are at most $e^{-2(\lambda_z - \lambda_{z-1})t}$ and rows $i\ge 2$ of
# $D_2$ at most $e^{-2(\lambda_{z+2} - \lambda_{z+1})t}$, so
# $\|D_2XD_1\|_2\le\|D_2X_rD_1\|_2 + \|D_2X_oD_1\|_2\le 2e^{-2g't}\|X\|_2$, and
# $\tan\theta(t)\le e^{-2gt}(\kappa + 2e^{-2g't}\|X\|_2)$. At $t = T(\delta)$, $\theta = \delta$
# by continuity; solving for $T$ gives the upper bound.
#
# *3.* If $B_1a = 0$ with $a\ne 0$, then $v = M_0a$ is orthogonal to $q_1,\dots,q_z$.
# $e^{-2Ct}$ maps $E_z^\perp$ into itself and is invertible, so $Y(t)a = e^{-2Ct}v$ is a
# non-zero vector of $E_z^\perp$ lying in $\operatorname{span}Y(t) = \operatorname{span}M(t)$.
# Two $z$-dimensional subspaces one of which contains a vector orthogonal to the other have
# largest principal angle $\pi/2$. Conversely $B_1 a = 0$ for some $a\neq 0$ is exactly
# $M_0 a\perp E_z$.
# :::
#
# In words: the time to learn is governed by the eigengap $\lambda_{z+1} - \lambda_z$ and
# only logarithmically by the precision and the initialisation. For $z = 1$ this recovers
# the convergence of {prf:ref}`Theorem 3 <thm-convergence>`; for every $z$ it also gives the
# time to a given precision and names the initialisations that never converge. The constant $2$ in the
# rate is the book's time convention; with the paper's learning rate $\eta$ inside the flow
# the rate is $2\eta g$.

# %% [markdown]
# ## Check 4: learning time against the eigengap
#
# We fix $d = 10$, $z = 2$, eigenvectors and $M_0$ (Haar-random), and vary only the gap:
# $\lambda = (-2.5, -2, -2 + g, -2 + g + 0.5, \dots)$, so that the neighbouring gaps stay
# $g' = 0.5$. For each $g$ the *measured* $T(\delta)$, $\delta = 10^{-6}$, comes from the
# tight ODE alone: $\theta(t)$ on a grid of 2,000 times, first crossing of $\delta$ located
# by linear interpolation of $\ln\tan\theta$ (which is almost linear there). The ODE's
# angle error, about $10^{-11}$ (Check 2), moves the crossing by about
# $10^{-11}/(\delta\cdot 2g)\le 10^{-4}$; we allow $10^{-3}$ of slack on each side of the
# bracket of the corollary, and also assert the cruder bound of item 1.

# %%
GAPS = np.geomspace(0.05, 2.0, 6 if SIZE == "fast" else 12)
DELTA = 1e-6
d, z = 10, 2
Q4 = manifold.haar_orthonormal(d, d, rng)
M04 = manifold.haar_orthonormal(d, z, rng)


def spectrum(g):
    return np.r_[-2.5, -2.0, -2.0 + g, -2.0 + g + np.linspace(0.5, 3.0, d - 3)]


def first_crossing(ts, theta, delta):
    i = int(np.argmax(theta <= delta))
    assert i > 0 and theta[i] <= delta < theta[i - 1]
    a, b = np.log(np.tan(theta[i - 1 : i + 1]))
    return float(ts[i - 1] + (np.log(np.tan(delta)) - a) / (b - a) * (ts[i] - ts[i - 1]))


def bracket(C, M0, delta, gp):
    """T_infinity and the width of the bracket of the corollary, item 2 (as a function of T)."""
    lam = np.linalg.eigvalsh(C)
    z = M0.shape[1]
    g = lam[z] - lam[z - 1]
    K0 = closed_form.tangent_matrix(C, M0, 0.0)
    kappa = abs(K0[0, z - 1])
    X = K0.copy()
    X[0, z - 1] = 0.0
    nX = np.linalg.norm(X, 2)
    T_inf = np.log(kappa / np.tan(delta)) / (2 * g)
    return T_inf, lambda T: np.log1p(2 * nX / kappa * np.exp(-2 * gp * T)) / (2 * g)


rows4 = []
curves4 = {}
for g in GAPS:
    C = with_spectrum(Q4, spectrum(g))
    bound, T_inf_pkg = closed_form.convergence_time(C, M04, DELTA)
    T_inf, width = bracket(C, M04, DELTA, gp=0.5)
    tt = np.linspace(0.0, 1.2 * bound, 2000)
    M = dynamics.grassmann_flow_ode(C, M04, tt, rtol=1e-13, atol=1e-13)
    theta = np.array([metrics.subspace_distance(m, Q4[:, :z]) for m in M])
    T_meas = first_crossing(tt, theta, DELTA)
    curves4[g] = (tt, theta)
    rows4.append((g, T_meas, T_inf, T_inf + width(T_meas), bound))
    print(f"g = {g:.3f}: T_inf = {T_inf:8.4f} <= T_measured = {T_meas:8.4f} <= {T_inf + width(T_meas):8.4f}"
          f" <= bound {bound:8.3f}")
    assert abs(T_inf - T_inf_pkg) < 1e-9 * T_inf
    assert T_inf - 1e-3 <= T_meas <= T_inf + width(T_meas) + 1e-3
    assert T_meas <= bound + 1e-3
rows4 = np.array(rows4)
slope4, slope4_se = metrics.loglog_slope(rows4[:, 0], rows4[:, 1])
print(f"log-log slope of T(delta) against g: {slope4:.3f} +- {slope4_se:.3f}")
glue("t4_gmin", float(GAPS[0]), display=False)
glue("t4_gmax", float(GAPS[-1]), display=False)
glue("t4_Tmax", float(rows4[0, 1]), display=False)
glue("t4_Tmin", float(rows4[-1, 1]), display=False)
glue("t4_maxdev", float(np.max(rows4[:, 1] - rows4[:, 2])), display=False)
glue("t4_slope", slope4, display=False)

# %%
fig, (ax0, ax1) = new_figure(ncols=2, width=3.6, height=3.0)
for k, g in enumerate(GAPS[:: max(1, len(GAPS) // 4)]):
    tt, theta = curves4[g]
    C = with_spectrum(Q4, spectrum(g))
    ax0.semilogy(tt, theta, color=COLORS[k], label=f"g = {g:.2f}")
    ax0.semilogy(tt[::150], closed_form.distance_curve(C, M04, tt[::150]), "o", ms=3, mfc="none", color=COLORS[k])
ax0.axhline(DELTA, color="k", lw=0.6, ls=":")
ax0.set(xlabel="time $t$", ylabel=r"largest angle $\theta(t)$ to $E_z$ (rad)", title="ODE (lines), closed form (circles)")
ax0.legend(fontsize=7)
ax1.loglog(rows4[:, 0], rows4[:, 4], "-", color=COLORS[3], label=r"bound $\ln(\tan\theta_0/\tan\delta)/2g$")
ax1.loglog(rows4[:, 0], rows4[:, 2], "--", color=COLORS[0], label=r"$T_\infty = \ln(\kappa/\tan\delta)/2g$")
ax1.loglog(rows4[:, 0], rows4[:, 1], "o", color=COLORS[1], label="measured (ODE)")
ax1.set(xlabel=r"eigengap $g = \lambda_{z+1} - \lambda_z$", ylabel=r"time to reach $\theta = 10^{-6}$")
ax1.legend(fontsize=7)
glue("fig_gap", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig_gap
# :name: fig-gap
#
# Left: the largest principal angle between $\operatorname{span}M(t)$ and the bottom
# eigenspace $E_2$ ($d = 10$), from the ODE (lines) and from the closed form
# $\arctan\|K(t)\|_2$ (circles), for several eigengaps $g$; after a transient each curve is
# a straight line of slope $-2g$ on this scale. Right: the time to reach
# $\theta = 10^{-6}$ against $g$: measured from the ODE (dots), the asymptotic prediction
# $T_\infty$ (dashed) and the crude bound of item 1 (solid).
# ```
#
# Over gaps from {glue:text}`t4_gmin:.2f` to {glue:text}`t4_gmax:.1f` the learning time
# falls from {glue:text}`t4_Tmax:.1f` to {glue:text}`t4_Tmin:.2f`, a log-log slope of
# {glue:text}`t4_slope:.3f` (the $1/g$ law, up to the slowly varying
# $\ln\kappa$), and the measured time exceeds $T_\infty$ by at most
# {glue:text}`t4_maxdev:.1e`, inside the bracket of the corollary. A small eigengap, not
# the dimension, is what makes learning slow.

# %% [markdown]
# ## Where it breaks: initialisations that never learn
#
# Drop the hypothesis that $B_1$ is invertible. Take $z = 1$, $C$ diagonal with
# $\lambda = (-2, -1, -0.5, 0, 0.5, 1)$ (no loss of generality: the flow commutes with
# orthogonal changes of basis), and $m_0 = \varepsilon e_1 + \sqrt{1 - \varepsilon^2}\,w$
# with $w$ a fixed random unit vector orthogonal to $e_1$. For $\varepsilon = 0$ item 3
# says $\theta(t) = \pi/2$ forever; in the ODE the first coordinate of $M$ is then exactly
# zero at every step (with $C$ diagonal, each term of (F) in that row is a product with a
# zero), so the check is exact: we assert $\theta = \pi/2$ to the last bit and that the
# loss settles at the saddle value $\lambda_2$ instead of $\lambda_1$. For $\varepsilon > 0$
# the flow first heads for $e_2$, lingers near this saddle, and escapes; item 2 with
# $\delta = \pi/4$ predicts when: $T_\infty = \ln(\kappa)/2(\lambda_2 - \lambda_1)$ with
# $\kappa = \sqrt{1 - \varepsilon^2}\,|w_2|/\varepsilon$, a time that grows like
# $\ln(1/\varepsilon)$. We assert the bracket of item 2 for each $\varepsilon$, and that
# the closed-form loss curve (item 5; $B_1 = \varepsilon$ is tiny but invertible) matches the
# ODE within $10^{-9}$. Here the ODE's absolute tolerance must be far below $\varepsilon$,
# since the whole future is decided by a component of size $\varepsilon$: we use
# $10^{-20}$.

# %%
lam5 = np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0])
C5 = np.diag(lam5)
w5 = rng.standard_normal(6)
w5[0] = 0.0
w5 /= np.linalg.norm(w5)
ts5 = np.linspace(0.0, 20.0, 801)
EPS = [0.0, 1e-12, 1e-8, 1e-4]
runs5 = {}
for eps in EPS:
    m0 = np.sqrt(1 - eps**2) * w5
    m0[0] = eps
    m0 = m0[:, None]
    M = dynamics.grassmann_flow_ode(C5, m0, ts5, rtol=1e-13, atol=1e-20)
    loss = np.einsum("tia,i,tia->t", M, lam5, M)
    theta = np.arccos(np.minimum(np.abs(M[:, 0, 0]), 1.0))
    if eps == 0.0:
        print(f"eps = 0: min_t theta(t) = {theta.min():.17f} (pi/2 = {np.pi / 2:.17f}); "
              f"final loss {loss[-1]:+.12f} (saddle value lambda_2 = {lam5[1]:+.1f})")
        assert np.all(M[:, 0, 0] == 0.0) and np.all(theta == np.pi / 2)
        assert abs(loss[-1] - lam5[1]) < 1e-9
        runs5[eps] = (loss, None)
        continue
    T_inf, width = bracket(C5, m0, np.pi / 4, gp=lam5[2] - lam5[1])
    T_meas = first_crossing(ts5, theta, np.pi / 4)
    cf_err = float(np.max(np.abs(closed_form.loss_curve(C5, m0, ts5) - loss)))
    runs5[eps] = (loss, T_meas)
    print(f"eps = {eps:.0e}: escape time T_inf = {T_inf:7.4f} <= measured {T_meas:7.4f} <= "
          f"{T_inf + width(T_meas):7.4f}; closed-form loss vs ODE {cf_err:.1e}")
    assert T_inf - 1e-3 <= T_meas <= T_inf + width(T_meas) + 1e-3
    assert cf_err < 1e-9

# z = 2: span M_0 contains a vector orthogonal to E_2 = span(e_1, e_2)
a = rng.standard_normal(6)
a[:2] = 0.0
M0_deg = np.linalg.qr(np.c_[a, rng.standard_normal(6)])[0]
M_deg = dynamics.grassmann_flow_ode(C5, M0_deg, ts5, rtol=1e-13, atol=1e-13)
dev_deg = np.pi / 2 - np.array([metrics.subspace_distance(m, np.eye(6)[:, :2]) for m in M_deg])
print(f"z = 2, degenerate M_0: pi/2 - theta(t) = {dev_deg[200]:.1e} at t = 5, {dev_deg[-1]:.1e} at t = 20 (tol 1e-6)")
assert dev_deg.max() < 1e-6
glue("deg_t5", float(dev_deg[200]), display=False)
glue("deg_t20", float(dev_deg[-1]), display=False)
glue("esc_12", float(runs5[1e-12][1]), display=False)
glue("esc_4", float(runs5[1e-4][1]), display=False)

fig, ax = new_figure(width=5.0, height=3.0)
for k, eps in enumerate(EPS):
    loss, T = runs5[eps]
    ax.plot(ts5, loss, color=COLORS[k], label=r"$\varepsilon = 0$" if eps == 0 else rf"$\varepsilon = 10^{{{int(np.log10(eps))}}}$")
    if T is not None:
        ax.axvline(T, color=COLORS[k], lw=0.6, ls=":")
for v, lab in ((lam5[0], r"$\lambda_1$"), (lam5[1], r"$\lambda_2$ (saddle)")):
    ax.text(20.2, v, lab, va="center", fontsize=8)
ax.set(xlabel="time $t$", ylabel=r"loss $m^\top C m$", xlim=(0, 20))
ax.legend(loc="upper right", fontsize=7)
glue("fig_saddle", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig_saddle
# :name: fig-saddle
#
# The loss along the flow ($z = 1$, $d = 6$) from $m_0 = \varepsilon e_1 +
# \sqrt{1 - \varepsilon^2}\,w$. With $\varepsilon = 0$ the flow converges to the saddle
# $e_2$ and the loss stays at $\lambda_2$; with $\varepsilon > 0$ it lingers there and then
# drops to $\lambda_1$. Dotted lines: measured escape times ($\theta = \pi/4$), each within
# the bracket of the corollary around $\ln(\kappa)/2(\lambda_2 - \lambda_1)$.
# ```
#
# The escape takes {glue:text}`esc_4:.2f` time units from $\varepsilon = 10^{-4}$ and
# {glue:text}`esc_12:.2f` from $\varepsilon = 10^{-12}$: every factor $10^4$ in
# $\varepsilon$ costs the same extra time $\ln(10^4)/2$. For $z = 2$ with a degenerate
# $M_0$ (its span contains a vector orthogonal to $E_2$) the angle stays within
# {glue:text}`deg_t20:.0e` of $\pi/2$ up to $t = 20$; the deviation, {glue:text}`deg_t5:.0e`
# at $t = 5$, is rounding error being amplified along the unstable direction of the
# saddle. In exact arithmetic these initialisations never learn; in floating point, and
# with any noise, they learn late.

# %% [markdown]
# ## Benchmark: the learning curve by closed form and by Euler steps of (12)
#
# The paper integrates the output dynamics (12),
# $F_{k+1} = F_k - 2\eta(K - F_kF_k^\top)DF_k$, with $F = ZM$ the outputs of the $m = 3n$
# points that build $C = Z^\top DZ$. We take its MNIST setting at a smaller scale (digits 0
# and 1, 100 images each, Gaussian positives with $\sigma = 0.1$, $d = 784$, $z = 3$) and
# ask for the loss at 1,000 equally spaced times up to the time at which item 1 of the
# corollary guarantees $\theta\le 10^{-6}$.
#
# *Equal accuracy, made precise.* The closed form is accurate to rounding (Check 2; here
# we confirm it against `flow_projector`, a different algorithm, at 10 of the times). Euler's
# method is first order: its largest error over the 1,000 times is $c/N$ for $N$ steps. We
# run $N = 1000, 2000, 4000$, check the order (log-log slope $-1$ within $0.05$), and take
# $c$ from the finest run. The number of steps for a target accuracy of $10^{-6}$ is then
# $N^* = c/10^{-6}$ and its cost $N^*$ times the measured cost per step. Timings are
# medians of repeats with `time.perf_counter`, with the linear algebra restricted to one
# thread (`threadpoolctl`, first cell) so that the ratio does not depend on how many cores happen to be
# free; absolute times still depend on the machine and its load, which is why we assert
# only that the ratio exceeds 1, both at the target and at the accuracy Euler reaches with
# 4,000 steps.

# %%
REPEATS = 3 if SIZE == "fast" else 7
rng_b = np.random.default_rng(SEED + 10)
Xb, _ = data.mnist_digits((0, 1), 100, rng_b)
Xbp, Xbn = data.gaussian_positives(Xb, 0.1, rng_b), data.random_negatives(Xb, rng_b)
Cb = losses.contrastive_matrix(Xb, Xbp, Xbn)
Zb, Db = training.output_factor(Xb, Xbp, Xbn)
Kb = Zb @ Zb.T
zb = 3
M0b = manifold.haar_orthonormal(784, zb, rng_b)
T_end = closed_form.convergence_time(Cb, M0b, 1e-6)[0]
tb = T_end * np.arange(1, 1001) / 1000


def timed(fn, repeats):
    out, times = None, []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, float(np.median(times))



euler = {}
L_exact, t_closed = timed(lambda: closed_form.loss_curve(Cb, M0b, tb), REPEATS)
for N in (1000, 2000, 4000):
    res, t_run = timed(lambda: training.output_flow(Zb @ M0b, Kb, Db, lr=T_end / N, steps=N),
                       REPEATS if N == 1000 else 1)
    err = float(np.max(np.abs(res.losses[N // 1000 :: N // 1000] - L_exact)))
    euler[N] = (err, t_run, res.losses[N // 1000 :: N // 1000])
P_check = dynamics.flow_projector(Cb, M0b, tb[99::100])
cf_vs_fp = float(np.max(np.abs(np.einsum("ij,tji->t", Cb, P_check) - L_exact[99::100])))
Ns = np.array(list(euler))
errs = np.array([euler[N][0] for N in Ns])
slope_b, _ = metrics.loglog_slope(Ns, errs)
c_euler = errs[-1] * Ns[-1]
per_step = float(np.median([euler[N][1] / N for N in Ns]))
N_star = c_euler / 1e-6
ratio_target = N_star * per_step / t_closed
ratio_4000 = euler[4000][1] / t_closed
print(f"closed form: {t_closed * 1e3:.0f} ms for 1,000 times (vs flow_projector: {cf_vs_fp:.1e}, tol 1e-9)")
for N in Ns:
    print(f"Euler N = {N:5d}: max loss error {euler[N][0]:.3e}, N * error = {euler[N][0] * N:.1f}, time {euler[N][1] * 1e3:.0f} ms")
print(f"order: slope {slope_b:.3f} (expected -1 +- 0.05); N* for 1e-6: {N_star:.2e} steps, "
      f"about {N_star * per_step:.2e} s; ratio {ratio_target:.2e} (at 4,000 steps: {ratio_4000:.1f})")
assert cf_vs_fp < 1e-9
assert abs(slope_b + 1) < 0.05
assert ratio_target > 1 and ratio_4000 > 1
glue("b_tclosed", t_closed * 1e3, display=False)
glue("b_T", float(T_end), display=False)
glue("b_c", float(c_euler), display=False)
glue("b_err4000", float(euler[4000][0]), display=False)
glue("b_Nstar", float(N_star), display=False)
glue("b_step_us", per_step * 1e6, display=False)
glue("b_ratio", float(ratio_target), display=False)
glue("b_ratio4000", float(ratio_4000), display=False)
glue("b_cffp", cf_vs_fp, display=False)
glue("b_Lend", float(L_exact[-1]), display=False)

# %%
fig, (ax0, ax1) = new_figure(ncols=2, width=3.6, height=3.0)
for k, N in enumerate((1000, 2000, 4000)):
    ax0.semilogy(tb, np.abs(euler[N][2] - L_exact) + 1e-16, color=COLORS[k + 1], label=f"N = {N}")
ax0.set(xlabel="time $t$", ylabel="|Euler (12) - closed form|", title="MNIST 0/1, d = 784, z = 3")
ax0.legend(fontsize=7)
Ngrid = np.geomspace(1e3, 2 * N_star, 50)
ax1.loglog(Ns, errs, "o", color=COLORS[1], label="Euler (12), measured")
ax1.loglog(Ngrid, c_euler / Ngrid, "--", color=COLORS[1], label=r"$c/N$")
ax1.axhline(1e-6, color="k", lw=0.6, ls=":")
ax1.axvline(N_star, color="k", lw=0.6, ls=":")
ax1.set(xlabel="Euler steps $N$", ylabel="max loss error over 1,000 times", title="accuracy against cost")
ax1.legend(fontsize=7)
glue("fig_bench", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig_bench
# :name: fig-bench
#
# Left: the error of the learning curve from Euler steps of (12) on MNIST digits 0 and 1,
# against the closed form, for 1,000 to 4,000 steps over the same time span (the loss
# itself falls from about 0 to {glue:text}`b_Lend:.1f`); the error is largest during the
# fast initial transient. Right: Euler's largest error over the 1,000
# times against the number of steps, with the first-order law $c/N$; the dotted lines
# mark the target $10^{-6}$ and the number of steps $N^*$ it requires.
# ```
#
# The closed form takes {glue:text}`b_tclosed:.0f` ms for the whole curve up to
# $t =$ {glue:text}`b_T:.2f`, dominated by one eigendecomposition of a $784\times 784$ matrix,
# and agrees with `flow_projector` to {glue:text}`b_cffp:.0e`. Euler's error is
# {glue:text}`b_c:.0f`$/N$: with 4,000 steps it is still {glue:text}`b_err4000:.2f`, and
# reaching $10^{-6}$ would take $N^* =$ {glue:text}`b_Nstar:.1e` steps at
# {glue:text}`b_step_us:.0f` µs each, a time ratio of {glue:text}`b_ratio:.1e` in favour of
# the closed form (an extrapolation along the measured $1/N$ law; at the far lower accuracy
# of 4,000 steps the ratio is already {glue:text}`b_ratio4000:.1f`). Euler's constant is
# large because the spectrum of $C$ is wide and the early transient is fast; a higher-order
# integrator would narrow the gap, but the closed form also needs no choice of step.

# %% [markdown]
# ## What we learned
#
# - The flow of Theorem 2 is Oja's subspace flow, and its projector is
#   $Y(Y^\top Y)^{-1}Y^\top$ with $Y = e^{-2Ct}M_0$ ({prf:ref}`closed-form proposition <prop-closed-form>`), which
#   solves the Riccati equation (residual {glue:text}`ric_res:.1e`, shrinking as $h^2$) and
#   matches a tight ODE solve to {glue:text}`c2_perr:.1e` for several $d$ and $z$, loss
#   curves to {glue:text}`c2_lerr:.1e`.
# - For $z = 1$, $M(t) = Y/\|Y\|$ exactly. For $z > 1$ only the orientation inside the span
#   needs integrating, a $z\times z$ equation $\dot U = -\Omega U$ (checked to
#   {glue:text}`rot_res:.0e`); the polar factor of $Y$ is off by a rotation of up to
#   {glue:text}`polar_deg:.0f` degrees.
# - The time to learn to precision $\delta$ is $\ln(\kappa/\tan\delta)/2g$ plus an
#   exponentially small correction, $g$ the eigengap $\lambda_{z+1} - \lambda_z$
#   ({prf:ref}`learning-time corollary <cor-closed-form-time>`); measured times sit inside the predicted bracket.
# - Initialisations whose span contains a direction orthogonal to the bottom eigenspace
#   never learn; nearby ones escape the saddle after a time growing like
#   $\ln(1/\varepsilon)$.
# - One eigendecomposition gives the whole learning curve; matching its accuracy
#   ($10^{-6}$) with Euler steps of (12) would cost about {glue:text}`b_ratio:.0e` times
#   more on the MNIST example.


# %% tags=["remove-cell"]
# Reached only when every check above passed; the results overview page shows it.
glue("checks_status", "passed", display=False)

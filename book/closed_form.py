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
# **The claim in plain words.** The constrained dynamics of Theorem 2 of
# {cite}`esser2024dynamics`, $\dot M = -2(I_d - MM^\top)CM$ with orthonormal columns, is
# Oja's subspace flow {cite}`oja1982simplified,yan1994oja`, and the part of it that
# matters for learning, the subspace spanned by $M(t)$ and with it the loss, is known in
# closed form: it is the span of $e^{-2Ct}M(0)$. Where the paper integrates the flow
# numerically, one eigendecomposition of $C$ gives the whole learning curve, the time it
# takes to learn as a function of the eigengap of $C$, and the (measure-zero, but real)
# set of initialisations that never learn.
#
# (departure-closed-form)=
# **What the paper says.** After Theorem 2, {cite}`esser2024dynamics` notes that
# equations like its (9) were analysed by Yan, Helmke and Moore and by Fukumizu (1998),
# that the usual route converts them into a matrix Riccati equation, and announces "a
# complete solution" for a special case; in the text available to us that formula, and
# the case it covers, are lost. It then says that the equation "doesn't seem to have a
# simple closed form". For the learned subspace, and so for the loss, it does: this
# chapter derives it and checks it.

# %% tags=["remove-cell"]
# Make the helper package importable: in Colab it is installed from the
# repository (or, for testing, from SSL_NOTES_SOURCE with extra pip
# arguments SSL_NOTES_PIP_ARGS).
try:
    import ssl_notes
except ImportError:
    import os
    import shlex
    import subprocess
    import sys

    _src = os.environ.get(
        "SSL_NOTES_SOURCE",
        "git+https://github.com/ssl-dynamics-notes/ssl-dynamics-notes@main",
    )
    _args = shlex.split(os.environ.get("SSL_NOTES_PIP_ARGS", ""))
    _pip = [sys.executable, "-m", "pip", "install", "--quiet"]
    subprocess.check_call([*_pip, _src, *_args])
    if "--target" in _args:
        sys.path.insert(0, _args[_args.index("--target") + 1])
    import ssl_notes

# %%
import matplotlib.pyplot as plt
import numpy as np
from threadpoolctl import threadpool_limits

from ssl_notes import (
    closed_form,
    data,
    dynamics,
    glue,
    losses,
    manifold,
    metrics,
    training,
)
from ssl_notes.experiments import closed_form as cfx
from ssl_notes.plotting import COLORS, new_figure

# One BLAS thread: the benchmark at the end times single-threaded code.
threadpool_limits(limits=1)
device = ssl_notes.default_device()  # all float64 linear algebra in numpy
SIZE = "fast"  # "full": more (d, z) pairs, eigengaps, benchmark repeats
SEED = 0
rng = np.random.default_rng(SEED)
print(f"ssl_notes {ssl_notes.__version__}, device {device}, SIZE = {SIZE}")

# %% [markdown]
# ## The statement
#
# Time is measured as in the rest of the book: the learning rate is absorbed into $t$, so
# the flow of the end-to-end matrix $M = WV$ of {prf:ref}`Theorem 2 <thm-grassmann>` is
#
# \begin{equation}
# \dot M = -2\,(I_d - MM^\top)\,C M, \qquad M(0) = M_0,\quad M_0^\top M_0 = I_z, \tag{F}
# \end{equation}
#
# and one gradient step of size $\eta$ advances time by $\eta$. We write
# $C = Q\Lambda Q^\top$ with ascending eigenvalues $\lambda_1\le\dots\le\lambda_d$ and
# eigenvectors $q_1,\dots,q_d$, and split $B = Q^\top M_0$ into its first $z$ rows $B_1$
# and the remaining $d - z$ rows $B_2$; likewise $\Lambda_1 = \operatorname{diag}(\lambda_1,
# \dots,\lambda_z)$ and $\Lambda_2 = \operatorname{diag}(\lambda_{z+1},\dots,\lambda_d)$.
# For a square matrix $H$, $\operatorname{low}(H)$ and $\operatorname{up}(H)$ are its
# strictly lower and strictly upper triangular parts.
#
# :::{prf:proposition} The flow in closed form
# :label: prop-closed-form
# :nonumber:
#
# Let $C\in\mathbb{R}^{d\times d}$ be symmetric, $1\le z\le d$,
# $M_0\in\mathbb{R}^{d\times z}$ with $M_0^\top M_0 = I_z$, and $Y(t) = e^{-2Ct}M_0$. Then:
#
# 1. (F) has a unique solution $M(t)$ for all $t\ge 0$, and $M(t)^\top M(t) = I_z$.
# 2. Its projector is $P(t) = M(t)M(t)^\top = Y(t)\big(Y(t)^\top Y(t)\big)^{-1}Y(t)^\top$,
#    and $P$ solves the Riccati equation $\dot P = -2(CP + PC) + 4PCP$.
# 3. For $z = 1$: $M(t) = Y(t)/\|Y(t)\|$.
# 4. For any $z$, let $Y = \hat Y R$ be the QR factorisation with $R$ upper triangular
#    with positive diagonal. Then $M(t) = \hat Y(t)U(t)$, where $U(t)$ is orthogonal and
#    solves
#
#    $$
#    \begin{aligned}
#    \dot U &= -\Omega U, \qquad U(0) = I_z,\\
#    \Omega &= \operatorname{low}(H) - \operatorname{up}(H),
#    \qquad H = -2\hat Y^\top C\hat Y .
#    \end{aligned}
#    $$
#
#    In general ($z\ge 2$) $M(t)$ is *not* the polar factor $Y(Y^\top Y)^{-1/2}$,
#    although both span the same subspace.
# 5. If $B_1$ is invertible, the loss is
#
#    $$
#    \begin{aligned}
#    \operatorname{Tr}\big(M(t)^\top C M(t)\big)
#    &= \operatorname{Tr}\Big(\big(I_z + K^\top K\big)^{-1}
#       \big(\Lambda_1 + K^\top\Lambda_2 K\big)\Big),\\
#    K(t) &= e^{-2\Lambda_2 t}\,B_2B_1^{-1}\,e^{2\Lambda_1 t},
#    \end{aligned}
#    $$
#
#    where $K(t)_{ij} = e^{-2(\lambda_{z+i} - \lambda_j)t}\,(B_2B_1^{-1})_{ij}$ has only
#    non-positive exponents: one eigendecomposition of $C$ gives the loss at every time,
#    without overflow.
# :::
#
# :::{prf:proof}
# *Item 1.* The right-hand side of (F) is a polynomial in $M$, hence locally Lipschitz,
# so a unique solution exists on some interval $[0, \tau)$. Let $N = I_z - M^\top M$.
# From (F), $M^\top\dot M = -2(M^\top CM - M^\top M\,M^\top CM) = -2N\,M^\top CM$, so
# $\dot N = -(\dot M^\top M + M^\top\dot M) = 2(M^\top CM\,N + N\,M^\top CM)$: a linear
# equation for $N$ with $N(0) = 0$, whose only solution is $N\equiv 0$. Hence
# $\|M(t)\|_F^2 = z$ stays bounded, the solution cannot blow up, and $\tau = \infty$.
# Note for later that $M^\top\dot M = -2N\,M^\top C M = 0$: the flow is *horizontal*, it
# never rotates $M$ within its own span.
#
# *Item 2.* $e^{-2Ct}$ is invertible, so $Y(t)$ has full column rank and $G = Y^\top Y$
# is positive definite for every $t$. Let $\tilde P = YG^{-1}Y^\top$. With
# $\dot Y = -2CY$, $\dot G = -4Y^\top CY$ and
# $\tfrac{d}{dt}G^{-1} = -G^{-1}\dot G G^{-1} = 4G^{-1}Y^\top CYG^{-1}$,
#
# $$
# \begin{aligned}
# \dot{\tilde P} &= \dot Y G^{-1}Y^\top + Y\tfrac{d}{dt}(G^{-1})Y^\top
#   + YG^{-1}\dot Y^\top\\
# &= -2C\tilde P + 4\tilde P C\tilde P - 2\tilde P C .
# \end{aligned}
# $$
#
# For $P = MM^\top$, (F) gives $\dot P = \dot MM^\top + M\dot M^\top
# = -2(I - P)CP - 2PC(I - P) = -2(CP + PC) + 4PCP$, the same polynomial equation. Both
# start from $\tilde P(0) = M_0(M_0^\top M_0)^{-1}M_0^\top = M_0M_0^\top = P(0)$, so by
# uniqueness $P = \tilde P$ for all $t$.
#
# *Item 3.* For $z = 1$ let $m = y/\|y\|$ with $y = Y$. Then
# $\dot m = \dot y/\|y\| - y\,(y^\top\dot y)/\|y\|^3 = -2Cm + 2m\,(m^\top Cm)
# = -2(I - mm^\top)Cm$ and $m(0) = m_0$: $m$ solves (F), and by uniqueness it is $M(t)$.
#
# *Item 4.* The positive-diagonal QR factorisation of a full-rank matrix is unique and
# depends smoothly on it (Gram–Schmidt), so $\hat Y = YR^{-1}$ is smooth. By item 2,
# $M(t)$ and $\hat Y(t)$ are orthonormal bases of the same subspace, so
# $U = \hat Y^\top M$ is orthogonal and $M = \hat YU$. Differentiating and using
# horizontality (item 1), $0 = M^\top\dot M = U^\top(\hat Y^\top\dot{\hat Y})U +
# U^\top\dot U$, i.e. $\dot U = -\Omega U$ with $\Omega = \hat Y^\top\dot{\hat Y}$, which
# is skew-symmetric (differentiate $\hat Y^\top\hat Y = I$). Now
# $\dot{\hat Y} = \dot YR^{-1} - YR^{-1}\dot RR^{-1} = -2C\hat Y - \hat Y\dot RR^{-1}$,
# so
#
# $$
# \Omega = -2\hat Y^\top C\hat Y - \dot RR^{-1} = H - \dot RR^{-1}.
# $$
#
# $\dot RR^{-1}$ is upper triangular (a product of upper triangular matrices), so the
# strictly lower triangle of $\Omega$ is that of $H$; a skew-symmetric matrix is
# determined by its strictly lower triangle, and $H$ is symmetric, so
# $\Omega = \operatorname{low}(H) - \operatorname{low}(H)^\top = \operatorname{low}(H) -
# \operatorname{up}(H)$. Finally $M_0$ is its own positive-diagonal QR factor
# ($R(0) = I$), so $U(0) = I$. For $z = 1$, $\Omega = 0$ and item 3 is recovered. The
# polar factor is $Y(Y^\top Y)^{-1/2} = \hat Y\,R(R^\top R)^{-1/2}$, another orthogonal
# change of basis within the same span; nothing forces $R(R^\top R)^{-1/2}$ to obey
# $\dot U = -\Omega U$, and Check 3 below exhibits a case where it does not, which is
# all that "in general" claims.
#
# *Item 5.* $Y = Qe^{-2\Lambda t}B$. If $B_1$ is invertible, right-multiplying $Y$ by the
# invertible matrix $B_1^{-1}e^{2\Lambda_1 t}$ changes neither its span nor $P$, and
# gives $Q\,W$ with $W = \begin{pmatrix} I_z\\ K(t)\end{pmatrix}$. Hence
# $P = QW(W^\top W)^{-1}W^\top Q^\top$ with $W^\top W = I + K^\top K$ and, by the cyclic
# property of the trace,
#
# $$
# \begin{aligned}
# \operatorname{Tr}(CP) &= \operatorname{Tr}\big((W^\top W)^{-1}W^\top\Lambda W\big)\\
# &= \operatorname{Tr}\big((I + K^\top K)^{-1}(\Lambda_1 + K^\top\Lambda_2K)\big).
# \end{aligned}
# $$
#
# Entrywise, $K_{ij} = e^{-2\lambda_{z+i}t}(B_2B_1^{-1})_{ij}e^{2\lambda_j t}$ with
# $\lambda_{z+i}\ge\lambda_j$ for every $i\ge 1$, $j\le z$.
# :::
#
# The package implements items 2–5:
# {func}`~ssl_notes.dynamics.flow_projector` (item 2, at any time, without overflow),
# {func}`~ssl_notes.dynamics.grassmann_flow` (item 3 exactly, item 4 by integrating the
# $z\times z$ equation), {func}`~ssl_notes.closed_form.loss_curve` (item 5, all times at
# once) and {func}`~ssl_notes.closed_form.qr_basis` ($\hat Y(t)$). Each check below is
# one function of {mod}`ssl_notes.experiments.closed_form` that takes the object under
# test as an argument and returns a verdict; its unit tests feed it a wrong closed form
# (a rate $e^{-Ct}$, a wrong sign of $\Omega$, a wrong basis) and see it fail.

# %% [markdown]
# ## Check 1: the closed form solves the Riccati equation
#
# {func}`~ssl_notes.experiments.closed_form.riccati_check` differentiates the
# closed-form $P(t)$ by central differences with steps $h = 10^{-2}$ and $10^{-3}$ and
# compares with $-2(CP + PC) + 4PCP$.

# %%
C1 = cfx.random_symmetric(7, rng)
M01 = manifold.haar_orthonormal(7, 3, rng)
ric = cfx.riccati_check(C1, M01, t=0.6, step=1e-3)
print(f"residual at h = 1e-2: {ric.coarse:.2e}")
print(f"residual at h = 1e-3: {ric.fine:.2e} (tol {ric.tol:.0e})")
print(f"ratio {ric.ratio:.1f} (h^2 law: 100; accepted 50..200)")
assert ric.passed
glue("ric_res", ric.fine, display=False)
glue("ric_ratio", ric.ratio, display=False)

# %% [markdown]
# :::{dropdown} Why this tolerance
# A central difference with step $h$ is off by $\tfrac{h^2}{6}\|\dddot P\|$ plus
# rounding of order $10^{-16}/h$. For a solution the mismatch is therefore small
# (below $10^{-5}$ at $h = 10^{-3}$) and falls a hundredfold when $h$ falls tenfold;
# we accept a factor between 50 and 200. If the closed form were wrong, the mismatch
# would be of order one and would not shrink with $h$: with $e^{-Ct}$ in place of
# $e^{-2Ct}$ it is about $0.5$ at both steps (see the first exercise).
# :::
#
# The residual is {glue:text}`ric_res:.1e` at $h = 10^{-3}$ and shrinks by a factor
# {glue:text}`ric_ratio:.1f` per decade of $h$: pure truncation error.
#
# ## Check 2: against a tight ODE solve
#
# {func}`~ssl_notes.experiments.closed_form.compare_with_ode` compares the closed-form
# projector and loss, at 200 times in $[0, 6]$, with
# {func}`~ssl_notes.dynamics.grassmann_flow_ode`: the Dormand–Prince method of order 8
# on all $dz$ entries of (F), with tolerances $10^{-13}$. It also checks that the
# closed-form projectors are projectors of rank $z$, and for $z = 1$ compares $M(t)$
# itself with $Y/\|Y\|$ computed directly from the eigendecomposition.

# %%
CASES = [(4, 1), (10, 2), (20, 3), (50, 5)]
if SIZE == "full":
    CASES += [(100, 10), (30, 1)]
ts2 = np.linspace(0.0, 6.0, 200)
check2 = []
for d, z in CASES:
    C = cfx.random_symmetric(d, rng)
    M0 = manifold.haar_orthonormal(d, z, rng)
    check2.append(cfx.compare_with_ode(C, M0, ts2))
print("  d  z  |P-P_ode|  |L-L_ode|  |P^2-P|  |P-P^T|  |TrP-z|  |M-Y/|Y||")
for r in check2:
    m = "" if r.m_err is None else f"{r.m_err:10.1e}"
    print(
        f"{r.d:3d} {r.z:2d} {r.P_err.max():10.1e} {r.L_err:10.1e} "
        f"{r.idem:8.0e} {r.sym:8.0e} {r.trace:8.0e}{m}"
    )
assert all(r.passed for r in check2)  # 1e-9 and 1e-12, see below
glue("c2_perr", float(max(r.P_err.max() for r in check2)), display=False)
glue("c2_lerr", max(r.L_err for r in check2), display=False)
glue("c2_ncases", len(CASES), display=False)

# %% [markdown]
# :::{dropdown} Why these tolerances
# The ODE solver integrates $C - cI$ with $c > \lambda_{\max}$, which leaves (F)
# unchanged on the constraint set but makes the constraint attracting, so local errors
# do not accumulate along it; its global error is then a small multiple of its
# tolerance $10^{-13}$. We ask for agreement within $10^{-9}$ on the projector, the loss
# and (for $z = 1$) $M$ itself. The closed-form projectors must be projectors of rank
# $z$ to rounding: $\max|P^2 - P|$, $\max|P - P^\top|$ and
# $|\operatorname{Tr}P - z|$ below $10^{-12}$, a few hundred units of rounding for
# products of length $d\le 100$. A closed form with rate $e^{-Ct}$ misses the first
# bound by six orders of magnitude; a projector off by a factor $1 + 10^{-6}$ misses the
# second (both are unit tests of the check).
# :::
#
# Over {glue:text}`c2_ncases` pairs $(d, z)$ the closed-form projector and the ODE
# differ by at most {glue:text}`c2_perr:.1e`, and the loss curves by at most
# {glue:text}`c2_lerr:.1e`: the ODE's own tolerance, not a property of the closed form.
#
# ## Check 3: the rotation inside the span
#
# Item 4 says two things, which we test separately with $d = 8$, $z = 3$.
# {func}`~ssl_notes.experiments.closed_form.rotation_check` forms
# $U(t) = \hat Y(t)^\top M(t)$, with $M$ from the tight ODE and $\hat Y$ from
# {func}`~ssl_notes.closed_form.qr_basis`, and checks that it is orthogonal and obeys
# $\dot U = -\Omega U$ (central differences, $h = 10^{-4}$, $\Omega$ from
# {func}`~ssl_notes.experiments.closed_form.omega_matrix`).
# {func}`~ssl_notes.experiments.closed_form.basis_gap` then compares the natural guess,
# the polar factor $Y(Y^\top Y)^{-1/2}$
# ({func}`~ssl_notes.experiments.closed_form.polar_factor`), with $M(t)$: same
# projector, and for $z = 3$ a different matrix; for $z = 1$ the same one (item 3).

# %%
C3 = 2 * cfx.random_symmetric(8, rng)
M03 = manifold.haar_orthonormal(8, 3, rng)
rot = cfx.rotation_check(C3, M03, [0.4, 1.1, 2.5], step=1e-4)
ts3 = np.linspace(0.0, 3.0, 61)
polar = cfx.basis_gap(C3, M03, ts3)
polar1 = cfx.basis_gap(C3, manifold.haar_orthonormal(8, 1, rng), ts3)
print(f"|U^T U - I| = {rot.orth_err:.1e} (tol 1e-9)")
print(f"|dU/dt + Omega U| = {rot.residual:.1e} (tol {rot.tol:.0e})")
print(f"grassmann_flow vs ODE: {rot.flow_err:.1e} (tol 1e-8)")
print(
    f"polar factor, z = 3: |P_polar - P| = {polar.proj_err:.1e} (tol 1e-9)"
)
print(f"  but |M - polar|_F up to {polar.gap.max():.3f} (must exceed 1e-6)")
print(f"  a rotation by up to {polar.angle:.3f} rad")
print(f"polar factor, z = 1: |M - polar|_F <= {polar1.gap.max():.1e}")
assert rot.passed
assert polar.same_span and polar.gap.max() > 1e-6 and polar1.same_basis
glue("rot_res", rot.residual, display=False)
glue("polar_gap", float(polar.gap.max()), display=False)
glue("polar_angle", polar.angle, display=False)
glue("polar_deg", float(np.degrees(polar.angle)), display=False)

# %% [markdown]
# :::{dropdown} Why these tolerances
# The truncation error of the central difference, $\tfrac{h^2}{6}\|\dddot U\|$, is of
# order $10^{-8}$ here, and the ODE's error of about $10^{-12}$ is amplified by $1/h$ to
# about $10^{-8}$; we assert $10^{-6}$, while a wrong $\Omega$ (a sign, a transposed
# triangle, a missing factor 2) leaves a residual of the size of $\Omega$, of order one.
# The polar factor must differ from $M$ by more than $10^{-6}$, a thousand times the
# ODE's error, while the projectors agree within $10^{-9}$.
# :::
#
# The rotation equation holds to {glue:text}`rot_res:.1e`. The polar factor
# $Y(Y^\top Y)^{-1/2}$ spans the right subspace, yet it is off from $M(t)$ by up to
# {glue:text}`polar_gap:.2f` in Frobenius norm, a rotation of
# {glue:text}`polar_angle:.2f` rad ({glue:text}`polar_deg:.0f` degrees) within the span:
# the flow's horizontality pins down one particular basis, and it is $\hat YU$, not the
# polar factor. For the loss and the learned subspace this does not matter; for the
# outputs $f(x) = M^\top x$ of a trained network it does, and the $z\times z$ equation
# is the price.
#
# {numref}`fig-closed_form-curves` shows a learning curve from the closed form next to
# the ODE and to Euler steps of the paper's output iteration (12) (with $X = I$, so that
# $F = M$, $K = I$ and $D = C$), and the gaps of Check 2 over time.

# %%
Cs = cfx.random_symmetric(50, SEED + 1)
M0s = manifold.haar_orthonormal(50, 5, SEED + 2)
t_dense = np.linspace(0.0, 6.0, 1000)
L_dense = closed_form.loss_curve(Cs, M0s, t_dense)
eul = training.output_flow(M0s, np.eye(50), Cs, lr=0.2, steps=30)
t_eul = 0.2 * np.arange(31)
eul_dev = np.abs(eul.losses - closed_form.loss_curve(Cs, M0s, t_eul))
loss_lim = np.sum(np.linalg.eigvalsh(Cs)[:5])
t_ode = ts2[::8]  # the circles of the figure: the tight ODE
M_ode = dynamics.grassmann_flow_ode(Cs, M0s, t_ode, rtol=1e-13, atol=1e-13)
L_ode = np.einsum("tia,ij,tja->t", M_ode, Cs, M_ode)
print(f"limit lambda_1 + ... + lambda_5 = {loss_lim:.4f}")
print(f"closed form at t = 6: {L_dense[-1]:.4f}")
print(f"Euler (12), step 0.2: largest gap {eul_dev.max():.3f}")
glue("loss_lim", float(loss_lim), display=False)
glue("eul_dev", float(eul_dev.max()), display=False)

# %% tags=["hide-input"]
fig, (ax0, ax1) = new_figure(ncols=2, width=3.6, height=3.0)
ax0.plot(t_dense, L_dense, color=COLORS[0], label="closed form")
ax0.plot(
    t_ode,
    L_ode,
    "o",
    ms=3.5,
    mfc="none",
    color=COLORS[1],
    label="ODE (tol $10^{-13}$)",
)
ax0.plot(
    t_eul,
    eul.losses,
    "--",
    color=COLORS[2],
    label=r"Euler (12), $\eta = 0.2$",
)
ax0.axhline(loss_lim, color="k", lw=0.6, ls=":")
ax0.set(
    xlabel="time $t$",
    ylabel=r"loss $\operatorname{Tr}(M^\top C M)$",
    title="d = 50, z = 5",
)
ax0.legend(loc="upper right", fontsize=7)
for k, r in enumerate(check2):
    ax1.semilogy(
        ts2[1:],
        np.maximum(r.P_err[1:], 1e-17),
        color=COLORS[k % 7],
        lw=1,
        label=f"d = {r.d}, z = {r.z}",
    )
ax1.semilogy(
    ts3[1:],
    polar.gap[1:],
    color="k",
    lw=1.6,
    ls="--",
    label=r"$\|M - Y(Y^\top Y)^{-1/2}\|_F$, z = 3",
)
ax1.axhline(1e-9, color="k", lw=0.6, ls=":")
ax1.set(
    xlabel="time $t$",
    title="closed form vs ODE",
    ylabel=r"$\max_{ij}|P_{\rm closed} - P_{\rm ODE}|$",
)
ax1.legend(loc="center right", fontsize=7)
glue("fig_closed_form", fig, display=False)
plt.close(fig)

# %% [markdown]
# :::{glue:figure} fig_closed_form
# :name: fig-closed_form-curves
# :alt: Two panels: a decreasing loss curve on which the closed form, ODE circles and a dashed Euler curve lie, and gaps between closed-form and ODE projectors below 1e-9 for several sizes.
#
# Left: the loss along the flow for a random symmetric $C$ with $d = 50$, $z = 5$, from
# the closed form (one eigendecomposition, 1,000 times), from the tight ODE (circles),
# and from Euler steps of (12) with step $0.2$ (dashed): all reach the limit
# $\lambda_1 + \dots + \lambda_5 =$ {glue:text}`loss_lim:.3f` (dotted), but Euler is off
# by up to {glue:text}`eul_dev:.2f` on the way. Right: the largest entry of the
# difference between the closed-form projector and the ODE's, for every $(d, z)$ of
# Check 2; all stay below $10^{-9}$ (dotted). The dashed black curve is the distance
# between $M(t)$ and the polar factor of $Y(t)$ for $z = 3$ (Check 3): same projector,
# different matrix.
# :::

# %% [markdown]
# ## Consequences: how long learning takes, and from where it fails
#
# The subspace $E_z = \operatorname{span}(q_1,\dots,q_z)$ of the $z$ most negative
# eigenvalues is where the loss $\operatorname{Tr}(M^\top CM)$ is smallest (Proposition 3
# of {cite}`esser2024dynamics`). Let $\theta(t)$ be the largest principal angle between
# $\operatorname{span}M(t)$ and $E_z$.
#
# :::{prf:corollary} Time to learn from the eigengap; initialisations that never learn
# :label: cor-closed-form-time
# :nonumber:
#
# In the setting of {prf:ref}`the proposition above <prop-closed-form>`, assume
# $\lambda_z < \lambda_{z+1}$ and let $g = \lambda_{z+1} - \lambda_z$.
#
# 1. If $B_1 = [q_1,\dots,q_z]^\top M_0$ is invertible, then
#    $\tan\theta(t) = \|K(t)\|_2$, $\theta$ is non-increasing and
#    $\tan\theta(t)\le e^{-2gt}\tan\theta(0)$. Hence the first time $T(\delta)$ at which
#    $\theta\le\delta$ satisfies $T(\delta)\le \ln\!\big(\tan\theta(0)/\tan\delta\big)/(2g)$.
# 2. If moreover $\lambda_{z-1} < \lambda_z$ and $\lambda_{z+1} < \lambda_{z+2}$ (where
#    these exist), let $\kappa = |K(0)_{1z}|$ (the entry coupling $q_{z+1}$ to $q_z$),
#    assumed non-zero, $X$ the matrix $K(0)$ with that entry set to zero, $g'$ the smaller
#    of $\lambda_{z+2} - \lambda_{z+1}$ and $\lambda_z - \lambda_{z-1}$, and
#    $T_\infty(\delta) = \ln(\kappa/\tan\delta)/(2g)$. If $\theta(0) > \delta$,
#
#    $$
#    \begin{aligned}
#    T_\infty(\delta) &\le T(\delta),\\
#    T(\delta) &\le T_\infty(\delta) + \frac{1}{2g}
#    \ln\!\Big(1 + \frac{2\|X\|_2}{\kappa}e^{-2g'T(\delta)}\Big),
#    \end{aligned}
#    $$
#
#    so $T(\delta) - T_\infty(\delta)\to 0$ as $\delta\to 0$: learning to precision
#    $\delta$ takes a time $\ln(1/\delta)/(2g)$ plus a constant.
# 3. If $B_1$ is singular, equivalently if $\operatorname{span}M_0$ contains a non-zero
#    vector orthogonal to $E_z$, then $\theta(t) = \pi/2$ for every $t$: the flow never
#    reaches $E_z$. This set of initialisations is the zero set of $\det B_1$, of
#    measure zero (a Haar-random $M_0$ avoids it with probability one).
# :::
#
# :::{prf:proof}
# *1.* $E_z$ is spanned by $Q\binom{I}{0}$ and $\operatorname{span}M(t)$ by $QW$,
# $W = \binom{I}{K}$, with orthonormal basis $W(I + K^\top K)^{-1/2}$. The cosines of
# the principal angles are the singular values of
# $\begin{pmatrix}I & 0\end{pmatrix}W(I + K^\top K)^{-1/2} = (I + K^\top K)^{-1/2}$,
# namely $1/\sqrt{1 + s_k^2}$ for the singular values $s_k$ of $K$; so
# $\tan\theta_k = s_k$ and $\tan\theta = \|K\|_2$. Write
# $K(t) = e^{-2gt}D_2(t)K(0)D_1(t)$ with $D_2 = e^{-2(\Lambda_2 - \lambda_{z+1})t}$ and
# $D_1 = e^{-2(\lambda_z - \Lambda_1)t}$, diagonal with entries in $(0, 1]$. Since
# $\|D_2AD_1\|_2\le\|A\|_2$, $\tan\theta(t)\le e^{-2gt}\|K(0)\|_2$; and since
# $K(t + s) = e^{-2gs}D_2(s)K(t)D_1(s)$, $\tan\theta$ never increases. Solving
# $e^{-2gt}\tan\theta(0) = \tan\delta$ gives the bound on $T(\delta)$.
#
# *2.* The $(1, z)$ entry of $D_2(t)K(0)D_1(t)$ is $K(0)_{1z}$ for all $t$ (both
# diagonal factors are 1 there), and a matrix has spectral norm at least the modulus of
# any entry, so $\tan\theta(t)\ge\kappa e^{-2gt}$, which exceeds $\tan\delta$ for
# $t < T_\infty(\delta)$. For the upper bound split $X = X_r + X_o$ into its first row
# and the rest. Columns $j < z$ of $D_1$ are at most $e^{-2(\lambda_z - \lambda_{z-1})t}$
# and rows $i\ge 2$ of $D_2$ at most $e^{-2(\lambda_{z+2} - \lambda_{z+1})t}$, so
# $\|D_2XD_1\|_2\le\|D_2X_rD_1\|_2 + \|D_2X_oD_1\|_2\le 2e^{-2g't}\|X\|_2$, and
# $\tan\theta(t)\le e^{-2gt}(\kappa + 2e^{-2g't}\|X\|_2)$. At $t = T(\delta)$,
# $\theta = \delta$ by continuity; solving for $T$ gives the upper bound.
#
# *3.* If $B_1a = 0$ with $a\ne 0$, then $v = M_0a$ is orthogonal to $q_1,\dots,q_z$.
# $e^{-2Ct}$ maps $E_z^\perp$ into itself and is invertible, so $Y(t)a = e^{-2Ct}v$ is a
# non-zero vector of $E_z^\perp$ lying in
# $\operatorname{span}Y(t) = \operatorname{span}M(t)$. Two $z$-dimensional subspaces one
# of which contains a vector orthogonal to the other have largest principal angle
# $\pi/2$. Conversely $B_1 a = 0$ for some $a\neq 0$ is exactly $M_0 a\perp E_z$.
# :::
#
# In words: the time to learn is governed by the eigengap $\lambda_{z+1} - \lambda_z$
# and only logarithmically by the precision and the initialisation. For $z = 1$ this
# recovers the convergence of {prf:ref}`Theorem 3 <thm-convergence>`; for every $z$ it
# also gives the time to a given precision and names the initialisations that never
# converge. The constant $2$ in the rate is the book's time convention; with the
# paper's learning rate $\eta$ inside the flow the rate is $2\eta g$.

# %% [markdown]
# ## Check 4: learning time against the eigengap
#
# We fix $d = 10$, $z = 2$, eigenvectors and $M_0$ (Haar-random), and vary only the
# gap: $\lambda = (-2.5, -2, -2 + g, -1.5 + g, \dots)$
# ({func}`~ssl_notes.experiments.closed_form.spectrum_with_gap`), so that the
# neighbouring gaps stay $g' = 0.5$. For each $g$,
# {func}`~ssl_notes.experiments.closed_form.learning_time` measures $T(\delta)$,
# $\delta = 10^{-6}$, from the tight ODE alone: $\theta(t)$ on a grid of 2,000 times,
# first crossing of $\delta$ located by linear interpolation of $\ln\tan\theta$
# ({func}`~ssl_notes.experiments.closed_form.first_crossing`). It checks the bracket of
# item 2 and the cruder bound of item 1.

# %%
GAPS = np.geomspace(0.05, 2.0, 6 if SIZE == "fast" else 12)
DELTA = 1e-6
Q4 = manifold.haar_orthonormal(10, 10, rng)
M04 = manifold.haar_orthonormal(10, 2, rng)
check4 = []
for g in GAPS:
    C = cfx.with_spectrum(Q4, cfx.spectrum_with_gap(g, 10))
    bound = closed_form.convergence_time(C, M04, DELTA)[0]
    t = np.linspace(0.0, 1.2 * bound, 2000)
    check4.append(cfx.learning_time(C, M04, DELTA, t))
print("    g     T_inf  measured     upper  bound (item 1)")
for r in check4:
    print(
        f"{r.g:5.3f} {r.T_inf:9.4f} {r.measured:9.4f} {r.upper:9.4f} "
        f"{r.bound:9.3f}"
    )
assert all(r.passed for r in check4)  # bracket and bound, slack 1e-3
T4 = np.array([r.measured for r in check4])
slope4, slope4_se = metrics.loglog_slope(GAPS, T4)
print(f"log-log slope of T against g: {slope4:.4f} +- {slope4_se:.4f}")
assert abs(slope4 + 1) < 0.01

# %% [markdown]
# :::{dropdown} Why this slack
# The ODE's angle error, about $10^{-11}$ (Check 2), moves the crossing by about
# $10^{-11}/(\delta\cdot 2g)\le 10^{-4}$; we allow $10^{-3}$ of slack on each side of
# the bracket. The slope: $\kappa$ does not depend on $g$ here (eigenvectors and $M_0$
# are fixed), so $T_\infty\propto 1/g$ exactly, and the measured time exceeds it by at
# most the width of the bracket, about 1% at $g = 2$: a slope within $0.01$ of $-1$.
# A claim $\ln(\kappa/\tan\delta)/g$, with the factor 2 lost, puts $T_\infty$ at twice
# the measured time and fails the bracket (a unit test of the check).
# :::

# %%
glue("t4_gmin", float(GAPS[0]), display=False)
glue("t4_gmax", float(GAPS[-1]), display=False)
glue("t4_Tmax", float(T4[0]), display=False)
glue("t4_Tmin", float(T4[-1]), display=False)
dev4 = max(r.measured - r.T_inf for r in check4)
glue("t4_maxdev", dev4, display=False)
glue("t4_slope", slope4, display=False)

# %% tags=["hide-input"]
fig, (ax0, ax1) = new_figure(ncols=2, width=3.6, height=3.0)
for k, r in enumerate(check4[:: max(1, len(GAPS) // 4)]):
    C = cfx.with_spectrum(Q4, cfx.spectrum_with_gap(r.g, 10))
    ax0.semilogy(r.t, r.theta, color=COLORS[k], label=f"g = {r.g:.2f}")
    theta_cf = closed_form.distance_curve(C, M04, r.t[::150])
    ax0.semilogy(
        r.t[::150], theta_cf, "o", ms=3, mfc="none", color=COLORS[k]
    )
ax0.axhline(DELTA, color="k", lw=0.6, ls=":")
ax0.set(
    xlabel="time $t$",
    ylabel=r"largest angle $\theta(t)$ to $E_z$",
    title="ODE (lines), closed form (circles)",
)
ax0.legend(fontsize=7)
rows = np.array([(r.g, r.measured, r.T_inf, r.bound) for r in check4])
ax1.loglog(
    rows[:, 0],
    rows[:, 3],
    "-",
    color=COLORS[3],
    label=r"bound $\ln(\tan\theta_0/\tan\delta)/2g$",
)
ax1.loglog(
    rows[:, 0],
    rows[:, 2],
    "--",
    color=COLORS[0],
    label=r"$T_\infty = \ln(\kappa/\tan\delta)/2g$",
)
ax1.loglog(rows[:, 0], rows[:, 1], "o", color=COLORS[1], label="measured")
ax1.set(
    xlabel=r"eigengap $g = \lambda_{z+1} - \lambda_z$",
    ylabel=r"time to reach $\theta = 10^{-6}$",
)
ax1.legend(fontsize=7)
glue("fig_gap", fig, display=False)
plt.close(fig)

# %% [markdown]
# :::{glue:figure} fig_gap
# :name: fig-closed_form-gap
# :alt: Left, angle curves on a log scale falling as straight lines with steeper slopes for larger gaps; right, learning time against eigengap on log-log axes, measured dots on the dashed prediction line below the solid bound.
#
# Left: the largest principal angle between $\operatorname{span}M(t)$ and the bottom
# eigenspace $E_2$ ($d = 10$), from the ODE (lines) and from the closed form
# $\arctan\|K(t)\|_2$ (circles), for several eigengaps $g$; after a transient each curve
# is a straight line of slope $-2g$ on this scale. Right: the time to reach
# $\theta = 10^{-6}$ against $g$: measured from the ODE (dots), the asymptotic
# prediction $T_\infty$ (dashed) and the cruder bound of item 1 (solid). The dots sit on
# the dashed line.
# :::
#
# Over gaps from {glue:text}`t4_gmin:.2f` to {glue:text}`t4_gmax:.1f` the learning time
# falls from {glue:text}`t4_Tmax:.1f` to {glue:text}`t4_Tmin:.2f`, a log-log slope of
# {glue:text}`t4_slope:.3f` (the $1/g$ law), and the measured time exceeds $T_\infty$ by
# at most {glue:text}`t4_maxdev:.1e`, inside the bracket of the corollary
# ({numref}`fig-closed_form-gap`). A small eigengap, not the dimension, is what makes
# learning slow.

# %% [markdown]
# ## Where it breaks: initialisations that never learn
#
# Drop the hypothesis that $B_1$ is invertible. Take $z = 1$, $C$ diagonal with
# $\lambda = (-2, -1, -0.5, 0, 0.5, 1)$ (no loss of generality: the flow commutes with
# orthogonal changes of basis), and $m_0 = \varepsilon e_1 + \sqrt{1 - \varepsilon^2}\,w$
# with $w$ a fixed random unit vector orthogonal to $e_1$. For $\varepsilon = 0$ item 3
# says $\theta(t) = \pi/2$ forever, and the loss settles at the saddle value $\lambda_2$
# instead of $\lambda_1$. {func}`~ssl_notes.experiments.closed_form.never_learns`
# follows the ODE and measures $\pi/2 - \theta(t)$.

# %%
lam5 = np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0])
C5 = np.diag(lam5)
w5 = rng.standard_normal(6)
w5[0] = 0.0
w5 /= np.linalg.norm(w5)
ts5 = np.linspace(0.0, 20.0, 801)


def tilted(eps):
    """m_0 = eps e_1 + sqrt(1 - eps^2) w, a d x 1 matrix."""
    return np.r_[eps, np.sqrt(1 - eps**2) * w5[1:]][:, None]


stuck = cfx.never_learns(C5, tilted(0.0), ts5, atol=1e-20, tol=0.0)
print(f"eps = 0: max_t (pi/2 - theta) = {stuck.deviation.max()}")
print(f"final loss {stuck.loss[-1]:+.12f} (lambda_2 = {lam5[1]:+.1f})")
assert stuck.passed and abs(stuck.loss[-1] - lam5[1]) < 1e-9

# %% [markdown]
# :::{dropdown} Why exactly zero
# With $C$ diagonal and $m_1 = 0$, every term of (F) in the first row is a product with
# a zero, so the ODE keeps the first coordinate of $M$ exactly zero at every step, and
# $\pi/2 - \theta = \arcsin|e_1^\top m|$ is exactly $0$: we ask for equality, not a
# tolerance. The loss converges to $\lambda_2$ like $e^{-2(\lambda_3 - \lambda_2)t}$,
# below $10^{-9}$ by $t = 20$. Here the ODE's absolute tolerance must be far below
# $\varepsilon$, since the whole future is decided by a component of size
# $\varepsilon$: we use $10^{-20}$.
# :::
#
# For $\varepsilon > 0$ the flow first heads for $e_2$, lingers near this saddle, and
# escapes; item 2 with $\delta = \pi/4$ predicts when:
# $T_\infty = \ln(\kappa)/2(\lambda_2 - \lambda_1)$ with
# $\kappa = \sqrt{1 - \varepsilon^2}\,|w_2|/\varepsilon$, a time that grows like
# $\ln(1/\varepsilon)$. We check the bracket for each $\varepsilon$, and that the
# closed-form loss curve (item 5; $B_1 = \varepsilon$ is tiny but invertible) matches
# the ODE within $10^{-9}$. For $z = 2$ we start from a degenerate $M_0$ whose span
# contains a vector orthogonal to $E_2 = \operatorname{span}(e_1, e_2)$.

# %%
EPS = [1e-12, 1e-8, 1e-4]
esc = {
    eps: cfx.learning_time(C5, tilted(eps), np.pi / 4, ts5, atol=1e-20)
    for eps in EPS
}
print("  eps    T_inf  measured    upper  |loss_cf - loss_ode|")
for eps, r in esc.items():
    print(
        f"{eps:5.0e} {r.T_inf:8.4f} {r.measured:9.4f} {r.upper:8.4f}"
        f" {r.loss_err:10.1e}"
    )
assert all(r.passed and r.loss_err < 1e-9 for r in esc.values())
a = rng.standard_normal(6)
a[:2] = 0.0  # a is orthogonal to E_2
M0_deg = np.linalg.qr(np.c_[a, rng.standard_normal(6)])[0]
deg = cfx.never_learns(C5, M0_deg, ts5, tol=1e-6)
dev5, dev20 = deg.deviation[200], deg.deviation[-1]
print(f"z = 2, degenerate: pi/2 - theta = {dev5:.1e} at t = 5,")
print(f"                   {dev20:.1e} at t = 20 (tol {deg.tol:.0e})")
assert deg.passed
glue("deg_t5", float(dev5), display=False)
glue("deg_t20", float(dev20), display=False)
glue("esc_12", esc[1e-12].measured, display=False)
glue("esc_4", esc[1e-4].measured, display=False)

# %% tags=["hide-input"]
fig, ax = new_figure(width=5.0, height=3.0)
ax.plot(ts5, stuck.loss, color=COLORS[0], label=r"$\varepsilon = 0$")
for k, (eps, r) in enumerate(esc.items(), start=1):
    lab = rf"$\varepsilon = 10^{{{int(np.log10(eps))}}}$"
    ax.plot(ts5, r.loss, color=COLORS[k], label=lab)
    ax.axvline(r.measured, color=COLORS[k], lw=0.6, ls=":")
for v, lab in (
    (lam5[0], r"$\lambda_1$"),
    (lam5[1], r"$\lambda_2$ (saddle)"),
):
    ax.text(20.2, v, lab, va="center", fontsize=8)
ax.set(xlabel="time $t$", ylabel=r"loss $m^\top C m$", xlim=(0, 20))
ax.legend(loc="upper right", fontsize=7)
glue("fig_saddle", fig, display=False)
plt.close(fig)

# %% [markdown]
# :::{glue:figure} fig_saddle
# :name: fig-closed_form-saddle
# :alt: Loss curves against time: one stays at the saddle value lambda_2, three others plateau there and then drop to lambda_1, later for smaller epsilon.
#
# The loss along the flow ($z = 1$, $d = 6$) from
# $m_0 = \varepsilon e_1 + \sqrt{1 - \varepsilon^2}\,w$. With $\varepsilon = 0$ the
# flow converges to the saddle $e_2$ and the loss stays at $\lambda_2$; with
# $\varepsilon > 0$ it lingers there and then drops to $\lambda_1$, each factor $10^4$
# in $\varepsilon$ costing the same extra time. Dotted lines: measured escape times
# ($\theta = \pi/4$), each within the bracket of the corollary around
# $\ln(\kappa)/2(\lambda_2 - \lambda_1)$.
# :::
#
# The escape takes {glue:text}`esc_4:.2f` time units from $\varepsilon = 10^{-4}$ and
# {glue:text}`esc_12:.2f` from $\varepsilon = 10^{-12}$ ({numref}`fig-closed_form-saddle`).
# For $z = 2$ with a degenerate $M_0$ the angle stays within {glue:text}`deg_t20:.0e` of
# $\pi/2$ up to $t = 20$; the deviation, {glue:text}`deg_t5:.0e` at $t = 5$, is rounding
# error being amplified along the unstable direction of the saddle. In exact arithmetic
# these initialisations never learn; in floating point, and with any noise, they learn
# late.

# %% [markdown]
# ## Benchmark: the learning curve by closed form and by Euler steps of (12)
#
# The paper integrates the output dynamics (12),
# $F_{k+1} = F_k - 2\eta(K - F_kF_k^\top)DF_k$, with $F = ZM$ the outputs of the
# $m = 3n$ points that build $C = Z^\top DZ$. We take its MNIST setting at a smaller
# scale (digits 0 and 1, 100 images each, Gaussian positives with $\sigma = 0.1$,
# $d = 784$, $z = 3$) and ask for the loss at 1,000 equally spaced times up to the time
# at which item 1 of the corollary guarantees $\theta\le 10^{-6}$.
# {func}`~ssl_notes.experiments.closed_form.euler_benchmark` times the closed form and
# Euler runs of $N = 1000, 2000, 4000$ steps over that span
# ({func}`~ssl_notes.training.output_flow`, with the block form of $D$ from
# {func}`~ssl_notes.losses.data_matrix`), and compares them at equal accuracy.

# %%
REPEATS = 3 if SIZE == "fast" else 7
rng_b = np.random.default_rng(SEED + 10)
Xb, _ = data.mnist_digits((0, 1), 100, rng_b)
Xp = data.gaussian_positives(Xb, 0.1, rng_b)
dm = losses.data_matrix(Xb, Xp, data.random_negatives(Xb, rng_b))
M0b = manifold.haar_orthonormal(784, 3, rng_b)
T_end = closed_form.convergence_time(dm.C(), M0b, 1e-6)[0]
bench = cfx.euler_benchmark(dm, M0b, T_end, repeats=REPEATS)
ms = 1e3 * bench.closed_seconds
print(f"closed form: {ms:.0f} ms for 1,000 times up to T = {T_end:.2f}")
print(f"  vs flow_projector: {bench.exact_vs_projector:.1e} (tol 1e-9)")
print("    N  max loss error  N * error  time (ms)")
for N, err, s in zip(bench.steps, bench.errors, bench.seconds, strict=True):
    print(f"{N:5d} {err:15.3e} {N * err:10.1f} {1e3 * s:10.0f}")
print(f"order: slope {bench.slope:.3f} (expected -1 +- 0.05)")
print(f"N* for 1e-6: {bench.steps_needed:.2e} steps, ratio to closed form")
print(
    f"  {bench.ratio_target:.1e} (at 4,000 steps: {bench.ratio_last:.1f})"
)
assert bench.passed  # accuracy, order and both ratios > 1

# %% [markdown]
# :::{dropdown} Equal accuracy, made precise
# The closed form is accurate to rounding (Check 2; here it is confirmed against
# {func}`~ssl_notes.dynamics.flow_projector`, a different algorithm, at 10 of the
# times, within $10^{-9}$). Euler's method is first order: its largest error over the
# 1,000 times is $c/N$ for $N$ steps. We check the order (log-log slope $-1$ within
# $0.05$) and take $c$ from the finest run. The number of steps for a target accuracy
# of $10^{-6}$ is then $N^* = c/10^{-6}$, and its cost $N^*$ times the measured cost
# per step: the median over the three runs of seconds per step (each run timed once
# with `time.perf_counter`; the closed form is the median of three repeats). The
# linear algebra is restricted to one thread (`threadpoolctl`, first cell) so that the
# ratio does not depend on how many cores happen to be free; absolute times still depend on
# the machine and its load, which is why we assert only that the ratio exceeds 1, both
# at the target and at the accuracy Euler reaches with 4,000 steps.
# :::

# %%
glue("b_tclosed", ms, display=False)
glue("b_T", float(T_end), display=False)
glue("b_c", bench.constant, display=False)
glue("b_err4000", float(bench.errors[-1]), display=False)
glue("b_Nstar", bench.steps_needed, display=False)
glue("b_step_us", bench.per_step * 1e6, display=False)
glue("b_ratio", bench.ratio_target, display=False)
glue("b_ratio4000", bench.ratio_last, display=False)
glue("b_cffp", bench.exact_vs_projector, display=False)
glue("b_Lend", float(bench.exact[-1]), display=False)

# %% tags=["hide-input"]
fig, (ax0, ax1) = new_figure(ncols=2, width=3.6, height=3.0)
for k, (N, curve) in enumerate(zip(bench.steps, bench.curves, strict=True)):
    err = np.abs(curve - bench.exact) + 1e-16
    ax0.semilogy(bench.times, err, color=COLORS[k + 1], label=f"N = {N}")
ax0.set(
    xlabel="time $t$",
    ylabel="|Euler (12) - closed form|",
    title="MNIST 0/1, d = 784, z = 3",
)
ax0.legend(fontsize=7)
Ngrid = np.geomspace(1e3, 2 * bench.steps_needed, 50)
ax1.loglog(
    bench.steps,
    bench.errors,
    "o",
    color=COLORS[1],
    label="Euler (12), measured",
)
ax1.loglog(
    Ngrid, bench.constant / Ngrid, "--", color=COLORS[1], label="$c/N$"
)
ax1.axhline(1e-6, color="k", lw=0.6, ls=":")
ax1.axvline(bench.steps_needed, color="k", lw=0.6, ls=":")
ax1.set(
    xlabel="Euler steps $N$",
    ylabel="max loss error over 1,000 times",
    title="accuracy against cost",
)
ax1.legend(fontsize=7)
glue("fig_bench", fig, display=False)
plt.close(fig)

# %% [markdown]
# :::{glue:figure} fig_bench
# :name: fig-closed_form-bench
# :alt: Left, Euler's error against time for three step counts, largest early and halving as the steps double; right, Euler's error against step count on log-log axes following the line c over N down to the target 1e-6.
#
# Left: the error of the learning curve from Euler steps of (12) on MNIST digits 0 and
# 1, against the closed form, for 1,000 to 4,000 steps over the same time span (the
# loss itself falls from about 0 to {glue:text}`b_Lend:.1f`); the error is largest
# during the fast initial transient. Right: Euler's largest error over the 1,000 times
# against the number of steps, with the first-order law $c/N$; the dotted lines mark the
# target $10^{-6}$ and the number of steps $N^*$ it requires.
# :::
#
# The closed form takes {glue:text}`b_tclosed:.0f` ms for the whole curve up to
# $t =$ {glue:text}`b_T:.2f`, dominated by one eigendecomposition of a $784\times 784$
# matrix, and agrees with `flow_projector` to {glue:text}`b_cffp:.0e`. Euler's error is
# {glue:text}`b_c:.0f`$/N$ ({numref}`fig-closed_form-bench`): with 4,000 steps it is
# still {glue:text}`b_err4000:.2f`, and reaching $10^{-6}$ would take
# $N^* =$ {glue:text}`b_Nstar:.1e` steps at {glue:text}`b_step_us:.0f` µs each, a time
# ratio of {glue:text}`b_ratio:.1e` in favour of the closed form (an extrapolation along
# the measured $1/N$ law; at the far lower accuracy of 4,000 steps the ratio is already
# {glue:text}`b_ratio4000:.1f`). Euler's constant is large because the spectrum of $C$
# is wide and the early transient is fast; a higher-order integrator would narrow the
# gap, but the closed form also needs no choice of step.

# %% [markdown]
# ## Exercises
#
# :::{exercise} Which rate does the Riccati equation pick?
# :label: ex-closed_form-rate
#
# Replace $Y(t) = e^{-2Ct}M_0$ in item 2 by $e^{-cCt}M_0$
# ({func}`~ssl_notes.experiments.closed_form.oja_projector` with `rate=c`). For which
# $c$ does the projector of its span solve $\dot P = -2(CP + PC) + 4PCP$? Run
# Check 1 for $c = 1, 2, 4$.
# :::
#
# :::{solution-start} ex-closed_form-rate
# :class: dropdown
# :::
#
# Only $c = 2$: the projector of $e^{-cCt}M_0$ solves the Riccati equation of the
# matrix $cC/2$, which differs from that of $C$ by a term of order one.
# %%
from functools import partial

for c in (1.0, 2.0, 4.0):
    wrong = partial(cfx.oja_projector, rate=c)
    r = cfx.riccati_check(C1, M01, t=0.6, projector=wrong)
    print(f"c = {c:.0f}: residual {r.fine:.1e}, ratio {r.ratio:6.1f}")
    assert r.passed == (c == 2.0)
# %% [markdown]
# For $c\ne 2$ the residual is of order one at both steps (ratio about 1): the check
# fails, as it must for a wrong closed form.
#
# :::{solution-end}
# :::

# %% [markdown]
# :::{exercise} No eigengap
# :label: ex-closed_form-nogap
#
# Let $\lambda_z = \lambda_{z+1}$ (take $d = 6$, $z = 2$,
# $\lambda = (-2, -1, -1, 0, 0.5, 1)$). Does the loss still reach
# $\lambda_1 + \lambda_2$? Does $\operatorname{span}M(t)$ converge to the eigenspace
# $E_2$ that `numpy.linalg.eigh` returns? What does
# {func}`~ssl_notes.closed_form.convergence_time` say?
# :::
#
# :::{solution-start} ex-closed_form-nogap
# :class: dropdown
# :::
#
# The entry of $K(t)$ that couples $\lambda_3$ to $\lambda_2$ has exponent
# $-2(\lambda_3 - \lambda_2)t = 0$: it never decays. The span converges to
# $\operatorname{span}(q_1, v)$ with $v$ a direction in the eigenspace
# $\operatorname{span}(q_2, q_3)$ of the double eigenvalue that depends on $M_0$;
# every such plane has loss $\lambda_1 + \lambda_2$, and $\theta$ stops at a non-zero
# angle.
# %%
lam0 = np.array([-2.0, -1.0, -1.0, 0.0, 0.5, 1.0])
C0 = cfx.with_spectrum(manifold.haar_orthonormal(6, 6, 7), lam0)
M00 = manifold.haar_orthonormal(6, 2, 8)
theta0 = closed_form.distance_curve(C0, M00, [0.0, 10.0, 100.0])
loss0 = closed_form.loss_curve(C0, M00, 100.0)
print(f"theta at t = 0, 10, 100: {np.round(theta0, 6)}")
print(f"loss at t = 100: {loss0:.12f} (lambda_1 + lambda_2 = -3)")
assert theta0[2] > 0.05 and abs(theta0[2] - theta0[1]) < 1e-6
assert abs(loss0 + 3.0) < 1e-9
q1 = np.linalg.eigh(C0)[1][:, 0]
P0 = dynamics.flow_projector(C0, M00, 100.0)
assert np.linalg.norm(q1 - P0 @ q1) < 1e-9  # q_1 is in the limit
try:
    closed_form.convergence_time(C0, M00, 1e-6)
    raise AssertionError("convergence_time accepted a zero gap")
except ValueError as err:
    print("convergence_time:", str(err).split(" = ")[0], "is zero")
# %% [markdown]
# The loss reaches $\lambda_1 + \lambda_2$, the angle to $E_2$ freezes at a non-zero
# value, and `convergence_time` refuses: without an eigengap the flow still learns the
# loss, not a particular subspace.
#
# :::{solution-end}
# :::

# %% [markdown]
# :::{exercise} The price of a small initial overlap
# :label: ex-closed_form-escape
#
# From item 2, predict by how much the escape time of the saddle example grows when
# $\varepsilon$ shrinks by a factor $10^4$, and compare with the measured escape times.
# :::
#
# :::{solution-start} ex-closed_form-escape
# :class: dropdown
# :::
#
# $\kappa = \sqrt{1 - \varepsilon^2}\,|w_2|/\varepsilon$, so $T_\infty$ grows by
# $\ln(10^4)/2(\lambda_2 - \lambda_1) = \ln(10^4)/2$ per factor $10^4$; the measured
# times differ from $T_\infty$ by at most the bracket's width (below 0.02 here).
# %%
T_esc = np.array([esc[eps].measured for eps in EPS[::-1]])
pred = np.log(1e4) / (2 * (lam5[1] - lam5[0]))
print(
    f"measured increments {np.round(np.diff(T_esc), 5)},",
    f"predicted {pred:.5f}",
)
assert np.all(np.abs(np.diff(T_esc) - pred) < 0.02)
glue("esc_step", float(pred), display=False)
# %% [markdown]
# Each factor $10^4$ costs the same {glue:text}`esc_step:.3f` time units: the saddle
# delays learning by a time logarithmic in the initial overlap.
#
# :::{solution-end}
# :::

# %% [markdown]
# ## What we learned
#
# - The flow of Theorem 2 is Oja's subspace flow, and its projector is
#   $Y(Y^\top Y)^{-1}Y^\top$ with $Y = e^{-2Ct}M_0$
#   ({prf:ref}`closed-form proposition <prop-closed-form>`), which solves the Riccati
#   equation (residual {glue:text}`ric_res:.1e`, shrinking as $h^2$) and matches a
#   tight ODE solve to {glue:text}`c2_perr:.1e` for several $d$ and $z$, loss curves to
#   {glue:text}`c2_lerr:.1e`.
# - For $z = 1$, $M(t) = Y/\|Y\|$ exactly. For $z > 1$ only the orientation inside the
#   span needs integrating, a $z\times z$ equation $\dot U = -\Omega U$ (checked to
#   {glue:text}`rot_res:.0e`); the polar factor of $Y$ is off by a rotation of up to
#   {glue:text}`polar_deg:.0f` degrees.
# - The time to learn to precision $\delta$ is $\ln(\kappa/\tan\delta)/2g$ plus an
#   exponentially small correction, $g$ the eigengap $\lambda_{z+1} - \lambda_z$
#   ({prf:ref}`learning-time corollary <cor-closed-form-time>`); measured times sit
#   inside the predicted bracket, a log-log slope of {glue:text}`t4_slope:.3f` against
#   $g$.
# - Initialisations whose span contains a direction orthogonal to the bottom eigenspace
#   never learn; nearby ones escape the saddle after a time growing like
#   $\ln(1/\varepsilon)$.
# - One eigendecomposition gives the whole learning curve; matching its accuracy
#   ($10^{-6}$) with Euler steps of (12) would cost about {glue:text}`b_ratio:.0e`
#   times more on the MNIST example.

# %% tags=["remove-cell"]
# Reached only when every check above passed; the overview page shows it.
glue("checks_status", "passed", display=False)

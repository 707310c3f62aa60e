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
# # Proposition 2: a Frobenius-norm constraint does not prevent collapse
#
# **The claim in plain words.** Without constraints, the loss
# $\operatorname{Tr}(M^\top C M)$ of a linear embedding is unbounded below as soon as $C$
# has a negative eigenvalue, and gradient flow drives every column of $M$ towards the same
# eigenvector. The first remedy one thinks of is to bound the size of the weights, for
# instance their Frobenius norm, or equivalently to add weight decay. It does not help:
# the minimisers under a Frobenius-norm budget spend the whole budget on the single most
# negative eigen-direction of $C$, so the embedding still has rank one. Weight decay only
# rescales the unconstrained dynamics and leaves their direction, hence the collapse,
# unchanged. This chapter proves both facts, checks them by projected gradient descent,
# and contrasts them with the operator-norm constraint, which keeps all $z$ dimensions.

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
import matplotlib.pyplot as plt
import numpy as np
import torch
from ssl_notes import constrained, data, glue, losses, manifold
from ssl_notes.plotting import COLORS, new_figure

device = ssl_notes.default_device()  # used when a GPU is present, never required
SEED = 0
SIZE = "fast"  # "full": more random starts
STARTS = {"fast": 20, "full": 200}[SIZE]
print(f"ssl_notes {ssl_notes.__version__}, torch {torch.__version__}, device {device}, size {SIZE}")

# %% [markdown]
# ## The statement
#
# Throughout, $C\in\mathbb{R}^{d\times d}$ is symmetric with eigenvalues
# $\lambda_1\le\lambda_2\le\dots\le\lambda_d$ and orthonormal eigenvectors
# $u_1,\dots,u_d$; $E_1$ is the eigenspace of $\lambda_1$. The loss of the linear embedding
# $f(x) = M^\top x$ is $L(M) = \operatorname{Tr}(M^\top C M)$ (the data-matrix chapter
# shows that both self-supervised losses (1) and (2) have this form). For a two-layer
# linear network $M = WV$ with $W\in\mathbb{R}^{d\times h}$ and $V\in\mathbb{R}^{h\times z}$.
# We write $\|\cdot\|_*$ for the nuclear norm (the sum of the singular values).
#
# :::{prf:proposition} Frobenius-norm constraints do not prevent collapse (Proposition 2 of the paper)
# :label: prop-frobenius
# :nonumber:
#
# Let $c > 0$, $z \ge 1$, and assume $\lambda_1 < 0$.
#
# 1. **Bound.** Every $M\in\mathbb{R}^{d\times z}$ with $\|M\|_F \le c$ satisfies
#    $\operatorname{Tr}(M^\top C M) \ge \lambda_1\|M\|_F^2 \ge c^2\lambda_1$.
# 2. **Minimisers.** Equality holds if and only if $\|M\|_F = c$ and every column of $M$
#    lies in $E_1$. If $\lambda_1$ is simple (the paper leaves this implicit), the
#    minimisers are exactly $M^* = c\,u_1 a^\top$ with $a\in\mathbb{R}^z$, $\|a\| = 1$:
#    rank one, singular values $(c, 0, \dots, 0)$, whatever $z$ is.
# 3. **Two layers.** For $h \ge 1$ and $c_1, c_2 > 0$, the problem
#    $\min \operatorname{Tr}(V^\top W^\top C W V)$ subject to $\|W\|_F\le c_1$,
#    $\|V\|_F\le c_2$ has the value $c_1^2c_2^2\lambda_1$, and (for $\lambda_1$ simple) its
#    minimisers have $WV = c_1c_2\,u_1a^\top$ with $W$ and $V$ both of rank one. The set of
#    products $\{WV\}$ is the nuclear-norm ball $\{\|M\|_*\le c_1c_2,\ \operatorname{rank}
#    M\le h\}$, strictly smaller than the Frobenius ball of radius $c = c_1c_2$ when
#    $z\ge2$: the two problems are equivalent in value and minimisers, not in feasible sets.
# 4. **Regularisation.** For $\beta\in\mathbb{R}$ the gradient flow of
#    $L_\beta(M) = \operatorname{Tr}(M^\top C M) + \beta\|M\|_F^2$ is
#    $\dot M = -2(C+\beta I)M$, so $M_\beta(t) = e^{-2\beta t}M_0(t)$ with
#    $M_0(t) = e^{-2Ct}M(0)$: weight decay multiplies the unregularised trajectory by a
#    scalar. If $\lambda_1 < \lambda_2$ and $u_1^\top M(0)\ne0$, then for every $\beta$,
#    $\sigma_2(M_\beta(t))/\sigma_1(M_\beta(t))\to0$ like $e^{-2(\lambda_2-\lambda_1)t}$;
#    $\|M_\beta(t)\|\to\infty$ for $\beta<-\lambda_1$, $\to 0$ for $\beta > -\lambda_1$ and
#    converges to the rank-one $u_1u_1^\top M(0)$ for $\beta = -\lambda_1$.
#
# If instead $\lambda_1 \ge 0$ ($C$ positive semi-definite), the minimum over the
# Frobenius ball is $0$, attained at $M = 0$; it is the only minimiser when
# $\lambda_1 > 0$, while for $\lambda_1 = 0$ every $M$ with columns in the kernel of $C$ is
# one too.
# :::
#
# The bound holds for any symmetric $C$; the hypothesis $\lambda_1 < 0$ is what makes the
# budget binding. The time convention is the book's: the learning rate is absorbed into
# $t$.
#
# :::{prf:proof}
# *Items 1 and 2.* Write a thin SVD $M = \sum_{j=1}^{q} s_j p_j a_j^\top$, $q = \min(d,z)$,
# with orthonormal $p_j\in\mathbb{R}^d$, orthonormal $a_j\in\mathbb{R}^z$ and
# $s_j \ge 0$. Then $MM^\top = \sum_j s_j^2 p_jp_j^\top$ and, by the cyclic property of
# the trace,
#
# $$
# \operatorname{Tr}(M^\top CM) = \operatorname{Tr}(CMM^\top) = \sum_j s_j^2\, p_j^\top C p_j .
# $$
#
# Each Rayleigh quotient $p_j^\top C p_j = \sum_k \lambda_k (u_k^\top p_j)^2$ is a convex
# combination of the eigenvalues, hence $\ge\lambda_1$, with equality if and only if
# $p_j\in E_1$. So $\operatorname{Tr}(M^\top CM) \ge \lambda_1\sum_j s_j^2 =
# \lambda_1\|M\|_F^2$, and since $\lambda_1<0$ and $\|M\|_F^2\le c^2$, this is
# $\ge \lambda_1c^2$. Equality in the second step needs $\|M\|_F = c$, and in the first
# step it needs $p_j\in E_1$ for every $j$ with $s_j > 0$, i.e. every column of $M$ in
# $E_1$. Conversely such an $M$ attains $c^2\lambda_1$. If $E_1 = \operatorname{span}(u_1)$,
# the $p_j$ with $s_j > 0$ are orthonormal vectors in a line, so there is exactly one:
# $M = c\,u_1a^\top$ with $a = \pm a_1$ a unit vector. If $\lambda_1$ has multiplicity
# $m\ge2$, any $M$ with columns in $E_1$ and $\|M\|_F = c$ is optimal, of rank up to
# $\min(m,z)$: simplicity is needed for the collapse to rank one.
#
# If $\lambda_1 \ge 0$, the same identity gives $\operatorname{Tr}(M^\top CM)\ge
# \lambda_1\|M\|_F^2\ge0 = L(0)$; for $\lambda_1>0$ equality forces $\|M\|_F = 0$, for
# $\lambda_1 = 0$ it allows every $M$ with columns in $E_1 = \ker C$.
#
# *Item 3.* For any $W, V$, $\|WV\|_* \le \|W\|_F\|V\|_F$: with the SVD $WV =
# \sum_j s_jp_ja_j^\top$, $\|WV\|_* = \sum_j p_j^\top WVa_j = \langle W^\top P, VA\rangle_F
# \le \|W^\top P\|_F\|VA\|_F\le\|W\|_F\|V\|_F$, where $P, A$ collect the singular vectors
# (Cauchy–Schwarz, and $P, A$ have orthonormal columns). Conversely, if $M = PSA^\top$ has
# rank $\le h$ and $\|M\|_*\le c_1c_2$, the factors $W = \sqrt{c_1/c_2}\,PS^{1/2}$,
# $V = \sqrt{c_2/c_1}\,S^{1/2}A^\top$ (padded with zero columns, resp. rows, to width $h$)
# give $WV = M$, $\|W\|_F^2 = (c_1/c_2)\|M\|_*\le c_1^2$ and $\|V\|_F^2\le c_2^2$. So the
# products form the stated nuclear-norm ball, which lies inside the Frobenius ball of
# radius $c_1c_2$ (as $\|M\|_F\le\|M\|_*$) and is strictly smaller when $z\ge2$ (the
# matrix $\frac{c}{\sqrt2}(u_1e_1^\top + u_2e_2^\top)$ has Frobenius norm $c$ and nuclear
# norm $\sqrt2c$). Both problems therefore have the value $c^2\lambda_1$: the two-layer
# one is at least the Frobenius one (smaller feasible set), and the rank-one optimum
# $c\,u_1a^\top$ has $\|\cdot\|_* = \|\cdot\|_F = c$, so it is a product. A minimising pair
# has $\|WV\|_F = c_1c_2$; since $\|WV\|_F\le\|W\|_2\|V\|_F\le\|W\|_F\|V\|_F$ and
# $\|W\|_2 = \|W\|_F$ only for rank one, $W$ has rank one, and likewise $V$.
#
# *Item 4.* $\nabla_M L_\beta = 2CM + 2\beta M$ (the data-matrix chapter derives
# $\nabla_M\operatorname{Tr}(M^\top CM) = 2CM$), so the flow is linear,
# $M_\beta(t) = e^{-2(C+\beta I)t}M(0) = e^{-2\beta t}e^{-2Ct}M(0)$ because $\beta I$
# commutes with $C$. A positive scalar changes no ratio of singular values. In the
# eigenbasis, $e^{-2Ct}M(0) = \sum_k e^{-2\lambda_kt}u_ku_k^\top M(0)$; its component
# along $u_1$ has norm $e^{-2\lambda_1t}\|u_1^\top M(0)\|$, and by Weyl's inequality
# $\sigma_2$ is at most the norm of the rest, $\le e^{-2\lambda_2t}\|M(0)\|_2$. Hence
# $\sigma_2/\sigma_1\le e^{-2(\lambda_2-\lambda_1)t}\|M(0)\|_2/\|u_1^\top M(0)\|$. The norm
# behaves like $e^{-2(\lambda_1+\beta)t}$, which gives the three cases; for $\beta =
# -\lambda_1$ the limit is the $u_1$-component $u_1u_1^\top M(0)$.
# :::
#
# The last item says what weight decay does and does not do. The regularised loss
# $L_\beta$ is bounded below only for $\beta\ge-\lambda_1$; for $\beta>-\lambda_1$ its
# minimiser is $M = 0$ (no representation at all), for $\beta = -\lambda_1$ its
# minimisers are the rank-one matrices $u_1a^\top$, and for $\beta < -\lambda_1$ there
# is none. No choice of $\beta$ gives a minimiser of rank two.

# %% [markdown]
# ## Check 1: projected gradient descent on the Frobenius ball collapses
#
# We take a random symmetric $C$ ($d = 10$, entries of $(A + A^\top)/(2\sqrt d)$ with $A$
# Gaussian), so that $\lambda_1<0$ is simple with probability one, and run projected
# gradient descent
#
# $$
# M_{k+1} = \Pi_F\big(M_k - 2\eta\,CM_k\big),\qquad
# \Pi_F(X) = X\min\big(1, c/\|X\|_F\big),\qquad \eta = 1/(2\|C\|_2),
# $$
#
# from many Gaussian starts with $z = 4$ columns. The projection is a positive rescaling,
# which commutes with $A = I - 2\eta C$, so $M_k = \alpha_kA^kM_0$ with $\alpha_k>0$:
# projected gradient descent is the power method. This gives a bound that the run must
# satisfy, not just a rate: with $a_j = 1 - 2\eta\lambda_j$, for which
# $a_1 = 1 - 2\eta\lambda_1 > |a_j|$ when $j\ge2$ (because $\eta\|C\|_2 = 1/2$ and
# $\lambda_1 < \lambda_2$), the same Weyl argument as in item 4 gives
#
# $$
# \frac{\sigma_2(M_k)}{\sigma_1(M_k)} \le \rho^k\,\frac{\|M_0\|_2}{\|u_1^\top M_0\|},
# \qquad \rho = \max_{j\ge2}\frac{|a_j|}{a_1} < 1 .
# $$
#
# We stop at the step $K$ where $\rho^K = 10^{-10}$, so that the bound is far from
# vacuous and far above rounding ($10^{-16}$), and assert, for every start: the bound on
# $\sigma_2/\sigma_1$; $\sigma_1 = c$ and $L(M_K) = c^2\lambda_1$ to the accuracy the
# bound implies, $c^2(\lambda_d-\lambda_1)\times$ (bound)$^2$, plus $10^{-13}$ for rounding.

# %%
rng = np.random.default_rng(SEED)
d, z, c = 10, 4, 2.0
A = rng.standard_normal((d, d))
C = (A + A.T) / (2 * np.sqrt(d))
lam, U = np.linalg.eigh(C)
u1 = U[:, 0]
eta = 1 / (2 * np.linalg.norm(C, 2))
a = 1 - 2 * eta * lam
rho = np.max(np.abs(a[1:])) / a[0]
K = int(np.ceil(np.log(1e-10) / np.log(rho)))
print(f"eigenvalues of C: {np.array2string(lam, precision=3)}")
print(f"rho = {rho:.4f}, K = {K} steps (rho^K = {rho**K:.1e})")

worst = dict(ratio=0.0, ratio_over_bound=0.0, value=0.0, s1=0.0)
for s in range(STARTS):
    M0 = rng.standard_normal((d, z))
    res = constrained.projected_gd_trace(C, M0, "frobenius", radius=c, lr=eta, steps=K)
    sv = res.singular_values[-1]
    bound = rho**K * np.linalg.norm(M0, 2) / np.linalg.norm(u1 @ M0)
    value_tol = c**2 * (lam[-1] - lam[0]) * bound**2 + 1e-13
    ratio = sv[1] / sv[0]
    assert ratio <= bound + 1e-15, (s, ratio, bound)
    assert abs(sv[0] - c) <= value_tol, (s, sv[0])
    assert abs(res.losses[-1] - c**2 * lam[0]) <= value_tol, (s, res.losses[-1])
    assert np.all(np.diff(res.losses) <= 1e-12)  # eta = 1/L: the loss never increases
    worst["ratio"] = max(worst["ratio"], ratio)
    worst["ratio_over_bound"] = max(worst["ratio_over_bound"], ratio / bound)
    worst["value"] = max(worst["value"], abs(res.losses[-1] - c**2 * lam[0]))
    worst["s1"] = max(worst["s1"], abs(sv[0] - c))
print(f"{STARTS} starts: max sigma2/sigma1 = {worst['ratio']:.2e} "
      f"(at most {worst['ratio_over_bound']:.2f} x its bound)")
print(f"max |L(M_K) - c^2 lambda_1| = {worst['value']:.1e}, max |sigma_1 - c| = {worst['s1']:.1e}")
glue("p2_rho", float(rho), display=False)
glue("p2_K", int(K), display=False)
glue("p2_starts", int(STARTS), display=False)
glue("p2_ratio", float(worst["ratio"]), display=False)
glue("p2_ratio_bound", float(worst["ratio_over_bound"]), display=False)
glue("p2_value_err", float(worst["value"]), display=False)
glue("p2_lam1", float(lam[0]), display=False)

# %% [markdown]
# From all {glue:text}`p2_starts` starts the iterates end on the rank-one minimiser: the
# largest $\sigma_2/\sigma_1$ is {glue:text}`p2_ratio:.1e`, and the loss equals
# $c^2\lambda_1$ (with $c = 2$, $\lambda_1 =$ {glue:text}`p2_lam1:.4f`) to
# {glue:text}`p2_value_err:.0e`. The bound is not a formality: the measured ratio reaches
# up to {glue:text}`p2_ratio_bound:.2f` times it, so the ratio really decays at the
# predicted rate $\rho =$ {glue:text}`p2_rho:.3f` per step.
#
# ## Check 2: the two-layer network under two Frobenius budgets
#
# Same $C$, now $M = WV$ with $h = 6$, budgets $c_1 = 1$ and $c_2 = 2$ (so $c_1c_2 = c$),
# and projected gradient descent on the pair,
# $W \leftarrow \Pi_{c_1}(W - 2\eta' CMV^\top)$, $V\leftarrow\Pi_{c_2}(V - 2\eta' W^\top
# CM)$, with the step $\eta' = 1/L$ for the Lipschitz constant $L = 2\|C\|_2(c_1c_2 +
# 2\max(c_1,c_2)^2)$ of the gradient on the feasible set (derived in
# `ssl_notes.constrained.projected_gd_factored`). This problem is not a power method and
# has no closed-form iterates, so we use a separation argument for the tolerance: a
# rank-two point has $\sigma_2/\sigma_1$ of order one, and the best point with columns
# orthogonal to $u_1$ has loss $c^2\lambda_2$, a relative difference
# $(\lambda_2-\lambda_1)/|\lambda_1|$ of about 10 % here. We assert $10^{-8}$ for
# $\sigma_2/\sigma_1$ of $M$, $W$ and $V$ and for the relative error of the loss, and the
# nuclear-norm inequality $\|WV\|_*\le\|W\|_F\|V\|_F$ on random pairs (rounding only).

# %%
h, c1, c2 = 6, 1.0, 2.0
for _ in range(200):  # ||WV||_* <= ||W||_F ||V||_F
    Wr, Vr = rng.standard_normal((d, h)), rng.standard_normal((h, z))
    nuc = np.linalg.norm(Wr @ Vr, "nuc")
    assert nuc <= np.linalg.norm(Wr) * np.linalg.norm(Vr) * (1 + 1e-13)

worst2 = np.zeros(4)
for s in range(STARTS):
    W0, V0 = rng.standard_normal((d, h)), rng.standard_normal((h, z))
    res = constrained.projected_gd_factored(C, W0, V0, "frobenius", radii=(c1, c2), steps=1000)
    sW = np.linalg.svd(res.W, compute_uv=False)
    sV = np.linalg.svd(res.V, compute_uv=False)
    sM = res.singular_values[-1]
    errs = np.array([abs(res.losses[-1] / (c1**2 * c2**2 * lam[0]) - 1), sM[1] / sM[0], sW[1] / sW[0], sV[1] / sV[0]])
    assert np.all(errs <= 1e-8), (s, errs)
    assert np.all(np.diff(res.losses) <= 1e-12)
    worst2 = np.maximum(worst2, errs)
print(f"{STARTS} starts: max relative loss error {worst2[0]:.1e}; max sigma2/sigma1 of WV, W, V: "
      f"{worst2[1]:.1e}, {worst2[2]:.1e}, {worst2[3]:.1e} (tolerance 1e-8)")
glue("p2_two_layer_worst", float(worst2.max()), display=False)

# %% [markdown]
# Both layers collapse: across the starts the largest of the four errors is
# {glue:text}`p2_two_layer_worst:.0e`.
#
# ## Check 3: weight decay rescales the collapse
#
# Item 4 predicts that the regularised flow is the plain flow times the scalar
# $e^{-2\beta t}$. We integrate the gradient flow $\dot M = -\nabla L_\beta(M)$ with
# the gradient computed by automatic differentiation (PyTorch, float64), so that the
# formula $2(C+\beta I)M$ is not used, by an adaptive Runge–Kutta method (scipy's DOP853,
# relative tolerance $10^{-11}$ and a negligible absolute one, since $M$ shrinks to
# $10^{-14}$ in one case), up to $T = 30$, for $\beta = 0$ and for $\beta$ below, at and
# above $-\lambda_1$. We assert:
#
# - $\|e^{2\beta t}M_\beta(t) - M_0(t)\|_F \le 10^{-7}\|M_0(t)\|_F$ at every sampled $t$
#   (four orders of magnitude above the solver tolerance, whose errors accumulate over
#   the run);
# - the decay rate of $\sigma_2/\sigma_1$ fitted on $t\in[15, 30]$ is
#   $2(\lambda_2-\lambda_1)$ to $10^{-2}$ relative: the ratio is exponential only up to
#   relative corrections of order $e^{-2(\lambda_3-\lambda_2)t}$, printed below for
#   $t = 15$;
# - $\|M_\beta(T)\|_F$ grows for $\beta<-\lambda_1$, shrinks for $\beta>-\lambda_1$,
#   and for $\beta = -\lambda_1$ is within $e^{-2(\lambda_2-\lambda_1)T}\|M(0)\|_F$ of
#   $\|u_1^\top M(0)\|$ (the bound of item 4).

# %%
from scipy.integrate import solve_ivp

M0 = rng.standard_normal((d, z))
Ct = torch.tensor(C, device=device)
T = 30.0
t_eval = np.linspace(0, T, 301)


def autograd_flow(beta):
    """Gradient flow of L_beta, gradient by autograd, integrated by DOP853."""

    def rhs(_, y):
        Mt = torch.tensor(y.reshape(d, z), device=device, requires_grad=True)
        loss = torch.trace(Mt.T @ Ct @ Mt) + beta * (Mt**2).sum()
        (grad,) = torch.autograd.grad(loss, Mt)
        return -grad.cpu().numpy().ravel()

    sol = solve_ivp(rhs, (0, T), M0.ravel(), method="DOP853", t_eval=t_eval, rtol=1e-11, atol=1e-30)
    return sol.y.T.reshape(-1, d, z)


traj = {"none": autograd_flow(0.0)}
betas = {"below": -lam[0] - 0.5, "at": -lam[0], "above": -lam[0] + 0.5}
for name, beta in betas.items():
    traj[name] = autograd_flow(beta)
    rescaled = np.exp(2 * beta * t_eval)[:, None, None] * traj[name]
    err = np.max(np.linalg.norm(rescaled - traj["none"], axis=(1, 2)) / np.linalg.norm(traj["none"], axis=(1, 2)))
    print(f"beta = {beta:+.3f} ({name:5s} -lambda_1): max relative |e^(2 beta t) M_beta - M_0| = {err:.1e};"
          f" ||M(T)||_F = {np.linalg.norm(traj[name][-1]):.3g} (||M(0)||_F = {np.linalg.norm(M0):.3g})")
    assert err <= 1e-7
sv0 = np.linalg.svd(traj["none"], compute_uv=False)
late = t_eval >= 15
rate = -np.polyfit(t_eval[late], np.log(sv0[late, 1] / sv0[late, 0]), 1)[0]
flow_rate = 2 * (lam[1] - lam[0])
print(f"fitted decay rate of sigma2/sigma1: {rate:.5f}, predicted 2(l2 - l1) = {flow_rate:.5f} "
      f"(correction scale e^(-2(l3-l2) 15) = {np.exp(-2 * (lam[2] - lam[1]) * 15):.1e})")
assert abs(rate / flow_rate - 1) < 1e-2
assert np.linalg.norm(traj["below"][-1]) > 1e3 * np.linalg.norm(M0)
assert np.linalg.norm(traj["above"][-1]) < 1e-3 * np.linalg.norm(M0)
gap_at = abs(np.linalg.norm(traj["at"][-1]) - np.linalg.norm(u1 @ M0))
assert gap_at <= np.exp(-2 * (lam[1] - lam[0]) * T) * np.linalg.norm(M0)
glue("p2_flow_rate", float(flow_rate), display=False)
glue("p2_fit_rate", float(rate), display=False)

# %% [markdown]
# The regularised trajectories are the plain one times $e^{-2\beta t}$, and the columns
# align at the fitted rate {glue:text}`p2_fit_rate:.4f` against the predicted
# $2(\lambda_2 - \lambda_1) =$ {glue:text}`p2_flow_rate:.4f`, whatever $\beta$: weight
# decay decides how large $M$ becomes, never how fast its columns align.
#
# ## Check 4: positive semi-definite C
#
# For $C\succeq0$ the Frobenius constraint is never active at the optimum. With a
# positive definite $C$ (spectrum of the random $C$ above shifted to
# $[0.1, \cdot]$) projected gradient descent drives $M$ to $0$ at the rate
# $\max_j|1-2\eta\lambda_j|$ per step; with one eigenvalue set to exactly $0$ it converges
# instead to the component of $M_0$ in the kernel, a non-zero minimiser with loss $0$:
# the paper's "$M^* = 0$" is one minimiser among many in that case.

# %%
C_pd = U @ np.diag(lam - lam[0] + 0.1) @ U.T
C_psd = U @ np.diag(lam - lam[0]) @ U.T  # lambda_1 = 0 exactly, kernel = span(u1)
M0 = rng.standard_normal((d, z))
K_pd = 300
r_pd = constrained.projected_gd_trace(C_pd, M0, "frobenius", radius=c, steps=K_pd)
eta_pd = 1 / (2 * np.linalg.norm(C_pd, 2))
mu = np.max(np.abs(1 - 2 * eta_pd * np.linalg.eigvalsh(C_pd)))
bound_pd = mu**K_pd * np.linalg.norm(manifold.project_frobenius_ball(M0, c))
r_psd = constrained.projected_gd_trace(C_psd, M0, "frobenius", radius=c, steps=K_pd)
kernel_part = np.outer(u1, u1 @ manifold.project_frobenius_ball(M0, c))
dist_psd = np.linalg.norm(r_psd.M - kernel_part)
eta_psd = 1 / (2 * np.linalg.norm(C_psd, 2))
bound_psd = (np.max(np.abs(1 - 2 * eta_psd * (lam[1:] - lam[0])))) ** K_pd * c
print(f"C > 0:  ||M_K||_F = {np.linalg.norm(r_pd.M):.2e} (bound mu^K ||M_0||_F = {bound_pd:.2e}), "
      f"loss {r_pd.losses[-1]:.1e}")
print(f"C >= 0, lambda_1 = 0: ||M_K - u1 u1^T M_0||_F = {dist_psd:.1e} (bound {bound_psd:.1e}), "
      f"||M_K||_F = {np.linalg.norm(r_psd.M):.3f}, loss {r_psd.losses[-1]:.1e}")
assert np.linalg.norm(r_pd.M) <= bound_pd * (1 + 1e-12)
assert dist_psd <= bound_psd + 1e-14
assert np.linalg.norm(r_psd.M) > 0.1
assert 0 <= r_psd.losses[-1] <= (lam[-1] - lam[0]) * bound_psd**2 + 1e-14  # loss = sum_j lambda_j |u_j^T M|^2
glue("p2_psd_norm", float(np.linalg.norm(r_psd.M)), display=False)

# %% [markdown]
# ## The figure: Frobenius against operator norm on MNIST
#
# The same experiment on the contrastive $C$ of MNIST digits 0 and 1 ($d = 784$, built as
# in the data-matrix chapter), $z = 4$, one small Gaussian start (singular values near
# 0.05), projected gradient descent
# onto the Frobenius ball of radius $c = 2 = \sqrt z$ (which contains every matrix with
# orthonormal columns) and, from the same start, onto the operator-norm ball of radius 1
# (clip the singular values at 1, `ssl_notes.manifold.project_operator_ball`; this is
# problem 2 of {prf:ref}`Proposition 3 <prop-operator-orthogonal>`). The Frobenius run is the power
# method as above. For the operator-norm run the relevant contraction is the eigengap
# ratio $\rho_2 = (1 - 2\eta\lambda_5)/(1 - 2\eta\lambda_4)$ (the subspace iteration
# that the next chapter analyses); after $K = 600$ steps $\rho_2^K$ is below $10^{-5}$,
# so the loss, which is quadratic in the angle, is converged to about $10^{-10}$, and we
# assert $10^{-8}$ for the singular values and the relative loss.

# %%
X, _ = data.mnist_digits((0, 1), 200, rng)
C_mn = losses.contrastive_matrix(X, data.gaussian_positives(X, 0.1, rng), data.random_negatives(X, rng))
lam_mn = np.linalg.eigvalsh(C_mn)
M0 = 0.05 * rng.standard_normal((C_mn.shape[0], z)) / np.sqrt(C_mn.shape[0])  # small start: both runs grow first
steps_fig = 600
eta_mn = 1 / (2 * np.max(np.abs(lam_mn)))  # 1 / (2 ||C||_2)
rho_2 = (1 - 2 * eta_mn * lam_mn[z]) / (1 - 2 * eta_mn * lam_mn[z - 1])
run_F = constrained.projected_gd_trace(C_mn, M0, "frobenius", radius=2.0, lr=eta_mn, steps=steps_fig)
run_2 = constrained.projected_gd_trace(C_mn, M0, "operator", radius=1.0, lr=eta_mn, steps=steps_fig)
sF, s2 = run_F.singular_values[-1], run_2.singular_values[-1]
print(f"MNIST, Frobenius ball: final singular values {np.array2string(sF, precision=3)}, "
      f"loss {run_F.losses[-1]:.4f} vs c^2 lambda_1 = {4 * lam_mn[0]:.4f}")
print(f"MNIST, operator ball:  final singular values {np.array2string(s2, precision=3)}, "
      f"loss {run_2.losses[-1]:.4f} vs lambda_1+..+lambda_4 = {lam_mn[:z].sum():.4f} "
      f"(rho_2^K = {rho_2**steps_fig:.0e})")
assert rho_2**steps_fig < 1e-5
assert sF[1] / sF[0] < 1e-8 and abs(run_F.losses[-1] / (4 * lam_mn[0]) - 1) < 1e-10
assert np.all(np.abs(s2 - 1) < 1e-8) and abs(run_2.losses[-1] / lam_mn[:z].sum() - 1) < 1e-8

fig, axes = new_figure(ncols=2, width=3.5, height=3.0)
k = np.arange(151)  # the first 150 steps; the runs continue to 600 for the assertions
for ax, run, title in [(axes[0], run_F, r"Frobenius ball $\|M\|_F\leq 2$"),
                       (axes[1], run_2, r"operator ball $\|M\|_2\leq 1$")]:
    for j in range(z):
        ax.plot(k, run.singular_values[k, j], color=COLORS[j], label=rf"$\sigma_{j + 1}$")
    ax.set(yscale="log", xlabel="projected gradient step $k$", ylabel="singular values of $M_k$", title=title)
axes[0].set_ylim(1e-17, 10)
axes[1].set_ylim(1e-2, 2)
axes[1].legend(loc="lower right")
glue("fig_p2_singular_values", fig, display=False)
plt.close(fig)
glue("p2_mnist_sF2", float(sF[1]), display=False)
glue("p2_mnist_s2min", float(s2.min()), display=False)

# %% [markdown]
# ```{glue:figure} fig_p2_singular_values
# :name: fig-p2-singular-values
#
# Singular values of $M_k$ during the first 150 steps of projected gradient descent on
# $\operatorname{Tr}(M^\top CM)$, MNIST digits 0/1, $z = 4$, same start (note the
# different vertical scales). Left: under the
# Frobenius constraint the budget moves to $\sigma_1 = 2$ and the other three singular
# values fall geometrically to rounding level ($\sigma_2 =$
# {glue:text}`p2_mnist_sF2:.0e` at the end): rank one. Right: under the operator-norm
# constraint all four singular values reach 1 (the smallest ends at
# {glue:text}`p2_mnist_s2min:.10f`) and the embedding keeps rank $z = 4$.
# ```

# %% [markdown]
# ## Where it breaks: a repeated smallest eigenvalue
#
# Collapse to rank one used that $\lambda_1$ is simple. If $\lambda_1 = \lambda_2$, item 2
# allows every $M$ with columns in the two-dimensional $E_1$ and $\|M\|_F = c$, and
# projected gradient descent, being the power method, keeps the $E_1$-part of its start:
# it converges to $c\,P_{E_1}M_0/\|P_{E_1}M_0\|_F$, whose two non-zero singular values are
# in the ratio of those of $E_1^\top M_0$. We check this prediction (relative $10^{-6}$)
# and that the limit has rank two.

# %%
lam_rep = lam.copy()
lam_rep[1] = lam_rep[0]
C_rep = U @ np.diag(lam_rep) @ U.T
M0 = rng.standard_normal((d, z))
r_rep = constrained.projected_gd_trace(C_rep, M0, "frobenius", radius=c, steps=600)
sv_rep = r_rep.singular_values[-1]
pred = np.linalg.svd(U[:, :2].T @ M0, compute_uv=False)
print(f"repeated lambda_1: sigma2/sigma1 = {sv_rep[1] / sv_rep[0]:.6f}, predicted {pred[1] / pred[0]:.6f}, "
      f"sigma3/sigma1 = {sv_rep[2] / sv_rep[0]:.1e}; loss - c^2 lambda_1 = {r_rep.losses[-1] - c**2 * lam_rep[0]:.1e}")
assert abs((sv_rep[1] / sv_rep[0]) / (pred[1] / pred[0]) - 1) < 1e-6
assert sv_rep[1] / sv_rep[0] > 0.01 and sv_rep[2] / sv_rep[0] < 1e-8
assert abs(r_rep.losses[-1] - c**2 * lam_rep[0]) < 1e-10
glue("p2_rep_ratio", float(sv_rep[1] / sv_rep[0]), display=False)

# %% [markdown]
# With a double smallest eigenvalue the limit keeps rank two ($\sigma_2/\sigma_1 =$
# {glue:text}`p2_rep_ratio:.3f`, set by the start, not by the data). This is a
# non-generic situation: for data matrices, whose eigenvalues are simple with probability
# one, the Frobenius budget collapses the embedding.
#
# ## What we learned
#
# - Under $\|M\|_F\le c$ the minimum of $\operatorname{Tr}(M^\top CM)$ is
#   $c^2\lambda_1$, reached only by the rank-one $c\,u_1a^\top$ when $\lambda_1<0$ is
#   simple; projected gradient descent is exactly the power method and ends there from all
#   {glue:text}`p2_starts` starts, with $\sigma_2/\sigma_1\le$ {glue:text}`p2_ratio:.0e`.
# - Two Frobenius budgets on $W$ and $V$ give the same value and collapse both layers to
#   rank one (errors below {glue:text}`p2_two_layer_worst:.0e`), although their feasible
#   set is the smaller nuclear-norm ball.
# - Weight decay multiplies the flow by $e^{-2\beta t}$: the columns align at the rate
#   $2(\lambda_2-\lambda_1)$ for every $\beta$.
# - For $C\succeq0$ the minimum is 0; it is attained at $M = 0$, uniquely only if $C\succ0$
#   (with a zero eigenvalue a non-zero $M$ of norm {glue:text}`p2_psd_norm:.2f` is
#   optimal too).
# - The operator-norm ball keeps all $z$ singular values at 1 on MNIST: that is the
#   subject of {prf:ref}`Proposition 3 <prop-operator-orthogonal>`.

# %% tags=["remove-cell"]
# Reached only when every check above passed; the results overview page shows it.
glue("checks_status", "passed", display=False)

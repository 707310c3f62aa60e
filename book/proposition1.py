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
# # Proposition 1: the naive dynamics collapse
#
# **The claim in plain words.** Plug the contrastive loss (1) or the non-contrastive
# loss (2) into gradient flow. Unlike regression, there are no targets that could pull
# different output dimensions in different directions: by
# {prf:ref}`Lemma 1 <lemma-no-interaction>` every output component of a linear model, a kernel
# machine or a wide network obeys *the same* linear equation. All components are
# then driven towards the same fastest-growing direction, and the embedding collapses
# to one dimension. For the linear model everything is explicit:
# $W(t) = \exp(-2\eta C t)W(0)$, the ratio of the two largest singular values of $W(t)$
# decays at the rate $2\eta(\lambda_2 - \lambda_1)$ set by the two smallest eigenvalues
# of the data matrix $C$, and $\|W(t)\|$ blows up when $\lambda_1 < 0$. We derive this,
# check it on the lifted two moons and on MNIST, watch the same collapse in a kernel
# machine and a wide network, and contrast it with the spectral contrastive loss,
# whose quadratic term couples the output dimensions and prevents the collapse.

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
import threadpoolctl
import scipy.linalg
import torch
from torch.func import functional_call, jvp

from ssl_notes import data, glue, kernels, losses, metrics, models, ntk
from ssl_notes.plotting import COLORS, new_figure

device = ssl_notes.default_device()  # used when a GPU is present, never required
if device.type == "cpu":  # small problems: on a shared CPU, extra threads only add overhead
    torch.set_num_threads(1)
    threadpoolctl.threadpool_limits(1)  # the same for numpy's BLAS
SIZE = "fast"  # "full": a four times wider network
H_NET = {"fast": 1024, "full": 4096}[SIZE]
T_NONLINEAR = 300  # gradient-descent steps for the models of Check 3 and the contrast
SEED = 0
u = np.finfo(np.float64).eps / 2  # unit round-off of float64
print(f"ssl_notes {ssl_notes.__version__}, torch {torch.__version__}, device {device}, size {SIZE}")

# %% [markdown]
# ## From the losses to the output dynamics (4) and (5)
#
# As in the Lemma 1 chapter, gradient flow keeps the learning rate explicit,
# $\dot\Theta = -\eta\nabla_\Theta L$, and gradient descent
# $\Theta_{t+1} = \Theta_t - \eta\nabla_\Theta L(\Theta_t)$ is its Euler discretisation
# with unit time step, so $t$ counts steps. $\Theta_{kl}(x, x') =
# \langle\nabla_\Theta f_k(x), \nabla_\Theta f_l(x')\rangle$ are the blocks of the
# tangent kernel.
#
# :::{prf:lemma} Output dynamics of self-supervised learning (eqs. 4 and 5 of the paper)
# :label: lem-ssl-output-dynamics
# :nonumber:
#
# For any model $f_\Theta:\mathbb{R}^d\to\mathbb{R}^z$ differentiable in $\Theta$ and any
# anchors, positives and negatives, along $\dot\Theta = -\eta\nabla_\Theta L$ and for
# every input $x$:
#
# $$
# \text{(4)}\quad \frac{d}{dt}f_k(x) = \frac\eta n\sum_{i=1}^n\sum_{l=1}^z
# \Big[\Theta_{kl}(x, x_i)\,f_l(x_i^+) + \Theta_{kl}(x, x_i^+)\,f_l(x_i)\Big]
# \quad\text{for } L = L_{nc},
# $$
#
# $$
# \text{(5)}\quad \frac{d}{dt}f_k(x) = \frac\eta n\sum_{i=1}^n\sum_{l=1}^z
# \Big[\Theta_{kl}(x, x_i)\big(f_l(x_i^+) - f_l(x_i^-)\big) +
# \big(\Theta_{kl}(x, x_i^+) - \Theta_{kl}(x, x_i^-)\big) f_l(x_i)\Big]
# \quad\text{for } L = L_c .
# $$
# :::
#
# :::{prf:proof}
# $L_{nc} = -\frac1n\sum_i\sum_l f_l(x_i)f_l(x_i^+)$; the product rule gives
# $\nabla_\Theta L_{nc} = -\frac1n\sum_i\sum_l\big[f_l(x_i^+)\nabla_\Theta f_l(x_i) +
# f_l(x_i)\nabla_\Theta f_l(x_i^+)\big]$. By the chain rule
# $\frac{d}{dt}f_k(x) = \langle\nabla_\Theta f_k(x), \dot\Theta\rangle =
# -\eta\langle\nabla_\Theta f_k(x), \nabla_\Theta L_{nc}\rangle$, which is (4) once the
# inner products are named $\Theta_{kl}$. For $L_c$ replace $f_l(x_i^+)$ by
# $f_l(x_i^+) - f_l(x_i^-)$: the gradient picks up
# $f_l(x_i^+ ) - f_l(x_i^-)$ times $\nabla f_l(x_i)$ and $f_l(x_i)$ times
# $\nabla f_l(x_i^+) - \nabla f_l(x_i^-)$, which is (5).
# :::
#
# We check both identities on a two-layer tanh network of width 64 (no wide-width
# approximation is involved: they hold for any model). The left side is a
# Jacobian-vector product of $f(x)$ along $-\eta\nabla L$, the right side is assembled
# from `ntk.empirical_ntk` blocks; as in the Lemma 1 chapter, both are sums of about
# $10^4$ products and we assert agreement to $10^{-12}$ relative.

# %%
rng = np.random.default_rng(SEED)
d_toy, z_toy, n_toy = 5, 3, 12
Xa, Xpos, Xneg = (rng.standard_normal((n_toy, d_toy)) for _ in range(3))
X_eval = rng.standard_normal((4, d_toy))
eta_toy = 0.1
net = models.two_layer_net(d_toy, 64, z_toy, "tanh", init="gaussian", rng=SEED, device=device)
T_, Tp, Tn, Te = (torch.as_tensor(A, device=device) for A in (Xa, Xpos, Xneg, X_eval))
params = {k: v.detach() for k, v in net.named_parameters()}
with torch.no_grad():
    F, Fp, Fn = (net(A).cpu().numpy() for A in (T_, Tp, Tn))
K_a, K_p, K_n = (ntk.empirical_ntk(net, X_eval, A) for A in (Xa, Xpos, Xneg))
rhs = {
    "non-contrastive (4)": eta_toy / n_toy * (np.einsum("aikl,il->ak", K_a, Fp) + np.einsum("aikl,il->ak", K_p, F)),
    "contrastive (5)": eta_toy / n_toy * (np.einsum("aikl,il->ak", K_a, Fp - Fn) + np.einsum("aikl,il->ak", K_p - K_n, F)),
}
loss_fn = {
    "non-contrastive (4)": lambda: losses.noncontrastive_loss(net, T_, Tp),
    "contrastive (5)": lambda: losses.contrastive_loss(net, T_, Tp, Tn),
}
err_45 = []
for name in rhs:
    grads = torch.autograd.grad(loss_fn[name](), list(net.parameters()))
    velocity = {k: -eta_toy * g for k, g in zip(params, grads)}
    _, lhs = jvp(lambda p: functional_call(net, p, (Te,)), (params,), (velocity,))
    err = np.max(np.abs(lhs.cpu().numpy() - rhs[name])) / np.max(np.abs(rhs[name]))
    print(f"{name:20s}: relative difference autograd vs NTK formula {err:.1e} (tolerance 1e-12)")
    assert err < 1e-12
    err_45.append(err)
glue("p1_err45", float(max(err_45)), display=False)

# %% [markdown]
# ## The statement
#
# Under the conclusion of {prf:ref}`Lemma 1 <lemma-no-interaction>`,
# $\Theta_{kl}(x, x') = K(x, x')1\{k = l\}$, the double sums over $l$ in (4) and (5)
# keep only $l = k$.
#
# :::{prf:proposition} Dimension collapse (Proposition 1 of the paper)
# :label: prop-collapse
# :nonumber:
#
# 1. *Identical dynamics.* If $\Theta_{kl}(x,x') = K(x,x')1\{k = l\}$ for all inputs and
#    times, every output component obeys the same linear equation, e.g. for $L_{nc}$
#    $\frac{d}{dt}f_k(x) = \frac\eta n\sum_i\big[K(x, x_i)f_k(x_i^+) +
#    K(x, x_i^+)f_k(x_i)\big]$, and for $L_c$
#    $\frac{d}{dt}f_k(x) = \frac\eta n\sum_i\big[K(x, x_i)(f_k(x_i^+) - f_k(x_i^-)) +
#    (K(x, x_i^+) - K(x, x_i^-))f_k(x_i)\big]$. This holds exactly for linear models
#    and kernel machines, and approximately for wide networks.
# 2. *Linear model.* For $f(x) = W^\top x$, $W\in\mathbb{R}^{d\times z}$, and $C$ the
#    symmetric data matrix (7) of the loss, $\dot W = -2\eta CW$ and
#    $W(t) = \exp(-2\eta Ct)\,W(0)$. Gradient descent gives
#    $W_t = (I - 2\eta C)^t W_0$.
# 3. *Rate of collapse.* Let $\lambda_1 < \lambda_2 \le \dots \le \lambda_d$ be the
#    eigenvalues of $C$ with orthonormal eigenvectors $u_j$ (**implicit**: $\lambda_1$
#    simple), $z \ge 2$, $B = [u_1 \dots u_d]^\top W(0)$ with rows $b_j$, and assume
#    **(implicit, true for a generic $W(0)$)** that $b_1$ and $b_2$ are linearly
#    independent. Then for every $t \ge 0$
#
#    $$
#    \frac{\|b_1\wedge b_2\|}{\|B\|_2^2}\,e^{-2\eta(\lambda_2 - \lambda_1)t}
#    \;\le\; \frac{\sigma_2(W(t))}{\sigma_1(W(t))} \;\le\;
#    \frac{\|B_{2:}\|_2}{\|b_1\|}\,e^{-2\eta(\lambda_2 - \lambda_1)t},
#    \qquad
#    \|b_1\|\,e^{-2\eta\lambda_1 t} \le \|W(t)\|_2 \le \|B\|_2\,e^{-2\eta\lambda_1 t},
#    $$
#
#    with $\|b_1\wedge b_2\|^2 = \|b_1\|^2\|b_2\|^2 - (b_1^\top b_2)^2$ and $B_{2:}$ the
#    rows $2,\dots,d$ of $B$. So $W(t)$ collapses onto $u_1$ at the exact rate
#    $2\eta(\lambda_2 - \lambda_1)$, and $\|W(t)\|_2$ diverges if $\lambda_1 < 0$.
#    For gradient descent with $1 - 2\eta\lambda_d > 0$, the same holds with
#    $e^{-2\eta\lambda_j t}$ replaced by $(1 - 2\eta\lambda_j)^t$.
# 4. *Kernel machines* $f(x) = W^\top\varphi(x)$: items 2 and 3 with $x$ replaced by
#    $\varphi(x)$ and $C$ by the matrix $C_\varphi$ built from the features.
# :::
#
# The paper also says that the components have "identical fixed points" and that the
# output collapses "at convergence". For the linear model there is nothing to
# converge to: the only fixed point of $\dot W = -2\eta CW$ with $C$ invertible is
# $W = 0$, and when $\lambda_1 < 0$ the norm diverges. What collapses is the
# *direction*: by item 3, $W(t)/\|W(t)\|_2$ converges to the rank-one matrix
# $u_1b_1^\top/\|b_1\|$ when $\lambda_1$ is simple.
#
# :::{prf:proof}
# *Item 1* is (4) and (5) with $\Theta_{kl} = K1\{k=l\}$.
#
# *Item 2.* By the data-matrix chapter ({prf:ref}`the trace lemma <lem-trace-form>`),
# $L = \operatorname{Tr}(W^\top CW)$ and $\nabla_W L = 2CW$, so $\dot W = -2\eta CW$,
# a linear ODE with constant coefficients whose solution is
# $W(t) = \exp(-2\eta Ct)W(0)$; one step of gradient descent multiplies by
# $I - 2\eta C$. Column by column, $\dot w_k = -2\eta Cw_k$: the same equation for
# every output, which is item 1 with $K(x, x') = x^\top x'$.
#
# *Item 3.* In the eigenbasis, $W(t) = Q\,A(t)$ with $Q = [u_1\dots u_d]$ orthogonal and
# $A(t)$ the matrix with rows $a_j(t) = e^{-2\eta\lambda_j t}b_j$; $W(t)$ and $A(t)$
# have the same singular values. *Norm.* $\sigma_1(A) \ge \|a_1\| =
# e^{-2\eta\lambda_1 t}\|b_1\|$ (test $A^\top$ on $e_1$), and $\sigma_1(A) \le
# \|\operatorname{diag}(e^{-2\eta\lambda_j t})\|_2\|B\|_2 = e^{-2\eta\lambda_1 t}\|B\|_2$
# because $\lambda_1$ is the smallest eigenvalue. *Upper bound.* Deleting the first row
# of $A$ cannot push $\sigma_2(A)$ above the largest singular value of the remaining
# rows (interlacing for the removal of a row), and those rows are
# $\operatorname{diag}(e^{-2\eta\lambda_j t})_{j\ge2}B_{2:}$, of norm at most
# $e^{-2\eta\lambda_2 t}\|B_{2:}\|_2$; divide by $\sigma_1(A) \ge e^{-2\eta\lambda_1 t}
# \|b_1\|$. *Lower bound.* $\sigma_1\sigma_2$ is the operator norm of the second
# compound matrix of $A$ (the matrix of its $2\times2$ minors), which is at least the
# norm of its row built from rows 1 and 2 of $A$, namely
# $\|a_1\wedge a_2\| = e^{-2\eta(\lambda_1+\lambda_2)t}\|b_1\wedge b_2\|$. Hence
# $\sigma_2/\sigma_1 = \sigma_1\sigma_2/\sigma_1^2 \ge
# e^{-2\eta(\lambda_1+\lambda_2)t}\|b_1\wedge b_2\|/(e^{-4\eta\lambda_1 t}\|B\|_2^2)$.
# For gradient descent the rows are $(1 - 2\eta\lambda_j)^t b_j$; when every factor is
# positive they are ordered like the $\lambda_j$ and the same three arguments apply.
#
# *Item 4.* The kernel machine is a linear model in the features: the loss is
# $\operatorname{Tr}(W^\top C_\varphi W)$ with $C_\varphi$ given by (7) applied to
# $\varphi(x_i), \varphi(x_i^+), \varphi(x_i^-)$.
# :::
#
# We check items 1 and 2 for the linear model directly: the per-component equation of
# item 1 with $K(x,x') = x^\top x'$ against autograd, on the same toy data.

# %%
W_toy = rng.standard_normal((d_toy, z_toy))
lin = ntk.feature_model(W_toy)
grads = torch.autograd.grad(losses.contrastive_loss(lin, T_, Tp, Tn), [lin.W])[0].numpy()
lhs = X_eval @ (-eta_toy * grads)  # d/dt f(x) = (dW/dt)^T x, one row per x
Fa, Fpo, Fne = Xa @ W_toy, Xpos @ W_toy, Xneg @ W_toy
rhs_k = eta_toy / n_toy * ((X_eval @ Xa.T) @ (Fpo - Fne) + (X_eval @ (Xpos - Xneg).T) @ Fa)  # item 1, columnwise
C_toy = losses.contrastive_matrix(Xa, Xpos, Xneg)
err_item1 = np.max(np.abs(lhs - rhs_k)) / np.max(np.abs(rhs_k))
err_item2 = np.max(np.abs(grads - 2 * C_toy @ W_toy)) / np.max(np.abs(2 * C_toy @ W_toy))
print(f"linear model: per-component equation, relative difference {err_item1:.1e}; gradient vs 2CW {err_item2:.1e} (tolerance 1e-12)")
assert err_item1 < 1e-12 and err_item2 < 1e-12

# %% [markdown]
# ## The data: lifted two moons and MNIST
#
# The two moons live in $d = 2$, which leaves room for at most two output dimensions.
# We lift them to $d = 5$ with the quadratic map
# $(x_1, x_2)\mapsto(x_1, x_2, x_1^2, x_1x_2, x_2^2)$, a fixed nonlinear feature map, so
# that $z = 4$ output dimensions make sense; positives add Gaussian noise
# ($\sigma = 0.1$) in the lifted space, negatives are other data points. MNIST uses the
# digits 0 and 1 ($d = 784$, 200 images each) as in the data-matrix chapter. For each
# data set we build the contrastive and the non-contrastive $C$.

# %%
def lift(X2):
    """Quadratic lift of the two moons to d = 5."""
    x1, x2 = X2.T
    return np.column_stack([x1, x2, x1**2, x1 * x2, x2**2])


Z = 4
sets = {}
X, _ = data.two_moons(128, noise=0.05, rng=rng)
X = lift(X)
sets["moons"] = (X, data.gaussian_positives(X, 0.1, rng), data.random_negatives(X, rng))
X, _ = data.mnist_digits((0, 1), 200, rng)
sets["MNIST"] = (X, data.gaussian_positives(X, 0.1, rng), data.random_negatives(X, rng))
settings = {}
for name, (X, Xp, Xn) in sets.items():
    for kind, C in [("contrastive", losses.contrastive_matrix(X, Xp, Xn)), ("non-contrastive", losses.noncontrastive_matrix(X, Xp))]:
        lam, Q = np.linalg.eigh(C)
        settings[name, kind] = dict(C=C, lam=lam, Q=Q)
        print(f"{name:5s} {kind:16s}: lambda_1 = {lam[0]:+.3f}, lambda_2 = {lam[1]:+.3f}, lambda_3 = {lam[2]:+.3f}, lambda_max = {lam[-1]:+.3f}")
        assert lam[0] < 0 and lam[0] < lam[1]  # the hypotheses of item 3 and of divergence

# %% [markdown]
# ## Check 1: gradient descent tracks $\exp(-2\eta Ct)W(0)$, with error $O(\eta)$
#
# We train $f(x) = W^\top x$ by plain gradient descent on the loss itself (autograd on
# (1) or (2), not on the formula $2CW$), from $W_0$ with i.i.d. $N(0, 1/d)$ entries. We
# measure the learning rate by $\varepsilon = 2\eta|\lambda_1|$, the relative growth per
# step of the fastest direction, and stop at a fixed flow time $\eta t$ (here
# $2\eta t|\lambda_1| = 2$): $t = 50$ steps at $\varepsilon = 0.04$ and $t = 100$ at
# $\varepsilon = 0.02$, where we compare $W_t$ with $\exp(-2\eta Ct)W_0$.
#
# - **Item 2 for gradient descent**, to rounding: $W_t = (I - 2\eta C)^tW_0$, computed
#   as a separate matrix recursion. Each step adds rounding errors of relative size about
#   $(n + d)u$ (products of length $n$ in the loss, $d$ in $CW$), and $t$ steps add up
#   to $t(n+d)u$, which we assert.
# - **Order in $\eta$.** Along an eigenvector with eigenvalue $\lambda$, write
#   $a = -2\lambda$; gradient descent multiplies by $(1 + \eta a)^t$ and the flow by
#   $e^{\eta at}$, and with $t = \tau/\eta$,
#   $\log\frac{(1 + \eta a)^t}{e^{\eta a t}} = -\frac{\tau\eta a^2}{2} +
#   \frac{\tau\eta^2a^3}{3} - \dots$. With $\varepsilon = \eta a$ and $R = \tau a$ (here
#   2) for the fastest direction, its relative error is
#   $e(\eta) = \frac{R\varepsilon}{2}\big(1 - \frac{2\varepsilon}{3} - \frac{R\varepsilon}{4}
#   + O(\varepsilon^2R^2)\big)$: first order in $\eta$. Hence the measured order
#   $\log_2(e(\eta)/e(\eta/2))$ is $1 - \delta$ with
#   $\delta = \varepsilon\,(\frac13 + \frac R8)/\ln 2 \approx 0.034$ for this direction,
#   and less for the slower ones (a ratio of sums of squares lies between the smallest
#   and the largest ratio of its terms). We assert
#   $|\log_2(e(\eta)/e(\eta/2)) - 1| \le \delta + (\varepsilon R)^2$, the second term
#   covering the neglected higher orders. A method of order 0 or 2 would miss by about 1.

# %%
def train_linear(X, Xp, Xn, kind, W0, lr, steps):
    """Gradient descent on f(x) = W^T x with autograd on the loss (1) or (2); returns W_steps."""
    model = ntk.feature_model(W0).to(device)
    A = [torch.as_tensor(M, device=device) for M in (X, Xp, Xn)]
    loss_fn = (lambda: losses.contrastive_loss(model, *A)) if kind == "contrastive" \
        else (lambda: losses.noncontrastive_loss(model, A[0], A[1]))
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        loss_fn().backward()
        opt.step()
    return model.W.detach().cpu().numpy()


def recursion(C, W0, eta, steps, record=False):
    """W_{t+1} = W_t - 2 eta C W_t (item 2 for gradient descent); all iterates if record."""
    Ws = [W0]
    for _ in range(steps):
        Ws.append(Ws[-1] - 2 * eta * (C @ Ws[-1]))
    return np.array(Ws) if record else Ws[-1]


def flow(S, W0, eta, t):
    """exp(-2 eta C t) W0 in the eigenbasis of C."""
    return S["Q"] @ (np.exp(-2 * eta * S["lam"] * t)[:, None] * (S["Q"].T @ W0))


rows_eta = []
for (name, kind), S in settings.items():
    X, Xp, Xn = sets[name]
    n, dim = X.shape
    W0 = rng.standard_normal((dim, Z)) / np.sqrt(dim)
    S["W0"] = W0
    errs, epss = [], [0.04, 0.02]
    for eps in epss:
        eta = eps / (2 * abs(S["lam"][0]))
        steps = int(round(2 / eps))
        W_gd = train_linear(X, Xp, Xn, kind, W0, eta, steps)
        W_rec = recursion(S["C"], W0, eta, steps)
        err_rec = np.linalg.norm(W_gd - W_rec) / np.linalg.norm(W_rec)
        assert err_rec <= steps * (n + dim) * u, (name, kind, err_rec)
        W_fl = flow(S, W0, eta, steps)
        errs.append(np.linalg.norm(W_gd - W_fl) / np.linalg.norm(W_fl))
    order = np.log2(errs[0] / errs[1])
    R_tau = 2.0
    tol_p = epss[0] * (1 / 3 + R_tau / 8) / np.log(2) + (epss[0] * R_tau) ** 2
    print(f"{name:5s} {kind:16s}: GD = (I - 2 eta C)^t W0 to {err_rec:.0e}; error vs flow {errs[0]:.4f} (eps 0.04), "
          f"{errs[1]:.4f} (eps 0.02): ratio {errs[0] / errs[1]:.3f}, order {order:.3f}, |order - 1| <= {tol_p:.3f}")
    assert abs(order - 1) <= tol_p
    rows_eta.append((errs, order))
glue("p1_order_min", float(min(r[1] for r in rows_eta)), display=False)
glue("p1_order_max", float(max(r[1] for r in rows_eta)), display=False)
glue("p1_order_pred", float(1 - epss[0] * (1 / 3 + R_tau / 8) / np.log(2)), display=False)
glue("p1_err_eps04", float(max(r[0][0] for r in rows_eta)), display=False)

# %% [markdown]
# Gradient descent on the loss is the matrix recursion of item 2 to rounding, and halving
# $\eta$ halves its distance to the flow: the smallest measured order over the four
# settings is {glue:text}`p1_order_min:.3f`, against $1 - \delta =$
# {glue:text}`p1_order_pred:.3f` predicted for the fastest direction alone, and at
# $\varepsilon = 0.04$ gradient descent is within {glue:text}`p1_err_eps04:.3f`
# (relative) of $\exp(-2\eta Ct)W_0$.
#
# ## Check 2: the rate of collapse and the divergence
#
# Now a long run per setting with $\varepsilon = 0.04$ (computed with the recursion
# $W_{t+1} = (I - 2\eta C)W_t$, which Check 1 showed to be gradient descent on the loss
# up to rounding, at a fraction of the cost), until the predicted decay
# $R(t) = 2\eta(\lambda_2 - \lambda_1)t$ of $\sigma_2/\sigma_1$ reaches 28 (a factor
# $e^{-28}\approx 7\times10^{-13}$, still a hundred times above the rounding floor of
# about $u/(1 - \frac{1 - 2\eta\lambda_2}{1 - 2\eta\lambda_1})\approx 4\times 10^{-15}$).
#
# - **Bands (item 3, exact).** With the gradient-descent factors
#   $g_j = 1 - 2\eta\lambda_j$, at every recorded step we assert
#   $c_{\text{lo}}(g_2/g_1)^t \le \sigma_2/\sigma_1 \le c_{\text{hi}}(g_2/g_1)^t$ and
#   $\|b_1\|g_1^t \le \|W_t\|_2 \le \|B\|_2 g_1^t$, with a relative slack of $10^{-3}$
#   for rounding, on the steps where $\sigma_2/\sigma_1 \ge 10^{-10}$ (there the rounding
#   of $\sigma_2$ is below $10^{-4}$ relative).
# - **Fitted rate.** We fit the slope of $\log(\sigma_2/\sigma_1)$ against $t$ over the
#   second half of the run ($14 \le R \le 28$) and compare it with the flow's rate
#   $2\eta(\lambda_2 - \lambda_1)$. Two effects separate them: the discretisation,
#   $\delta_{\text{disc}} = |\log(g_1/g_2)/(2\eta(\lambda_2 - \lambda_1)) - 1|$, known
#   exactly and of order $\eta$; and the next eigen-directions. A direction with
#   eigenvalue $\lambda_3 = \lambda_2 + g(\lambda_2 - \lambda_1)$ and relative weight at
#   most one in $\sigma_2$ changes the local rate by at most
#   $g\,e^{-2gR} \le 1/(2eR)$ relative, so by at most
#   $\delta_{\text{tr}} = 1/(2e\cdot14) \approx 0.026$ in the window. We assert a
#   relative error below $\delta_{\text{disc}} + \delta_{\text{tr}}$.

# %%
def sv_ratio_and_norm(Ws):
    s = np.linalg.svd(Ws, compute_uv=False)  # (T, z), descending
    return s[:, 1] / s[:, 0], s[:, 0]


R_END, R_START, EPS = 28.0, 14.0, 0.04
J2 = 1  # the prediction involves lambda_2 (index 1 from 0): the one place it is chosen
delta_tr = 1 / (2 * np.e * R_START)
rate_rows = []
for (name, kind), S in settings.items():
    X, Xp, Xn = sets[name]
    lam, W0 = S["lam"], S["W0"]
    eta = EPS / (2 * abs(lam[0]))
    rate = 2 * eta * (lam[J2] - lam[0])  # predicted rate of sigma_2 / sigma_1 for the flow
    steps = int(np.ceil(R_END / rate))
    Ws = recursion(S["C"], W0, eta, steps, record=True)  # = gradient descent on the loss (Check 1)
    t = np.arange(steps + 1)
    ratio, norm = sv_ratio_and_norm(Ws)
    B = S["Q"].T @ W0
    g = 1 - 2 * eta * lam
    assert g[-1] > 0  # every gradient-descent factor positive, as item 3 requires
    c_hi = np.linalg.norm(B[1:], 2) / np.linalg.norm(B[0])
    c_lo = np.sqrt(np.linalg.norm(B[0]) ** 2 * np.linalg.norm(B[1]) ** 2 - (B[0] @ B[1]) ** 2) / np.linalg.norm(B, 2) ** 2
    geo = (g[1] / g[0]) ** t
    ok = ratio >= 1e-10
    assert np.all(ratio[ok] >= (1 - 1e-3) * c_lo * geo[ok]) and np.all(ratio[ok] <= (1 + 1e-3) * c_hi * geo[ok])
    assert np.all(norm >= (1 - 1e-9) * np.linalg.norm(B[0]) * g[0] ** t) and np.all(norm <= (1 + 1e-9) * np.linalg.norm(B, 2) * g[0] ** t)
    win = (rate * t >= R_START) & (rate * t <= R_END)
    slope = np.polyfit(t[win], np.log(ratio[win]), 1)[0]
    rel = abs(-slope / rate - 1)
    d_disc = abs(np.log(g[0] / g[J2]) / rate - 1)  # the same prediction for gradient descent
    print(f"{name:5s} {kind:16s}: {steps} steps, sigma2/sigma1 -> {ratio[-1]:.1e}, ||W|| x{norm[-1] / norm[0]:.1e}; "
          f"rate fitted {-slope:.5f} vs 2 eta (l2 - l1) = {rate:.5f}: rel. error {rel:.4f} "
          f"(tolerance {d_disc:.4f} + {delta_tr:.4f})")
    assert rel <= d_disc + delta_tr
    S.update(eta=eta, Ws=Ws, ratio=ratio, rate=rate, slope=-slope, steps=steps)
    rate_rows.append(rel)
glue("p1_rate_err_max", float(max(rate_rows)), display=False)
glue("p1_delta_tr", float(delta_tr), display=False)
glue("p1_growth_mnist", float(np.linalg.norm(settings["MNIST", "contrastive"]["Ws"][-1], 2) /
                              np.linalg.norm(settings["MNIST", "contrastive"]["Ws"][0], 2)), display=False)

# %% [markdown]
# In all four settings $\sigma_2/\sigma_1$ and $\|W_t\|_2$ stay inside the bands of item 3
# at every step, and the fitted collapse rate matches $2\eta(\lambda_2-\lambda_1)$ to a
# relative {glue:text}`p1_rate_err_max:.3f` at worst. On MNIST (contrastive) the norm of
# $W$ grows by a factor {glue:text}`p1_growth_mnist:.1e` over the run.

# %%
fig, axes = new_figure(ncols=2, width=3.6, height=3.1)
for ax, name in zip(axes, ["moons", "MNIST"]):
    S = settings[name, "contrastive"]
    X = sets[name][0]
    t = np.arange(0, S["steps"] + 1, 5)
    s = np.linalg.svd(X @ S["Ws"][t], compute_uv=False)  # singular values of F_t = X W_t
    for k in range(Z):
        ax.plot(t, s[:, k] / s[:, 0], color=COLORS[k], label=f"$\\sigma_{k + 1}/\\sigma_1$")
    mid = t.size // 2
    c = s[mid, 1] / s[mid, 0] * np.exp(S["rate"] * t[mid])
    ax.plot(t, c * np.exp(-S["rate"] * t), "k:", lw=1, label="$e^{-2\\eta(\\lambda_2-\\lambda_1)t}$")
    ax.set(yscale="log", xlabel="gradient-descent step $t$", ylabel="singular value / largest",
           title=f"{name}, contrastive, linear $f$", ylim=(1e-14, 2))
    ax.legend(fontsize=7, loc="lower left")
glue("fig_p1_singular", fig, display=False)
plt.close(fig)  # shown once, where the caption is, not also below this cell

# %% [markdown]
# ```{glue:figure} fig_p1_singular
# :name: fig-p1-singular
#
# Singular values of the embedding $F_t = XW_t$ of the training anchors, divided by the
# largest one, during gradient descent on the contrastive loss (1) with a linear model
# ($z = 4$, $\varepsilon = 2\eta|\lambda_1| = 0.04$). Left: lifted two moons ($d = 5$);
# right: MNIST digits 0 and 1 ($d = 784$). Every ratio falls to rounding level; the
# dotted line has the predicted slope $2\eta(\lambda_2 - \lambda_1)$ of
# {prf:ref}`Proposition 1 <prop-collapse>`. The later singular values fall faster, at the rates set by
# $\lambda_3, \lambda_4$.
# ```

# %% [markdown]
# ## Check 3: the same collapse in a kernel machine and a wide network
#
# Item 1 of {prf:ref}`Proposition 1 <prop-collapse>` needs only the conclusion of
# {prf:ref}`Lemma 1 <lemma-no-interaction>`. We train three more models on the lifted moons with
# the contrastive loss and plain gradient descent, from the same kind of random start,
# and follow the effective rank of the embedding of the anchors $F_t = f_t(X)$
# ($\exp$ of the entropy of its normalised singular values: $z$ for equal singular
# values, 1 for rank one):
#
# - a kernel machine on $D = 200$ random Fourier features of lengthscale 2 (an explicit
#   approximation of the Gaussian kernel), for which item 4 predicts collapse onto the
#   direction $\Phi(X)u_1(C_\varphi)$;
# - a two-layer tanh network of width {glue:text}`p1_hnet` in the NTK parametrisation,
#   both layers trained;
# - the linear model with a fixed random projector (Remark 3 below).
#
# The linear model is trained again alongside, for comparison. For the linear model and
# the kernel machine the learning rate is chosen so that the predicted decay of
# $\sigma_2/\sigma_1$ over the 300 steps is $e^{-20}$; the network uses $\eta = 0.1$.
#
# **The criterion.** If the singular values of $F$ are $\sigma_1$ and $r\sigma_1$ with $r$
# small, the effective rank is $1 + r(1 - \log r) + O(r^2)$; we call the embedding
# collapsed when the effective rank is below 1.01, i.e. when $\sigma_2/\sigma_1$ is
# below about $10^{-3}$, and assert it at the end of training. For the kernel machine we
# also assert that the learned direction is the predicted one: the angle between the
# top left singular vector of $F$ and $\Phi(X)u_1(C_\varphi)$ is below $10^{-3}$ radians
# (it decays like $\sigma_2/\sigma_1$).

# %%
X, Xp, Xn = sets["moons"]
At = [torch.as_tensor(M, device=device) for M in (X, Xp, Xn)]
Om, b = kernels.rff_weights(X.shape[1], 200, lengthscale=2.0, rng=rng)
phi = lambda A: kernels.rff_features(A, Om, b)
C_phi = losses.contrastive_matrix(phi(X), phi(Xp), phi(Xn))
lam_phi, Q_phi = np.linalg.eigh(C_phi)
glue("p1_hnet", int(H_NET), display=False)


def train_model(model, loss_name, lr, steps, kernel_every=None):
    """Plain gradient descent; effective rank and singular values of f(X) at every step.

    With kernel_every = k, also the tangent kernel on 12 anchors every k steps: its relative
    change since the start and its off-diagonal / diagonal block ratio.
    """
    loss_fn = {
        "contrastive": lambda: losses.contrastive_loss(model, *At),
        "spectral": lambda: losses.spectral_contrastive_loss(model, At[0], At[1]),
    }[loss_name]
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    eranks, svs, kern = [], [], []
    for t in range(steps + 1):
        with torch.no_grad():
            F_t = model(At[0]).cpu().numpy()
        eranks.append(metrics.effective_rank(F_t))
        svs.append(np.linalg.svd(F_t, compute_uv=False))
        if kernel_every and t % kernel_every == 0:
            K_t = ntk.empirical_ntk(model, sets["moons"][0][:12])
            K_0 = K_t if t == 0 else K_0
            kern.append((t, np.linalg.norm(K_t - K_0) / np.linalg.norm(K_0), ntk.block_ratio(K_t)))
        if t < steps:
            opt.zero_grad()
            loss_fn().backward()
            opt.step()
    return np.array(eranks), np.array(svs), F_t, np.array(kern)


def fresh(kind, seed):
    """The models of this section, from a seeded random start (same start for both losses)."""
    g = np.random.default_rng([SEED, seed])
    if kind == "linear":
        return ntk.feature_model(g.standard_normal((5, Z)) / np.sqrt(5)).to(device)
    if kind == "kernel":
        return ntk.feature_model(g.standard_normal((200, Z)), phi).to(device)
    return models.two_layer_net(5, H_NET, Z, "tanh", init="gaussian", rng=g, device=device)


# linear and kernel: learning rates for a predicted decay e^{-20} of sigma_2/sigma_1 in T steps
lam_lin = settings["moons", "contrastive"]["lam"]
LR = {"linear": 20 / (2 * (lam_lin[1] - lam_lin[0]) * T_NONLINEAR),
      "kernel": 20 / (2 * (lam_phi[1] - lam_phi[0]) * T_NONLINEAR), "network": 0.1}
runs = {}
for kind in ["linear", "kernel", "network"]:
    runs[kind, "contrastive"] = train_model(fresh(kind, 1), "contrastive", LR[kind], T_NONLINEAR,
                                            kernel_every=25 if kind == "network" else None)
    er, sv, F_end, _ = runs[kind, "contrastive"]
    print(f"{kind:8s} contrastive: effective rank {er[0]:.3f} -> {er[-1]:.5f} (collapsed below 1.01), "
          f"sigma2/sigma1 = {sv[-1, 1] / sv[-1, 0]:.1e}")
    assert er[-1] < 1.01
kern = runs["network", "contrastive"][3]
er_net = runs["network", "contrastive"][0]
t_lazy = int(kern[np.argmax(kern[:, 1] > 0.1), 0])  # first recorded step where the kernel moved by 10 %
t_coll = int(np.argmax(er_net < 1.01))  # first step with the embedding collapsed
i_coll = int(np.argmax(kern[:, 0] >= t_coll))  # first kernel checkpoint from then on
for t, move, ratio_t in kern[: i_coll + 1: 2]:
    print(f"network, step {int(t):3d}: effective rank {er_net[int(t)]:.3f}, tangent kernel moved by {move:.1e} "
          f"(relative), off-diagonal / diagonal blocks {ratio_t:.3f}")
glue("p1_t_lazy", t_lazy, display=False)
glue("p1_erank_lazy", float(er_net[t_lazy]), display=False)
sv_net = runs["network", "contrastive"][1]
glue("p1_ratio_start", float(kern[0, 2]), display=False)
glue("p1_t_coll", t_coll, display=False)
glue("p1_t_coll_ck", int(kern[i_coll, 0]), display=False)
glue("p1_ratio_coll", float(kern[i_coll, 2]), display=False)
glue("p1_ntk_move", float(kern[i_coll, 1]), display=False)
glue("p1_net_growth", float(sv_net[t_coll, 0] / sv_net[0, 0]), display=False)
direction = phi(X) @ Q_phi[:, 0]
angle = metrics.subspace_distance(np.linalg.svd(runs["kernel", "contrastive"][2], full_matrices=False)[0][:, :1], direction[:, None])
print(f"kernel: angle between the learned direction and Phi(X) u_1(C_phi) = {angle:.1e} rad (tolerance 1e-3)")
assert angle < 1e-3
glue("p1_kernel_angle", float(angle), display=False)
for kind in ["linear", "kernel", "network"]:
    glue(f"p1_erank0_{kind}", float(runs[kind, "contrastive"][0][0]), display=False)
    glue(f"p1_erank_{kind}", float(runs[kind, "contrastive"][0][-1]), display=False)

# %% [markdown]
# All three collapse: the effective rank falls from {glue:text}`p1_erank0_kernel:.2f`
# to {glue:text}`p1_erank_kernel:.4f` for the kernel machine and from
# {glue:text}`p1_erank0_network:.2f` to {glue:text}`p1_erank_network:.4f` for the
# network, and the kernel machine ends within {glue:text}`p1_kernel_angle:.0e` radians of
# the direction predicted from $C_\varphi$.
#
# The network needs a caveat. {prf:ref}`Proposition 1 <prop-collapse>` covers it through
# {prf:ref}`Lemma 1 <lemma-no-interaction>` *along training*, i.e. as long as its tangent
# kernel stays close to the initial one, where the off-diagonal blocks are small
# ({glue:text}`p1_ratio_start:.3f` of the diagonal ones at this width). But the loss is
# unbounded below and the outputs grow without limit, so the kernel cannot stay fixed:
# it has moved by more than 10 % by step {glue:text}`p1_t_lazy` (effective rank then
# {glue:text}`p1_erank_lazy:.2f`). The embedding is collapsed (effective rank below 1.01)
# from step {glue:text}`p1_t_coll` on, after its largest singular value has grown by a
# factor {glue:text}`p1_net_growth:.1e`; at step {glue:text}`p1_t_coll_ck` the kernel
# has moved by a relative {glue:text}`p1_ntk_move:.0e` and its off-diagonal blocks are
# {glue:text}`p1_ratio_coll:.2f` of the diagonal ones. The collapse of the network is
# complete in this experiment, but only its early phase is covered by the argument; the
# rest is an observation, not a consequence of the proposition.
#
# ## Remark 3: a fixed projector does not help
#
# :::{prf:remark} Fixed projectors (Remark 3 of the paper)
# :label: rem-fixed-projector
# :nonumber:
#
# Let $f(x) = P^\top W^\top x$ with $W\in\mathbb{R}^{d\times q}$ trained and
# $P\in\mathbb{R}^{q\times z}$ fixed, and write $PP^\top = \sum_a q_a r_ar_a^\top$
# (eigen-decomposition, $q_a \ge 0$). The loss is $\operatorname{Tr}(P^\top W^\top CWP)$,
# so $\dot W = -2\eta\,CW PP^\top$ and
#
# $$
# W(t) = \sum_a \exp(-2\eta q_a C t)\,W(0)\,r_ar_a^\top,\qquad
# W_t = \sum_a (I - 2\eta q_a C)^t\,W_0\,r_ar_a^\top \text{ for gradient descent.}
# $$
#
# Each direction $W r_a$ with $q_a > 0$ follows the flow of Proposition 1 with time
# rescaled by $q_a$, so it collapses onto $u_1$; the directions with $q_a = 0$ do not
# move but are invisible through $P$. Hence $WP$ and the embedding collapse to rank one.
# :::
#
# The paper phrases this as "all components of $W^\top x$ have identical dynamics". That
# is true only up to the time rescaling by $q_a$, and only in the eigenbasis of
# $PP^\top$: in the original coordinates the components of $W^\top x$ are coupled
# through $PP^\top$ unless $PP^\top$ is a multiple of the identity, which a $q\times z$
# matrix with $q > z$ cannot achieve. The conclusion, collapse, is unaffected. We check
# the closed form for gradient descent to rounding (a few hundred products of
# well-conditioned matrices: relative $10^{-12}$) and the collapse, with $q = 8$ and a
# Gaussian $P$.

# %%
q_dim = 8
gP = np.random.default_rng([SEED, 3])
P = gP.standard_normal((q_dim, Z)) / np.sqrt(q_dim)
W0_P = gP.standard_normal((5, q_dim)) / np.sqrt(5)
projected = ntk.feature_model(W0_P, None).to(device)
proj_model = lambda A: projected(A) @ torch.as_tensor(P, device=device)
opt = torch.optim.SGD(projected.parameters(), lr=LR["linear"])
er_P = []
for t in range(T_NONLINEAR + 1):
    with torch.no_grad():
        er_P.append(metrics.effective_rank(proj_model(At[0]).cpu().numpy()))
    if t < T_NONLINEAR:
        opt.zero_grad()
        losses.contrastive_loss(proj_model, *At).backward()
        opt.step()
qa, ra = np.linalg.eigh(P @ P.T)
C_m = settings["moons", "contrastive"]["C"]
closed = sum(np.linalg.matrix_power(np.eye(5) - 2 * LR["linear"] * q * C_m, T_NONLINEAR) @ W0_P @ np.outer(r, r)
             for q, r in zip(qa, ra.T))
W_end = projected.W.detach().cpu().numpy()
err_P = np.linalg.norm(W_end - closed) / np.linalg.norm(closed)
print(f"fixed projector: closed form vs gradient descent, relative difference {err_P:.1e} (tolerance 1e-12)")
print(f"fixed projector: effective rank {er_P[0]:.3f} -> {er_P[-1]:.5f} (collapsed below 1.01)")
assert err_P < 1e-12 and er_P[-1] < 1.01
runs["projector", "contrastive"] = (np.array(er_P), None, None, None)
with torch.no_grad():
    s_P = np.linalg.svd(proj_model(At[0]).cpu().numpy(), compute_uv=False)
glue("p1_collapse_ratio", float(max(s_P[1] / s_P[0], *(runs[k, "contrastive"][1][-1, 1] / runs[k, "contrastive"][1][-1, 0]
                                                     for k in ["kernel", "network"]))), display=False)
glue("p1_erank_proj", float(er_P[-1]), display=False)
glue("p1_err_proj", float(err_P), display=False)

# %% [markdown]
# The closed form holds to {glue:text}`p1_err_proj:.0e` and the embedding through the
# fixed projector collapses to effective rank {glue:text}`p1_erank_proj:.4f`.
#
# ## Where it breaks: a loss that couples the output dimensions
#
# :::{prf:remark} Losses with interactions (Remark 2 of the paper)
# :label: rem-coupled-losses
# :nonumber:
#
# The collapse comes from the loss being a sum over output dimensions of the same
# functional of $f_k$. The spectral contrastive loss {cite}`haochen2021spectral`,
#
# $$
# L_{sc}(f) = -\frac2n\sum_i f(x_i)^\top f(x_i^+) + \frac{1}{n(n-1)}\sum_{i\ne j}
# \big(f(x_i)^\top f(x_j^+)\big)^2 ,
# $$
#
# is not of that form: $(\sum_k f_k(x)f_k(x'))^2$ contains the products $f_kf_l$ with
# $k\ne l$, and its gradient for output $k$ involves all the other outputs. For a linear
# model, its population version is
# $-2\operatorname{Tr}(M^\top S M) + \operatorname{Tr}(M^\top\Sigma MM^\top\Sigma M)$ with
# $S = \mathbb{E}[x x^{+\top}]$ (symmetrised) and $\Sigma = \mathbb{E}[xx^\top]$, which is
# bounded below. With $N = \Sigma^{1/2}M$ and $\tilde S = \Sigma^{-1/2}S\Sigma^{-1/2}$ it
# equals $\|NN^\top - \tilde S\|_F^2 - \|\tilde S\|_F^2$, so its minimisers make $NN^\top$
# the best rank-$z$ approximation of $\tilde S$: $F^\top F/n \approx M^\top\Sigma M =
# N^\top N$ has as eigenvalues the $z$ largest generalised eigenvalues $\mu_k$ of
# $(S, \Sigma)$ (when positive), close to 1 for small augmentations: a well-spread,
# full-rank embedding.
# :::
#
# (The paper also argues, from the analysis of InfoNCE for linear models in
# {cite}`liu2023landscape`, that InfoNCE behaves like (1) and collapses in the same way;
# we do not check that here.) We train the same three
# models from the *same* initial weights with $L_{sc}$ instead of $L_c$ and assert that
# the embedding does not collapse: effective rank above $z - 0.5$ and
# $\sigma_z/\sigma_1 > 0.5$ at the end, against an effective rank below 1.01 and
# $\sigma_2/\sigma_1 < 10^{-3}$ under $L_c$; the thresholds sit far below the value
# $\sqrt{\mu_z/\mu_1}$ (close to 1) of a minimiser and far above the collapsed value 0.
# For the linear model we print the predicted $\sqrt{\mu_k}$ next to the measured
# $\sigma_k(F)/\sqrt n$.

# %%
LR_SC = {"linear": LR["linear"], "kernel": 0.3, "network": 0.1}
for kind in ["linear", "kernel", "network"]:
    runs[kind, "spectral"] = train_model(fresh(kind, 1), "spectral", LR_SC[kind], T_NONLINEAR)
    er, sv, _, _ = runs[kind, "spectral"]
    print(f"{kind:8s} spectral contrastive: effective rank {er[0]:.3f} -> {er[-1]:.3f}, "
          f"sigma_z/sigma_1 = {sv[-1, -1] / sv[-1, 0]:.3f} (must exceed {Z - 0.5} and 0.5)")
    assert er[-1] > Z - 0.5 and sv[-1, -1] / sv[-1, 0] > 0.5
    glue(f"p1_sc_erank_{kind}", float(er[-1]), display=False)
n_m = X.shape[0]
S_pos = (X.T @ Xp + Xp.T @ X) / (2 * n_m)
Sigma = (X.T @ X + Xp.T @ Xp) / (2 * n_m)
mu = scipy.linalg.eigh(S_pos, Sigma, eigvals_only=True)[::-1][:Z]
print("linear, spectral: sigma_k(F)/sqrt(n) =", np.round(runs["linear", "spectral"][1][-1] / np.sqrt(n_m), 3),
      " predicted sqrt(mu_k) =", np.round(np.sqrt(mu), 3))

# %%
fig, ax = new_figure(width=6.4, height=3.3)
styles = {"linear": COLORS[0], "kernel": COLORS[1], "network": COLORS[2], "projector": COLORS[3]}
for (kind, loss_name), (er, _, _, _) in runs.items():
    ls = "-" if loss_name == "contrastive" else "--"
    label = f"{kind}, " + ("$L_c$" if loss_name == "contrastive" else "spectral $L_{sc}$")
    if kind == "projector":
        label = "linear + fixed projector, $L_c$"
    ax.plot(np.arange(er.size), er, ls, color=styles[kind], label=label)
ax.axhline(1.01, color="k", lw=0.6, ls=":")
ax.set(xlabel="gradient-descent step $t$", ylabel="effective rank of $f(X)$", ylim=(0.9, Z + 0.1),
       title="lifted two moons, $z = 4$")
ax.legend(fontsize=7, ncol=2, loc="center right")
glue("fig_p1_erank", fig, display=False)
plt.close(fig)  # shown once, where the caption is, not also below this cell

# %% [markdown]
# ```{glue:figure} fig_p1_erank
# :name: fig-p1-erank
#
# Effective rank of the embedding of the anchors during plain gradient descent on the
# lifted two moons ($z = 4$). Solid: the contrastive loss (1) for a linear model, a
# kernel machine on random Fourier features, a two-layer tanh network in the NTK
# parametrisation, and a linear model behind a fixed random projector: all collapse to
# rank one (dotted line: the threshold 1.01). Dashed: the spectral contrastive loss from
# the same initial weights keeps the embedding full rank (final effective ranks
# {glue:text}`p1_sc_erank_linear:.2f`, {glue:text}`p1_sc_erank_kernel:.2f`,
# {glue:text}`p1_sc_erank_network:.2f`).
# ```

# %% [markdown]
# ## What we learned
#
# - Gradient flow on the losses (1) and (2) moves every output through the tangent
#   kernel blocks, eqs. (4) and (5) (checked to {glue:text}`p1_err45:.0e`); once the
#   blocks are diagonal with a common kernel ({prf:ref}`Lemma 1 <lemma-no-interaction>`), every
#   output follows the same linear equation.
# - For a linear model $W(t) = \exp(-2\eta Ct)W(0)$; gradient descent tracks it with an
#   error of order $\eta$ (smallest measured order {glue:text}`p1_order_min:.3f`,
#   against {glue:text}`p1_order_pred:.3f` predicted at second order). $\sigma_2/\sigma_1$ decays at exactly the rate
#   $2\eta(\lambda_2 - \lambda_1)$, within explicit bands at every step and within
#   {glue:text}`p1_rate_err_max:.3f` for the fitted rate, on the lifted moons and on
#   MNIST, contrastive and non-contrastive; $\|W\|$ diverges since $\lambda_1 < 0$.
# - A kernel machine, a wide network and a linear model behind a fixed projector
#   collapse too (final $\sigma_2/\sigma_1$ at most {glue:text}`p1_collapse_ratio:.0e`),
#   the network although its tangent kernel does not stay fixed; the paper's
#   "identical dynamics" for the projector holds only after rescaling time by the
#   eigenvalues of $PP^\top$.
# - The spectral contrastive loss, whose quadratic term couples the outputs, does not
#   collapse from the same starting points: the remedy has to couple the output
#   dimensions, as the constraints of the following chapters do.

# %% tags=["remove-cell"]
# Reached only when every check above passed; the results overview page shows it.
glue("checks_status", "passed", display=False)

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
# # Proposition 3: operator-norm and orthogonality constraints are equivalent
#
# **The claim in plain words.** Bounding the *operator* norm of the embedding matrix,
# instead of its Frobenius norm, removes the incentive to collapse: the budget now limits
# each singular value separately, so the loss is lowest when all $z$ of them are used, on
# the $z$ most negative eigen-directions of $C$. Four formulations lead to the same
# optimum: a loss divided by $\|M\|_2^2$, a bound $\|M\|_2\le1$, bounds on each layer of
# a two-layer network, and orthonormal columns in each layer, the constraint of the
# general problem (8) studied in the rest of the book. The equivalence needs $C$ to have
# at least $z$ negative eigenvalues; when it has fewer, the norm constraints collapse to
# that smaller rank while orthonormality does not. This chapter proves the equivalence,
# solves the four problems numerically on random and MNIST data matrices, and shows the
# failure case.

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
from ssl_notes import constrained, data, glue, losses, manifold, metrics, training
from ssl_notes.plotting import COLORS, new_figure

device = ssl_notes.default_device()  # used when a GPU is present, never required
SEED = 0
SIZE = "fast"  # "full": more random data matrices
N_RANDOM_C = {"fast": 10, "full": 100}[SIZE]
print(f"ssl_notes {ssl_notes.__version__}, torch {torch.__version__}, device {device}, size {SIZE}")

# %% [markdown]
# ## The statement
#
# $C\in\mathbb{R}^{d\times d}$ is symmetric with eigenvalues
# $\lambda_1\le\dots\le\lambda_d$ and orthonormal eigenvectors $u_1,\dots,u_d$;
# $U_z = [u_1,\dots,u_z]$. $\|\cdot\|_2$ is the operator norm (largest singular value).
# We write $a_- = \min(a, 0)$.
#
# :::{prf:proposition} Operator-norm and orthogonality constraints (Proposition 3 of the paper)
# :label: prop-operator-orthogonal
# :nonumber:
#
# Let $1\le z\le h\le d$ (implicit in the paper: $h\ge z$ is needed in problem 3 and
# $h\le d$ for problem 4 to be feasible), $M\in\mathbb{R}^{d\times z}$,
# $W\in\mathbb{R}^{d\times h}$, $V\in\mathbb{R}^{h\times z}$, and consider
#
# 1. $\displaystyle\min_{M\ne0}\ \frac{\operatorname{Tr}(M^\top CM)}{\|M\|_2^2}$
#    (the scaled loss);
# 2. $\min\ \operatorname{Tr}(M^\top CM)$ subject to $\|M\|_2\le1$;
# 3. $\min\ \operatorname{Tr}(V^\top W^\top CWV)$ subject to $\|W\|_2\le1$, $\|V\|_2\le1$;
# 4. $\min\ \operatorname{Tr}(V^\top W^\top CWV)$ subject to $W^\top W = I_h$,
#    $V^\top V = I_z$.
#
# **(a) Values, for every symmetric C.** Problems 2 and 3 have the value
# $\sum_{k\le z}(\lambda_k)_-$; problem 1 has the same value if $\lambda_1<0$ and the
# value $\lambda_1$ otherwise; problem 4 has the value $\sum_{k\le z}\lambda_k$ (Ky Fan).
#
# **(b) Equivalence.** If $C$ has at least $z$ strictly negative eigenvalues
# ($\lambda_z<0$), the four values coincide and equal $\lambda_1+\dots+\lambda_z$. If
# moreover $\lambda_z<\lambda_{z+1}$ (implicit in the paper: without it the optimal
# subspace is not unique), the minimisers are: $M = U_zQ$ with $Q$ a $z\times z$
# orthogonal matrix in problems 2 and 4 (for problem 4, $WV = U_zQ$), $M = \alpha U_zQ$
# with $\alpha\ne0$ in problem 1, and every $(W, V)$ with $WV = U_zQ$ in problem 3. All
# have rank $z$: no collapse.
#
# **(c) Failure.** If $C$ has only $r<z$ negative eigenvalues and $\lambda_{r+1}>0$, then
# problems 2 and 3 (and 1, if $r\ge1$) have the value $\lambda_1+\dots+\lambda_r$ with
# minimisers of rank exactly $r$, while problem 4 has the strictly larger value
# $\lambda_1+\dots+\lambda_z$.
# :::
#
# The paper states the equivalence under "$C$ has at least $z$ negative eigenvalues"
# only. Part (a) shows that the values of 2 and 4 agree exactly when $\lambda_z\le0$; the
# strict inequality is what makes the minimisers agree (with $\lambda_z = 0$, problem 2
# also has rank-$(z-1)$ minimisers).
#
# :::{prf:proof}
# *The key inequality.* Let $P\in\mathbb{R}^{d\times d}$ be symmetric with
# $0\preceq P\preceq I$ and $\operatorname{Tr}P\le z$, and let $p_k = u_k^\top Pu_k$, so
# $p_k\in[0,1]$, $\sum_kp_k = \operatorname{Tr}P\le z$ and
# $\operatorname{Tr}(CP) = \sum_k\lambda_kp_k$. With $\mu_k = (\lambda_k)_-$, which is
# non-decreasing in $k$ and $\le 0$,
#
# $$
# \sum_k\lambda_kp_k - \sum_{k\le z}\mu_k \;\ge\; \sum_{k\le z}\mu_k(p_k - 1) +
# \sum_{k>z}\mu_kp_k \;\ge\; \mu_z\sum_{k\le z}(p_k-1) + \mu_z\sum_{k>z}p_k =
# \mu_z\Big(\sum_kp_k - z\Big)\;\ge\;0 .
# $$
#
# The first step uses $\lambda_k\ge\mu_k$ and $p_k\ge0$; the second, for $k\le z$, that
# $\mu_k\le\mu_z$ and $p_k - 1\le0$, and for $k>z$ that $\mu_k\ge\mu_z$ and $p_k\ge0$; the
# last that $\mu_z\le0$ and $\sum_kp_k\le z$. So $\operatorname{Tr}(CP)\ge
# \sum_{k\le z}(\lambda_k)_-$. The same chain with $\mu_k = \lambda_k$ and
# $\sum_kp_k = z$ exactly gives Ky Fan's $\operatorname{Tr}(CP)\ge\sum_{k\le z}\lambda_k$
# (the last step is then an equality whatever the sign of $\lambda_z$).
#
# *Problem 2.* If $\|M\|_2\le1$, then $P = MM^\top$ satisfies $0\preceq P\preceq I$ and
# has rank $\le z$ with eigenvalues $\le1$, so $\operatorname{Tr}P\le z$; and
# $\operatorname{Tr}(M^\top CM) = \operatorname{Tr}(CP)\ge\sum_{k\le z}(\lambda_k)_-$.
# The matrix whose columns are $u_k$ for $k\le z$ with $\lambda_k<0$ and $0$ otherwise
# attains it.
#
# *Problem 1.* The scaled loss is 0-homogeneous: $g(\alpha M) = g(M)$. So its infimum is
# the minimum of $\operatorname{Tr}(M^\top CM)$ over $\|M\|_2 = 1$, which is at least the
# value of problem 2; when $\lambda_1<0$ the minimiser above has norm 1 and attains it.
# When $\lambda_1\ge0$, $\operatorname{Tr}(CP)\ge\lambda_1\operatorname{Tr}P\ge\lambda_1$
# because $\operatorname{Tr}P\ge\|P\|_2 = 1$, attained at $M = u_1e_1^\top$.
#
# *Problem 3.* Submultiplicativity, $\|WV\|_2\le\|W\|_2\|V\|_2\le1$, makes every feasible
# product feasible for problem 2. Conversely, given $\|M\|_2\le1$ with SVD
# $M = PSA^\top$ ($P$: $d\times z$, $S$, $A$: $z\times z$), put $W = [P,\ 0]$ (padded with
# $h - z\ge0$ zero columns, so $\|W\|_2 = 1$) and $V = [SA^\top;\ 0]$ ($\|V\|_2 = \|S\|_2
# \le1$): $WV = M$. The feasible products are exactly the operator-norm ball, and the
# values and minimisers (as products) coincide. If $h<z$, products have rank $\le h$ and
# the value can be larger: $h\ge z$ is needed.
#
# *Problem 4.* If $W^\top W = I_h$ and $V^\top V = I_z$ then $M = WV$ has
# $M^\top M = V^\top W^\top WV = I_z$. Conversely every $M$ with orthonormal columns is
# such a product: complete it to $W = [M, N]$ with orthonormal columns (possible since
# $h\le d$) and take $V = [I_z;\ 0]$. So problem 4 is Ky Fan's problem over
# $M^\top M = I_z$, i.e. $P = MM^\top$ an orthogonal projector of rank $z$
# ($\operatorname{Tr}P = z$), with value $\sum_{k\le z}\lambda_k$, attained at $U_z$.
# This proves (a).
#
# *(b).* If $\lambda_z<0$ then $(\lambda_k)_- = \lambda_k$ for $k\le z$ and the four
# values agree. For the minimisers, suppose also $\lambda_z<\lambda_{z+1}$, so that
# $\mu_{z+1}>\mu_z$, and let $P = MM^\top$ attain equality. The last step forces
# $\sum_kp_k = z$ (as $\mu_z<0$); the middle step forces $p_k = 0$ for $k>z$ (as
# $\mu_k>\mu_z$ there); then $\sum_{k\le z}p_k = z$ with $p_k\le1$ gives $p_k = 1$ for
# $k\le z$. For $0\preceq P\preceq I$, $u^\top Pu = 1$ with $\|u\| = 1$ forces $Pu = u$
# and $u^\top Pu = 0$ forces $Pu = 0$; hence $P = U_zU_z^\top$. Then $M = U_zU_z^\top M
# = U_zQ$ with $Q = U_z^\top M$, and $MM^\top = U_zQQ^\top U_z^\top = U_zU_z^\top$ gives
# $QQ^\top = I$. Problem 1 adds the scale $\alpha$, problem 3 the factorisations.
#
# *(c).* With $\lambda_r<0<\lambda_{r+1}$ the value of problems 1 to 3 is
# $\sum_{k\le r}\lambda_k$ by (a). Equality in the first step of the chain requires
# $p_k = 0$ whenever $\lambda_k>0$, i.e. for $k>r$, and the middle step then requires
# $p_k = 1$ for $k\le r$; as above $P = U_rU_r^\top$: rank $r$. Problem 4's value exceeds
# it by $\lambda_{r+1}+\dots+\lambda_z>0$.
# :::
#
# The paper's proof of $2\Leftrightarrow4$ argues that at the optimum every eigenvalue of
# $MM^\top$ is 0 or 1. Part (c) shows where this needs the sign hypothesis: with positive
# eigenvalues among $\lambda_1,\dots,\lambda_z$ the optimal eigenvalues of $MM^\top$ are
# still 0 or 1, but the number of ones is $r$, not $z$, and a rank-$r$ matrix is not
# feasible for problem 4.

# %% [markdown]
# ## Check 1: the key inequality on random matrices
#
# The whole proof rests on $\operatorname{Tr}(M^\top CM)\ge\|M\|_2^2\sum_{k\le z}
# (\lambda_k)_-$ (apply the inequality to $M/\|M\|_2$) and, for orthonormal columns,
# $\operatorname{Tr}(M^\top CM)\ge\sum_{k\le z}\lambda_k$. We test both on random
# matrices of several shapes and spectra, including matrices close to the minimisers,
# where the inequality is nearly tight; the tolerance is rounding,
# $10^{-12}(\|C\|_2\|M\|_F^2 + 1)$.

# %%
rng = np.random.default_rng(SEED)
n_tested, min_slack = 0, np.inf
for trial in range(300):
    d = int(rng.integers(2, 15))
    z = int(rng.integers(1, d + 1))
    A = rng.standard_normal((d, d))
    C = (A + A.T) / 2 + rng.normal() * np.eye(d)  # shifted: all signs of lambda_z occur
    lam, U = np.linalg.eigh(C)
    lower = np.sum(np.minimum(lam[:z], 0))
    near = U[:, :z] @ manifold.haar_orthonormal(z, z, rng)
    for M in (rng.standard_normal((d, z)), near + 1e-3 * rng.standard_normal((d, z))):
        tol = 1e-12 * (np.linalg.norm(C, 2) * np.linalg.norm(M) ** 2 + 1)
        slack = losses.trace_loss(C, M) - np.linalg.norm(M, 2) ** 2 * lower
        assert slack >= -tol, (trial, slack)
        Q = manifold.project_orthonormal(M)
        assert losses.trace_loss(C, Q) - lam[:z].sum() >= -tol
        min_slack = min(min_slack, slack / (np.linalg.norm(M, 2) ** 2 * (abs(lower) + 1)))
        n_tested += 1
print(f"{n_tested} matrices: smallest relative slack of the bound {min_slack:.1e} (never negative)")
glue("p3_n_tested", int(n_tested), display=False)

# %% [markdown]
# ## Check 2: the four problems on random data matrices
#
# We draw random symmetric $C$ ($d = 12$, Gaussian $(A + A^\top)/(2\sqrt d)$) until the
# hypotheses of (b) hold for $z = 3$, with an eigengap $\lambda_{z+1}-\lambda_z$ of at
# least $\|C\|_2/10$ so that a fixed number of steps suffices, take $h = 5$, and solve
# each problem by a first-order method:
#
# - **problem 2**: projected gradient descent $M\leftarrow\Pi_2(M - 2\eta CM)$, where
#   $\Pi_2$ clips the singular values at 1 (`ssl_notes.manifold.project_operator_ball`,
#   the nearest point of the operator-norm ball in Frobenius distance), $\eta =
#   1/(2\|C\|_2)$;
# - **problem 3**: the same on the pair $(W, V)$, each projected onto its ball, with the
#   same step (three times the step $1/L$, $L = 6\|C\|_2$, that guarantees descent for
#   this problem; we assert that the loss decreased at every step anyway, for all three
#   projected methods), and 1500 steps, as this factored iteration is slower;
# - **problem 4**: the reference training (11) of the book,
#   $W\leftarrow\Pi(W - \eta\nabla_W)$, $V\leftarrow\Pi(V - \eta\nabla_V)$ with the polar
#   projection $\Pi$ onto orthonormal columns (`ssl_notes.training.projected_gd`);
# - **problem 1**: normalised subgradient descent on the scaled loss,
#   $M\leftarrow Y/\|Y\|_2$ with $Y = M - \frac{\eta_0}{\sqrt{k+1}}\partial g(M)$,
#   $\eta_0 = 4/\|C\|_2$.
#
# Why problem 1 needs a subgradient method: where $\sigma_1(M)$ is simple,
# $\nabla g = \frac{2}{\sigma_1^2}(CM - g\,\sigma_1p_1q_1^\top)$, but every minimiser
# $\alpha U_zQ$ has $z$ equal singular values, where $\sigma_1$, hence $g$, is not
# differentiable. Gradient methods then find the optimal *subspace* quickly (the
# subspace part of $g$ is smooth) but equalise the singular values slowly, so $g(M_k)$
# approaches its minimum slowly, as RESULTS.md observed. We therefore certify the value
# of problem 1 without relying on the slow iterates: (i) $g(M_k)\ge\lambda_1+\dots+
# \lambda_z$ along the whole run (the lower bound), (ii) the subspace found agrees with
# $U_z$, and (iii) the orthonormal basis of that subspace (the polar factor of $M_K$)
# attains the value.
#
# Tolerances. For problem 2 there is an exact bound: clipping singular values does not
# change the column span, so $\operatorname{span}M_k = \operatorname{span}(I -
# 2\eta C)^kM_0$ is the subspace iteration, whose largest principal angle $\theta_k$ to
# $U_z$ satisfies $\tan\theta_k\le\rho^k\tan\theta_0$, $\rho = (1 -
# 2\eta\lambda_{z+1})/(1 - 2\eta\lambda_z)$ ($\tan\theta_k$ is the norm of the matrix
# $K_k = \Lambda_2^kK_0\Lambda_1^{-k}$ that writes the span as the graph of a map from
# $\operatorname{span}U_z$ to its complement, with $\Lambda_1,\Lambda_2$ the diagonal
# matrices of $1 - 2\eta\lambda_k$ for $k\le z$ and $k>z$). We run $K = 600$ steps
# ($\rho\le0.95$ by the eigengap condition, so $\rho^K\le5\times10^{-14}$) and assert
# this bound. For all four problems we assert a largest principal angle below $10^{-6}$,
# singular values equal to 1 within $10^{-8}$ (problems 2 to 4) and values within
# $10^{-9}$ relative. These are separation tolerances, not convergence rates: the
# nearest competitors are far (replacing $u_z$ by $u_{z+1}$ costs
# $\lambda_{z+1}-\lambda_z\ge\|C\|_2/10$, and the principal angle of a run that has not
# found the subspace is of order one).

# %%
Z, H, D = 3, 5, 12


def random_C(rng, d=D, z=Z):
    """Gaussian symmetric matrices, redrawn until lambda_z < 0 and lambda_{z+1} - lambda_z >= ||C||_2 / 10."""
    while True:
        A = rng.standard_normal((d, d))
        C = (A + A.T) / (2 * np.sqrt(d))
        lam = np.linalg.eigvalsh(C)
        if lam[z - 1] < 0 and lam[z] - lam[z - 1] >= np.max(np.abs(lam)) / 10:
            return C


def solve_four(C, lam, z, h, rng, steps=600, steps_3=600, steps_1=1000, record=False):
    """Solve problems 1-4 from random starts (lam: eigenvalues of C); return the results and the step."""
    d = C.shape[0]
    norm_C = np.max(np.abs(lam))  # ||C||_2
    eta = 1 / (2 * norm_C)
    M0 = rng.standard_normal((d, z)) / np.sqrt(d)
    W0, V0 = rng.standard_normal((d, h)) / np.sqrt(d), rng.standard_normal((h, z)) / np.sqrt(h)
    out = {
        1: constrained.subgradient_scaled(C, M0, lr0=4 / norm_C, steps=steps_1, record=record),
        2: constrained.projected_gd_trace(C, M0, "operator", lr=eta, steps=steps, record=record),
        3: constrained.projected_gd_factored(C, W0, V0, "operator", lr=eta, steps=steps_3, record=record),
        4: training.projected_gd(C, manifold.haar_orthonormal(d, h, rng), manifold.haar_orthonormal(h, z, rng),
                                 lr=eta, steps=steps, record=record),
    }
    return out, M0, eta


def check_four(C, lam, U, z, out, M0, eta, label):
    """Assert the values and subspaces of (b) (lam, U: eigenpairs of C); return the measured errors."""
    Uz, val = U[:, :z], lam[:z].sum()
    sv2 = np.linalg.svd(out[2].M, compute_uv=False)
    assert sv2[-1] >= 1 - 1e-8, (label, "problem 2 did not reach rank z", sv2)
    # problem 2: exact subspace-iteration bound
    B = U.T @ M0
    tan0 = np.linalg.norm(B[z:] @ np.linalg.inv(B[:z]), 2)
    rho = (1 - 2 * eta * lam[z]) / (1 - 2 * eta * lam[z - 1])
    K = out[2].losses.size - 1
    theta2 = metrics.subspace_distance(out[2].M, Uz)
    assert np.tan(theta2) <= rho**K * tan0 + 1e-14, (label, theta2, rho**K * tan0)
    err = {"stuck_3": False}
    for p in (2, 3, 4):
        M = out[p].M
        sv = np.linalg.svd(M, compute_uv=False)
        assert np.all(np.diff(out[p].losses) <= 1e-12 * abs(val)), (label, p)  # monotone descent
        assert out[p].losses[-1] >= val - 1e-12 * abs(val), (label, p)  # never below the bound
        if p == 3 and out[p].losses[-1] > val + 1e-6 * abs(val):
            # a spurious local minimum of the two-layer problem (see the caveat below): rank < z
            assert sv[-1] <= 1e-6, (label, sv)
            err["stuck_3"] = True
            continue
        err[p] = dict(value=abs(out[p].losses[-1] / val - 1), angle=metrics.subspace_distance(M, Uz),
                      sv=float(np.max(np.abs(sv - 1))))
        assert err[p]["value"] <= 1e-9 and err[p]["angle"] <= 1e-6 and err[p]["sv"] <= 1e-8, (label, p, err[p])
    # problem 1: lower bound along the run, subspace, value attained by the polar factor
    g = out[1].losses
    assert np.all(g >= val - 1e-12 * abs(val)), label
    polar = manifold.project_orthonormal(out[1].M)
    err[1] = dict(value=abs(constrained.scaled_loss(C, polar) / val - 1),
                  angle=metrics.subspace_distance(out[1].M, Uz),
                  iterate_gap=(g[-1] - val) / abs(val), best_gap=(g.min() - val) / abs(val))
    assert err[1]["angle"] <= 1e-6 and err[1]["value"] <= 1e-9, (label, err[1])
    # problem 1 at the solution of problem 2 (the rescaling argument 1 <=> 2)
    assert abs(constrained.scaled_loss(C, 3.7 * out[2].M) / val - 1) <= 1e-9
    err["bound"] = (np.tan(theta2), rho**K * tan0)
    return err


worst = {p: {} for p in (1, 2, 3, 4)}
n_stuck = 0
for i in range(N_RANDOM_C):
    C = random_C(rng)
    lam, U = np.linalg.eigh(C)
    out, M0, eta = solve_four(C, lam, Z, H, rng, steps_3=1500)
    err = check_four(C, lam, U, Z, out, M0, eta, f"random C #{i}")
    n_stuck += err["stuck_3"]
    for p in (1, 2, 3, 4):
        for key, v in err.get(p, {}).items():
            worst[p][key] = max(worst[p].get(key, -np.inf), v)
print(f"problem 3 ended at a rank-deficient local minimum in {n_stuck} of {N_RANDOM_C} runs (see the caveat below)")
for p in (1, 2, 3, 4):
    print(f"problem {p}: " + ", ".join(f"max {k} = {v:.1e}" for k, v in worst[p].items()))
glue("p3_nC", int(N_RANDOM_C), display=False)
glue("p3_n_stuck", int(n_stuck), display=False)
glue("p3_rand_angle", float(max(worst[p]["angle"] for p in (1, 2, 3, 4))), display=False)
glue("p3_rand_value", float(max(worst[p]["value"] for p in (1, 2, 3, 4))), display=False)
glue("p3_rand_gap1", float(worst[1]["iterate_gap"]), display=False)

# %% [markdown]
# On the {glue:text}`p3_nC` random matrices the four problems reach
# $\lambda_1 + \lambda_2 + \lambda_3$ (largest relative error
# {glue:text}`p3_rand_value:.0e`) on the same subspace (largest principal angle
# {glue:text}`p3_rand_angle:.0e`), with all singular values equal to one; the exceptions
# allowed by the code are runs of problem 3 that end at a rank-deficient local minimum
# (see the caveat below), {glue:text}`p3_n_stuck` of them here. The subgradient
# iterates of problem 1 have found the subspace, yet their scaled loss is still up to
# {glue:text}`p3_rand_gap1:.0%` above the optimum after 1000 steps: their singular values
# are not yet equal. That is the non-smoothness at work, not a failure of the
# equivalence.
#
# ## Check 3: MNIST
#
# The same four solvers on the contrastive $C$ of MNIST digits 0 and 1 ($d = 784$,
# Gaussian positives with $\sigma = 0.1$, random negatives, as in the data-matrix
# chapter), $z = 3$, $h = 6$, recording the iterates for the figure. The contraction
# factor of this $C$, $\rho =$ {glue:text}`p3_mn_rho:.3f`, is below the worst case 0.95 of
# Check 2, so fewer steps suffice: 300 for problems 2 and 4, 600 for problem 3 (whose
# factored iteration is slower) and 400 for problem 1; the tolerances are those of
# Check 2, and the bound of problem 2 is printed next to the measured angle.

# %%
X, _ = data.mnist_digits((0, 1), 200, rng)
C_mn = losses.contrastive_matrix(X, data.gaussian_positives(X, 0.1, rng), data.random_negatives(X, rng))
lam_mn, U_mn = np.linalg.eigh(C_mn)
z_mn, h_mn = 3, 6
assert lam_mn[z_mn - 1] < 0 and lam_mn[z_mn] > lam_mn[z_mn - 1]  # hypotheses of (b)
rho_mn = (1 + lam_mn[z_mn] / lam_mn[0]) / (1 + lam_mn[z_mn - 1] / lam_mn[0])  # ||C||_2 = -lambda_1 here
assert -lam_mn[0] == np.max(np.abs(lam_mn)) and rho_mn < 0.95
glue("p3_mn_rho", float(rho_mn), display=False)
print(f"MNIST C: lambda_1..4 = {np.array2string(lam_mn[:4], precision=3)}, {np.sum(lam_mn < 0)} negative eigenvalues")
out_mn, M0_mn, eta_mn = solve_four(C_mn, lam_mn, z_mn, h_mn, rng, steps=300, steps_3=600, steps_1=400, record=True)
err_mn = check_four(C_mn, lam_mn, U_mn, z_mn, out_mn, M0_mn, eta_mn, "MNIST")
val_mn = lam_mn[:z_mn].sum()
for p in (1, 2, 3, 4):
    print(f"problem {p}: " + ", ".join(f"{k} = {v:.1e}" for k, v in err_mn.get(p, {"stuck": 1.0}).items()))
print(f"problem 2: tan(theta_K) = {err_mn['bound'][0]:.1e} <= bound {err_mn['bound'][1]:.1e}")
glue("p3_mn_val", float(val_mn), display=False)
glue("p3_mn_neg", int(np.sum(lam_mn < 0)), display=False)
glue("p3_mn_angle", float(max(err_mn[p]["angle"] for p in (1, 2, 3, 4) if p in err_mn)), display=False)
glue("p3_mn_value", float(max(err_mn[p]["value"] for p in (1, 2, 3, 4) if p in err_mn)), display=False)
glue("p3_mn_gap1", float(err_mn[1]["iterate_gap"]), display=False)
glue("p3_mn_best1", float(err_mn[1]["best_gap"]), display=False)

# %%
Uz_mn = U_mn[:, :z_mn]
traj = {1: out_mn[1].trajectory, 2: out_mn[2].trajectory, 3: out_mn[3].trajectory, 4: out_mn[4].M_trajectory}
names = {1: "1: scaled loss (subgradient)", 2: r"2: $\|M\|_2\leq 1$", 3: r"3: $\|W\|_2, \|V\|_2\leq 1$",
         4: r"4: $W^\top W = I$, $V^\top V = I$"}
fig, (ax0, ax1) = new_figure(ncols=2, width=3.6, height=3.1)
for p in (1, 2, 3, 4):
    every = max(1, (traj[p].shape[0] - 1) // 150)
    ks = np.arange(0, traj[p].shape[0], every)
    gap = np.abs(out_mn[p].losses[ks] - val_mn) / abs(val_mn)
    ang = [metrics.subspace_distance(traj[p][k], Uz_mn) for k in ks]
    ax0.plot(ks, np.maximum(gap, 1e-17), color=COLORS[p - 1], label=names[p])
    ax1.plot(ks, np.maximum(ang, 1e-17), color=COLORS[p - 1], label=names[p])
ax0.set(yscale="log", xlabel="step $k$", ylabel="relative gap to $\\lambda_1+\\lambda_2+\\lambda_3$",
        title="objective")
ax1.set(yscale="log", xlabel="step $k$", ylabel="largest principal angle to $U_z$ (rad)", title="subspace")
ax1.legend(loc="upper right", fontsize=7)
glue("fig_p3_four_problems", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig_p3_four_problems
# :name: fig-p3-four-problems
#
# The four problems of {prf:ref}`the proposition <prop-operator-orthogonal>` solved on the contrastive $C$
# of MNIST digits 0/1, $z = 3$. Left: relative distance of the objective (for problem 1,
# the scaled loss) to $\lambda_1+\lambda_2+\lambda_3 =$ {glue:text}`p3_mn_val:.3f`.
# Right: largest principal angle between the column span of $M$ (or $WV$) and the
# eigenvectors of the three most negative eigenvalues. Problems 2, 3 and 4 converge
# linearly to the same optimum. Problem 1 reaches the same subspace, but its scaled loss
# is still {glue:text}`p3_mn_gap1:.0%` above the optimum at its last step (best
# iterate: {glue:text}`p3_mn_best1:.1%`): it is not differentiable at its minimisers.
# ```

# %% [markdown]
# On MNIST the four problems agree: values to {glue:text}`p3_mn_value:.0e` (relative),
# subspaces to {glue:text}`p3_mn_angle:.0e` rad, with the value of problem 1 certified as
# described above.
#
# ## A caveat: problem 3 has spurious local minima
#
# Problems 2 and 3 have the same value and the same minimisers (as products), but the
# landscape of problem 3 in the pair $(W, V)$ has more stationary points, and some of
# them are local minima that are not global. An explicit one: $C = \operatorname{diag}(-2,
# -1.5, -1, 0.5, 1, 2)$, $z = 3$, $h = 4$, $W^* = [e_1, e_2, e_5, e_6]$ and
# $V^* = [e_1, e_2, 0]$ (columns in $\mathbb{R}^4$). Then $W^*V^* = [e_1, e_2, 0]$ has rank
# two and loss $\lambda_1+\lambda_2 = -3.5$, above the optimum $-4.5$. Why no small move
# helps: a small third column $v_3 = \varepsilon b$ of $V$ produces the third column
# $\varepsilon(b_1e_1 + b_2e_2 + b_3e_5 + b_4e_6)$ of $M$; its $e_5, e_6$ part raises the
# loss, and its $e_1, e_2$ part cannot lower it, because the first two rows of $V^*$
# already have norm one, so $\|V\|_2\le1$ forces the first two columns of $M$ to shrink by
# as much as is gained. The useful direction $e_3$ is reachable only by turning a column
# of $W$ from $e_5$ or $e_6$ towards $e_3$ by an angle of order one. We check numerically
# that $(W^*, V^*)$ is a fixed point of projected gradient descent, that random feasible
# perturbations of sizes $10^{-3}$ to $10^{-1}$ never lower the loss (3,000 of each size),
# and that projected gradient descent started from a perturbation returns to the value
# $-3.5$.

# %%
C_loc = np.diag([-2.0, -1.5, -1.0, 0.5, 1.0, 2.0])
E6, E4 = np.eye(6), np.eye(4)
W_loc = E6[:, [0, 1, 4, 5]]
V_loc = np.column_stack([E4[:, 0], E4[:, 1], np.zeros(4)])
L_loc = constrained.factored_loss(C_loc, W_loc, V_loc)
eta_loc = 1 / (2 * 2.0)
gW, gV = constrained.factored_gradient(C_loc, W_loc, V_loc)
fixed = max(np.max(np.abs(manifold.project_operator_ball(W_loc - eta_loc * gW) - W_loc)),
            np.max(np.abs(manifold.project_operator_ball(V_loc - eta_loc * gV) - V_loc)))
lowest = np.inf
for eps in (1e-3, 1e-2, 1e-1):
    for _ in range(3000):
        A, B = rng.standard_normal(W_loc.shape), rng.standard_normal(V_loc.shape)
        W1 = manifold.project_operator_ball(W_loc + eps * A / np.linalg.norm(A))
        V1 = manifold.project_operator_ball(V_loc + eps * B / np.linalg.norm(B))
        lowest = min(lowest, constrained.factored_loss(C_loc, W1, V1) - L_loc)
back = constrained.projected_gd_factored(C_loc, W_loc + 0.05 * rng.standard_normal(W_loc.shape),
                                         V_loc + 0.05 * rng.standard_normal(V_loc.shape), "operator",
                                         lr=eta_loc, steps=2000)
print(f"loss at (W*, V*) = {L_loc:+.3f} (optimum {constrained.trace_minimum(C_loc, 3, 'operator'):+.3f}); "
      f"PGD fixed point to {fixed:.0e}")
print(f"smallest loss change over 9000 random feasible perturbations: {lowest:+.1e}")
print(f"PGD from a perturbed start: loss {back.losses[-1]:+.6f}, singular values of WV "
      f"{np.array2string(back.singular_values[-1], precision=3)}")
assert fixed <= 1e-15 and lowest >= -1e-12
assert abs(back.losses[-1] - L_loc) <= 1e-9 and back.singular_values[-1, 2] <= 1e-8
glue("p3_loc_lowest", float(lowest), display=False)

# %% [markdown]
# The point is a local minimum (the smallest loss change found is
# {glue:text}`p3_loc_lowest:.0e`, positive) and attracts nearby starts. Problem 2 has no
# such trap: clipping keeps the column span, so its iterates follow the subspace
# iteration, which reaches the optimal subspace from every start whose span is not
# orthogonal to part of it. This is worth knowing for the two-layer operator-norm
# formulation, and it is one more reason why the book works with problem 4 and its
# flow on the Grassmannian.
#
# ## Where it breaks: fewer than z negative eigenvalues
#
# We keep the eigenvectors of a random $C$ and shift its spectrum so that only $r = 2$
# eigenvalues are negative, with $z = 3$: $C_r = C - \frac{\lambda_2+\lambda_3}{2}I$.
# Part (c) predicts: problems 1, 2 and 3 reach $\lambda_1+\lambda_2$ (of $C_r$) with
# singular values $(1, 1, 0)$, problem 4 reaches $\lambda_1+\lambda_2+\lambda_3$, larger
# by $\lambda_3 > 0$. Tolerances as in Check 2, and the third singular value below
# $10^{-8}$ of the first (for problem 2 the components along $u_k$, $k>r$, shrink by the
# factor $|1-2\eta\lambda_k|<1$ at every step, since clipping never enlarges them;
# after $K$ steps the product is {glue:text}`p3_fail_shrink:.0e`). For problem 1 the
# value of the iterates converges slowly again, so we assert that they never go below
# $\lambda_1+\lambda_2$, that their third singular value vanishes and that their top-two
# subspace is $\operatorname{span}(u_1, u_2)$.

# %%
C = random_C(rng)
lam, U = np.linalg.eigh(C)
C_r = C - (lam[1] + lam[2]) / 2 * np.eye(D)
lam_r = np.linalg.eigvalsh(C_r)
r = int(np.sum(lam_r < 0))
assert r == 2 < Z
val_r, val_4 = lam_r[:r].sum(), lam_r[:Z].sum()
out_r, _, eta_r = solve_four(C_r, lam_r, Z, H, rng)
shrink = np.max(np.abs(1 - 2 * eta_r * lam_r[r:])) ** (out_r[2].losses.size - 1)
rows = []
for p in (1, 2, 3, 4):
    sv = np.linalg.svd(out_r[p].M, compute_uv=False)
    sv = sv / sv[0]
    value = out_r[p].losses[-1] if p != 1 else out_r[p].losses.min()
    rows.append((p, value, sv))
    print(f"problem {p}: value {value:+.6f}, singular values / sigma_1 = {np.array2string(sv, precision=2)}")
print(f"lambda_1 + lambda_2 = {val_r:+.6f}, lambda_1 + lambda_2 + lambda_3 = {val_4:+.6f}; "
      f"problem 2 bound on sigma_3: {shrink:.0e}")
for p, value, sv in rows[1:3]:  # problems 2 and 3: value lambda_1 + lambda_2, rank r
    assert abs(value / val_r - 1) <= 1e-9 and sv[r - 1] > 1 - 1e-8 and sv[r] <= 1e-8, (p, value, sv)
p, value, sv = rows[3]  # problem 4: value lambda_1 + lambda_2 + lambda_3, rank z
assert abs(value / val_4 - 1) <= 1e-9 and np.all(sv > 1 - 1e-8)
assert val_4 - val_r > 0.1 * abs(val_r)
# problem 1: never below lambda_1 + lambda_2, the third singular value vanishes, and the rank-r
# subspace is the span of u_1, u_2
p, value, sv = rows[0]
assert np.all(out_r[1].losses >= val_r - 1e-12 * abs(val_r))
U_r = np.linalg.eigh(C_r)[1][:, :r]
P1 = np.linalg.svd(out_r[1].M, full_matrices=False)[0][:, :r]
angle_r1 = metrics.subspace_distance(P1, U_r)
print(f"problem 1: sigma_3/sigma_1 = {sv[r]:.1e}, angle of its top-2 subspace to [u_1, u_2] = {angle_r1:.1e}, "
      f"relative gap of the best iterate {(value - val_r) / abs(val_r):.1e}")
assert sv[r] <= 1e-6 and angle_r1 <= 1e-6
glue("p3_fail_val_r", float(val_r), display=False)
glue("p3_fail_val_4", float(val_4), display=False)
glue("p3_fail_s3", float(max(row[2][r] for row in rows[:3])), display=False)
glue("p3_fail_shrink", float(shrink), display=False)

# %% [markdown]
# With only two negative eigenvalues the norm-constrained problems settle for rank two
# (the third singular value is at most {glue:text}`p3_fail_s3:.0e` of the first) and the
# value $\lambda_1+\lambda_2 =$ {glue:text}`p3_fail_val_r:.4f`, while the orthogonality
# constraint forces a third direction and pays for it:
# $\lambda_1+\lambda_2+\lambda_3 =$ {glue:text}`p3_fail_val_4:.4f`. The equivalence of
# the four problems is a statement about data matrices with enough negative eigenvalues.
# For the contrastive loss with additive noise $\mathbb{E}[C] = -\operatorname{Cov}(x)$, so
# $C$ has about as many clearly negative eigenvalues as the data have directions of
# variation (the MNIST $C$ of Check 3 has {glue:text}`p3_mn_neg` negative eigenvalues, far
# more than any $z$ used here); the condition fails when $z$ exceeds the number of
# directions in which the data vary, where the remaining eigenvalues are sampling
# noise of either sign.
#
# ## What we learned
#
# - The operator-norm bound, its two-layer version, orthonormal columns and the scaled
#   loss all have the optimal value $\lambda_1+\dots+\lambda_z$ and the optimal
#   subspace $\operatorname{span}(u_1,\dots,u_z)$ when $\lambda_z<0$ (and
#   $\lambda_z<\lambda_{z+1}$ for uniqueness); numerically they agree to
#   {glue:text}`p3_rand_value:.0e` in value and {glue:text}`p3_rand_angle:.0e` rad in
#   subspace on random matrices, and to {glue:text}`p3_mn_angle:.0e` rad on MNIST.
# - The scaled loss is not differentiable at its minimisers (all singular values equal),
#   so gradient methods on it find the subspace fast and the value slowly.
# - With fewer negative eigenvalues than $z$ the norm constraints collapse to that
#   smaller rank and the equivalence with orthogonality fails.
# - For $z = 1$ the scaled loss is smooth (the Rayleigh quotient), and its gradient
#   dynamics converge from every start: see {prf:ref}`Example 1 <example-half-moons>`.

# %% tags=["remove-cell"]
# Reached only when every check above passed; the results overview page shows it.
glue("checks_status", "passed", display=False)

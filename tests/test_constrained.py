import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssl_notes import constrained, manifold, metrics


def _random_C(rng, d, shift=0.0):
    A = rng.standard_normal((d, d))
    return (A + A.T) / (2 * np.sqrt(d)) + shift * np.eye(d)


def _C_with_spectrum(rng, lam):
    Q = manifold.haar_orthonormal(len(lam), len(lam), rng)
    return Q @ np.diag(lam) @ Q.T, Q


# --- closed-form minima --------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(
    d=st.integers(1, 8),
    z=st.integers(1, 8),
    shift=st.floats(-1.5, 1.5),
    seed=st.integers(0, 2**16),
)
def test_trace_minimum_is_a_lower_bound_and_is_attained(d, z, shift, seed):
    rng = np.random.default_rng(seed)
    C = _random_C(rng, d, shift)
    lam, U = np.linalg.eigh(C)
    tol = 1e-10
    fro = constrained.trace_minimum(C, z, "frobenius", radius=2.0)
    op = constrained.trace_minimum(C, z, "operator")
    sc = constrained.trace_minimum(C, z, "scaled")
    for _ in range(20):
        M = rng.standard_normal((d, z))
        assert (
            np.sum(M * (C @ (2 * M / np.linalg.norm(M)))) * 2 / np.linalg.norm(M)
            >= fro - tol
        )
        assert np.sum(M * (C @ M)) / np.linalg.norm(M, 2) ** 2 >= op - tol
        assert constrained.scaled_loss(C, M) >= sc - tol
        if z <= d:
            Q = manifold.project_orthonormal(M)
            assert (
                np.sum(Q * (C @ Q))
                >= constrained.trace_minimum(C, z, "orthonormal") - tol
            )
    # attained
    assert abs(fro - 4 * min(lam[0], 0)) < tol
    neg = [k for k in range(min(z, d)) if lam[k] < 0]
    M_op = np.zeros((d, z))
    for j, k in enumerate(neg):
        M_op[:, j] = U[:, k]
    assert abs(np.sum(M_op * (C @ M_op)) - op) < tol
    M_sc = M_op if neg else np.outer(U[:, 0], np.eye(z)[0])
    assert abs(constrained.scaled_loss(C, M_sc) - sc) < tol


def test_trace_minimum_values_on_a_known_spectrum():
    C = np.diag([-3.0, -1.0, 2.0, 5.0])
    assert constrained.trace_minimum(C, 3, "frobenius", radius=2.0) == pytest.approx(
        -12.0
    )
    assert constrained.trace_minimum(C, 3, "operator") == pytest.approx(-4.0)
    assert constrained.trace_minimum(C, 3, "orthonormal") == pytest.approx(-2.0)
    assert constrained.trace_minimum(C, 3, "scaled") == pytest.approx(-4.0)
    assert constrained.trace_minimum(np.diag([1.0, 2.0]), 2, "scaled") == pytest.approx(
        1.0
    )
    assert constrained.trace_minimum(np.diag([1.0, 2.0]), 2, "operator") == 0.0


# --- gradients ------------------------------------------------------------------------


def _fd_grad(f, X, h=1e-6):
    G = np.zeros_like(X)
    for idx in np.ndindex(X.shape):
        E = np.zeros_like(X)
        E[idx] = h
        G[idx] = (f(X + E) - f(X - E)) / (2 * h)
    return G


@pytest.mark.parametrize("power", [1.0, 2.0, 3.0])
def test_scaled_gradient_matches_finite_differences(power):
    rng = np.random.default_rng(1)
    d, h, z = 5, 4, 3
    C = _random_C(rng, d)
    W, V = rng.standard_normal((d, h)), rng.standard_normal((h, z))

    def loss(W_, V_):
        M = W_ @ V_
        return np.sum(M * (C @ M)) / np.linalg.norm(M, 2) ** power

    gW, gV = constrained.factored_gradient(C, W, V, "scaled", power)
    np.testing.assert_allclose(
        gW, _fd_grad(lambda X: loss(X, V), W), rtol=1e-6, atol=1e-8
    )
    np.testing.assert_allclose(
        gV, _fd_grad(lambda X: loss(W, X), V), rtol=1e-6, atol=1e-8
    )
    if (
        power == 2.0
    ):  # 0-homogeneous: gradient orthogonal to M, equal to the problem-1 subgradient
        M = W @ V
        G = constrained.scaled_loss_subgradient(C, M)
        np.testing.assert_allclose(
            G,
            _fd_grad(lambda X: constrained.scaled_loss(C, X), M),
            rtol=1e-6,
            atol=1e-8,
        )
        assert abs(np.sum(G * M)) < 1e-12 * np.linalg.norm(G) * np.linalg.norm(M)
        assert constrained.scaled_loss(C, -3.7 * M) == pytest.approx(
            constrained.scaled_loss(C, M), rel=1e-13
        )


def test_plain_gradient_matches_finite_differences():
    rng = np.random.default_rng(2)
    C = _random_C(rng, 4)
    W, V = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
    gW, gV = constrained.factored_gradient(C, W, V, "plain")
    np.testing.assert_allclose(
        gW,
        _fd_grad(lambda X: constrained.factored_loss(C, X, V), W),
        rtol=1e-6,
        atol=1e-8,
    )
    np.testing.assert_allclose(
        gV,
        _fd_grad(lambda X: constrained.factored_loss(C, W, X), V),
        rtol=1e-6,
        atol=1e-8,
    )


# --- solvers --------------------------------------------------------------------------


def test_frobenius_pgd_collapses_to_rank_one():
    rng = np.random.default_rng(3)
    C = _random_C(rng, 8)
    lam = np.linalg.eigvalsh(C)
    res = constrained.projected_gd_trace(
        C, rng.standard_normal((8, 3)), "frobenius", radius=1.5, steps=2000, record=True
    )
    assert res.losses[-1] == pytest.approx(1.5**2 * lam[0], rel=1e-9)
    assert res.singular_values[-1, 1] / res.singular_values[-1, 0] < 1e-8
    assert np.all(np.diff(res.losses) <= 1e-12)
    assert res.trajectory.shape == (2001, 8, 3)
    np.testing.assert_array_equal(res.trajectory[-1], res.M)


def test_operator_pgd_keeps_rank_z_and_the_wrong_ball_does_not():
    rng = np.random.default_rng(4)
    C, Q = _C_with_spectrum(rng, [-2.0, -1.5, -1.0, 0.5, 1.0, 2.0])
    M0 = rng.standard_normal((6, 3))
    op = constrained.projected_gd_trace(C, M0, "operator", steps=500)
    assert op.losses[-1] == pytest.approx(-4.5, rel=1e-10)
    assert metrics.subspace_distance(op.M, Q[:, :3]) < 1e-8
    np.testing.assert_allclose(op.singular_values[-1], 1.0, atol=1e-10)
    fro = constrained.projected_gd_trace(
        C, M0, "frobenius", radius=np.sqrt(3), steps=500
    )
    assert fro.losses[-1] == pytest.approx(
        -6.0, rel=1e-10
    )  # 3 * lambda_1: lower, and rank one
    assert fro.singular_values[-1, 1] < 1e-8


def test_factored_pgd_reaches_the_same_values():
    rng = np.random.default_rng(5)
    C, Q = _C_with_spectrum(rng, [-2.0, -1.5, -1.0, 0.5, 1.0, 2.0])
    # the landscape has spurious local minima (next test): start in the optimum's basin
    W0 = np.column_stack([Q[:, :3], np.zeros(6)]) + 0.2 * rng.standard_normal((6, 4))
    V0 = np.vstack([np.eye(3), np.zeros((1, 3))]) + 0.2 * rng.standard_normal((4, 3))
    op = constrained.projected_gd_factored(C, W0, V0, "operator", steps=1500)
    assert op.losses[-1] == pytest.approx(-4.5, rel=1e-9)
    assert np.linalg.norm(op.W, 2) <= 1 + 1e-12 and np.linalg.norm(op.V, 2) <= 1 + 1e-12
    assert np.all(np.diff(op.losses) <= 1e-12)  # default step 1/L
    W0, V0 = rng.standard_normal((6, 4)), rng.standard_normal((4, 3))
    fro = constrained.projected_gd_factored(
        C, W0, V0, "frobenius", radii=(1.0, 2.0), steps=1500
    )
    assert fro.losses[-1] == pytest.approx(4 * -2.0, rel=1e-9)
    for A in (fro.W, fro.V, fro.M):
        s = np.linalg.svd(A, compute_uv=False)
        assert s[1] / s[0] < 1e-6


def test_factored_operator_problem_has_a_spurious_local_minimum():
    """Problems 2 and 3 share value and minimisers, not landscapes: a rank-two point
    of the two-layer problem that projected gradient descent does not leave (a start
    found by search; the book's Proposition 3 chapter constructs one explicitly)."""
    rng = np.random.default_rng(5)
    C, Q = _C_with_spectrum(rng, [-2.0, -1.5, -1.0, 0.5, 1.0, 2.0])
    W0, V0 = rng.standard_normal((6, 4)), rng.standard_normal((4, 3))
    op = constrained.projected_gd_factored(C, W0, V0, "operator", steps=1500)
    assert op.losses[-1] == pytest.approx(
        -3.5, rel=1e-9
    )  # lambda_1 + lambda_2, not -4.5
    assert op.singular_values[-1, 2] < 1e-8


def test_subgradient_on_the_scaled_loss_finds_the_subspace_and_respects_the_bound():
    rng = np.random.default_rng(6)
    C, Q = _C_with_spectrum(rng, [-2.0, -1.5, -1.0, 0.5, 1.0, 2.0])
    res = constrained.subgradient_scaled(
        C, rng.standard_normal((6, 3)), lr0=2.0, steps=1500
    )
    assert np.all(res.losses >= -4.5 - 1e-12)
    assert metrics.subspace_distance(res.M, Q[:, :3]) < 1e-8
    assert constrained.scaled_loss(
        C, manifold.project_orthonormal(res.M)
    ) == pytest.approx(-4.5, rel=1e-12)
    np.testing.assert_allclose(res.singular_values[:, 0], 1.0, atol=1e-12)  # normalised


def test_factored_flow_conservation_laws_and_stop():
    rng = np.random.default_rng(7)
    C, _ = _C_with_spectrum(rng, [-1.0, -0.3, 0.4])
    W0, V0 = rng.standard_normal((3, 2)), rng.standard_normal((2, 1))
    plain = constrained.factored_flow(C, W0, V0, np.linspace(0, 0.3, 7), "plain")
    Q0 = W0.T @ W0 - V0 @ V0.T
    for W, V in zip(plain.W, plain.V, strict=True):
        np.testing.assert_allclose(W.T @ W - V @ V.T, Q0, atol=1e-8)
    blow = constrained.factored_flow(C, W0, V0, 50.0, "plain", max_norm=1e6)
    assert blow.stopped and np.linalg.norm(blow.M[-1]) == pytest.approx(1e6, rel=1e-6)
    assert blow.t[-1] < 50
    sc = constrained.factored_flow(C, W0, V0, np.linspace(0, 5, 11), "scaled")
    np.testing.assert_allclose(
        np.linalg.norm(sc.W, axis=(1, 2)), np.linalg.norm(W0), rtol=1e-8
    )
    np.testing.assert_allclose(
        np.linalg.norm(sc.V, axis=(1, 2)), np.linalg.norm(V0), rtol=1e-8
    )
    assert not sc.stopped and sc.t.shape == (11,) and sc.M.shape == (11, 3, 1)


def test_bad_input():
    C = np.diag([-1.0, 1.0])
    M = np.ones((2, 1))
    with pytest.raises(ValueError, match="constraint"):
        constrained.projected_gd_trace(C, M, "nuclear")
    with pytest.raises(ValueError, match="constraint"):
        constrained.trace_minimum(C, 1, "nuclear")
    with pytest.raises(ValueError, match="lr"):
        constrained.projected_gd_trace(C, M, "operator", lr=-1.0)
    with pytest.raises(TypeError, match="lr"):
        constrained.projected_gd_trace(C, M, "operator", lr="big")
    with pytest.raises(ValueError, match="rows"):
        constrained.projected_gd_trace(C, np.ones((3, 1)), "operator")
    with pytest.raises(ValueError, match="symmetric"):
        constrained.projected_gd_trace(
            np.array([[0.0, 1.0], [0.0, 0.0]]), M, "operator"
        )
    with pytest.raises(ValueError, match="M = 0"):
        constrained.scaled_loss(C, np.zeros((2, 1)))
    with pytest.raises(ValueError, match="M0"):
        constrained.subgradient_scaled(C, np.zeros((2, 1)), lr0=0.1)
    with pytest.raises(ValueError, match="V0"):
        constrained.projected_gd_factored(
            C, np.ones((2, 2)), np.ones((3, 1)), "operator"
        )
    with pytest.raises(ValueError, match="radii"):
        constrained.projected_gd_factored(
            C, np.ones((2, 2)), np.ones((2, 1)), "operator", radii=(1.0, 0.0)
        )
    with pytest.raises(TypeError, match="radii"):
        constrained.projected_gd_factored(
            C, np.ones((2, 2)), np.ones((2, 1)), "operator", radii=1.0
        )
    with pytest.raises(ValueError, match="loss"):
        constrained.factored_gradient(C, np.ones((2, 2)), np.ones((2, 1)), "cosine")
    with pytest.raises(ValueError, match="power"):
        constrained.factored_gradient(
            C, np.ones((2, 2)), np.ones((2, 1)), "scaled", power=0.0
        )
    with pytest.raises(ValueError, match="t"):
        constrained.factored_flow(
            C, np.ones((2, 2)), np.ones((2, 1)), np.array([1.0, 2.0])
        )
    with pytest.raises(ValueError, match="z"):
        constrained.trace_minimum(C, 3, "orthonormal")
    with pytest.raises(ValueError, match="radius"):
        constrained.trace_minimum(C, 1, "scaled", radius=2.0)
    with pytest.raises(TypeError, match="steps"):
        constrained.projected_gd_trace(C, M, "operator", steps=1.5)


# --- validation (the shared layer: every error names its argument) --------------------

_C2 = np.diag([-1.0, 1.0])
_M2 = np.ones((2, 1))
_W2, _V2 = np.eye(2), np.ones((2, 1))


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: constrained.trace_minimum(_C2, 1, None), TypeError, "constraint"),
        (lambda: constrained.trace_minimum(_C2, True, "operator"), TypeError, "z"),
        (
            lambda: constrained.trace_minimum(_C2, 1, "operator", np.nan),
            ValueError,
            "radius",
        ),
        (lambda: constrained.trace_minimum(_C2 + 0j, 1, "operator"), TypeError, "C"),
        (lambda: constrained.scaled_loss(_C2, _M2.astype(str)), TypeError, "M"),
        (
            lambda: constrained.projected_gd_trace(_C2, _M2, "operator", lr=np.nan),
            ValueError,
            "lr",
        ),
        (
            lambda: constrained.projected_gd_trace(_C2, _M2, "operator", lr=True),
            TypeError,
            "lr",
        ),
        (
            lambda: constrained.projected_gd_trace(_C2, _M2, "operator", radius=0.0),
            ValueError,
            "radius",
        ),
        (
            lambda: constrained.projected_gd_trace(_C2, _M2, "operator", record=None),
            TypeError,
            "record",
        ),
        (
            lambda: constrained.projected_gd_trace(_C2, _M2, "operator", record="yes"),
            TypeError,
            "record",
        ),
        (
            lambda: constrained.projected_gd_factored(
                _C2, _W2, _V2, "operator", radii=(1.0, np.nan)
            ),
            ValueError,
            r"radii\[1\]",
        ),
        (
            lambda: constrained.projected_gd_factored(
                _C2, _W2, _V2, "operator", radii=np.array([1, 1j])
            ),
            TypeError,
            "radii",
        ),
        (
            lambda: constrained.projected_gd_factored(
                _C2, _W2, _V2, "operator", radii=(1.0, 1.0, 1.0)
            ),
            TypeError,
            "radii",
        ),
        (
            lambda: constrained.projected_gd_factored(
                _C2, _W2, _V2, "operator", radii="ab"
            ),
            TypeError,
            "radii",
        ),
        (lambda: constrained.subgradient_scaled(_C2, _M2, lr0=None), TypeError, "lr0"),
        (
            lambda: constrained.factored_gradient(
                _C2, _W2, _V2, "scaled", power=np.nan
            ),
            ValueError,
            "power",
        ),
        (
            lambda: constrained.factored_gradient(_C2, _W2, _V2, loss=True),
            TypeError,
            "loss",
        ),
        (lambda: constrained.factored_flow(_C2, _W2, _V2, True), TypeError, "t"),
        (lambda: constrained.factored_flow(_C2, _W2, _V2, -1.0), ValueError, "t"),
        (
            lambda: constrained.factored_flow(_C2, _W2, _V2, 0.0),
            ValueError,
            "positive final time",
        ),
        (
            lambda: constrained.factored_flow(_C2, _W2, _V2, 1.0, rtol=np.nan),
            ValueError,
            "rtol",
        ),
        (
            lambda: constrained.factored_flow(_C2, _W2, _V2, 1.0, atol=0.0),
            ValueError,
            "atol",
        ),
        (
            lambda: constrained.factored_flow(_C2, _W2, _V2, 1.0, max_norm=-1.0),
            ValueError,
            "max_norm",
        ),
        (
            lambda: constrained.factored_flow(_C2, _W2, _V2, 1.0, max_norm=None),
            TypeError,
            "max_norm",
        ),
    ],
)
def test_errors_name_the_argument(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_default_step_for_the_zero_matrix():
    res = constrained.projected_gd_trace(np.zeros((2, 2)), _M2, "frobenius", steps=3)
    assert np.all(res.losses == 0.0)
    res = constrained.projected_gd_factored(
        np.zeros((2, 2)), _W2, _V2, "operator", steps=3
    )
    assert np.all(res.losses == 0.0)


def test_factored_flow_blow_up_without_max_norm_names_t_and_max_norm():
    rng = np.random.default_rng(0)
    C = np.diag([-1.0, 0.5, 2.0])
    W0, V0 = 0.5 * rng.standard_normal((3, 2)), 0.5 * rng.standard_normal((2, 1))
    with pytest.raises(ValueError, match="t: .*max_norm"):
        constrained.factored_flow(C, W0, V0, 50.0, "plain")


def test_factored_flow_work_is_bounded(monkeypatch):
    """A run that needs too many evaluations refuses with a ValueError naming t
    (explicit Runge-Kutta is stability-limited: t = 1e6 would take about 1e6 steps)."""
    monkeypatch.setattr(constrained, "MAX_FLOW_EVALUATIONS", 200)
    C = np.diag([-1.0, 0.5, 2.0])
    rng = np.random.default_rng(0)
    W0, V0 = rng.standard_normal((3, 2)), rng.standard_normal((2, 1))
    with pytest.raises(ValueError, match="t: t = 1e\\+06 needs more than 200"):
        constrained.factored_flow(C, W0, V0, 1e6, "scaled")

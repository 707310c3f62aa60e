import numpy as np
import pytest

from ssl_notes import dynamics, losses, manifold, training


def _problem(seed, d=15, h=6, z=2):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((d, d))
    return (
        (A + A.T) / 2,
        manifold.haar_orthonormal(d, h, rng),
        manifold.haar_orthonormal(h, z, rng),
    )


def test_losses_and_constraints():
    C, W0, V0 = _problem(0)
    res = training.projected_gd(C, W0, V0, lr=0.01, steps=50)
    assert res.losses.shape == (51,)
    assert res.losses[0] == pytest.approx(losses.trace_loss(C, W0 @ V0), abs=1e-13)
    assert res.losses[-1] == pytest.approx(losses.trace_loss(C, res.M), abs=1e-13)
    assert manifold.is_orthonormal(res.W, 1e-12) and manifold.is_orthonormal(
        res.V, 1e-12
    )
    assert res.losses[-1] < res.losses[0]


def test_grassmann_direction_tracks_the_flow_to_first_order():
    C, W0, V0 = _problem(1)
    T = 0.5
    err = []
    for lr in (0.01, 0.005):
        res = training.projected_gd(
            C, W0, V0, lr=lr, steps=int(round(T / lr)), gradient="grassmann"
        )
        err.append(np.max(np.abs(res.M - dynamics.grassmann_flow(C, W0 @ V0, T))))
    assert err[1] / err[0] == pytest.approx(
        0.5, abs=0.1
    )  # O(lr): halving lr halves the error


def test_record_trajectory():
    C, W0, V0 = _problem(2)
    res = training.projected_gd(C, W0, V0, lr=0.01, steps=3, record=True)
    assert res.M_trajectory.shape == (4, 15, 2)
    np.testing.assert_allclose(res.M_trajectory[0], W0 @ V0)


def test_bad_input():
    C, W0, V0 = _problem(3)
    with pytest.raises(ValueError, match="W0: columns are not orthonormal"):
        training.projected_gd(C, 2 * W0, V0, 0.1, 1)
    with pytest.raises(ValueError, match="V0: expected 6 rows"):
        training.projected_gd(C, W0, manifold.haar_orthonormal(5, 2, 0), 0.1, 1)
    with pytest.raises(ValueError, match="W0: expected 4 rows"):
        training.projected_gd(np.eye(4), W0, V0, 0.1, 1)
    with pytest.raises(ValueError, match="lr"):
        training.projected_gd(C, W0, V0, -0.1, 1)
    with pytest.raises(ValueError, match="steps"):
        training.projected_gd(C, W0, V0, 0.1, 0)
    with pytest.raises(ValueError, match="gradient"):
        training.projected_gd(C, W0, V0, 0.1, 1, gradient="riemannian")
    with pytest.raises(ValueError, match="C: expected a symmetric"):
        training.projected_gd(np.triu(np.ones((15, 15))), W0, V0, 0.1, 1)


@pytest.mark.parametrize("h", [2, 5, 9])
def test_factors_with_product(h):
    rng = np.random.default_rng(h)
    M0 = manifold.haar_orthonormal(9, 2, rng)
    W0, V0 = training.factors_with_product(M0, h, rng)
    assert W0.shape == (9, h) and V0.shape == (h, 2)
    np.testing.assert_allclose(W0 @ V0, M0, atol=1e-15)
    assert manifold.is_orthonormal(W0, 1e-13) and manifold.is_orthonormal(V0, 1e-15)


def test_factors_with_product_bad_input():
    M0 = manifold.haar_orthonormal(6, 3, 0)
    with pytest.raises(ValueError, match="h: expected z <= h <= d"):
        training.factors_with_product(M0, 2)
    with pytest.raises(ValueError, match="h: expected z <= h <= d"):
        training.factors_with_product(M0, 7)
    with pytest.raises(ValueError, match="M0: columns are not orthonormal"):
        training.factors_with_product(2 * M0, 4)
    with pytest.raises(TypeError, match="h"):
        training.factors_with_product(M0, 4.5)


def test_literal_step_tracks_the_euclidean_stiefel_flow_not_theorem2():
    """Polar(W - eta G) = W - eta (G - W sym(W^T G)) + O(eta^2): the literal (11) is a
    first-order discretisation of the Euclidean-metric Stiefel flow of the factors."""
    C, W0, V0 = _problem(4, d=10, h=5, z=2)
    T = 0.5
    W, V = dynamics.factor_flow(C, W0, V0, T, metric="euclidean")
    err = []
    for lr in (0.01, 0.005):
        res = training.projected_gd(
            C, W0, V0, lr=lr, steps=int(round(T / lr)), gradient="euclidean"
        )
        err.append(np.max(np.abs(res.M - W @ V)))
    assert err[1] / err[0] == pytest.approx(0.5, abs=0.1)
    gap = np.max(np.abs(res.M - dynamics.grassmann_flow(C, W0 @ V0, T)))
    assert gap > 10 * err[1]  # and it is not the flow of Theorem 2


def test_projected_steps_identical_at_h_equal_z_and_d():
    rng = np.random.default_rng(6)
    d, z = 7, 2
    A = rng.standard_normal((d, d))
    C = (A + A.T) / 2
    M0 = manifold.haar_orthonormal(d, z, rng)
    Ms = [
        training.projected_gd(
            C,
            *training.factors_with_product(M0, h, rng),
            0.02,
            50,
            gradient="grassmann",
        ).M
        for h in (z, d)
    ]
    np.testing.assert_allclose(Ms[0], Ms[1], atol=1e-12)


def test_bad_input_more():
    C, W0, V0 = _problem(5)
    with pytest.raises(ValueError, match="V0: columns are not orthonormal"):
        training.projected_gd(C, W0, V0 * 1.1, 0.1, 1)
    with pytest.raises(ValueError, match="V0: a 6x7 matrix cannot"):
        training.projected_gd(C, W0, np.ones((6, 7)), 0.1, 1)  # z > h
    with pytest.raises(TypeError, match="steps"):
        training.projected_gd(C, W0, V0, 0.1, 2.5)
    with pytest.raises(ValueError, match="lr"):
        training.projected_gd(C, W0, V0, float("nan"), 1)


# ----------------------------------------------------------------------------------
# The step kernels (ssl_notes.steps) against plain reference implementations
# ----------------------------------------------------------------------------------

from ssl_notes import steps  # noqa: E402


def _polar(A):
    U, _, Pt = np.linalg.svd(A, full_matrices=False)
    return U @ Pt


def _reference_step(C, W, V, lr, gradient, project):
    """(11) written out plainly: free (or Grassmann) gradients, then ``project``."""
    GW = 2.0 * C @ W @ V @ V.T
    GV = 2.0 * W.T @ C @ W @ V
    if gradient == "grassmann":
        GW = dynamics.tangent_direction(W, GW, "grassmann")
        GV = dynamics.tangent_direction(V, GV, "grassmann")
    return project(W - lr * GW), project(V - lr * GV)


@pytest.mark.parametrize("gradient", ["euclidean", "grassmann"])
@pytest.mark.parametrize(
    "h", [3, 4, 5, 8, 15]
)  # h = z, z < h < 2z, h = 2z - 1, > 2z, d
def test_lowrank_and_qr_kernels_match_references(gradient, h):
    C, _, _ = _problem(10 + h, d=15, h=h, z=3)
    rng = np.random.default_rng(h)
    W, V = manifold.haar_orthonormal(15, h, rng), manifold.haar_orthonormal(h, 3, rng)
    g = gradient == "grassmann"
    Wp, Vp = _reference_step(C, W, V, 0.02, gradient, _polar)
    for kernel in (steps.gd_naive_step, steps.gd_lowrank_step):
        W1, V1, loss = kernel(C, W, V, 0.02, g)
        np.testing.assert_allclose(W1, Wp, atol=1e-12)
        np.testing.assert_allclose(V1, Vp, atol=1e-12)
        assert loss == pytest.approx(losses.trace_loss(C, W @ V), abs=1e-12)
    Wq, Vq = _reference_step(C, W, V, 0.02, gradient, manifold.qr_positive)
    W1, V1, _ = steps.gd_qr_step(C, W, V, 0.02, g)
    np.testing.assert_allclose(W1, Wq, atol=1e-12)
    np.testing.assert_allclose(V1, Vq, atol=1e-12)


@pytest.mark.parametrize("gradient", ["euclidean", "grassmann"])
def test_lowrank_method_gives_the_naive_iterates(gradient):
    C, W0, V0 = _problem(11, d=20, h=9, z=3)
    a = training.projected_gd(C, W0, V0, 0.01, 300, gradient)
    b = training.projected_gd(C, W0, V0, 0.01, 300, gradient, method="lowrank")
    np.testing.assert_allclose(b.W, a.W, atol=1e-12)
    np.testing.assert_allclose(b.losses, a.losses, atol=1e-12)
    assert manifold.is_orthonormal(b.W, 1e-13) and manifold.is_orthonormal(b.V, 1e-13)


def test_naive_method_is_the_default():
    C, W0, V0 = _problem(12)
    a = training.projected_gd(C, W0, V0, 0.01, 20)
    b = training.projected_gd(C, W0, V0, 0.01, 20, method="naive")
    assert np.array_equal(a.W, b.W)


def test_qr_path_differs_from_polar_at_first_order_for_the_literal_step():
    """QR and polar agree on tangent directions to first order, not on free gradients:
    the Grassmann paths approach each other like lr, the literal (11) paths do not."""
    C, W0, V0 = _problem(13, d=12, h=6, z=2)
    T = 0.5
    gap = {}
    for gradient in ("euclidean", "grassmann"):
        gap[gradient] = []
        for lr in (0.01, 0.005):
            n = int(round(T / lr))
            kw = dict(gradient=gradient)
            Mp = training.projected_gd(C, W0, V0, lr, n, **kw).M
            Mq = training.projected_gd(C, W0, V0, lr, n, method="qr", **kw).M
            gap[gradient].append(np.max(np.abs(Mp - Mq)))
    assert gap["grassmann"][1] / gap["grassmann"][0] == pytest.approx(0.5, abs=0.1)
    assert gap["euclidean"][1] / gap["euclidean"][0] > 0.9  # does not vanish with lr
    assert gap["euclidean"][1] > 10 * gap["grassmann"][1]


def test_polar_step_moves_along_the_stiefel_directions_of_dynamics():
    """(W_new - W)/lr -> -tangent_direction(W, G_W, metric) as lr -> 0."""
    C, W, V = _problem(14, d=10, h=5, z=2)
    GW = 2.0 * C @ W @ V @ V.T
    for g, metric in ((False, "euclidean"), (True, "grassmann")):
        target = -dynamics.tangent_direction(W, GW, metric)
        err = [
            np.max(np.abs((steps.gd_lowrank_step(C, W, V, lr, g)[0] - W) / lr - target))
            for lr in (1e-4, 5e-5)
        ]
        assert err[1] / err[0] == pytest.approx(0.5, abs=0.05)


def _points(seed=0, n=7, d=9):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    return X, X + 0.1 * rng.standard_normal((n, d)), X[rng.permutation(n)]


@pytest.mark.parametrize("contrastive", [True, False])
def test_output_flow_block_D_matches_dense_D_and_the_euler_flow(contrastive):
    X, Xp, Xn = _points()
    dm = losses.data_matrix(X, Xp, Xn if contrastive else None)
    Z, D = training.output_factor(X, Xp, Xn if contrastive else None)
    np.testing.assert_array_equal(D, dm.dense_D())
    C = Z.T @ D @ Z
    M0 = manifold.haar_orthonormal(9, 2, 0)
    dense = training.output_flow(Z @ M0, Z @ Z.T, D, 0.02, 40, record=True)
    block = training.output_flow(Z @ M0, None, dm, 0.02, 40, record=True)
    np.testing.assert_allclose(block.trajectory, dense.trajectory, atol=1e-13)
    np.testing.assert_allclose(block.losses, dense.losses, atol=1e-13)
    euler = training.euler_flow(C, M0, 0.02, 40, record=True)
    np.testing.assert_allclose(Z @ euler.trajectory, block.trajectory, atol=1e-12)
    np.testing.assert_allclose(euler.losses, block.losses, atol=1e-12)


def test_euler_flow_is_flow_velocity_bit_for_bit():
    C, W0, V0 = _problem(15)
    M = W0 @ V0
    res = training.euler_flow(C, M, 0.01, 25)
    for _ in range(25):
        M = M + 0.01 * dynamics.flow_velocity(C, M)
    assert np.array_equal(res.M, M)


def test_closed_form_kernels_match_expm_and_closed_form_module():
    from scipy.linalg import expm

    from ssl_notes import closed_form

    C, W0, V0 = _problem(16, d=12, h=5, z=3)
    M0 = W0 @ V0
    lam, Q, K0 = steps.closed_form_setup(C, M0)
    for t in (0.0, 0.2, 1.0):
        loss, B = steps.closed_form_point(lam, Q, K0, t)
        Y = np.linalg.qr(expm(-2.0 * C * t) @ M0)[0]
        np.testing.assert_allclose(B @ B.T, Y @ Y.T, atol=1e-12)
        np.testing.assert_allclose(B.T @ B, np.eye(3), atol=1e-13)
        assert loss == pytest.approx(np.trace(Y.T @ C @ Y), abs=1e-12)
        assert loss == pytest.approx(float(closed_form.loss_curve(C, M0, t)), abs=1e-12)
    loss, B = steps.closed_form_point(lam, Q, K0, 1e6)  # no overflow at any t
    assert np.isfinite(loss) and loss == pytest.approx(lam[:3].sum(), abs=1e-12)


def test_nonlinear_step_matches_autograd_and_svd_polar():
    torch = pytest.importorskip("torch")
    X, Xp, Xn = _points(1)
    dm = losses.data_matrix(X, Xp, Xn)
    rng = np.random.default_rng(2)
    W, V = manifold.haar_orthonormal(9, 6, rng), manifold.haar_orthonormal(6, 2, rng)
    Wt, Vt = (torch.tensor(a, requires_grad=True) for a in (W, V))

    def f(x):
        return torch.tanh(torch.as_tensor(x) @ Wt) @ Vt

    L = losses.contrastive_loss(f, X, Xp, Xn)
    L.backward()
    lr = 0.05
    W1, V1, loss = steps.nonlinear_gd_step(np.asarray(dm.Z), dm.D_blocks, W, V, lr)
    np.testing.assert_allclose(W1, _polar(W - lr * Wt.grad.numpy()), atol=1e-12)
    np.testing.assert_allclose(V1, _polar(V - lr * Vt.grad.numpy()), atol=1e-12)
    assert loss == pytest.approx(L.item(), abs=1e-12)


def test_kernels_run_on_torch_tensors():
    torch = pytest.importorskip("torch")
    C, W, V = _problem(17, d=12, h=6, z=2)
    X, Xp, Xn = _points(3, d=12)
    dm = losses.data_matrix(X, Xp, Xn)
    Z, S = np.array(dm.Z), np.array(dm.D_blocks)
    M = W @ V
    lam, Q, K0 = steps.closed_form_setup(C, M)
    calls = [
        (steps.gd_naive_step, (C, W, V, 0.01, False)),
        (steps.gd_lowrank_step, (C, W, V, 0.01, False)),
        (steps.gd_lowrank_step, (C, W, V, 0.01, True)),
        (steps.gd_qr_step, (C, W, V, 0.01, False)),
        (steps.flow_F_step, (Z @ M, Z @ Z.T, S, 0.01)),
        (steps.flow_M_step, (C, M, 0.01)),
        (steps.closed_form_point, (lam, Q, K0, 0.3)),
        (steps.nonlinear_gd_step, (Z, S, W, V, 0.01)),
    ]
    for kernel, args in calls:
        targs = [torch.as_tensor(a) if isinstance(a, np.ndarray) else a for a in args]
        for a, b in zip(kernel(*args), kernel(*targs), strict=True):
            np.testing.assert_allclose(
                np.asarray(b), a, atol=1e-12, err_msg=kernel.__name__
            )
    tsetup = steps.closed_form_setup(torch.as_tensor(C), torch.as_tensor(M))
    loss, B = steps.closed_form_point(*tsetup, 0.3)  # eigenvector signs may differ
    loss0, B0 = steps.closed_form_point(lam, Q, K0, 0.3)
    assert float(loss) == pytest.approx(loss0, abs=1e-12)
    np.testing.assert_allclose((B @ B.T).numpy(), B0 @ B0.T, atol=1e-12)


def test_route_flops():
    d, z, m = 784, 10, 1200
    for r in steps.ROUTES:
        assert steps.route_flops(r, d, z, z, m) > 0
    for r in ("flow_F", "flow_M", "closed_form"):  # no h
        assert steps.route_flops(r, d, z, z, m) == steps.route_flops(r, d, d, z, m)
    assert steps.route_flops("gd_naive", d, d, z, m) > 100 * steps.route_flops(
        "flow_M", d, d, z, m
    )
    assert steps.route_flops("gd_lowrank", d, d, z, m) < 10 * steps.route_flops(
        "flow_M", d, d, z, m
    )
    with pytest.raises(ValueError, match="route"):
        steps.route_flops("gd_fast", d, d, z, m)


def test_new_arguments_bad_input():
    C, W0, V0 = _problem(18)
    with pytest.raises(ValueError, match="method: expected one of"):
        training.projected_gd(C, W0, V0, 0.1, 1, method="svd")
    with pytest.raises(TypeError, match="record"):
        training.projected_gd(C, W0, V0, 0.1, 1, record=1)
    X, Xp, Xn = _points()
    dm = losses.data_matrix(X, Xp, Xn)
    F0 = np.asarray(dm.Z) @ manifold.haar_orthonormal(9, 2, 0)
    with pytest.raises(ValueError, match="D: a DataMatrix of 21 points"):
        training.output_flow(F0[:20], None, dm, 0.1, 1)
    with pytest.raises(ValueError, match="K: expected shape"):
        training.output_flow(F0, np.eye(20), dm, 0.1, 1)
    with pytest.raises(ValueError, match="D: expected shape"):
        training.output_flow(F0, np.eye(21), np.eye(20), 0.1, 1)
    with pytest.raises(ValueError, match="D: expected a symmetric"):
        training.output_flow(F0, np.eye(21), np.triu(np.ones((21, 21))), 0.1, 1)
    with pytest.raises(ValueError, match="lr"):
        training.output_flow(F0, None, dm, float("nan"), 1)
    with pytest.raises(TypeError, match="F0"):
        training.output_flow(F0 + 0j, None, dm, 0.1, 1)
    with pytest.raises(ValueError, match="M0: expected 15 rows"):
        training.euler_flow(C, manifold.haar_orthonormal(9, 2, 0), 0.1, 1)
    with pytest.raises(ValueError, match="steps"):
        training.euler_flow(C, W0 @ V0, 0.1, 0)

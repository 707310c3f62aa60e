"""The machinery of the chapter bridge (ssl_notes.experiments.bridge).

Each check passes on the right input and fails on a wrong one: Oja's flow or a wrong
kappa instead of the closed wide flow, a wrong rate factor, a wrong size of M(0),
a noise floor without the 1/B or of order eta^2.
"""

from __future__ import annotations

import numpy as np
import pytest

from ssl_notes import manifold
from ssl_notes.experiments import bridge as br


@pytest.fixture(scope="module")
def C():
    lam = np.linspace(-1.0, 0.5, 6)
    Q = manifold.haar_orthonormal(6, 6, 0)
    return (Q * lam) @ Q.T


@pytest.mark.parametrize("metric", list(br.KAPPA))
def test_closure_holds_at_every_width_and_oja_fails(C, metric):
    ok = br.closure_check(C, 2, (6, 12, 48), metric=metric, rng=1)
    assert ok.passed and np.all(ok.rel_err < 1e-14)
    oja = br.closure_check(C, 2, (12, 48), metric=metric, velocity=br.oja_velocity)
    assert not oja.passed and np.all(oja.rel_err > 0.1)


@pytest.mark.parametrize("metric", list(br.KAPPA))
def test_wrong_kappa_fails(C, metric):
    other = {"grassmann": "euclidean", "euclidean": "canonical"}.get(
        metric, "grassmann"
    )

    def wrong(C, M, metric):  # the closed form of another metric
        return br.closed_velocity(C, M, other)

    assert not br.closure_check(C, 2, (12,), metric=metric, velocity=wrong).passed


def test_square_width_is_oja_and_canonical_is_twice_oja(C):
    assert br.closure_check(C, 2, (6,), velocity=br.oja_velocity).passed
    M = manifold.haar_orthonormal(12, 6, 3).T @ manifold.haar_orthonormal(12, 2, 4)
    np.testing.assert_allclose(
        br.closed_velocity(C, M, "canonical"), 2 * br.oja_velocity(C, M), atol=1e-14
    )


def test_factor_flow_and_closed_flow_agree(C):
    assert br.flow_agreement(C, 2, (6, 24), T=2.0, rng=2).passed


def test_start_scale_is_zd_over_h_not_z_over_h():
    s = br.start_scale(6, 2, (6, 24, 96), n_draws=100, rng=3)
    assert np.all(np.abs(s.frob_ratio - 1) < 4 * s.frob_se + 1e-12)
    # the claim ||M||_F^2 ~ z/h is off by the factor d = 6
    assert np.all(np.abs(s.frob_ratio * 6 - 1) > 4 * 6 * s.frob_se)


def test_limit_and_rate(C):
    runs = br.limit_runs(C, 2, (6, 24, 96), T=60.0, n_times=61, rng=4)
    assert np.all(runs.angle[:, -1] < 1e-7) and np.all(runs.defect[:, -1] < 1e-8)
    np.testing.assert_allclose(runs.loss[:, -1], runs.target, atol=1e-9)
    assert br.tail_rate_check(runs, C).passed
    assert not br.tail_rate_check(runs, C, factor=3.0).passed  # kappa = 1's rate
    assert not br.tail_rate_check(runs, C, metric="euclidean").passed


def _pca(seed=5):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((300, 5)) * np.array([2.0, 1.5, 1.0, 0.7, 0.4])
    return br.pca_coordinates(X, 5)[0]


def test_pca_coordinates_have_diagonal_descending_covariance():
    Xr, s = br.pca_coordinates(_pca(), 4)
    S = Xr.T @ Xr / len(Xr)
    np.testing.assert_allclose(S, np.diag(s), atol=1e-12)
    assert np.all(np.diff(s) < 0)


def test_plateau_theory_matches_sgd_and_wrong_floors_fail():
    X = _pca()
    A = br.sgd_plateau_theory(X, 1, 0.3)
    settings = [(0.01, 4), (0.005, 4), (0.01, 16)]
    sweep = br.sgd_sweep(X, 1, 0.3, settings, 6.0, n_seeds=24, rng=6, n_records=20)
    assert br.plateau_check(sweep, A).passed
    assert not br.plateau_check(sweep, A, predict=lambda a, lr, b: a * lr).passed
    assert not br.plateau_check(
        sweep, A, predict=lambda a, lr, b: 2 * a * lr / b
    ).passed


def test_plateau_theory_refuses_raw_coordinates():
    X = np.random.default_rng(0).standard_normal((50, 4)) + 3.0
    with pytest.raises(ValueError, match="X"):
        br.sgd_plateau_theory(X, 1, 0.1)


def test_bad_input_is_named(C):
    with pytest.raises(ValueError, match="widths"):
        br.closure_check(C, 2, (4,))
    with pytest.raises(ValueError, match="z"):
        br.closure_check(C, 7, (6,))
    with pytest.raises(ValueError, match="W"):
        br.factor_velocity_t1(C, 2 * manifold.haar_orthonormal(8, 6, 0),
                              manifold.haar_orthonormal(8, 2, 0))  # fmt: skip
    with pytest.raises(ValueError, match="settings"):
        br.sgd_sweep(_pca(), 1, 0.1, [(0.03, 4)], 1.0, n_records=7)
    with pytest.raises(TypeError, match="sweep"):
        br.plateau_check("no", 1.0)


# ------------------------------------------------------------------ real augmentations


def test_shift_images_moves_one_pixel_within_the_range():
    X = np.zeros((50, 784))
    X[:, 14 * 28 + 14] = 1.0
    out = br.shift_images(X, 2, rng=0).reshape(50, 28, 28)
    r, c = np.nonzero(out)[1:]
    assert (
        out.sum() == 50 and np.all(np.abs(r - 14) <= 2) and np.all(np.abs(c - 14) <= 2)
    )
    assert len(set(zip(r, c, strict=True))) > 10  # the offsets vary


@pytest.fixture(scope="module")
def small_problem():
    from ssl_notes import data

    images, _ = data.mnist_digits((0, 1), 20, rng=0)
    return br.shift_problem(images, 8, max_shift=2, rng=1)


def test_shift_problem_builds_the_data_matrix(small_problem):
    from ssl_notes import losses

    p = small_problem
    np.testing.assert_allclose(p.X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_array_equal(p.X[p.neg_index], p.X_neg)
    np.testing.assert_allclose(
        p.C, losses.contrastive_matrix(p.X, p.X_pos, p.X_neg), atol=1e-14
    )


def test_twin_flow_sweep_identity_twin_is_exact_and_kappa_one_wins(small_problem):
    lr = 0.05 / np.max(np.abs(np.linalg.eigvalsh(small_problem.C)))
    lin = br.twin_flow_sweep(small_problem, (8, 32), 2, lr, 40, 4, "identity", rng=2)
    assert np.max(lin.gap_nl_lin) < 1e-12 and np.max(lin.angle_nl_lin) < 1e-6
    assert np.max(lin.gap_lin_flow) < np.max(lin.gap_lin_flow0) / 2
    tanh = br.twin_flow_sweep(small_problem, (8, 128), 2, lr, 40, 4, "tanh", rng=2)
    assert tanh.gap_nl_lin[1].max() < tanh.gap_nl_lin[0].max()


def test_width_slope_recovers_a_power_law():
    assert br.width_slope((8, 32, 128), [1.0, 0.25, 0.0625]) == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="values"):
        br.width_slope((8, 32), [1.0, -1.0])


def test_kernel_path_linear_network(small_problem):
    lr = 0.05 / np.max(np.abs(np.linalg.eigvalsh(small_problem.C)))
    kp = br.kernel_path(small_problem, (8, 32), 2, lr, 40, 4, 6, "identity", rng=3)
    np.testing.assert_allclose(kp.to_linear, 0, atol=1e-12)  # the formula is exact
    np.testing.assert_allclose(kp.free_to_lemma1, 0, atol=1e-12)
    np.testing.assert_allclose(kp.drift, kp.drift_linear, atol=1e-12)
    np.testing.assert_allclose(kp.cross[0], 0, atol=1e-12)  # h = d: no cross blocks
    assert kp.drift[1, -1] > 0.1  # the kernel moves


def test_projected_linear_kernel_limits():
    X = np.random.default_rng(0).standard_normal((5, 4))
    K0 = br.projected_linear_kernel(X, np.zeros((4, 2)))
    np.testing.assert_allclose(K0, 2 * (X @ X.T)[:, :, None, None] * np.eye(2))
    M = np.linalg.qr(np.random.default_rng(1).standard_normal((4, 2)))[0]
    K1 = br.projected_linear_kernel(X, M)
    np.testing.assert_allclose(K1[:, :, 0, 1], 0, atol=1e-14)
    np.testing.assert_allclose(K1[:, :, 0, 0], X @ (np.eye(4) - M @ M.T) @ X.T)

"""batched_gd.projected_sgd: projected SGD with fresh samples (issue 16)."""

from __future__ import annotations

import numpy as np
import pytest

from ssl_notes import batched_gd, manifold


def _data(n=400, d=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * np.array([2.0, 1.5, 1.0, 0.7, 0.4])[:d]
    return X - X.mean(axis=0)


def test_iterates_stay_orthonormal_and_are_reproducible():
    X = _data()
    M0 = manifold.haar_orthonormal(5, 2, 1)
    a = batched_gd.projected_sgd(X, M0, 0.3, 0.01, 4, 50, rng=3, every=10, runs=3)
    b = batched_gd.projected_sgd(X, M0, 0.3, 0.01, 4, 50, rng=3, every=10, runs=3)
    assert a.M.shape == (6, 3, 5, 2) and np.allclose(a.times, np.arange(6) * 0.1)
    np.testing.assert_array_equal(a.M, b.M)
    gram = np.einsum("krdi,krdj->krij", a.M, a.M)
    assert np.max(np.abs(gram - np.eye(2))) < 1e-12
    assert not np.allclose(a.M[-1, 0], a.M[-1, 1])  # the runs are independent


def test_mean_step_is_the_step_of_minus_covariance():
    """One step from M0 with many runs: the mean is polar(M0 + 2 eta Cov M0)."""
    X = _data()
    S = X.T @ X / len(X)
    M0 = manifold.haar_orthonormal(5, 2, 2)
    lr, runs = 0.01, 1000
    run = batched_gd.projected_sgd(X, M0, 0.5, lr, 20, 1, rng=4, runs=runs)
    mean = run.M[1].mean(axis=0)
    right = manifold.project_orthonormal(M0 + 2 * lr * S @ M0)
    wrong = manifold.project_orthonormal(M0 - 2 * lr * S @ M0)  # E[C] = +Cov
    spread = run.M[1].std(axis=0).max() / np.sqrt(runs)
    assert np.max(np.abs(mean - right)) < 5 * spread + 2 * lr**2 * 25
    assert np.max(np.abs(mean - wrong)) > 10 * spread


def test_bad_input_is_named():
    X = _data()
    M0 = manifold.haar_orthonormal(5, 2, 1)
    with pytest.raises(ValueError, match="M0"):
        batched_gd.projected_sgd(X, 2 * M0, 0.1, 0.01, 2, 2)
    with pytest.raises(ValueError, match="M0"):
        batched_gd.projected_sgd(X[:, :4], M0, 0.1, 0.01, 2, 2)
    with pytest.raises(ValueError, match="steps"):
        batched_gd.projected_sgd(X, M0, 0.1, 0.01, 2, 10**7)
    with pytest.raises(ValueError, match="sigma"):
        batched_gd.projected_sgd(X, M0, -0.1, 0.01, 2, 2)

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssl_notes import manifold


@settings(max_examples=40, deadline=None)
@given(m=st.integers(1, 30), k=st.integers(1, 30), seed=st.integers(0, 2**16))
def test_haar_orthonormal_has_orthonormal_columns(m, k, seed):
    if k > m:
        with pytest.raises(ValueError, match="k <= m"):
            manifold.haar_orthonormal(m, k, seed)
        return
    Q = manifold.haar_orthonormal(m, k, seed)
    assert Q.shape == (m, k)
    assert manifold.is_orthonormal(Q, tol=1e-12)


def test_haar_is_rotation_invariant_in_law():
    """First column of a Haar matrix is uniform on the sphere: E[q q^T] = I/m and,
    crucially for the QR sign convention, E[Q_11] = 0 (without the sign fix, LAPACK's
    R_11 < 0 convention makes Q_11 biased)."""
    m, reps = 4, 20000
    rng = np.random.default_rng(7)
    q11 = np.array([manifold.haar_orthonormal(m, 2, rng)[0, 0] for _ in range(reps)])
    q = np.array([manifold.haar_orthonormal(m, 1, rng)[:, 0] for _ in range(reps)])
    # std of Q_11 is 1/sqrt(m) = 0.5; the mean of 20000 draws has sd 0.0035
    assert abs(q11.mean()) < 5 * 0.5 / np.sqrt(reps)
    second = q.T @ q / reps
    assert np.max(np.abs(second - np.eye(m) / m)) < 0.02


def test_unsigned_qr_would_fail_the_same_test():
    """The check above can fail: numpy's raw QR gives a biased first entry."""
    rng = np.random.default_rng(7)
    vals = [np.linalg.qr(rng.standard_normal((4, 2)))[0][0, 0] for _ in range(20000)]
    assert abs(np.mean(vals)) > 0.1


@settings(max_examples=40, deadline=None)
@given(m=st.integers(1, 12), k=st.integers(1, 12), seed=st.integers(0, 2**16))
def test_polar_projection_is_the_nearest_orthonormal_matrix(m, k, seed):
    if k > m:
        return
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, k))
    P = manifold.project_orthonormal(A)
    assert manifold.is_orthonormal(P, tol=1e-12)
    # polar identities: P^T A is symmetric positive definite, A = P (A^T A)^{1/2}
    S = P.T @ A
    np.testing.assert_allclose(S, S.T, atol=1e-12)
    assert np.all(np.linalg.eigvalsh((S + S.T) / 2) > 0)
    # nearest: no random orthonormal matrix is closer
    d0 = np.linalg.norm(P - A)
    for _ in range(20):
        Q = manifold.haar_orthonormal(m, k, rng)
        assert np.linalg.norm(Q - A) >= d0 - 1e-12
    # idempotent on the manifold
    np.testing.assert_allclose(manifold.project_orthonormal(P), P, atol=1e-12)


def test_projection_bad_input():
    with pytest.raises(ValueError, match="rank deficient"):
        manifold.project_orthonormal(np.array([[1.0, 2.0], [2.0, 4.0], [0.0, 0.0]]))
    with pytest.raises(ValueError, match="columns"):
        manifold.project_orthonormal(np.ones((2, 3)))
    with pytest.raises(ValueError, match="NaN"):
        manifold.project_orthonormal(np.array([[np.nan], [1.0]]))
    with pytest.raises(TypeError, match="m"):
        manifold.haar_orthonormal(3.0, 2)
    with pytest.raises(ValueError, match="k"):
        manifold.haar_orthonormal(3, 0)


def test_is_orthonormal():
    assert manifold.is_orthonormal(np.eye(3)[:, :2])
    assert not manifold.is_orthonormal(2 * np.eye(3)[:, :2])
    assert not manifold.is_orthonormal(np.ones((2, 3)))

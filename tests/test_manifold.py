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


# --- projections onto the norm balls of Propositions 2 and 3 -------------------------


def _feasible_points(rng, shape, radius, kind, count=30):
    """Points of the Frobenius or operator-norm ball, on and inside the sphere."""
    pts = []
    for _ in range(count):
        Y = rng.standard_normal(shape)
        nrm = np.linalg.norm(Y) if kind == "frobenius" else np.linalg.norm(Y, 2)
        pts.append(Y * radius * rng.uniform(0.2, 1.0) / nrm)
    return pts


@settings(max_examples=40, deadline=None)
@given(
    m=st.integers(1, 8),
    k=st.integers(1, 8),
    radius=st.floats(0.1, 5.0),
    scale=st.floats(0.01, 10.0),
    seed=st.integers(0, 2**16),
)
def test_frobenius_ball_projection_is_the_nearest_point(m, k, radius, scale, seed):
    rng = np.random.default_rng(seed)
    A = scale * rng.standard_normal((m, k))
    P = manifold.project_frobenius_ball(A, radius)
    assert np.linalg.norm(P) <= radius * (1 + 1e-12)
    if np.linalg.norm(A) <= radius:
        np.testing.assert_array_equal(P, A)
    else:  # a positive multiple of A on the sphere
        assert abs(np.linalg.norm(P) - radius) <= 1e-12 * radius
        np.testing.assert_allclose(
            P * np.linalg.norm(A) / radius, A, rtol=1e-12, atol=1e-12
        )
    # projection onto a convex set: <A - P, Y - P> <= 0 for every feasible Y
    for Y in _feasible_points(rng, A.shape, radius, "frobenius"):
        assert np.sum((A - P) * (Y - P)) <= 1e-10 * (1 + np.linalg.norm(A) ** 2)
    np.testing.assert_allclose(
        manifold.project_frobenius_ball(P, radius), P, atol=1e-14
    )


@settings(max_examples=40, deadline=None)
@given(
    m=st.integers(1, 8),
    k=st.integers(1, 8),
    radius=st.floats(0.1, 5.0),
    scale=st.floats(0.01, 10.0),
    seed=st.integers(0, 2**16),
)
def test_operator_ball_projection_clips_and_is_the_nearest_point(
    m, k, radius, scale, seed
):
    rng = np.random.default_rng(seed)
    A = scale * rng.standard_normal((m, k))
    P = manifold.project_operator_ball(A, radius)
    s_A = np.linalg.svd(A, compute_uv=False)
    s_P = np.linalg.svd(P, compute_uv=False)
    np.testing.assert_allclose(s_P, np.minimum(s_A, radius), atol=1e-12 * (1 + s_A[0]))
    # same singular vectors: A - P = U diag((s - r)_+) P^T is "aligned" with P,
    # so P^T (A - P) is symmetric PSD
    S = P.T @ (A - P)
    np.testing.assert_allclose(S, S.T, atol=1e-10 * (1 + s_A[0] ** 2))
    assert np.min(np.linalg.eigvalsh((S + S.T) / 2)) >= -1e-10 * (1 + s_A[0] ** 2)
    d0 = np.linalg.norm(A - P)
    for Y in _feasible_points(rng, A.shape, radius, "operator"):
        assert np.linalg.norm(A - Y) >= d0 - 1e-12 * (1 + d0)
        assert np.sum((A - P) * (Y - P)) <= 1e-10 * (1 + s_A[0] ** 2)
    np.testing.assert_allclose(
        manifold.project_operator_ball(P, radius), P, atol=1e-12 * (1 + s_A[0])
    )


def test_operator_projection_keeps_the_column_span_and_repeated_singular_values():
    rng = np.random.default_rng(3)
    A = rng.standard_normal((7, 3)) * 5
    P = manifold.project_operator_ball(A)
    # clipping changes singular values, not singular vectors: same column span
    Qa, Qp = np.linalg.qr(A)[0], np.linalg.qr(P)[0]
    np.testing.assert_allclose(Qa @ Qa.T, Qp @ Qp.T, atol=1e-12)
    # repeated singular values (non-unique SVD): 2 * orthonormal -> orthonormal
    Q = manifold.haar_orthonormal(6, 3, rng)
    np.testing.assert_allclose(manifold.project_operator_ball(2 * Q), Q, atol=1e-12)


def test_rescaling_is_not_the_operator_ball_projection():
    """The nearest-point test above can fail: dividing by ||A||_2 (feasible, same
    direction)
    is farther from A than clipping as soon as the singular values are distinct."""
    rng = np.random.default_rng(4)
    A = rng.standard_normal((6, 3)) * 4
    rescaled = A / np.linalg.norm(A, 2)
    assert (
        np.linalg.norm(A - rescaled)
        > np.linalg.norm(A - manifold.project_operator_ball(A)) + 0.1
    )
    # and the Frobenius projection of a matrix outside both balls is a different point
    assert (
        np.linalg.norm(
            manifold.project_frobenius_ball(A, 1.0)
            - manifold.project_operator_ball(A, 1.0)
        )
        > 0.1
    )


def test_ball_projection_bad_input():
    for proj in (manifold.project_frobenius_ball, manifold.project_operator_ball):
        with pytest.raises(ValueError, match="radius"):
            proj(np.eye(2), 0.0)
        with pytest.raises(ValueError, match="radius"):
            proj(np.eye(2), -1.0)
        with pytest.raises(ValueError, match="radius"):
            proj(np.eye(2), np.inf)
        with pytest.raises(TypeError, match="radius"):
            proj(np.eye(2), True)
        with pytest.raises(TypeError, match="radius"):
            proj(np.eye(2), "1")
        with pytest.raises(ValueError, match="NaN"):
            proj(np.array([[np.nan, 1.0]]), 1.0)
        with pytest.raises(ValueError, match="2-D"):
            proj(np.ones(3), 1.0)


def test_polar_project_torch_matches_manifold():
    import torch

    A = np.random.default_rng(0).standard_normal((9, 4))
    P = manifold.polar_project_torch(torch.as_tensor(A)).numpy()
    np.testing.assert_allclose(P, manifold.project_orthonormal(A), atol=1e-13)
    with pytest.raises(ValueError, match="rank deficient"):
        manifold.polar_project_torch(torch.zeros(5, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match="columns"):
        manifold.polar_project_torch(torch.zeros(2, 5, dtype=torch.float64))
    with pytest.raises(TypeError, match="A"):
        manifold.polar_project_torch(A)


def test_polar_project_torch_on_a_stack():
    import torch

    A = np.random.default_rng(1).standard_normal((3, 7, 2))
    P = manifold.polar_project_torch(torch.as_tensor(A)).numpy()
    for b in range(3):
        np.testing.assert_allclose(P[b], manifold.project_orthonormal(A[b]), atol=1e-13)
    A[1, :, 1] = A[1, :, 0]
    with pytest.raises(ValueError, match="rank deficient"):
        manifold.polar_project_torch(torch.as_tensor(A))


def test_polar_project_torch_rejects_bad_tensors():
    import torch

    A = torch.ones(4, 2, dtype=torch.float64)
    with pytest.raises(TypeError, match="A: expected a real floating tensor"):
        manifold.polar_project_torch(A.to(torch.complex128))
    with pytest.raises(TypeError, match="A: expected a real floating tensor"):
        manifold.polar_project_torch(A.bool())
    with pytest.raises(TypeError, match="A: expected a real floating tensor"):
        manifold.polar_project_torch(A.long())
    with pytest.raises(ValueError, match="A: contains NaN"):
        manifold.polar_project_torch(
            torch.full((4, 2), float("nan"), dtype=torch.float64)
        )
    with pytest.raises(ValueError, match=r"A: expected matrices"):
        manifold.polar_project_torch(torch.ones(3, dtype=torch.float64))
    with pytest.raises(ValueError, match="A: expected a non-empty"):
        manifold.polar_project_torch(torch.ones(0, 4, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match="rcond"):
        manifold.polar_project_torch(
            torch.eye(3, dtype=torch.float64), rcond=float("nan")
        )


def test_importing_manifold_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, ssl_notes.manifold, ssl_notes.wide_bounds, ssl_notes.kernels; "
    code += "import ssl_notes.activations; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


@pytest.mark.parametrize(
    "call, err, match",
    [
        (
            lambda: manifold.project_orthonormal(np.eye(3), rcond=float("nan")),
            ValueError,
            "rcond",
        ),
        (
            lambda: manifold.project_orthonormal(np.eye(3), rcond=-1.0),
            ValueError,
            "rcond",
        ),
        (
            lambda: manifold.project_orthonormal(np.eye(3) + 0j),
            TypeError,
            "A: expected a real",
        ),
        (lambda: manifold.project_orthonormal(np.eye(3, dtype=bool)), TypeError, "A"),
        (
            lambda: manifold.project_orthonormal(np.array([["1", "0"]]).T),
            TypeError,
            "A",
        ),
        (
            lambda: manifold.is_orthonormal(np.eye(3), tol=float("nan")),
            ValueError,
            "tol",
        ),
        (lambda: manifold.is_orthonormal(np.eye(3), tol=0.0), ValueError, "tol"),
        (lambda: manifold.is_orthonormal(np.eye(3), tol=True), TypeError, "tol"),
        (lambda: manifold.qr_positive(np.eye(3), validate=1), TypeError, "validate"),
        (lambda: manifold.haar_orthonormal(True, 1), TypeError, "m"),
        (
            lambda: manifold.haar_orthonormal(10**6, 100),
            ValueError,
            "would take minutes",
        ),
        (
            lambda: manifold.project_frobenius_ball(np.eye(2), radius=np.nan),
            ValueError,
            "radius",
        ),
    ],
)
def test_manifold_input_checks_name_the_argument(call, err, match):
    with pytest.raises(err, match=match):
        call()

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ssl_notes import losses


def _triple(rng, n, d):
    return (
        rng.standard_normal((n, d)),
        rng.standard_normal((n, d)),
        rng.standard_normal((n, d)),
    )


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(2, 20),
    d=st.integers(1, 8),
    z=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_trace_identity_contrastive_and_noncontrastive(n, d, z, seed):
    rng = np.random.default_rng(seed)
    X, Xp, Xn = _triple(rng, n, d)
    M = rng.standard_normal((d, z))

    def f(A):
        return A @ M

    Cc = losses.contrastive_matrix(X, Xp, Xn)
    Cn = losses.noncontrastive_matrix(X, Xp)
    assert np.array_equal(Cc, Cc.T) and np.array_equal(Cn, Cn.T)
    scale = 1 + np.abs(X @ M).sum() * np.abs((Xp - Xn) @ M).sum()
    assert (
        abs(losses.contrastive_loss(f, X, Xp, Xn) - losses.trace_loss(Cc, M))
        < 1e-13 * scale
    )
    assert (
        abs(losses.noncontrastive_loss(f, X, Xp) - losses.trace_loss(Cn, M))
        < 1e-13 * scale
    )


def test_losses_match_their_definitions_on_a_tiny_example():
    X = np.array([[1.0, 0.0], [0.0, 2.0]])
    Xp = np.array([[1.0, 1.0], [0.0, 1.0]])
    Xn = np.array([[0.0, 2.0], [1.0, 0.0]])

    def f(A):  # identity embedding, z = d
        return A

    # by hand: -(1/2) * ( [1,0].([1,1]-[0,2]) + [0,2].([0,1]-[1,0]) ) = -(1/2)(1 + 2)
    assert losses.contrastive_loss(f, X, Xp, Xn) == pytest.approx(-1.5, abs=1e-15)
    # -(1/2) * ([1,0].[1,1] + [0,2].[0,1]) = -(1/2)(1 + 2)
    assert losses.noncontrastive_loss(f, X, Xp) == pytest.approx(-1.5, abs=1e-15)
    # then Tr(C) with M = I equals the same numbers
    assert np.trace(losses.contrastive_matrix(X, Xp, Xn)) == pytest.approx(
        -1.5, abs=1e-15
    )


def test_losses_work_with_torch_and_give_gradient_2CM(rng):
    X, Xp, Xn = _triple(rng, 30, 5)
    M = rng.standard_normal((5, 2))
    Mt = torch.tensor(M, requires_grad=True)
    L = losses.contrastive_loss(
        lambda A: A @ Mt, *(torch.tensor(a) for a in (X, Xp, Xn))
    )
    L.backward()
    C = losses.contrastive_matrix(X, Xp, Xn)
    np.testing.assert_allclose(Mt.grad.numpy(), 2 * C @ M, rtol=1e-12, atol=1e-14)


def test_scalar_embedding_is_accepted(rng):
    X, Xp, Xn = _triple(rng, 10, 3)
    w = rng.standard_normal(3)
    a = losses.contrastive_loss(lambda A: A @ w, X, Xp, Xn)
    b = losses.contrastive_loss(lambda A: (A @ w)[:, None], X, Xp, Xn)
    assert a == b


def test_bad_input_is_named(rng):
    X, Xp, Xn = _triple(rng, 10, 3)
    with pytest.raises(ValueError, match="same shape"):
        losses.contrastive_matrix(X, Xp[:5], Xn)
    with pytest.raises(ValueError, match="X_neg"):
        losses.contrastive_matrix(X, Xp, np.full((10, 3), np.inf))
    with pytest.raises(ValueError, match="symmetric"):
        losses.trace_loss(np.array([[0.0, 1.0], [0.0, 0.0]]), np.ones((2, 1)))
    with pytest.raises(ValueError, match="square"):
        losses.trace_loss(np.ones((2, 3)), np.ones((2, 1)))
    with pytest.raises(ValueError, match="M"):
        losses.trace_loss(np.eye(3), np.ones((2, 1)))
    with pytest.raises(ValueError, match=r"f\(X\)"):
        losses.noncontrastive_loss(lambda A: A[:3], X, Xp)
    with pytest.raises(ValueError, match="NaN"):
        losses.noncontrastive_loss(
            lambda A: A, torch.tensor(X), torch.full((10, 3), float("nan"))
        )


# ---- C = Z^T D Z from the points (losses.data_matrix) --------------------------------


@pytest.mark.parametrize("contrastive", [True, False])
def test_data_matrix_reproduces_C(rng, contrastive):
    X, Xp, Xn = _triple(rng, 12, 5)
    dm = losses.data_matrix(X, Xp, Xn if contrastive else None)
    ref = (
        losses.contrastive_matrix(X, Xp, Xn)
        if contrastive
        else losses.noncontrastive_matrix(X, Xp)
    )
    assert (dm.k, dm.n, dm.m, dm.d) == (3 if contrastive else 2, 12, dm.k * 12, 5)
    np.testing.assert_allclose(dm.Z.T @ dm.dense_D() @ dm.Z, ref, atol=1e-12)
    np.testing.assert_allclose(dm.C(), ref, atol=1e-12)
    assert np.array_equal(dm.C(), dm.C().T)
    F = rng.standard_normal((dm.m, 3))
    np.testing.assert_allclose(dm.apply_D(F), dm.dense_D() @ F, atol=1e-15)
    np.testing.assert_allclose(dm.apply_D(F[:, 0]), dm.dense_D() @ F[:, 0], atol=1e-15)
    M = rng.standard_normal((5, 2))
    assert np.sum((dm.Z @ M) * dm.apply_D(dm.Z @ M)) == pytest.approx(
        losses.trace_loss(ref, M), abs=1e-12
    )


def test_data_matrix_is_immutable_and_checks_input(rng):
    import dataclasses

    X, Xp, Xn = _triple(rng, 6, 3)
    dm = losses.data_matrix(X, Xp, Xn)
    with pytest.raises(dataclasses.FrozenInstanceError):
        dm.Z = X
    with pytest.raises(ValueError):
        dm.Z[0, 0] = 1.0
    with pytest.raises(ValueError, match="same shape"):
        losses.data_matrix(X, Xp[:5], Xn)
    with pytest.raises(TypeError, match="X_pos"):
        losses.data_matrix(X, Xp + 1j, Xn)
    with pytest.raises(TypeError, match="X_neg"):
        losses.data_matrix(X, Xp, Xn > 0)
    with pytest.raises(ValueError, match="F: expected shape"):
        dm.apply_D(np.ones((17, 2)))
    with pytest.raises(TypeError, match="F"):
        dm.apply_D(np.ones((18, 2), dtype=complex))


def test_losses_reject_silent_casts(rng):
    X, Xp, Xn = _triple(rng, 5, 3)
    with pytest.raises(TypeError, match="f: expected a callable"):
        losses.contrastive_loss(None, X, Xp, Xn)
    with pytest.raises(TypeError, match="X_pos"):
        losses.noncontrastive_loss(lambda A: A, X, Xp.astype(str))
    with pytest.raises(TypeError, match="X"):
        losses.noncontrastive_loss(lambda A: A, torch.tensor(X) + 0j, torch.tensor(Xp))
    with pytest.raises(TypeError, match=r"f\(X\)"):
        losses.noncontrastive_loss(lambda A: A + 1j, X, Xp)
    with pytest.raises(TypeError, match="C:"):
        losses.trace_loss(np.eye(3) + 0j, np.ones((3, 1)))
    with pytest.raises(TypeError, match="M:"):
        losses.trace_loss(np.eye(3), np.ones((3, 1), dtype=bool))
    with pytest.raises(ValueError, match=r"f\(X\)"):
        losses.contrastive_loss(lambda A: A * np.nan, X, Xp, Xn)

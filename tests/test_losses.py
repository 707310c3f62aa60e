import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ssl_notes import losses


def _triple(rng, n, d):
    return rng.standard_normal((n, d)), rng.standard_normal((n, d)), rng.standard_normal((n, d))


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 20), d=st.integers(1, 8), z=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_trace_identity_contrastive_and_noncontrastive(n, d, z, seed):
    rng = np.random.default_rng(seed)
    X, Xp, Xn = _triple(rng, n, d)
    M = rng.standard_normal((d, z))
    f = lambda A: A @ M
    Cc = losses.contrastive_matrix(X, Xp, Xn)
    Cn = losses.noncontrastive_matrix(X, Xp)
    assert np.array_equal(Cc, Cc.T) and np.array_equal(Cn, Cn.T)
    scale = 1 + np.abs(X @ M).sum() * np.abs((Xp - Xn) @ M).sum()
    assert abs(losses.contrastive_loss(f, X, Xp, Xn) - losses.trace_loss(Cc, M)) < 1e-13 * scale
    assert abs(losses.noncontrastive_loss(f, X, Xp) - losses.trace_loss(Cn, M)) < 1e-13 * scale


def test_losses_match_their_definitions_on_a_tiny_example():
    X = np.array([[1.0, 0.0], [0.0, 2.0]])
    Xp = np.array([[1.0, 1.0], [0.0, 1.0]])
    Xn = np.array([[0.0, 2.0], [1.0, 0.0]])
    f = lambda A: A  # identity embedding, z = d
    # by hand: -(1/2) * ( [1,0].([1,1]-[0,2]) + [0,2].([0,1]-[1,0]) ) = -(1/2)(1 + 2)
    assert losses.contrastive_loss(f, X, Xp, Xn) == pytest.approx(-1.5, abs=1e-15)
    # -(1/2) * ([1,0].[1,1] + [0,2].[0,1]) = -(1/2)(1 + 2)
    assert losses.noncontrastive_loss(f, X, Xp) == pytest.approx(-1.5, abs=1e-15)
    # then Tr(C) with M = I equals the same numbers
    assert np.trace(losses.contrastive_matrix(X, Xp, Xn)) == pytest.approx(-1.5, abs=1e-15)


def test_losses_work_with_torch_and_give_gradient_2CM(rng):
    X, Xp, Xn = _triple(rng, 30, 5)
    M = rng.standard_normal((5, 2))
    Mt = torch.tensor(M, requires_grad=True)
    L = losses.contrastive_loss(lambda A: A @ Mt, *(torch.tensor(a) for a in (X, Xp, Xn)))
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
        losses.noncontrastive_loss(lambda A: A, torch.tensor(X), torch.full((10, 3), float("nan")))

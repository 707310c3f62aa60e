"""Tests of ssl_notes.losses.spectral_contrastive_loss (HaoChen et al. 2021)."""

import numpy as np
import pytest
import torch

from ssl_notes import losses


def test_matches_the_definition(rng):
    X, Xp = rng.standard_normal((6, 3)), rng.standard_normal((6, 3))
    M = rng.standard_normal((3, 2))
    F, Fp = X @ M, Xp @ M
    n = 6
    quad = sum((F[i] @ Fp[j]) ** 2 for i in range(n) for j in range(n) if i != j) / (
        n * (n - 1)
    )
    ref = -2 * np.mean(np.sum(F * Fp, 1)) + quad
    assert losses.spectral_contrastive_loss(lambda A: A @ M, X, Xp) == pytest.approx(
        ref, rel=1e-13
    )


def test_couples_output_dimensions(rng):
    """(1) and (2) are sums over output components; the spectral loss is not."""
    X, Xp, Xn = (rng.standard_normal((8, 3)) for _ in range(3))
    M = rng.standard_normal((3, 2))

    def split(L, *a):
        return sum(L(lambda A, k=k: A @ M[:, k : k + 1], *a) for k in range(2))

    assert losses.contrastive_loss(lambda A: A @ M, X, Xp, Xn) == pytest.approx(
        split(losses.contrastive_loss, X, Xp, Xn)
    )
    full = losses.spectral_contrastive_loss(lambda A: A @ M, X, Xp)
    assert abs(full - split(losses.spectral_contrastive_loss, X, Xp)) > 1e-3 * abs(full)


def test_bounded_below_along_rays(rng):
    X = rng.standard_normal((10, 3))
    Xp = X + 0.1 * rng.standard_normal((10, 3))
    M = rng.standard_normal((3, 2))
    vals = [
        losses.spectral_contrastive_loss(lambda A, a=a: A @ (a * M), X, Xp)
        for a in (1.0, 10.0, 100.0)
    ]
    assert vals[2] > vals[1] > 0  # the quartic term wins at large scale
    assert losses.contrastive_loss(lambda A: A @ (100 * M), X, Xp, X[::-1]) != vals[2]


def test_torch_gradient(rng):
    X, Xp = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    M = torch.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    L = losses.spectral_contrastive_loss(
        lambda A: A @ M, torch.as_tensor(X), torch.as_tensor(Xp)
    )
    L.backward()
    eps = 1e-6
    Mn = M.detach().numpy()
    E = np.zeros_like(Mn)
    E[1, 0] = eps
    fd = (
        losses.spectral_contrastive_loss(lambda A: A @ (Mn + E), X, Xp)
        - losses.spectral_contrastive_loss(lambda A: A @ (Mn - E), X, Xp)
    ) / (2 * eps)
    assert M.grad[1, 0].item() == pytest.approx(fd, rel=1e-7)


def test_bad_input(rng):
    X = rng.standard_normal((4, 3))
    with pytest.raises(ValueError, match="same shape"):
        losses.spectral_contrastive_loss(lambda A: A, X, X[:3])
    with pytest.raises(ValueError, match="at least 2"):
        losses.spectral_contrastive_loss(lambda A: A, X[:1], X[:1])
    with pytest.raises(ValueError, match="NaN"):
        losses.spectral_contrastive_loss(lambda A: A, X, np.full((4, 3), np.nan))

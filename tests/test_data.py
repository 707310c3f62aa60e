import numpy as np
import pytest

from ssl_notes import data


def test_two_moons_shape_and_reproducible():
    X, y = data.two_moons(101, noise=0.1, rng=3)
    assert X.shape == (101, 2) and X.dtype == np.float64 and y.shape == (101,)
    assert set(np.unique(y)) == {0, 1}
    X2, _ = data.two_moons(101, noise=0.1, rng=3)
    np.testing.assert_array_equal(X, X2)


@pytest.mark.parametrize("n", [0, -5])
def test_two_moons_bad_n(n):
    with pytest.raises(ValueError, match="n"):
        data.two_moons(n)


def test_two_moons_bad_types():
    with pytest.raises(TypeError, match="n"):
        data.two_moons(10.5)
    with pytest.raises(ValueError, match="noise"):
        data.two_moons(10, noise=-1.0)
    with pytest.raises(TypeError, match="rng"):
        data.two_moons(10, rng="seed")


def test_mnist_digits_offline_scaled_balanced():
    X, y = data.mnist_digits((3, 7), per_class=20, rng=0)
    assert X.shape == (40, 784)
    assert X.min() >= 0.0 and X.max() <= 1.0 and X.max() > 0.5
    assert np.bincount(y, minlength=10)[[3, 7]].tolist() == [20, 20]


def test_mnist_split_is_disjoint():
    Xtr, ytr, Xte, yte = data.mnist_split(
        (0, 1), per_class=100, test_per_class=50, rng=1
    )
    assert Xtr.shape == (200, 784) and Xte.shape == (100, 784)
    rows_tr = {r.tobytes() for r in Xtr}
    assert not any(r.tobytes() in rows_tr for r in Xte)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(digits=(0, 0)), ValueError, "digits"),
        (dict(digits=(10,)), ValueError, "digits"),
        (dict(digits=()), ValueError, "digits"),
        (dict(digits=(0.5,)), TypeError, "digits"),
        (dict(per_class=0), ValueError, "per_class"),
        (dict(per_class=600), ValueError, "exceeds"),
    ],
)
def test_mnist_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        data.mnist_digits(**kwargs)


def test_gaussian_positives_noise_statistics(rng):
    X = np.zeros((4000, 5))
    Xp = data.gaussian_positives(X, 0.3, rng)
    # sample std of 20000 N(0, 0.09) draws: relative error ~ 1/sqrt(2*20000) = 0.005
    assert abs(Xp.std() - 0.3) < 0.3 * 5 * 0.005
    np.testing.assert_array_equal(data.gaussian_positives(X, 0.0, rng), X)


def test_gaussian_positives_bad_input():
    with pytest.raises(ValueError, match="sigma"):
        data.gaussian_positives(np.ones((3, 2)), -0.1)
    with pytest.raises(ValueError, match="X"):
        data.gaussian_positives(np.array([[np.nan, 1.0]]), 0.1)
    with pytest.raises(ValueError, match="X"):
        data.gaussian_positives(np.ones(3), 0.1)


def test_random_negatives_never_the_anchor_and_uniform(rng):
    n = 7
    X = np.arange(n, dtype=float)[:, None]
    counts = np.zeros((n, n))
    for _ in range(3000):
        Xn, j = data.random_negatives(X, rng, return_index=True)
        np.testing.assert_array_equal(Xn[:, 0], j)
        assert np.all(j != np.arange(n))
        counts[np.arange(n), j] += 1
    off = counts[~np.eye(n, dtype=bool)]
    # each of the 6 other indices has probability 1/6: 500 expected, sd ~ 20
    assert np.all(np.abs(off - 500) < 100)


def test_random_negatives_needs_two_points():
    with pytest.raises(ValueError, match="at least 2"):
        data.random_negatives(np.ones((1, 3)))


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: data.two_moons(10, noise=np.nan), ValueError, "noise"),
        (lambda: data.two_moons(10, noise=True), TypeError, "noise"),
        (lambda: data.two_moons(10, noise="0.1"), TypeError, "noise"),
        (lambda: data.two_moons(True), TypeError, "n"),
        (lambda: data.mnist_digits(digits=None), TypeError, "digits"),
        (lambda: data.mnist_digits(digits="01"), TypeError, "digits"),
        (lambda: data.mnist_digits(digits=np.array([0.0, 1.0])), TypeError, "digits"),
        (lambda: data.mnist_digits(digits=np.array(["0", "1"])), TypeError, "digits"),
        (lambda: data.mnist_digits(digits=(True, False)), TypeError, r"digits\[0\]"),
        (lambda: data.mnist_split(test_per_class=-1), ValueError, "test_per_class"),
        (lambda: data.mnist_split(test_per_class=1.5), TypeError, "test_per_class"),
        (lambda: data.gaussian_positives(np.ones((3, 2)), np.nan), ValueError, "sigma"),
        (lambda: data.gaussian_positives(np.ones((3, 2)), None), TypeError, "sigma"),
        (lambda: data.gaussian_positives(np.ones((3, 2)) + 1j, 0.1), TypeError, "X"),
        (lambda: data.random_negatives(np.ones((3, 2)).astype(str)), TypeError, "X"),
        (
            lambda: data.random_negatives(np.ones((3, 2)), return_index=None),
            TypeError,
            "return_index",
        ),
    ],
)
def test_errors_name_the_argument(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_mnist_digits_accepts_an_integer_array():
    X, y = data.mnist_digits(np.array([3, 7]), per_class=5, rng=0)
    X2, y2 = data.mnist_digits((3, 7), per_class=5, rng=0)
    np.testing.assert_array_equal(X, X2)

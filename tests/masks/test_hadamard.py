"""Walsh–Hadamard maths: Sylvester matrix, sequency order, 2-D patterns, fast transform."""

from __future__ import annotations

import numpy as np
import pytest

from lsi_rig.core.errors import MaskError
from lsi_rig.masks.hadamard import (
    fwht,
    hadamard_matrix,
    ifwht,
    sequency_to_natural,
    walsh_matrix,
    walsh_order_2d,
    walsh_patterns,
)


def _sign_changes(row: np.ndarray) -> int:
    return int(np.count_nonzero(np.diff(row) != 0))


@pytest.mark.parametrize("n", [1, 2, 4, 8, 16, 32, 64])
def test_sylvester_matrix_is_orthogonal_and_symmetric(n: int) -> None:
    h = hadamard_matrix(n).astype(np.int64)
    assert set(np.unique(h).tolist()) <= {-1, 1}
    assert np.array_equal(h @ h.T, n * np.eye(n, dtype=np.int64))
    assert np.array_equal(h, h.T)


def test_sylvester_recursion() -> None:
    h4 = hadamard_matrix(4)
    expected = np.block([[h4, h4], [h4, -h4]])
    assert np.array_equal(hadamard_matrix(8), expected)


@pytest.mark.parametrize("n", [2, 8, 16, 32, 64])
def test_sequency_order_counts_sign_changes(n: int) -> None:
    w = walsh_matrix(n)
    changes = [_sign_changes(row) for row in w]
    assert changes == list(range(n))  # strictly increasing, hence non-decreasing
    assert sorted(sequency_to_natural(n).tolist()) == list(range(n))


def test_walsh_order_2d_is_shells_of_increasing_frequency() -> None:
    pairs = walsh_order_2d(16)
    assert pairs.shape == (256, 2)
    assert len({tuple(p) for p in pairs.tolist()}) == 256
    shell = np.maximum(pairs[:, 0], pairs[:, 1])
    assert np.all(np.diff(shell) >= 0)
    for k in (1, 2, 4, 8, 16):  # first k² patterns are exactly the sequencies < k
        assert shell[: k * k].max() == k - 1


@pytest.mark.parametrize("n", [16, 32])
def test_patterns_follow_the_definition(n: int) -> None:
    patterns = walsh_patterns(n)
    w = walsh_matrix(n).astype(np.int64)
    assert patterns.shape == (n * n, n, n) and patterns.dtype == bool
    assert patterns[0].all()
    for k, (u, v) in enumerate(walsh_order_2d(n)[:: max(1, n * n // 40)]):
        index = k * max(1, n * n // 40)
        assert np.array_equal(patterns[index], (1 + np.outer(w[u], w[v])) // 2 == 1)
    sequency = [_sign_changes(p[:, 0]) + _sign_changes(p[0]) for p in patterns.astype(int)]
    shells = [max(_sign_changes(p[:, 0]), _sign_changes(p[0])) for p in patterns.astype(int)]
    assert sequency[0] == 0 and np.all(np.diff(shells) >= 0)
    assert np.allclose(patterns[1:].reshape(n * n - 1, -1).mean(axis=1), 0.5)


def test_count_and_order_errors() -> None:
    assert walsh_patterns(8, 5).shape == (5, 8, 8)
    with pytest.raises(MaskError, match="cannot take 65"):
        walsh_patterns(8, 65)
    with pytest.raises(MaskError, match="power of two"):
        hadamard_matrix(12)


def test_fwht_matches_matrix_product_along_any_axis() -> None:
    rng = np.random.default_rng(7)
    x = rng.standard_normal((5, 32, 3))
    h = hadamard_matrix(32).astype(np.float64)
    expected = np.einsum("bjc,jk->bkc", x, h)
    np.testing.assert_allclose(fwht(x, axis=1), expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ifwht(fwht(x, axis=1), axis=1), x, rtol=0, atol=1e-13)
    single = rng.standard_normal(64)
    np.testing.assert_allclose(fwht(single), hadamard_matrix(64) @ single, atol=1e-12)
    with pytest.raises(MaskError, match="power of two"):
        fwht(np.zeros(12))

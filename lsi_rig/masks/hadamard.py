"""Walsh–Hadamard maths for the built-in demo mask sets.

A single-pixel camera measuring Hadamard patterns is the textbook linear baseline: the
patterns are orthogonal, so the scene follows from the measurements by one inverse transform
(see :mod:`lsi_rig.recon.hadamard`). A DMD can only show 0/1 mirrors, so each ±1 pattern
``h`` is shown as ``(1 + h) / 2``; the all-ones pattern 0 measures the total light, which
turns every 0/1 measurement back into a ±1 coefficient.

Ordering. Rows of the Sylvester matrix (``natural`` order) are Walsh functions in a scrambled
frequency order. Sequency order sorts them by the number of sign changes along the row
(0, 1, 2, …, N−1): natural index = bit-reverse(Gray(sequency)). The 2-D pattern (u, v) is
``h_u ⊗ h_v`` (u: sequency down the rows, v: across the columns). Patterns are ordered in
square shells ``max(u, v)`` (then ``u + v``, then ``u``), so that for any k the first
``(N / 2**k)²`` patterns span exactly the images that are constant on 2**k × 2**k blocks: a
truncated demo set measures a clean block-averaged (low-pass) picture.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from lsi_rig.core.errors import MaskError

#: Block resolutions offered as ``demo:hadamardN``.
DEMO_SIZES: tuple[int, ...] = (16, 32, 64)


def _check_power_of_two(n: int) -> int:
    if n < 1 or n & (n - 1):
        raise MaskError(f"Hadamard order must be a power of two, got {n}")
    return n.bit_length() - 1


def hadamard_matrix(n: int) -> np.ndarray:
    """Sylvester Hadamard matrix ``[n, n]`` of ±1 (int8), natural order.

    ``H[i, j] = (-1) ** popcount(i & j)``; symmetric, and ``H @ H = n·I``.
    """
    _check_power_of_two(n)
    idx = np.arange(n)
    anded = idx[:, None] & idx[None, :]
    parity = np.zeros_like(anded)
    while anded.any():
        parity ^= anded & 1
        anded >>= 1
    return (1 - 2 * parity).astype(np.int8)


def sequency_to_natural(n: int) -> np.ndarray:
    """Natural (Sylvester) row index of each sequency index 0…n−1."""
    bits = _check_power_of_two(n)
    seq = np.arange(n)
    gray = seq ^ (seq >> 1)
    natural = np.zeros(n, dtype=np.int64)
    for b in range(bits):
        natural |= ((gray >> b) & 1) << (bits - 1 - b)
    return natural


def walsh_matrix(n: int) -> np.ndarray:
    """Hadamard matrix with rows in sequency order: row s has exactly s sign changes."""
    return hadamard_matrix(n)[sequency_to_natural(n)]


@lru_cache(maxsize=8)
def walsh_order_2d(n: int) -> np.ndarray:
    """The (u, v) sequency pairs in display order, ``[n*n, 2]`` int64 (see module docstring)."""
    _check_power_of_two(n)
    grid_u, grid_v = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    u, v = grid_u.ravel(), grid_v.ravel()
    order = np.lexsort((u, u + v, np.maximum(u, v)))
    pairs = np.stack([u[order], v[order]], axis=1)
    pairs.setflags(write=False)
    return pairs


def walsh_patterns(n: int, count: int | None = None) -> np.ndarray:
    """0/1 demo patterns ``[count, n, n]`` (bool): pattern k = (1 + h_u ⊗ h_v) / 2.

    ``count`` defaults to the full basis ``n*n``; pattern 0 is all ones.
    """
    total = n * n
    count = total if count is None else count
    if not 1 <= count <= total:
        raise MaskError(f"Walsh set of order {n} has {total} patterns, cannot take {count}")
    walsh_pos = walsh_matrix(n) > 0  # True where +1
    pairs = walsh_order_2d(n)[:count]
    rows = walsh_pos[pairs[:, 0]]  # [count, n]
    cols = walsh_pos[pairs[:, 1]]
    # h_u[r] * h_v[c] == +1  <=>  signs agree
    return rows[:, :, None] == cols[:, None, :]


def fwht(values: np.ndarray, axis: int = -1) -> np.ndarray:
    """Fast Walsh–Hadamard transform (natural order, unnormalised) along ``axis``.

    Equals ``values @ hadamard_matrix(n)`` along that axis, in O(n log n) per vector, for any
    batch shape. Returns float64.
    """
    x = np.moveaxis(np.asarray(values, dtype=np.float64), axis, -1)
    n = x.shape[-1]
    _check_power_of_two(n)
    batch = x.shape[:-1]
    out = np.array(x.reshape(-1, n), dtype=np.float64, copy=True)
    h = 1
    while h < n:
        view = out.reshape(out.shape[0], n // (2 * h), 2, h)
        a = view[:, :, 0, :].copy()
        b = view[:, :, 1, :]
        view[:, :, 0, :] += b
        view[:, :, 1, :] = a - b
        h *= 2
    return np.moveaxis(out.reshape(*batch, n), -1, axis)


def ifwht(values: np.ndarray, axis: int = -1) -> np.ndarray:
    """Inverse of :func:`fwht` (``H⁻¹ = H / n``)."""
    n = np.asarray(values).shape[axis]
    return fwht(values, axis=axis) / n

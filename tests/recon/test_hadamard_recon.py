"""Walsh–Hadamard demo sets and their exact linear reconstruction."""

from __future__ import annotations

import numpy as np
import pytest

from lsi_rig.masks import load_masks
from lsi_rig.masks.hadamard import fwht, hadamard_matrix, ifwht, walsh_patterns
from lsi_rig.recon import is_hadamard_set, reconstruct_hadamard, side_by_side_png


def _sign_changes(row: np.ndarray) -> int:
    return int(np.count_nonzero(np.diff(np.sign(row)) != 0))


@pytest.mark.parametrize("n", [16, 32])
def test_patterns_are_a_complete_orthogonal_basis(n: int) -> None:
    patterns = walsh_patterns(n).reshape(n * n, -1).astype(float)
    signed = 2 * patterns - 1
    np.testing.assert_allclose(signed @ signed.T, n * n * np.eye(n * n))
    assert patterns[0].all()


def test_fwht_matches_matrix_product_and_inverts() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 64))
    h = hadamard_matrix(64)
    np.testing.assert_allclose(fwht(x), x @ h.T, atol=1e-9)
    np.testing.assert_allclose(ifwht(fwht(x)), x, atol=1e-12)


def test_walsh_order_increases_spatial_frequency() -> None:
    patterns = 2 * walsh_patterns(16).astype(float) - 1
    changes = [_sign_changes(p[0]) + _sign_changes(p[:, 0]) for p in patterns]
    assert changes[0] == 0
    # the first quarter of the set holds only low sequencies
    assert max(changes[:16]) < max(changes[-16:])


@pytest.mark.parametrize("n", [16, 32])
def test_reconstruction_is_exact_from_noiseless_measurements(n: int) -> None:
    masks = load_masks(f"demo:hadamard{n}")
    rng = np.random.default_rng(n)
    x = rng.random((n, n))
    y = masks.flat() @ x.ravel()
    np.testing.assert_allclose(reconstruct_hadamard(y, masks), x, atol=1e-9)
    # a detector offset is removed when given
    np.testing.assert_allclose(reconstruct_hadamard(y + 0.7, masks, offset=0.7), x, atol=1e-9)
    assert is_hadamard_set(masks) == n


def test_subset_gives_the_low_pass_image() -> None:
    masks = load_masks("demo:hadamard16:64")
    full = load_masks("demo:hadamard16")
    x = np.random.default_rng(1).random((16, 16))
    low = reconstruct_hadamard(masks.flat() @ x.ravel(), masks)
    # the same as reconstructing with the other coefficients zeroed
    coeffs = (2 * full.flat() - 1) @ x.ravel()
    coeffs[64:] = 0
    expected = ((2 * full.flat() - 1).T @ coeffs / 256).reshape(16, 16)
    np.testing.assert_allclose(low, expected, atol=1e-9)
    assert np.abs(low - x).max() > 1e-3  # genuinely low-pass


def test_non_hadamard_sets_are_not_recognised() -> None:
    from lsi_rig.masks import MaskSet

    masks = MaskSet(np.random.default_rng(0).random((256, 16, 16)) > 0.5, "r", "t")
    assert is_hadamard_set(masks) is None


def test_side_by_side_png(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image

    left = np.linspace(0, 1, 32 * 32).reshape(32, 32)
    path = tmp_path / "pair.png"
    side_by_side_png(path, left, left[::-1], labels=("a", "b"))
    with Image.open(path) as image:
        assert image.width > 2 * 256 - 1 and image.height >= 256

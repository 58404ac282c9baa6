"""Exact reconstruction in all the forms the engine uses: batches, offsets, subsets, files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lsi_rig.core.errors import MaskError
from lsi_rig.masks import MaskSet, load_masks
from lsi_rig.recon import is_hadamard_set, reconstruct_hadamard


@pytest.mark.parametrize("n", [16, 32, 64])
def test_exact_with_scalar_and_per_mask_offset(n: int) -> None:
    masks = load_masks(f"demo:hadamard{n}")
    rng = np.random.default_rng(n)
    x = rng.random((n, n)) * 1e3
    y = masks.flat() @ x.ravel()
    offset = rng.normal(0.02, 0.01, masks.n)
    recon = reconstruct_hadamard(y + offset, masks, offset=offset)
    assert recon.shape == (n, n) and recon.dtype == np.float64
    assert np.abs(recon - x).max() < 1e-9 * 1e3
    assert np.abs(reconstruct_hadamard(y - 3.5, masks, offset=-3.5) - x).max() < 1e-9 * 1e3


def test_batch_matches_single_vectors() -> None:
    masks = load_masks("demo:hadamard16")
    rng = np.random.default_rng(2)
    scenes = rng.random((4, 16, 16))
    y = scenes.reshape(4, -1) @ masks.flat().T
    batch = reconstruct_hadamard(y, masks)
    assert batch.shape == (4, 16, 16)
    assert np.abs(batch - scenes).max() < 1e-9
    assert np.array_equal(batch[2], reconstruct_hadamard(y[2], masks))


@pytest.mark.parametrize(("n", "half"), [(16, 8), (32, 16), (32, 8)])
def test_square_prefix_gives_exact_block_average(n: int, half: int) -> None:
    masks = load_masks(f"demo:hadamard{n}:{half * half}")
    x = np.random.default_rng(5).random((n, n))
    block = n // half
    averaged = x.reshape(half, block, half, block).mean(axis=(1, 3))
    expected = np.repeat(np.repeat(averaged, block, axis=0), block, axis=1)
    recon = reconstruct_hadamard(masks.flat() @ x.ravel(), masks)
    assert np.abs(recon - expected).max() < 1e-9
    assert np.abs(recon - x).max() > 0.05


def test_any_prefix_is_the_truncated_expansion() -> None:
    full = load_masks("demo:hadamard32")
    part = full.subset(100)
    x = np.random.default_rng(8).random((32, 32))
    signed = 2.0 * full.flat() - 1.0
    coeffs = signed @ x.ravel()
    coeffs[100:] = 0.0
    expected = (signed.T @ coeffs / 1024).reshape(32, 32)
    recon = reconstruct_hadamard(part.flat() @ x.ravel(), part)
    assert np.abs(recon - expected).max() < 1e-9


def test_recognised_by_content_after_a_file_round_trip(tmp_path: Path) -> None:
    demo = load_masks("demo:hadamard16:40")
    np.save(tmp_path / "h.npy", demo.bits)
    loaded = load_masks(str(tmp_path / "h.npy"))
    assert "hadamard_n" not in loaded.metadata
    assert is_hadamard_set(loaded) == 16
    x = np.random.default_rng(0).random((16, 16))
    np.testing.assert_array_equal(
        reconstruct_hadamard(loaded.flat() @ x.ravel(), loaded),
        reconstruct_hadamard(demo.flat() @ x.ravel(), demo),
    )


def test_lookalikes_are_rejected() -> None:
    demo = load_masks("demo:hadamard16")
    tampered = demo.bits.copy()
    tampered[200, 3, 3] ^= True
    assert is_hadamard_set(MaskSet(tampered, "t", "test")) is None
    shuffled = demo.bits[[0, 2, 1, *range(3, 256)]]
    assert is_hadamard_set(MaskSet(shuffled, "s", "test")) is None
    wrong_hint = MaskSet(demo.bits, "h", "test", metadata={"hadamard_n": "32"})
    assert is_hadamard_set(wrong_hint) is None
    assert is_hadamard_set(MaskSet(np.ones((3, 12, 12), bool), "o", "test")) is None
    with pytest.raises(MaskError, match="not a Walsh–Hadamard demo set"):
        reconstruct_hadamard(np.zeros(256), MaskSet(tampered, "t", "test"))


def test_shape_errors() -> None:
    masks = load_masks("demo:hadamard16:10")
    with pytest.raises(ValueError, match=r"vector must be \[10\]"):
        reconstruct_hadamard(np.zeros(11), masks)
    with pytest.raises(ValueError, match=r"offset must be a scalar or \[10\]"):
        reconstruct_hadamard(np.zeros(10), masks, offset=np.zeros(3))

"""Mask sets from every source, their validation and their content hash."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from lsi_rig.errors import MaskError
from lsi_rig.masks import MaskSet, demo_mask_names, load_masks
from lsi_rig.masks.maskset import maskset_sha256


@pytest.fixture
def bits() -> np.ndarray:
    rng = np.random.default_rng(3)
    return rng.random((5, 16, 16)) > 0.5


def test_hash_definition_is_stable(bits: np.ndarray) -> None:
    import hashlib
    import struct

    packed = np.packbits(bits.reshape(5, 256), axis=1, bitorder="little")
    expected = hashlib.sha256(
        b"lsi-rig/maskset/v1\0" + struct.pack("<III", 5, 16, 16) + packed.tobytes()
    ).hexdigest()
    assert maskset_sha256(bits) == expected
    flipped = bits.copy()
    flipped[4, 15, 15] ^= True
    assert maskset_sha256(flipped) != expected
    # a known value pins the definition across releases
    assert (
        maskset_sha256(np.zeros((1, 1, 8), bool))
        == hashlib.sha256(
            b"lsi-rig/maskset/v1\0" + struct.pack("<III", 1, 1, 8) + b"\0"
        ).hexdigest()
    )


def test_npy_npz_png_sources_give_the_same_hash(tmp_path: Path, bits: np.ndarray) -> None:
    np.save(tmp_path / "m.npy", bits.astype(np.uint8))
    np.savez(tmp_path / "m.npz", masks=bits.astype(np.float32))
    folder = tmp_path / "pngs"
    folder.mkdir()
    for i, mask in enumerate(bits):  # natural order: mask_2 before mask_10
        Image.fromarray(mask.astype(np.uint8) * 255).save(folder / f"mask_{i * 5}.png")
    hashes = {load_masks(str(p)).sha256 for p in (tmp_path / "m.npy", tmp_path / "m.npz", folder)}
    assert hashes == {MaskSet(bits, "x", "y").sha256}
    loaded = load_masks(str(folder))
    np.testing.assert_array_equal(loaded.bits, bits)
    assert loaded.n == 5 and loaded.shape == (16, 16)
    np.testing.assert_allclose(loaded.fill_factor, bits.reshape(5, -1).mean(axis=1))


def test_official_checkpoint_masks_are_clamped_rounded_row_major(tmp_path: Path) -> None:
    weight = torch.zeros(3, 65536)
    weight[0, 0] = 0.5  # round half to even -> 0
    weight[0, 1] = 0.51  # -> 1
    weight[0, 256] = 7.0  # clamp -> 1, pixel (1, 0)
    weight[1, :] = -3.0  # clamp -> 0 everywhere
    weight[2, 65535] = 1.5  # clamp 1 -> 1, pixel (255, 255)
    weight[2, 2] = 1.0
    path = tmp_path / "real_3.pt"
    torch.save({"mask": {"weight": weight}, "latent_avg": torch.zeros(512)}, path)
    masks = load_masks(str(path))
    assert masks.shape == (256, 256) and masks.n == 3
    assert masks.bits[0, 0, 0] == 0 and masks.bits[0, 0, 1] == 1 and masks.bits[0, 1, 0] == 1
    assert masks.bits[0].sum() == 2
    assert not masks.bits[1].any()
    assert masks.bits[2, 255, 255] and masks.bits[2, 0, 2] and masks.bits[2].sum() == 2
    expected = np.round(np.clip(weight.numpy(), 0, 1)).astype(bool).reshape(3, 256, 256)
    np.testing.assert_array_equal(masks.bits, expected)


def test_checkpoint_that_would_execute_code_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            import os

            return (os.system, (f"touch {marker}",))

    path = tmp_path / "evil.pt"
    torch.save({"mask": {"weight": Exploit()}}, path)
    with pytest.raises(MaskError, match=r"evil\.pt: cannot read checkpoint"):
        load_masks(str(path))
    assert not marker.exists()


@pytest.mark.parametrize(
    ("array", "needle"),
    [
        (np.zeros((4, 16)), "shape"),
        (np.full((2, 4, 4), 0.5), "0.5"),
        (np.array([[[0.0, 1.0], [np.nan, 1.0]]]), "NaN"),
        (np.array([[[0.0, 1.0], [np.inf, 1.0]]]), "inf"),
        (np.zeros((0, 4, 4)), "empty"),
    ],
    ids=["2d", "non-binary", "nan", "inf", "empty"],
)
def test_invalid_arrays_name_file_and_problem(
    tmp_path: Path, array: np.ndarray, needle: str
) -> None:
    path = tmp_path / "bad.npy"
    np.save(path, array)
    with pytest.raises(MaskError) as info:
        load_masks(str(path))
    message = str(info.value)
    assert "bad.npy" in message and needle.lower() in message.lower(), message


def test_png_folder_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(MaskError, match="empty"):
        load_masks(str(empty))
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(mixed / "a.png")
    Image.fromarray(np.zeros((8, 4), np.uint8)).save(mixed / "b.png")
    with pytest.raises(MaskError, match=r"b\.png"):
        load_masks(str(mixed))
    grey = tmp_path / "grey"
    grey.mkdir()
    Image.fromarray(np.full((8, 8), 128, np.uint8)).save(grey / "a.png")
    with pytest.raises(MaskError, match=r"a\.png.*128|128.*a\.png"):
        load_masks(str(grey))


def test_missing_and_unknown_sources() -> None:
    with pytest.raises(MaskError, match="not found"):
        load_masks("/no/such/masks.npy")
    with pytest.raises(MaskError, match="unknown demo mask set"):
        load_masks("demo:hadamard33")
    with pytest.raises(MaskError, match="COUNT"):
        load_masks("demo:hadamard16:257")


def test_degenerate_masks_warn_with_indices(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, bits: np.ndarray
) -> None:
    bits = bits.copy()
    bits[1] = False
    bits[3] = True
    np.save(tmp_path / "m.npy", bits)
    with caplog.at_level(logging.WARNING):
        load_masks(str(tmp_path / "m.npy"))
    text = caplog.text
    assert "all-zero" in text and "all-one" in text
    assert "1" in text and "3" in text


def test_demo_sets_and_complementary_option() -> None:
    assert demo_mask_names() == ["demo:hadamard16", "demo:hadamard32", "demo:hadamard64"]
    full = load_masks("demo:hadamard16")
    assert full.n == 256 and full.shape == (16, 16)
    assert full.bits[0].all()  # pattern 0 is all ones
    subset = load_masks("demo:hadamard16:32")
    np.testing.assert_array_equal(subset.bits, full.bits[:32])
    assert load_masks("demo:hadamard16", complementary=True).complementary

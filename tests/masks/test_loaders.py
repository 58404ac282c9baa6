"""load_masks: every source gives the same bits and hash; every bad input names what is wrong."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from lsi_rig.core.errors import MaskError
from lsi_rig.masks import MaskSet, demo_mask_names, load_masks
from lsi_rig.masks.hadamard import walsh_patterns
from lsi_rig.masks.loaders import natural_key


def _save_pt(path: Path, weight: torch.Tensor) -> Path:
    torch.save({"mask": {"weight": weight}, "opts": {"n": int(weight.shape[0])}}, path)
    return path


def _save_png_folder(folder: Path, bits: np.ndarray) -> Path:
    """Mixed encodings on purpose: 1-bit, 8-bit 0/255, 8-bit 0/1 and grey RGB."""
    folder.mkdir()
    for i, mask in enumerate(bits):
        kind = i % 4
        if kind == 0:
            img = Image.fromarray(mask).convert("1")
        elif kind == 1:
            img = Image.fromarray(mask.astype(np.uint8) * 255)
        elif kind == 2:
            img = Image.fromarray(mask.astype(np.uint8))
        else:
            img = Image.fromarray(np.repeat(mask[..., None].astype(np.uint8) * 255, 3, axis=2))
        img.save(folder / f"mask_{i}.png")
    return folder


def test_demo_names_and_sizes() -> None:
    assert demo_mask_names() == ["demo:hadamard16", "demo:hadamard32", "demo:hadamard64"]
    for spec, order in zip(demo_mask_names(), (16, 32, 64), strict=True):
        masks = load_masks(spec)
        assert masks.n == order * order
        assert masks.shape == (order, order)
        assert masks.metadata["hadamard_n"] == str(order)
        assert masks.source == spec
        assert masks.bits[0].all()


def test_demo_count_suffix_is_prefix_of_full_set() -> None:
    full = load_masks("demo:hadamard32")
    part = load_masks("demo:hadamard32:256")
    assert part.n == 256
    assert np.array_equal(part.bits, full.bits[:256])
    assert part.sha256 == full.subset(256).sha256 != full.sha256
    assert part.source == "demo:hadamard32:256"


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ("demo:hadamard8", "unknown demo mask set"),
        ("demo:walsh32", "unknown demo mask set"),
        ("demo:hadamard16:0", "COUNT must be between 1 and 256"),
        ("demo:hadamard16:257", "COUNT must be between 1 and 256"),
    ],
)
def test_bad_demo_specs(spec: str, needle: str) -> None:
    with pytest.raises(MaskError, match=needle):
        load_masks(spec)


def test_complementary_flag() -> None:
    assert load_masks("demo:hadamard16", complementary=True).complementary is True
    assert load_masks("demo:hadamard16").complementary is False


def test_checkpoint_binarisation_by_value(tmp_path: Path) -> None:
    weight = torch.full((3, 65536), 0.25)
    values = [-0.7, 0.0, 0.4999, 0.5, 0.5001, 1.0, 1.5, 2.5, 1e-8, -0.0]
    expected = [False, False, False, False, True, True, True, True, False, False]
    weight[0, : len(values)] = torch.tensor(values)
    weight[1, :] = 1.7  # everything on after clamp
    weight[2, 256 * 3 + 5] = 0.9  # row-major: pixel (3, 5)
    masks = load_masks(str(_save_pt(tmp_path / "real_3.pt", weight)))
    assert masks.n == 3 and masks.shape == (256, 256)
    assert masks.bits[0, 0, : len(values)].tolist() == expected
    assert not masks.bits[0, 0, len(values) :].any() and not masks.bits[0, 1:].any()
    assert masks.bits[1].all()
    assert np.argwhere(masks.bits[2]).tolist() == [[3, 5]]
    assert masks.name == "real_3"
    assert masks.source == str((tmp_path / "real_3.pt").resolve())


def test_checkpoint_matches_torch_reference(tmp_path: Path) -> None:
    gen = torch.Generator().manual_seed(1)
    weight = torch.randn(8, 65536, generator=gen) * 0.6 + 0.5
    masks = load_masks(str(_save_pt(tmp_path / "w.pt", weight)))
    reference = torch.round(torch.clamp(weight.T, 0, 1)).T.reshape(8, 256, 256).numpy() == 1
    assert np.array_equal(masks.bits, reference)


def test_all_sources_hash_identically(tmp_path: Path) -> None:
    bits = walsh_patterns(16, 24)
    reference = MaskSet(bits, "ref", "memory").sha256
    np.save(tmp_path / "a.npy", bits)
    np.save(tmp_path / "b.npy", bits.astype(np.float32))
    np.savez(tmp_path / "c.npz", masks=bits.astype(np.uint8), other=np.zeros(3))
    np.savez(tmp_path / "d.npz", bits.astype(np.int64))
    _save_png_folder(tmp_path / "pngs", bits)
    specs = ["a.npy", "b.npy", "c.npz", "d.npz", "pngs"]
    for spec in specs:
        masks = load_masks(str(tmp_path / spec))
        assert masks.sha256 == reference, spec
        assert np.array_equal(masks.bits, bits), spec
    assert load_masks(str(tmp_path / "pngs")).name == "pngs"
    assert load_masks(str(tmp_path / "a.npy")).name == "a"


def test_checkpoint_and_npy_hash_identically(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    bits = rng.random((4, 256, 256)) < 0.5
    weight = torch.from_numpy(np.where(bits, 1.2, -0.2).reshape(4, 65536).astype(np.float32))
    np.save(tmp_path / "m.npy", bits)
    from_pt = load_masks(str(_save_pt(tmp_path / "m.pt", weight)))
    assert from_pt.sha256 == load_masks(str(tmp_path / "m.npy")).sha256


def test_png_folder_natural_order(tmp_path: Path) -> None:
    names = ["mask_10.png", "mask_2.png", "mask_1.png", "Mask_3.png"]
    assert sorted(names, key=natural_key) == [
        "mask_1.png",
        "mask_2.png",
        "Mask_3.png",
        "mask_10.png",
    ]
    folder = tmp_path / "m"
    folder.mkdir()
    for index in (1, 2, 10):  # mask k has its single lit pixel in column k
        mask = np.zeros((4, 16), dtype=np.uint8)
        mask[0, index] = 255
        Image.fromarray(mask).save(folder / f"mask_{index}.png")
    (folder / "notes.txt").write_text("ignored")
    masks = load_masks(str(folder))
    assert [int(np.argwhere(m)[0, 1]) for m in masks.bits] == [1, 2, 10]


@pytest.mark.parametrize(
    ("array", "needles"),
    [
        (np.zeros((4, 4), dtype=bool), ["shape [n, H, W]", "(4, 4)"]),
        (np.zeros((2, 4, 4, 1), dtype=bool), ["4-D shape (2, 4, 4, 1)"]),
        (np.zeros((0, 4, 4), dtype=bool), ["empty"]),
        (np.zeros((4097, 1, 1), dtype=bool), ["4097 masks", "maximum of 4096"]),
        (np.array(["a"]).reshape(1, 1, 1), ["unsupported mask dtype"]),
    ],
)
def test_npy_shape_errors(tmp_path: Path, array: np.ndarray, needles: list[str]) -> None:
    path = tmp_path / "bad.npy"
    np.save(path, array)
    with pytest.raises(MaskError) as info:
        load_masks(str(path))
    assert str(path.resolve()) in str(info.value)
    for needle in needles:
        assert needle in str(info.value)


def test_non_binary_value_named(tmp_path: Path) -> None:
    array = np.zeros((3, 8, 8))
    array[2, 3, 4] = 0.5
    array[2, 5, 5] = 0.25
    np.save(tmp_path / "grey.npy", array)
    with pytest.raises(MaskError) as info:
        load_masks(str(tmp_path / "grey.npy"))
    message = str(info.value)
    assert "grey.npy" in message
    assert "mask 2 is not binary" in message
    assert "0.5" in message and "row 3, col 4" in message and "2 such pixels" in message


def test_uint8_255_in_array_is_not_binary(tmp_path: Path) -> None:
    np.save(tmp_path / "u8.npy", np.full((1, 2, 2), 255, dtype=np.uint8))
    with pytest.raises(MaskError, match="value 255"):
        load_masks(str(tmp_path / "u8.npy"))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_named(tmp_path: Path, bad: float) -> None:
    array = np.ones((2, 4, 4), dtype=np.float32)
    array[1, 2, 3] = bad
    np.save(tmp_path / "nan.npy", array)
    with pytest.raises(MaskError, match=r"mask 1 has a non-finite value .* \(row 2, col 3\)"):
        load_masks(str(tmp_path / "nan.npy"))


def test_npz_ambiguous_keys(tmp_path: Path) -> None:
    np.savez(tmp_path / "two.npz", a=np.zeros((1, 2, 2)), b=np.zeros((1, 2, 2)))
    with pytest.raises(MaskError, match=r"two.npz: .npz holds \['a', 'b'\].*'masks'"):
        load_masks(str(tmp_path / "two.npz"))


def test_unreadable_files(tmp_path: Path) -> None:
    for name in ("junk.npy", "junk.npz", "junk.pt"):
        (tmp_path / name).write_bytes(b"this is not a mask file at all")
        with pytest.raises(MaskError, match=rf"{name}: cannot read"):
            load_masks(str(tmp_path / name))
    (tmp_path / "masks.txt").write_text("0 1")
    with pytest.raises(MaskError, match=r"unsupported mask file type '.txt'"):
        load_masks(str(tmp_path / "masks.txt"))
    with pytest.raises(MaskError, match="not found"):
        load_masks(str(tmp_path / "missing.npy"))


def test_checkpoint_structure_errors(tmp_path: Path) -> None:
    torch.save({"latent_camera": {}}, tmp_path / "nomask.pt")
    with pytest.raises(MaskError, match=r"nomask.pt: no tensor at ckpt\['mask'\]\['weight'\]"):
        load_masks(str(tmp_path / "nomask.pt"))
    _save_pt(tmp_path / "odd.pt", torch.zeros(2, 1000))
    with pytest.raises(MaskError, match="1000 pixels per mask, not a square"):
        load_masks(str(tmp_path / "odd.pt"))
    weight = torch.zeros(3, 16)
    weight[2, 7] = float("nan")
    _save_pt(tmp_path / "nan.pt", weight)
    with pytest.raises(MaskError, match="row 2 has NaN/inf"):
        load_masks(str(tmp_path / "nan.pt"))
    _save_pt(tmp_path / "int.pt", torch.zeros(2, 16, dtype=torch.int64))
    with pytest.raises(MaskError, match="must be a float matrix"):
        load_masks(str(tmp_path / "int.pt"))


def test_png_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.txt").write_text("no masks here")
    with pytest.raises(MaskError, match=r"empty: folder holds no .png masks"):
        load_masks(str(empty))

    mixed = tmp_path / "mixed"
    mixed.mkdir()
    Image.fromarray(np.zeros((8, 8), dtype=np.uint8)).save(mixed / "m_1.png")
    Image.fromarray(np.zeros((8, 6), dtype=np.uint8)).save(mixed / "m_2.png")
    with pytest.raises(MaskError) as info:
        load_masks(str(mixed))
    assert "m_2.png: mask 1 is 8×6 pixels but m_1.png is 8×8" in str(info.value)

    grey = tmp_path / "grey"
    grey.mkdir()
    img = np.zeros((4, 4), dtype=np.uint8)
    img[1, 2] = 128
    Image.fromarray(img).save(grey / "g.png")
    with pytest.raises(MaskError, match=r"g.png: mask is not binary: value 128 at pixel \(row 1"):
        load_masks(str(grey))

    colour = tmp_path / "colour"
    colour.mkdir()
    rgb = np.zeros((4, 4, 3), dtype=np.uint8)
    rgb[0, 0] = (255, 0, 0)
    Image.fromarray(rgb).save(colour / "c.png")
    with pytest.raises(MaskError, match=r"c\.png: RGB mask with unequal channels"):
        load_masks(str(colour))

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(MaskError, match=r"b\.png: cannot read PNG"):
        load_masks(str(broken))


def test_degenerate_and_non_square_warnings(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bits = np.zeros((5, 4, 6), dtype=bool)
    bits[1, 0, 0] = True
    bits[2] = True
    bits[3, 2, 2] = True
    np.save(tmp_path / "w.npy", bits)
    with caplog.at_level(logging.WARNING, logger="lsi_rig.masks"):
        masks = load_masks(str(tmp_path / "w.npy"))
    assert masks.n == 5
    text = "\n".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "2 all-zero mask(s) at indices [0, 4]" in text
    assert "1 all-one mask(s) at indices [2]" in text
    assert "not square (4×6" in text


def test_clean_set_logs_no_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    np.save(tmp_path / "ok.npy", walsh_patterns(8)[1:])
    with caplog.at_level(logging.WARNING, logger="lsi_rig.masks"):
        load_masks(str(tmp_path / "ok.npy"))
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_hash_definition_is_pinned() -> None:
    import hashlib
    import struct

    from lsi_rig.masks.maskset import maskset_sha256

    bits = np.random.default_rng(3).random((5, 16, 16)) > 0.5
    packed = np.packbits(bits.reshape(5, 256), axis=1, bitorder="little")
    expected = hashlib.sha256(
        b"lsi-rig/maskset/v1\0" + struct.pack("<III", 5, 16, 16) + packed.tobytes()
    ).hexdigest()
    assert maskset_sha256(bits) == expected
    flipped = bits.copy()
    flipped[4, 15, 15] ^= True
    assert maskset_sha256(flipped) != expected
    # one literal value pins the definition across releases
    assert maskset_sha256(np.zeros((1, 1, 8), bool)) == (
        "1b2a236e6f849fcfbe3a42877ae2832c680f84410df4d04b862e3aa90b01bd79"
    )


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


def test_palette_png_is_judged_by_colour(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    mask = np.zeros((6, 6), dtype=np.uint8)
    mask[2:4, 1:5] = 255
    Image.fromarray(mask).convert("P").save(folder / "m.png")
    with Image.open(folder / "m.png") as img:
        assert img.mode == "P"
    assert np.array_equal(load_masks(str(folder)).bits[0], mask == 255)

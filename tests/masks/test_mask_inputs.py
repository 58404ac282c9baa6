"""Mask files that lie or allocate: refused from their headers, before any pixel is read.

The allocation cases run in a child process limited to 2 GiB of address space, so a header
that slipped through fails the test (MemoryError) instead of swapping the machine.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from lsi_rig.cli.app import main
from lsi_rig.core.errors import MaskError
from lsi_rig.masks import load_masks
from lsi_rig.masks.hadamard import walsh_patterns
from lsi_rig.masks.validate import MAX_MASK_PIXELS, MAX_MASKS, MAX_SIDE_PX
from tests.masks.crafted import npy_with_header, npz_entry, png16, png_claiming_size
from tests.models.memlimit import run_cases

BOMB_SHAPES = {
    "cube": (100_000, 100_000, 100_000),
    "many": (10**9, 1, 1),
    "wide": (1, 1, 10**12),
    "fits_sides_not_total": (4096, MAX_SIDE_PX, MAX_SIDE_PX),
}


@pytest.fixture(scope="module")
def bomb_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """Every allocation case, loaded by load_masks in one memory-limited child."""
    folder = tmp_path_factory.mktemp("bombs")
    paths: dict[str, Path] = {}
    for name, shape in BOMB_SHAPES.items():
        paths[f"npy_{name}"] = npy_with_header(folder / f"{name}.npy", shape, payload=b"\0" * 64)
        paths[f"npy_f8_{name}"] = npy_with_header(folder / f"{name}_f8.npy", shape, "<f8")
    paths["npy_v2"] = npy_with_header(folder / "v2.npy", BOMB_SHAPES["cube"], version=(2, 0))
    paths["npy_truncated"] = npy_with_header(folder / "trunc.npy", (64, 256, 256), "<f8")
    header = (folder / "trunc.npy").read_bytes()
    paths["npz_header"] = npz_entry(folder / "hdr.npz", "masks.npy", header)
    paths["npz_declared"] = npz_entry(
        folder / "decl.npz", "masks.npy", header, declared_size=0xFFFFFFF0
    )
    pngs = folder / "png_bomb"
    pngs.mkdir()
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(pngs / "m_0.png")
    png_claiming_size(pngs / "m_1.png", 20_000, 20_000)
    paths["png_20000"] = pngs
    pngs_mid = folder / "png_mid"
    pngs_mid.mkdir()
    png_claiming_size(pngs_mid / "m_0.png", 5000, 5000)
    paths["png_5000"] = pngs_mid
    cases = {name: f"load_masks({str(p)!r})" for name, p in paths.items()}
    return run_cases(cases, setup="from lsi_rig.masks import load_masks")


@pytest.mark.parametrize(
    ("case", "needles"),
    [
        ("npy_cube", ["(100000, 100000, 100000)", f"maximum of {MAX_MASKS}"]),
        ("npy_f8_cube", [f"maximum of {MAX_MASKS}"]),
        ("npy_many", ["1000000000 masks", f"maximum of {MAX_MASKS}"]),
        ("npy_f8_many", [f"maximum of {MAX_MASKS}"]),
        ("npy_wide", ["larger than any DMD", f"{MAX_SIDE_PX}"]),
        ("npy_fits_sides_not_total", [f"limit of {MAX_MASK_PIXELS} mask pixels"]),
        ("npy_f8_fits_sides_not_total", [f"limit of {MAX_MASK_PIXELS}"]),
        ("npy_v2", ["(100000, 100000, 100000)"]),
        ("npy_truncated", ["truncated", "(64, 256, 256)", "33554432 bytes", "0 bytes follow"]),
        ("npz_header", ["hdr.npz[masks]", "truncated"]),
        ("npz_declared", ["decl.npz[masks]", "uncompressed", "more than any accepted"]),
        ("png_20000", ["m_1.png", "far too large"]),
        ("png_5000", ["m_0.png", "5000×5000", "larger than any DMD"]),
    ],
)
def test_bombs_are_refused_from_the_header(
    bomb_results: dict[str, dict[str, str]], case: str, needles: list[str]
) -> None:
    result = bomb_results[case]
    assert result["type"] == "MaskError", result
    assert "\n" not in result["message"]
    for needle in needles:
        assert needle in result["message"], result["message"]


@pytest.mark.parametrize(
    ("descr", "needle"),
    [
        ("|O", "holds Python objects"),
        ([("a", "<i4"), ("b", "<f4")], "unsupported mask dtype"),
        ("<c16", "unsupported mask dtype"),
        ("<U8", "unsupported mask dtype"),
        ("|V8", "unsupported mask dtype"),
        ("<f16" if np.dtype(np.longdouble).itemsize == 16 else "<c8", "unsupported mask dtype"),
    ],
)
def test_wrong_dtypes_refused_before_reading(tmp_path: Path, descr: object, needle: str) -> None:
    path = npy_with_header(tmp_path / "d.npy", (2, 4, 4), descr, payload=b"\0" * 1024)
    with pytest.raises(MaskError, match=needle) as info:
        load_masks(str(path))
    assert str(path.resolve()) in str(info.value)


def test_object_array_saved_by_numpy_never_unpickles(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            import os

            return (os.system, (f"touch {marker}",))

    array = np.empty((1, 1, 1), dtype=object)
    array[0, 0, 0] = Evil()
    np.save(tmp_path / "evil.npy", array, allow_pickle=True)
    np.savez(tmp_path / "evil.npz", masks=array)
    for name in ("evil.npy", "evil.npz"):
        with pytest.raises(MaskError, match="holds Python objects"):
            load_masks(str(tmp_path / name))
    assert not marker.exists()


def test_fortran_order_gives_the_same_bits(tmp_path: Path) -> None:
    bits = walsh_patterns(8, 12)
    np.save(tmp_path / "f.npy", np.asfortranarray(bits.astype(np.uint8)))
    np.savez(tmp_path / "f.npz", masks=np.asfortranarray(bits))
    with open(tmp_path / "f.npy", "rb") as fh:
        assert b"'fortran_order': True" in fh.read(128)
    assert np.array_equal(load_masks(str(tmp_path / "f.npy")).bits, bits)
    assert np.array_equal(load_masks(str(tmp_path / "f.npz")).bits, bits)


def test_padded_and_header_garbage_files(tmp_path: Path) -> None:
    bits = walsh_patterns(8, 4)
    np.save(tmp_path / "ok.npy", bits)
    padded = tmp_path / "padded.npy"
    padded.write_bytes((tmp_path / "ok.npy").read_bytes() + b"\0" * 7)
    with pytest.raises(MaskError, match="longer than its header says"):
        load_masks(str(padded))
    short = tmp_path / "short.npy"
    short.write_bytes((tmp_path / "ok.npy").read_bytes()[:-1])
    with pytest.raises(MaskError, match="truncated"):
        load_masks(str(short))
    bad_header = tmp_path / "bad.npy"
    bad_header.write_bytes(b"\x93NUMPY\x01\x00\x10\x00{'descr': 1}    \n")
    with pytest.raises(MaskError, match=r"cannot read \.npy header"):
        load_masks(str(bad_header))
    huge_header = tmp_path / "huge_header.npy"
    huge_header.write_bytes(b"\x93NUMPY\x02\x00" + (10**6).to_bytes(4, "little") + b" " * 100)
    with pytest.raises(MaskError, match=r"cannot read \.npy header"):
        load_masks(str(huge_header))
    v3 = npy_with_header(tmp_path / "v3.npy", (1, 2, 2))
    raw = bytearray(v3.read_bytes())
    raw[6] = 3
    v3.write_bytes(bytes(raw))
    with pytest.raises(MaskError, match=r"version 3\.0"):
        load_masks(str(v3))


@pytest.mark.parametrize("suffix", [".npy", ".npz", ".pt", ".pth"])
def test_zero_byte_mask_file_is_one_line_at_the_cli(
    tmp_path: Path, suffix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / f"empty{suffix}"
    empty.write_bytes(b"")
    images = tmp_path / "images"
    images.mkdir()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(images / "a.png")
    code = main(["capture", "--rig", "sim-ideal", "--masks", str(empty), "--images",
                 str(images), "--out", str(tmp_path / "o.h5"), "--quiet"])  # fmt: skip
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(err) == 1 and str(empty) in err[0] and "empty" in err[0], err
    assert not (tmp_path / "o.h5").exists()


def test_checkpoint_files_that_torch_would_inflate_are_refused(tmp_path: Path) -> None:
    good = tmp_path / "good.pt"
    torch.save({"mask": {"weight": torch.zeros(2, 16)}}, good)
    assert load_masks(str(good)).n == 2
    deflated = tmp_path / "deflated.pt"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(deflated, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info), compress_type=zipfile.ZIP_DEFLATED)
    with pytest.raises(MaskError, match="is compressed"):
        load_masks(str(deflated))
    legacy = tmp_path / "legacy.pt"
    torch.save(
        {"mask": {"weight": torch.zeros(2, 16)}}, legacy, _use_new_zipfile_serialization=False
    )
    with pytest.raises(MaskError, match="legacy or foreign"):
        load_masks(str(legacy))


# -- PNG classes ---------------------------------------------------------------------------------


def _folder(tmp_path: Path, name: str = "m") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    return folder


def test_16_bit_mask_pngs_map_0_65535_to_bits(tmp_path: Path) -> None:
    bits = walsh_patterns(8, 6)
    folder16, folder1 = _folder(tmp_path, "sixteen"), _folder(tmp_path, "unit16")
    for i, mask in enumerate(bits):
        png16(folder16 / f"m_{i}.png", mask.astype(np.uint16) * 65535)
        png16(folder1 / f"m_{i}.png", mask.astype(np.uint16))
    for folder in (folder16, folder1):
        masks = load_masks(str(folder))
        assert np.array_equal(masks.bits, bits)
    assert load_masks(str(folder16)).sha256 == load_masks(str(folder1)).sha256


@pytest.mark.parametrize(
    ("values", "needle"),
    [
        ((0, 1000), "value 1000"),
        ((0, 255), "value 255"),  # an 8-bit "on" in a 16-bit file is a dim grey, not on
        ((0, 65534), "value 65534"),
    ],
)
def test_16_bit_grey_masks_refused(tmp_path: Path, values: tuple[int, int], needle: str) -> None:
    folder = _folder(tmp_path)
    mask = np.full((4, 4), values[0], np.uint16)
    mask[1, 3] = values[1]
    png16(folder / "m.png", mask)
    with pytest.raises(
        MaskError, match=rf"m\.png: mask is not binary: {needle} at pixel \(row 1, col 3\).*0/65535"
    ):
        load_masks(str(folder))


@pytest.mark.parametrize("mode", ["LA", "RGBA"])
def test_alpha_masks_opaque_accepted_transparent_refused(tmp_path: Path, mode: str) -> None:
    mask = np.zeros((4, 6), np.uint8)
    mask[1:3, 2:5] = 255
    grey = Image.fromarray(mask)
    opaque = grey.convert(mode)
    folder = _folder(tmp_path, "opaque")
    opaque.save(folder / "m.png")
    assert np.array_equal(load_masks(str(folder)).bits[0], mask == 255)
    pixels = np.array(opaque)
    pixels[2, 1, -1] = 0
    folder = _folder(tmp_path, "holes")
    Image.fromarray(pixels, mode=mode).save(folder / "m.png")
    with pytest.raises(MaskError, match=r"transparent pixels \(alpha 0 at row 2, col 1\)"):
        load_masks(str(folder))


def test_palette_png_with_transparency_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    img = Image.fromarray(np.array([[0, 255], [255, 0]], np.uint8)).convert("P")
    img.save(folder / "m.png", transparency=0)
    with pytest.raises(MaskError, match="transparent pixels"):
        load_masks(str(folder))


def test_animated_png_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    frames = [Image.fromarray(np.full((4, 4), v, np.uint8)) for v in (0, 255)]
    frames[0].save(folder / "m.png", save_all=True, append_images=frames[1:])
    with pytest.raises(MaskError, match="PNG has 2 frames"):
        load_masks(str(folder))


def test_unsupported_png_mode_and_header_mismatch(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(folder / "m_0.png")
    png_claiming_size(folder / "m_1.png", 4, 5)  # header 4×5 vs 4×4
    with pytest.raises(MaskError, match=r"m_1\.png: mask 1 is 5×4 pixels but m_0\.png is 4×4"):
        load_masks(str(folder))
    lie = _folder(tmp_path, "lie")
    png_claiming_size(lie / "m.png", 3, 3)  # 3×3 claimed, 2×2 of data: decoding fails
    with pytest.raises(MaskError, match=r"m\.png: cannot read PNG"):
        load_masks(str(lie))


def test_limits_are_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "masks.md").read_text()
    for value in (str(MAX_MASKS), str(MAX_SIDE_PX), "1024 masks of 256×256"):
        assert value in doc, value

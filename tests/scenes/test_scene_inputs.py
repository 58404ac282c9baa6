"""Scene images of every kind Pillow writes: converted faithfully, with a warning, or refused.

Each input class is a real file written by Pillow (or a crafted header for the bombs, loaded in
a memory-limited child).
"""

from __future__ import annotations

import logging
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lsi_rig.cli.app import main
from lsi_rig.core.errors import SceneError
from lsi_rig.scenes import Scene, load_scene_file, load_scenes, validate_scene_paths
from lsi_rig.scenes.pixels import MAX_SCENE_PIXELS
from lsi_rig.scenes.source import file_scene_source
from tests.masks.crafted import png16, png_claiming_size
from tests.models.memlimit import run_cases

RAMP16 = (np.arange(64 * 64, dtype=np.uint32).reshape(64, 64) * 16).astype(np.uint16)


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def _native(path: Path) -> np.ndarray:
    return load_scene_file(path, size=None).image


def _grey(image: np.ndarray) -> np.ndarray:
    assert np.array_equal(image[..., 0], image[..., 1])
    assert np.array_equal(image[..., 0], image[..., 2])
    return image[..., 0]


# -- 16-bit and wider ----------------------------------------------------------------------------


def test_16_bit_png_is_scaled_not_clipped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = png16(tmp_path / "ramp16.png", RAMP16)
    with caplog.at_level(logging.WARNING, logger="lsi_rig.scenes"):
        grey = _grey(_native(path))
    expected = np.round(RAMP16 / 257.0).astype(np.uint8)
    assert np.array_equal(grey, expected)
    assert np.mean(grey == 255) < 0.01  # the old convert("RGB") clipped 99.6 % to 255
    assert grey.min() == 0 and grey.max() == round(RAMP16.max() / 257)
    assert _warnings(caplog) == []
    resized = load_scene_file(path).image
    reference = Image.fromarray(np.repeat(expected[..., None], 3, axis=2)).resize(
        (256, 256), Image.Resampling.LANCZOS
    )
    assert np.array_equal(resized, np.asarray(reference))


@pytest.mark.parametrize("fmt", ["TIFF", "PPM"])
def test_16_bit_tiff_and_pgm(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"ramp.{fmt.lower()}"
    Image.fromarray(RAMP16).save(path, format=fmt)
    with Image.open(path) as img:
        assert img.mode in ("I;16", "I")
    assert np.array_equal(_grey(_native(path)), np.round(RAMP16 / 257.0).astype(np.uint8))


def test_16_bit_with_only_small_values_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = png16(tmp_path / "dim.png", np.arange(16, dtype=np.uint16).reshape(4, 4) * 17)
    with caplog.at_level(logging.WARNING, logger="lsi_rig.scenes"):
        grey = _grey(_native(path))
    assert grey.max() == 1  # 255 / 257 rounds to 1: a 16-bit file is read as 16-bit
    (message,) = _warnings(caplog)
    assert "dim.png" in message and "nearly black" in message


@pytest.mark.parametrize(("low", "high"), [(-5, 100), (0, 70000)])
def test_32_bit_integer_out_of_range_refused(tmp_path: Path, low: int, high: int) -> None:
    values = np.linspace(low, high, 16).astype(np.int32).reshape(4, 4)
    path = tmp_path / "i32.tif"
    Image.fromarray(values).save(path)
    with Image.open(path) as img:
        assert img.mode == "I"
    with pytest.raises(SceneError, match=rf"i32\.tif: I image holds values {low}…{high}"):
        load_scene_file(path)


# -- floats --------------------------------------------------------------------------------------


def test_float_tiff_in_unit_range(tmp_path: Path) -> None:
    values = np.linspace(0.0, 1.0, 64, dtype=np.float32).reshape(8, 8)
    path = tmp_path / "f.tif"
    Image.fromarray(values).save(path)
    assert np.array_equal(_grey(_native(path)), np.round(values * 255.0).astype(np.uint8))


@pytest.mark.parametrize(
    ("values", "needle"),
    [
        (np.linspace(0, 255, 16), r"values 0…255; only 0…1"),
        (np.linspace(-0.5, 0.5, 16), r"values -0\.5…0\.5"),
        (np.array([0.0, np.nan] * 8), "NaN or infinite"),
        (np.array([0.0, np.inf] * 8), "NaN or infinite"),
    ],
)
def test_float_tiff_outside_unit_range_refused(
    tmp_path: Path, values: np.ndarray, needle: str
) -> None:
    path = tmp_path / "f.tif"
    Image.fromarray(values.astype(np.float32).reshape(4, 4)).save(path)
    with pytest.raises(SceneError, match=rf"f\.tif: .*{needle}"):
        load_scene_file(path)


# -- alpha, palette, CMYK, 1-bit, orientation, frames --------------------------------------------


def _photo(shape: tuple[int, int] = (6, 8)) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (*shape, 3), dtype=np.uint8)


def test_opaque_alpha_is_dropped_silently(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    rgb = _photo()
    Image.fromarray(rgb).convert("RGBA").save(tmp_path / "a.png")
    Image.fromarray(rgb[..., 0]).convert("LA").save(tmp_path / "la.png")
    with caplog.at_level(logging.WARNING, logger="lsi_rig.scenes"):
        assert np.array_equal(_native(tmp_path / "a.png"), rgb)
        assert np.array_equal(_grey(_native(tmp_path / "la.png")), rgb[..., 0])
    assert _warnings(caplog) == []


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_transparency_is_composited_over_black_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, mode: str
) -> None:
    rgb = _photo()
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])
    rgba[0, :, 3] = 0
    rgba[1, :, 3] = 128
    img = Image.fromarray(rgba, mode="RGBA")
    if mode == "LA":
        img = img.convert("LA")
    img.save(tmp_path / "t.png")
    source = np.asarray(img.convert("RGBA")).astype(np.float64)
    expected = np.round(source[..., :3] * source[..., 3:] / 255.0).astype(np.uint8)
    with caplog.at_level(logging.WARNING, logger="lsi_rig.scenes"):
        loaded = _native(tmp_path / "t.png")
    assert np.array_equal(loaded, expected)
    assert not loaded[0].any()  # fully transparent row: black, not the hidden colour
    (message,) = _warnings(caplog)
    assert "t.png" in message and "33.3% of the pixels" in message and "over black" in message


def test_gif_with_transparent_index(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    index = np.array([[0, 1], [1, 2]], np.uint8)
    img = Image.fromarray(index, mode="P")
    img.putpalette([200, 10, 10, 10, 200, 10, 10, 10, 200] + [0] * 759)
    img.save(tmp_path / "p.gif", transparency=0)
    with caplog.at_level(logging.WARNING, logger="lsi_rig.scenes"):
        loaded = _native(tmp_path / "p.gif")
    assert loaded[0, 0].tolist() == [0, 0, 0]
    assert loaded[0, 1].tolist() == [10, 200, 10] and loaded[1, 1].tolist() == [10, 10, 200]
    assert any("transparent" in m for m in _warnings(caplog))


def test_cmyk_is_converted_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cmyk = Image.fromarray(_photo()).convert("CMYK")
    cmyk.save(tmp_path / "c.tif")
    with caplog.at_level(logging.WARNING, logger="lsi_rig.scenes"):
        loaded = _native(tmp_path / "c.tif")
    assert np.array_equal(loaded, np.asarray(cmyk.convert("RGB")))
    (message,) = _warnings(caplog)
    assert "CMYK" in message and "without colour management" in message


def test_one_bit_images_become_black_and_white(tmp_path: Path) -> None:
    bits = np.random.default_rng(1).random((5, 7)) > 0.5
    Image.fromarray(bits).convert("1").save(tmp_path / "b.png")
    Image.fromarray(bits).convert("1").save(tmp_path / "b2.pbm")
    for name in ("b.png", "b2.pbm"):
        assert np.array_equal(_grey(_native(tmp_path / name)), bits.astype(np.uint8) * 255)


@pytest.mark.parametrize(("orientation", "turns"), [(1, 0), (3, 2), (6, -1), (8, 1)])
def test_exif_orientation_is_applied(tmp_path: Path, orientation: int, turns: int) -> None:
    rgb = _photo((6, 10))
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(rgb).save(tmp_path / "o.png", exif=exif)
    assert np.array_equal(_native(tmp_path / "o.png"), np.rot90(rgb, k=turns))


def test_multi_frame_files_use_the_first_frame(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    frames = [Image.fromarray(np.full((4, 4, 3), v, np.uint8)) for v in (40, 200, 90)]
    frames[0].save(tmp_path / "anim.tif", save_all=True, append_images=frames[1:])
    with caplog.at_level(logging.WARNING, logger="lsi_rig.scenes"):
        assert (_native(tmp_path / "anim.tif") == 40).all()
    assert any("has 3 frames; the first one is used" in m for m in _warnings(caplog))


def test_unsupported_mode_refused(tmp_path: Path) -> None:
    Image.new("LAB", (4, 4)).save(tmp_path / "lab.tif")
    with pytest.raises(SceneError, match=r"lab\.tif: image mode 'LAB' is not supported"):
        load_scene_file(tmp_path / "lab.tif")


def test_lazy_source_warns_once_per_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    Image.new("CMYK", (4, 4)).save(tmp_path / "c.tif")
    with caplog.at_level(logging.WARNING, logger="lsi_rig.scenes"):
        source = file_scene_source([tmp_path])
        source.load(0)
        source.load(0)
    assert len(_warnings(caplog)) == 1


# -- bombs, sizes, empty files -------------------------------------------------------------------


def _bmp_claiming_size(path: Path, width: int, height: int) -> Path:
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(path, format="BMP")
    raw = bytearray(path.read_bytes())
    raw[18:26] = struct.pack("<ii", width, height)
    path.write_bytes(bytes(raw))
    return path


def test_decompression_bombs_refused_from_the_header(tmp_path: Path) -> None:
    files = {
        "png_huge": png_claiming_size(tmp_path / "huge.png", 20_000, 20_000),
        "png_over_limit": png_claiming_size(tmp_path / "over.png", 9000, 9000),
        "bmp_huge": _bmp_claiming_size(tmp_path / "huge.bmp", 30_000, 30_000),
    }
    cases = {}
    for name, path in files.items():
        cases[f"{name}_load"] = f"load_scene_file({str(path)!r})"
        cases[f"{name}_validate"] = f"validate_scene_paths([{str(path)!r}])"
        cases[f"{name}_source"] = f"file_scene_source([{str(path)!r}])"
    setup = """
from lsi_rig.scenes import load_scene_file, validate_scene_paths
from lsi_rig.scenes.source import file_scene_source
"""
    results = run_cases(cases, setup=setup)
    for name, result in results.items():
        assert result["type"] == "SceneError", (name, result)
        stem = name.rsplit("_", 1)[0]
        assert str(files[stem]) in result["message"], (name, result)
        assert "\n" not in result["message"]
    over = results["png_over_limit_load"]["message"]
    assert "9000×9000 pixels" in over and f"{MAX_SCENE_PIXELS}" in over
    assert "far too large" in results["png_huge_load"]["message"]


@pytest.mark.parametrize("size", [60000, -5, 0])
def test_absurd_resize_targets_refused(tmp_path: Path, size: int) -> None:
    Image.fromarray(_photo()).save(tmp_path / "s.png")
    for call in (load_scenes, file_scene_source):
        with pytest.raises(SceneError, match=rf"scene size must be 1…8192 pixels.*got {size}"):
            call([tmp_path], size=size)


def test_capture_size_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Image.fromarray(_photo()).save(tmp_path / "s.png")
    for size in ("60000", "-5"):
        code = main(["capture", "--rig", "sim-ideal", "--masks", "demo:hadamard16:16",
                     "--images", str(tmp_path), "--out", str(tmp_path / "o.h5"),
                     "--size", size, "--quiet"])  # fmt: skip
        err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
        assert code == 2 and len(err) == 1 and "'--size'" in err[0], err
        assert not (tmp_path / "o.h5").exists()


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".tif", ".gif"])
def test_zero_byte_image_is_named(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"empty{suffix}"
    path.write_bytes(b"")
    with pytest.raises(SceneError, match=rf"empty\{suffix}: image is corrupt or unreadable"):
        validate_scene_paths([path])
    with pytest.raises(SceneError, match=rf"empty\{suffix}: cannot decode image"):
        load_scene_file(path)


def test_scene_with_wrong_pixels_is_a_scene_error() -> None:
    with pytest.raises(SceneError, match=r"'x': image must be uint8 \[H, W, 3\], got float64"):
        Scene("x", np.zeros((4, 4, 3)))

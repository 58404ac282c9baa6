"""load_scenes / validate_scene_paths: formats, resizing, and errors that name the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lsi_rig.core.errors import SceneError
from lsi_rig.scenes import load_scenes, validate_scene_paths


def _photo(seed: int, shape: tuple[int, int] = (40, 60)) -> np.ndarray:
    return (np.random.default_rng(seed).random((*shape, 3)) * 255).astype(np.uint8)


def test_lanczos_resize_and_modes(tmp_path: Path) -> None:
    rgb = _photo(0)
    Image.fromarray(rgb).save(tmp_path / "c.png")
    Image.fromarray(rgb).convert("RGBA").save(tmp_path / "d.webp", lossless=True)
    Image.fromarray(rgb[..., 1]).save(tmp_path / "e.bmp")
    scenes = load_scenes([tmp_path])
    assert [s.scene_id for s in scenes] == ["c", "d", "e"]
    expected = np.asarray(Image.fromarray(rgb).resize((256, 256), Image.Resampling.LANCZOS))
    assert np.array_equal(scenes[0].image, expected)
    assert np.array_equal(scenes[1].image, expected)  # lossless webp, alpha dropped
    assert np.array_equal(scenes[2].image[..., 0], scenes[2].image[..., 2])
    assert scenes[0].path == str((tmp_path / "c.png").resolve())
    native = load_scenes([tmp_path / "c.png"], size=None)[0]
    assert np.array_equal(native.image, rgb)
    assert load_scenes([tmp_path / "c.png"], size=32)[0].image.shape == (32, 32, 3)


def test_duplicate_stems_across_inputs(tmp_path: Path) -> None:
    Image.fromarray(_photo(1)).save(tmp_path / "x.png")
    Image.fromarray(_photo(2)).save(tmp_path / "x.jpg")
    with pytest.raises(SceneError, match=r"scene id 'x' is used by both .*x\.jpg and .*x\.png"):
        load_scenes([tmp_path])
    with pytest.raises(SceneError, match="scene id 'x'"):
        validate_scene_paths([tmp_path])


def test_input_errors(tmp_path: Path) -> None:
    with pytest.raises(SceneError, match="no images given"):
        load_scenes([])
    with pytest.raises(SceneError, match=r"missing\.png: not found"):
        load_scenes([tmp_path / "missing.png"])
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(SceneError, match=r"notes\.txt: not a supported image type"):
        load_scenes([tmp_path / "notes.txt"])
    with pytest.raises(SceneError, match=r"folder holds no images"):
        load_scenes([tmp_path])


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "BMP", "TIFF"])
def test_truncated_files_fail_validation_before_capture(tmp_path: Path, fmt: str) -> None:
    good = tmp_path / "good.png"
    Image.fromarray(_photo(3)).save(good)
    bad = tmp_path / f"bad.{fmt.lower()}"
    Image.fromarray(_photo(4, (300, 300))).save(bad, format=fmt)
    bad.write_bytes(bad.read_bytes()[: bad.stat().st_size // 2])
    assert validate_scene_paths([good]) == [good.resolve()]
    with pytest.raises(SceneError) as info:
        validate_scene_paths([good, bad])
    assert str(bad) in str(info.value) and "corrupt or unreadable" in str(info.value)
    with pytest.raises(SceneError, match="cannot decode image"):
        load_scenes([bad])


def test_garbage_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "junk.jpg").write_bytes(b"definitely not a jpeg")
    with pytest.raises(SceneError, match=r"junk\.jpg: image is corrupt or unreadable"):
        validate_scene_paths([tmp_path])
    with pytest.raises(SceneError, match=r"junk\.jpg: cannot decode image"):
        load_scenes([tmp_path / "junk.jpg"])

"""Procedural demo scenes and image loading."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lsi_rig.core.errors import SceneError
from lsi_rig.scenes.loading import iter_scene_paths, load_scene_file, load_scenes
from lsi_rig.scenes.procedural import demo_scenes
from lsi_rig.scenes.source import file_scene_source


def test_demo_scenes_are_deterministic_faces_and_targets() -> None:
    a = demo_scenes(count=8)
    b = demo_scenes(count=8)
    assert [s.sha256 for s in a] == [s.sha256 for s in b]
    assert all(s.image.shape == (256, 256, 3) and s.image.dtype == np.uint8 for s in a)
    ids = [s.scene_id for s in demo_scenes()]
    assert any(i.startswith("face_") for i in ids) and any(i.startswith("target_") for i in ids)
    assert len(set(ids)) == len(ids)
    assert demo_scenes(count=2, seed=1)[0].sha256 != a[0].sha256
    # not flat: a face has structure at 32x32
    face = a[0].image.astype(float).sum(axis=2).reshape(32, 8, 32, 8).mean(axis=(1, 3))
    assert face.std() > 20


def test_load_resizes_to_rgb_256(tmp_path: Path) -> None:
    grey = (np.arange(64 * 32) % 256).astype(np.uint8).reshape(64, 32)
    Image.fromarray(grey).save(tmp_path / "g.png")
    scene = load_scene_file(tmp_path / "g.png")
    assert scene.image.shape == (256, 256, 3) and scene.scene_id == "g"
    assert np.array_equal(scene.image[..., 0], scene.image[..., 1])
    native = load_scene_file(tmp_path / "g.png", size=None)
    assert native.image.shape == (64, 32, 3)


def test_folder_order_is_natural(tmp_path: Path) -> None:
    for name in ("img_10.png", "img_2.png", "img_1.jpg", "notes.txt"):
        if name.endswith("txt"):
            (tmp_path / name).write_text("x")
        else:
            Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / name)
    assert [p.name for p in iter_scene_paths([tmp_path])] == [
        "img_1.jpg",
        "img_2.png",
        "img_10.png",
    ]


def test_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(SceneError, match=r"nope\.png: not found"):
        load_scenes([tmp_path / "nope.png"])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SceneError, match="no images"):
        load_scenes([empty])
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage")
    with pytest.raises(SceneError, match=r"bad\.png"):
        load_scenes([bad])
    a = tmp_path / "a"
    b = tmp_path / "b"
    a.mkdir()
    b.mkdir()
    for folder in (a, b):
        Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(folder / "same.png")
    with pytest.raises(SceneError, match="'same' is used by both"):
        file_scene_source([a, b])


def test_lazy_source_detects_a_changed_file(tmp_path: Path) -> None:
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "s.png")
    source = file_scene_source([tmp_path])
    assert source.load(0).sha256 == source.infos[0].sha256
    Image.fromarray(np.full((8, 8, 3), 9, np.uint8)).save(tmp_path / "s.png")
    with pytest.raises(SceneError, match="changed since the capture started"):
        source.load(0)

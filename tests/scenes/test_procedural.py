"""Demo scenes: ids, determinism (pinned by hash), and that targets are what they claim."""

from __future__ import annotations

import numpy as np
import pytest

from lsi_rig.scenes import demo_scenes
from lsi_rig.scenes.faces import face_render
from lsi_rig.scenes.procedural import TARGETS, face_scene, face_scenes_with_truth

TARGET_IDS = [
    "target_checkerboard",
    "target_bars",
    "target_siemens_star",
    "target_grey_ramp",
    "target_colour_bars",
    "target_dot_grid",
]


def test_default_ids_and_counts() -> None:
    scenes = demo_scenes()
    assert [s.scene_id for s in scenes] == [f"face_{i:03d}" for i in range(6)] + TARGET_IDS
    assert list(TARGETS) == TARGET_IDS
    assert [s.scene_id for s in demo_scenes(count=2)] == ["face_000", "face_001"]
    more = [s.scene_id for s in demo_scenes(count=14)]
    assert more[-2:] == ["face_006", "face_007"]
    assert demo_scenes(count=0) == []
    assert all(s.path == "" and s.image.shape == (256, 256, 3) for s in scenes)
    assert demo_scenes(count=1, size=64)[0].image.shape == (64, 64, 3)
    with pytest.raises(ValueError, match="size >= 16"):
        demo_scenes(size=8)


def test_same_seed_same_sha256_other_seed_other_faces() -> None:
    first = [s.sha256 for s in demo_scenes(seed=3)]
    assert first == [s.sha256 for s in demo_scenes(seed=3)]
    other = [s.sha256 for s in demo_scenes(seed=4)]
    assert all(a != b for a, b in zip(first[:6], other[:6], strict=True))
    assert first[6:] == other[6:]  # targets do not depend on the seed
    assert len(set(first)) == len(first)
    assert face_scene(7, seed=3).sha256 == demo_scenes(count=14, seed=3)[13].sha256


def test_faces_have_a_skin_toned_centre_and_structure_at_32px() -> None:
    for scene in demo_scenes(count=6, seed=11):
        img = scene.image.astype(float)
        centre = img[110:150, 100:156].reshape(-1, 3).mean(axis=0)
        assert centre[0] > centre[2] and centre[0] >= centre[1], scene.scene_id  # skin: R>G>B
        small = img.sum(axis=2).reshape(32, 8, 32, 8).mean(axis=(1, 3))
        assert small.std() > 20, scene.scene_id
        # eyes: a dark pupil inside the eye classes of the ground truth
        truth = face_render(11, int(scene.scene_id[-3:]))
        eyes = np.isin(truth.segmentation, (8, 9))
        assert np.array_equal(truth.image, scene.image)
        assert img.sum(axis=2)[eyes].min() < 120, scene.scene_id  # glasses tint a little


def test_targets_by_value() -> None:
    scenes = {s.scene_id: s.image for s in demo_scenes()[6:]}
    board = scenes["target_checkerboard"][..., 0]
    assert board[0, 0] == 0 and board[0, 32] == 255 and board[32, 0] == 255 and board[32, 32] == 0
    ramp = scenes["target_grey_ramp"][..., 0].astype(int)
    assert np.all(np.diff(ramp[0]) >= 0) and ramp[0, 0] < 2 and ramp[0, -1] > 253
    assert len(np.unique(ramp[-1])) == 16
    bars = scenes["target_colour_bars"]
    assert bars[0, 0].tolist() == [191, 191, 191] and bars[0, 40].tolist() == [191, 191, 0]
    assert bars[0, -1].tolist() == [0, 0, 0]
    star = scenes["target_siemens_star"][..., 0].astype(float)
    yy, xx = np.mgrid[:256, :256] - 127.5
    disc = np.hypot(xx, yy) < 100
    assert abs(star[disc].mean() / 255 - 0.5) < 0.02
    dots = scenes["target_dot_grid"][..., 0]
    assert dots[16, 16] == 255 and dots[0, 0] == 0
    chart = scenes["target_bars"][..., 0]
    assert set(np.unique(chart).tolist()) == {0, 128, 255}
    for image in scenes.values():
        assert image.dtype == np.uint8


def test_face_scenes_with_truth_match_demo_faces() -> None:
    pairs = face_scenes_with_truth(3, seed=5, start=2)
    assert [s.scene_id for s, _ in pairs] == ["face_002", "face_003", "face_004"]
    assert pairs[0][0].sha256 == face_scene(2, seed=5).sha256
    assert pairs[1][1].segmentation.shape == (256, 256)

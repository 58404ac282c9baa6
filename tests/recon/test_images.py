"""side_by_side_png: layout, common grey scale, nearest-neighbour blocks, labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from lsi_rig.recon.images import side_by_side_png


def test_layout_and_common_scale(tmp_path: Path) -> None:
    left = np.arange(16, dtype=float).reshape(4, 4) * 2.0  # 0 … 30
    right = np.full((8, 8), 15.0)
    right[0, 0] = 100.0  # above the left's range: clipped to white
    path = side_by_side_png(tmp_path / "sub" / "pair.png", left, right, labels=None, scale_to=64)
    assert path == tmp_path / "sub" / "pair.png"
    with Image.open(path) as img:
        assert img.mode == "L"
        pixels = np.asarray(img)
    assert pixels.shape == (64, 64 + 8 + 64)
    left_tile, gap, right_tile = pixels[:, :64], pixels[:, 64:72], pixels[:, 72:]
    assert not gap.any()
    assert left_tile[0, 0] == 0 and left_tile[-1, -1] == 255
    assert np.all(left_tile[:16, :16] == 0)  # 4×4 → 64: 16-pixel blocks
    assert left_tile[0, 16] == round(2 / 30 * 255)
    assert right_tile[0, 0] == 255 and right_tile[8, 8] == 128  # 15 of 0…30


def test_labels_are_drawn_above(tmp_path: Path) -> None:
    image = np.random.default_rng(0).random((32, 32))
    plain = side_by_side_png(tmp_path / "a.png", image, image, labels=None)
    labelled = side_by_side_png(tmp_path / "b.png", image, image)
    with Image.open(plain) as a, Image.open(labelled) as b:
        pa, pb = np.asarray(a), np.asarray(b)
    assert pb.shape[0] > pa.shape[0] == 256
    strip = pb[: pb.shape[0] - 256]
    assert strip[:, :256].any() and strip[:, 264:].any()  # text over each tile
    assert np.array_equal(pb[pb.shape[0] - 256 :], pa)


def test_constant_and_nan_inputs_do_not_fail(tmp_path: Path) -> None:
    flat = np.full((4, 4), 3.0)
    with_nan = flat.copy()
    with_nan[1, 1] = np.nan
    path = side_by_side_png(tmp_path / "c.png", flat, with_nan, labels=None, scale_to=4)
    with Image.open(path) as img:
        pixels = np.asarray(img)
    assert pixels[:, :4].max() == 0 and pixels[1, 13] == 0

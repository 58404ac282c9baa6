"""Masks ↔ 912×1140 RGB888 frames: bit-plane order, diamond placement, round trips."""

from __future__ import annotations

import numpy as np
import pytest

from lsi_rig.core.errors import MaskError
from lsi_rig.dmd.dlpc350.packing import (
    PLANE_CHANNEL_BIT,
    frame_plane,
    mirror_index_map,
    pack_frames,
    place_masks,
    unpack_masks,
)

R, G, B = 0, 1, 2


@pytest.mark.parametrize(
    ("shape", "k", "col0", "row0"),
    [
        ((256, 256), 2, 200, 58),
        ((128, 128), 4, 200, 58),
        ((64, 64), 8, 200, 58),
        ((32, 32), 17, 184, 26),
    ],
)
def test_placement_table(shape: tuple[int, int], k: int, col0: int, row0: int) -> None:
    placement = place_masks(shape)  # hardware.md §1.1 table
    assert (placement.block_size, placement.col0, placement.row0) == (k, col0, row0)


def test_plane_order() -> None:
    assert PLANE_CHANNEL_BIT[0] == (G, 0) and PLANE_CHANNEL_BIT[7] == (G, 7)
    assert PLANE_CHANNEL_BIT[8] == (R, 0) and PLANE_CHANNEL_BIT[15] == (R, 7)
    assert PLANE_CHANNEL_BIT[16] == (B, 0) and PLANE_CHANNEL_BIT[23] == (B, 7)


def test_mirror_positions_by_hand() -> None:
    bits = np.zeros((10, 256, 256), dtype=bool)
    bits[0, 0, 0] = True  # pattern 0 → G bit 0
    bits[9, 255, 255] = True  # pattern 9 → R bit 1
    bits[2, 10, 3] = True  # pattern 2 → G bit 2
    (frame,) = pack_frames(bits, place_masks((256, 256)))
    # mask pixel (i, j) covers rows 58+4i … +3, columns 200+2j … +1
    assert (frame[58:62, 200:202, G] == 1).all()
    assert frame[57, 200, G] == 0 and frame[58, 199, G] == 0 and frame[62, 200, G] == 0
    assert frame[58, 202, G] == 0
    assert (frame[58 + 1020 : 58 + 1024, 710:712, R] == 2).all()
    assert frame[1082, 711, R] == 0 and frame[1081, 712, R] == 0
    assert (frame[58 + 40 : 58 + 44, 206:208, G] == 4).all()
    assert frame[:, :, B].max() == 0
    assert int(frame.astype(np.int64).sum()) == 8 * 1 + 8 * 2 + 8 * 4


@pytest.mark.parametrize(
    ("n", "shape", "frames"), [(24, (32, 32), 1), (64, (32, 32), 3), (256, (64, 64), 11)]
)
def test_round_trip(n: int, shape: tuple[int, int], frames: int) -> None:
    rng = np.random.default_rng(n)
    bits = rng.random((n, *shape)) < 0.5
    placement = place_masks(shape)
    packed = pack_frames(bits, placement)
    assert packed.shape == (frames, 1140, 912, 3) and packed.dtype == np.uint8
    assert np.array_equal(unpack_masks(packed, n, placement), bits)
    used = n - 24 * (frames - 1)
    for p in range(used, 24):  # unused planes of the last frame are off
        assert not frame_plane(packed[-1], p).any()
    # a mirror of the last pattern, by hand
    k, c0, r0 = placement.block_size, placement.col0, placement.row0
    i, j = shape[0] - 1, 1
    assert frame_plane(packed[-1], used - 1)[r0 + 2 * k * i, c0 + k * j] == bits[-1, i, j]


def test_round_trip_detects_corruption() -> None:
    bits = np.ones((2, 32, 32), dtype=bool)
    placement = place_masks((32, 32))
    frames = pack_frames(bits, placement)
    frames[0, 0, 0, G] = 1  # a mirror outside the mask area
    with pytest.raises(MaskError):
        unpack_masks(frames, 2, placement)


def test_offset_and_block_size() -> None:
    placement = place_masks((32, 32), block_size=10, offset=(5, -3))
    assert (placement.col0, placement.row0) == ((912 - 320) // 2 + 5, (1140 - 640) // 2 - 3)
    bits = np.random.default_rng(1).random((3, 32, 32)) < 0.5
    assert np.array_equal(unpack_masks(pack_frames(bits, placement), 3, placement), bits)
    with pytest.raises(MaskError):
        place_masks((32, 32), block_size=30)


def test_general_mapping_reduces_to_blocks() -> None:
    aligned = place_masks((32, 32))
    tiny = place_masks((32, 32), rotation_deg=1e-9)
    assert not tiny.is_block_aligned
    assert np.array_equal(mirror_index_map(aligned), mirror_index_map(tiny))


def test_rotation_90_turns_mask_clockwise() -> None:
    shape = (16, 16)
    index = mirror_index_map(place_masks(shape, rotation_deg=90.0))
    aligned = mirror_index_map(place_masks(shape))
    grid = np.arange(256).reshape(shape)
    inside = aligned >= 0
    clockwise = np.rot90(grid, k=-1)  # in row-down frame coordinates
    rotated = clockwise.ravel()[np.where(inside, aligned, 0)]
    assert np.array_equal(index[inside], rotated[inside])


def test_scale_half_shrinks_area() -> None:
    index = mirror_index_map(place_masks((32, 32), scale=0.5))
    rows, cols = np.nonzero(index >= 0)
    assert cols.max() - cols.min() + 1 == pytest.approx(32 * 17 / 2, abs=1)
    assert rows.max() - rows.min() + 1 == pytest.approx(2 * 32 * 17 / 2, abs=2)

"""Mask placement on the diamond array (hardware.md §1.1 table)."""

from __future__ import annotations

import numpy as np
import pytest

from lsi_rig.core.errors import ConfigError
from lsi_rig.world import World, WorldConfig
from lsi_rig.world.config import DmdArrayConfig


@pytest.mark.parametrize(
    ("n", "k", "cols", "rows", "col0", "row0"),
    [
        (256, 2, 512, 1024, 200, 58),
        (128, 4, 512, 1024, 200, 58),
        (64, 8, 512, 1024, 200, 58),
        (32, 17, 544, 1088, 184, 26),
        (16, 35, 560, 1120, 176, 10),
    ],
)
def test_geometry_table(n: int, k: int, cols: int, rows: int, col0: int, row0: int) -> None:
    g = World(WorldConfig()).mask_geometry((n, n))
    assert (g.block_size, g.width_cols, g.height_rows, g.col0, g.row0) == (
        k,
        cols,
        rows,
        col0,
        row0,
    )
    assert g.mask_shape == (n, n)


def test_block_size_and_offset_override() -> None:
    cfg = WorldConfig(dmd=DmdArrayConfig(block_size=3, placement_offset=(5, -4)))
    g = World(cfg).mask_geometry((32, 32))
    assert (g.block_size, g.width_cols, g.height_rows) == (3, 96, 192)
    assert (g.col0, g.row0) == ((912 - 96) // 2 + 5, (1140 - 192) // 2 - 4)


def test_mask_that_does_not_fit_is_refused() -> None:
    cfg = WorldConfig(dmd=DmdArrayConfig(block_size=5))
    with pytest.raises(ConfigError, match="does not fit"):
        World(cfg).mask_geometry((256, 256))


def test_masks_to_mirrors_expands_blocks() -> None:
    world = World(WorldConfig())
    bits = np.zeros((2, 32, 32), dtype=bool)
    bits[0, 3, 5] = True
    bits[1] = True
    mirrors = world.masks_to_mirrors(bits)
    assert mirrors.shape == (2, 1140, 912)
    on = np.argwhere(mirrors[0])
    assert on.shape[0] == 17 * 34
    assert on[:, 0].min() == 26 + 3 * 34 and on[:, 0].max() == 26 + 4 * 34 - 1
    assert on[:, 1].min() == 184 + 5 * 17 and on[:, 1].max() == 184 + 6 * 17 - 1
    assert mirrors[1].sum() == 544 * 1088
    assert not mirrors[1, :26].any() and not mirrors[1, :, :184].any()

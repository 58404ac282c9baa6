"""Where a mask lands on the DLP4500 diamond array (shared/reference/hardware.md §1.1).

A physically square mask pixel is k mirror columns × 2k mirror rows (the row pitch is half the
column pitch). By default k is the largest block that fits the array (``floor(570 / max(H, W))``)
and the mask area is centred; ``dmd.block_size`` and ``dmd.placement_offset`` override that.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lsi_rig.core.errors import ConfigError, MaskError
from lsi_rig.world.config import DmdArrayConfig


@dataclass(frozen=True)
class MaskGeometry:
    """Placement of an H×W mask: pixel (i, j) covers rows ``row0 + 2k·i … +2k`` and columns
    ``col0 + k·j … +k`` of the mirror array."""

    mask_shape: tuple[int, int]
    block_size: int
    col0: int
    row0: int
    width_cols: int
    height_rows: int

    @property
    def rows(self) -> slice:
        return slice(self.row0, self.row0 + self.height_rows)

    @property
    def cols(self) -> slice:
        return slice(self.col0, self.col0 + self.width_cols)


@dataclass(frozen=True)
class MirrorArea:
    """A rectangle of mirrors (index space) that the scene image is registered to fill."""

    col0: int
    row0: int
    width_cols: int
    height_rows: int

    @classmethod
    def of(cls, geometry: MaskGeometry) -> MirrorArea:
        return cls(geometry.col0, geometry.row0, geometry.width_cols, geometry.height_rows)


def mask_geometry(dmd: DmdArrayConfig, mask_shape: tuple[int, int]) -> MaskGeometry:
    """Block size and centred placement of an H×W mask on the array (see module docstring)."""
    h, w = int(mask_shape[0]), int(mask_shape[1])
    if h < 1 or w < 1:
        raise MaskError(f"mask shape {mask_shape} is empty")
    k = (
        dmd.block_size
        if dmd.block_size is not None
        else min(dmd.rows // 2, dmd.columns) // max(h, w)
    )
    width, height = k * w, 2 * k * h
    col0 = (dmd.columns - width) // 2 + dmd.placement_offset[0]
    row0 = (dmd.rows - height) // 2 + dmd.placement_offset[1]
    if k < 1 or col0 < 0 or row0 < 0 or col0 + width > dmd.columns or row0 + height > dmd.rows:
        raise ConfigError(
            f"world.dmd: a {h}x{w} mask with block size {k} and placement offset "
            f"{dmd.placement_offset} does not fit the {dmd.columns}x{dmd.rows} mirror array "
            "(reduce dmd.block_size or the offset)"
        )
    return MaskGeometry((h, w), k, col0, row0, width, height)


def masks_to_mirrors(bits: np.ndarray, geometry: MaskGeometry, dmd: DmdArrayConfig) -> np.ndarray:
    """bool [P, H, W] -> bool [P, rows, columns]: each mask pixel becomes k cols × 2k rows."""
    bits = np.asarray(bits, dtype=bool)
    if bits.ndim == 2:
        bits = bits[None]
    if bits.shape[1:] != geometry.mask_shape:
        raise MaskError(f"masks of shape {bits.shape[1:]} do not match {geometry.mask_shape}")
    k = geometry.block_size
    out = np.zeros((bits.shape[0], dmd.rows, dmd.columns), dtype=bool)
    out[:, geometry.rows, geometry.cols] = np.repeat(np.repeat(bits, 2 * k, axis=1), k, axis=2)
    return out


def lit_area(packed: np.ndarray, columns: int) -> MirrorArea | None:
    """Bounding box of every mirror that is on in any pattern (packed bits [P, rows, bytes])."""
    union = np.bitwise_or.reduce(packed, axis=0)
    on = np.unpackbits(union, axis=-1, count=columns).astype(bool)
    rows = np.flatnonzero(on.any(axis=1))
    cols = np.flatnonzero(on.any(axis=0))
    if rows.size == 0:
        return None
    return MirrorArea(
        int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)
    )

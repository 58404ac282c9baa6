"""A loaded pattern set and the optical power it sends to the detector for a given scene.

Mask-level sets keep the bits at mask resolution; the power of pattern p is then
``Σ_ij bits[p,i,j] · D[i,j]`` with D the per-mask-pixel block sums of the mirror power map.
Mirror-level sets (decoded from DLPC350 video frames) are stored packed (``np.packbits``, 1 bit
per mirror); when every pattern turns out to be constant over k×2k mirror blocks of its lit
area they are reduced to mask level, which makes a new scene cost one small matrix product.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lsi_rig.core.errors import MaskError
from lsi_rig.world.geometry import MaskGeometry, MirrorArea, lit_area

log = logging.getLogger(__name__)

_CHUNK = 64  # patterns per matrix-product chunk (bounds float64 temporaries to ~32 MB)


def block_sums(power: np.ndarray, geometry: MaskGeometry) -> np.ndarray:
    """float64 [H, W]: mirror power summed over each mask pixel's k cols × 2k rows."""
    h, w = geometry.mask_shape
    k = geometry.block_size
    region = power[geometry.rows, geometry.cols]
    return region.reshape(h, 2 * k, w, k).sum(axis=(1, 3))


@dataclass(frozen=True, eq=False)
class LoadedPatterns:
    """Either ``bits`` [P, H, W] with ``geometry`` (mask level) or ``packed`` [P, rows, bytes]
    (mirror level, general). ``area`` is what the scene is registered to fill."""

    set_id: int
    n: int
    area: MirrorArea
    geometry: MaskGeometry | None = None
    bits: np.ndarray | None = None
    packed: np.ndarray | None = None
    lit: MirrorArea | None = None
    columns: int = 912

    def on_power_w(self, power: np.ndarray) -> np.ndarray:
        """float64 [P]: Σ over 'on' mirrors of the mirror power map (W)."""
        if self.bits is not None and self.geometry is not None:
            d = block_sums(power, self.geometry).ravel()
            flat = self.bits.reshape(self.n, -1)
            return np.concatenate(
                [flat[i : i + _CHUNK].astype(np.float64) @ d for i in range(0, self.n, _CHUNK)]
            )
        out = np.zeros(self.n)
        if self.packed is None or self.lit is None:
            return out
        rows = slice(self.lit.row0, self.lit.row0 + self.lit.height_rows)
        cols = slice(self.lit.col0, self.lit.col0 + self.lit.width_cols)
        sub = power[rows, cols].ravel()
        step = 8
        for i in range(0, self.n, step):
            on = np.unpackbits(self.packed[i : i + step, rows], axis=-1, count=self.columns)
            out[i : i + step] = on[:, :, cols].reshape(on.shape[0], -1).astype(np.float64) @ sub
        return out


def from_mask_bits(set_id: int, bits: np.ndarray, geometry: MaskGeometry) -> LoadedPatterns:
    bits = np.ascontiguousarray(bits, dtype=bool)
    bits.setflags(write=False)
    return LoadedPatterns(
        set_id, int(bits.shape[0]), MirrorArea.of(geometry), geometry=geometry, bits=bits
    )


def from_mirror_states(
    set_id: int,
    states: np.ndarray,
    *,
    rows: int,
    columns: int,
    default_area: MirrorArea,
    area: MirrorArea | None = None,
    candidates: Sequence[MaskGeometry] = (),
) -> LoadedPatterns:
    """Pack bool [P, rows, columns] mirror states (or take already packed uint8), find the lit
    area and try the reduction to mask level.

    The scene is registered to ``area`` when given; otherwise to the smallest candidate mask
    geometry (the standard square sizes) that contains the lit area on its block grid with a
    block size dividing the reduced one, so an emulated sequence registers exactly like the
    mask-level sequence it came from even if its border pixels are never on; otherwise to the
    lit area itself."""
    states = np.asarray(states)
    if states.dtype == np.uint8 and states.shape[1:] == (rows, (columns + 7) // 8):
        packed = states
    elif states.ndim == 3 and states.shape[1:] == (rows, columns):
        packed = np.packbits(states.astype(bool, copy=False), axis=-1)
    else:
        raise MaskError(
            f"mirror-level patterns must be bool [P, {rows}, {columns}] (or packed uint8), "
            f"got {states.dtype} {states.shape}"
        )
    n = int(packed.shape[0])
    lit = lit_area(packed, columns)
    reduced = _reduce(packed, lit, columns) if lit is not None else None
    registered = area or _registration(lit, reduced[0] if reduced else None, candidates)
    registered = registered or lit or default_area
    if reduced is not None:
        geometry, bits = reduced
        log.debug(
            "mirror patterns reduced to %s masks (k=%d)", geometry.mask_shape, geometry.block_size
        )
        bits.setflags(write=False)
        return LoadedPatterns(set_id, n, registered, geometry=geometry, bits=bits, columns=columns)
    packed.setflags(write=False)
    return LoadedPatterns(set_id, n, registered, packed=packed, lit=lit, columns=columns)


def _registration(
    lit: MirrorArea | None, reduced: MaskGeometry | None, candidates: Sequence[MaskGeometry]
) -> MirrorArea | None:
    if lit is None or reduced is None:
        return None
    for g in sorted(candidates, key=lambda g: g.width_cols * g.height_rows):
        k = g.block_size
        inside = (
            g.col0 <= lit.col0
            and g.row0 <= lit.row0
            and lit.col0 + lit.width_cols <= g.col0 + g.width_cols
            and lit.row0 + lit.height_rows <= g.row0 + g.height_rows
        )
        aligned = (lit.col0 - g.col0) % k == 0 and (lit.row0 - g.row0) % (2 * k) == 0
        if inside and aligned and reduced.block_size % k == 0:
            return MirrorArea.of(g)
    return None


def _unpack_area(packed: np.ndarray, lit: MirrorArea, columns: int) -> np.ndarray:
    rows = slice(lit.row0, lit.row0 + lit.height_rows)
    on = np.unpackbits(packed[:, rows], axis=-1, count=columns).astype(bool)
    return on[:, :, lit.col0 : lit.col0 + lit.width_cols]


def _block_constant(area_bits: np.ndarray, k: int) -> np.ndarray | None:
    """bits [P, H, W] if every k-col × 2k-row block of ``area_bits`` [P, rows, cols] is uniform."""
    p, rows, cols = area_bits.shape
    h, w = rows // (2 * k), cols // k
    blocks = area_bits.reshape(p, h, 2 * k, w, k)
    first = blocks[:, :, :1, :, :1]
    if not np.array_equal(np.broadcast_to(first, blocks.shape), blocks):
        return None
    return np.ascontiguousarray(first[:, :, 0, :, 0])


def _reduce(
    packed: np.ndarray, lit: MirrorArea, columns: int
) -> tuple[MaskGeometry, np.ndarray] | None:
    """Largest block size k (k cols × 2k rows) over which all patterns are constant."""
    width, height = lit.width_cols, lit.height_rows
    candidates = [k for k in range(width, 0, -1) if width % k == 0 and height % (2 * k) == 0]
    probe = _unpack_area(packed[: min(8, packed.shape[0])], lit, columns)
    for k in candidates:
        if _block_constant(probe, k) is None:
            continue
        parts = []
        for i in range(0, packed.shape[0], 32):
            part = _block_constant(_unpack_area(packed[i : i + 32], lit, columns), k)
            if part is None:
                break
            parts.append(part)
        else:
            bits = np.concatenate(parts)
            shape = (height // (2 * k), width // k)
            geometry = MaskGeometry(shape, k, lit.col0, lit.row0, width, height)
            return geometry, bits
    return None

"""Masks ↔ 912×1140 RGB888 video frames for the DLPC350 video-port pattern mode.

Placement (hardware.md §1.1): the DLP4500 mirrors form a diamond array of 912 columns × 1140
rows with a row pitch of half the column pitch, so a physically square mask pixel is k columns ×
2k rows. The default k is floor(570 / max(H, W)) and the mask area is centred, the same formula
as the World's ``mask_geometry`` (256² → k 2 at column 200, row 58). Calibration may shift, scale
and rotate the mask area; the mapping is then evaluated per mirror centre (nearest mask pixel).

Bit planes (§1.2): pattern number p of a frame is bit p of green for p 0–7, bit p−8 of red for
8–15, bit p−16 of blue for 16–23. Frames are uint8 [1140, 912, 3] in R, G, B channel order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from lsi_rig.core.errors import MaskError

DMD_COLUMNS = 912
DMD_ROWS = 1140
COLUMN_PITCH_UM = 10.8
ROW_PITCH_UM = 5.4
PLANES_PER_FRAME = 24
#: (channel index in R,G,B order, bit) of pattern numbers 0–23.
PLANE_CHANNEL_BIT: tuple[tuple[int, int], ...] = tuple(
    (1, p) if p < 8 else (0, p - 8) if p < 16 else (2, p - 16) for p in range(PLANES_PER_FRAME)
)


@dataclass(frozen=True)
class MaskPlacement:
    """Where an H×W mask lands on the mirror array (before rotation/scale)."""

    mask_shape: tuple[int, int]
    block_size: int
    col0: int
    row0: int
    rotation_deg: float = 0.0
    scale: float = 1.0

    @property
    def width_cols(self) -> int:
        return self.block_size * self.mask_shape[1]

    @property
    def height_rows(self) -> int:
        return 2 * self.block_size * self.mask_shape[0]

    @property
    def is_block_aligned(self) -> bool:
        return self.rotation_deg == 0.0 and self.scale == 1.0


def place_masks(
    mask_shape: tuple[int, int],
    *,
    block_size: int | None = None,
    offset: tuple[int, int] = (0, 0),
    rotation_deg: float = 0.0,
    scale: float = 1.0,
) -> MaskPlacement:
    """Centred placement with the largest block that fits (or ``block_size``)."""
    h, w = mask_shape
    k = block_size if block_size is not None else (DMD_ROWS // 2) // max(h, w)
    if k < 1 or k * w > DMD_COLUMNS or 2 * k * h > DMD_ROWS:
        raise MaskError(
            f"masks of {h}×{w} pixels with block size {k} ({k * w} columns × {2 * k * h} rows) "
            f"do not fit the {DMD_COLUMNS}×{DMD_ROWS} mirror array"
        )
    col0 = (DMD_COLUMNS - k * w) // 2 + offset[0]
    row0 = (DMD_ROWS - 2 * k * h) // 2 + offset[1]
    return MaskPlacement((h, w), k, col0, row0, float(rotation_deg), float(scale))


@lru_cache(maxsize=8)
def mirror_index_map(placement: MaskPlacement) -> np.ndarray:
    """int32 [1140, 912]: flat mask-pixel index shown by each mirror, −1 where outside.

    Mirror (r, c) has its centre at ((c − col0 + ½)·10.8 µm, (r − row0 + ½)·5.4 µm) relative to
    the mask area; undoing rotation and scale about the area's centre gives the mask pixel. With
    no rotation and scale 1 this is exactly the k × 2k block map. Positive ``rotation_deg``
    turns the mask clockwise as seen in frame coordinates (rows downwards).
    """
    h, w = placement.mask_shape
    k = placement.block_size
    rows = np.arange(DMD_ROWS, dtype=np.float64)[:, None]
    cols = np.arange(DMD_COLUMNS, dtype=np.float64)[None, :]
    if placement.is_block_aligned:
        y = np.floor_divide(rows - placement.row0, 2 * k)
        x = np.floor_divide(cols - placement.col0, k)
    else:
        pixel_um = k * COLUMN_PITCH_UM
        cx, cy = w * pixel_um / 2, h * pixel_um / 2
        px = (cols - placement.col0 + 0.5) * COLUMN_PITCH_UM - cx
        py = (rows - placement.row0 + 0.5) * ROW_PITCH_UM - cy
        theta = math.radians(placement.rotation_deg)
        cos, sin = math.cos(theta), math.sin(theta)
        ux = (cos * px + sin * py) / placement.scale + cx
        uy = (-sin * px + cos * py) / placement.scale + cy
        x = np.floor(ux / pixel_um)
        y = np.floor(uy / pixel_um)
    y, x = np.broadcast_arrays(y, x)
    inside = (y >= 0) & (y < h) & (x >= 0) & (x < w)
    index = np.where(inside, y * w + x, -1).astype(np.int32)
    index.setflags(write=False)
    return index


def frames_needed(n_patterns: int, patterns_per_frame: int = PLANES_PER_FRAME) -> int:
    return -(-n_patterns // patterns_per_frame)


def pack_frames(
    bits: np.ndarray, placement: MaskPlacement, patterns_per_frame: int = PLANES_PER_FRAME
) -> np.ndarray:
    """Boolean masks [P, H, W] → uint8 frames [F, 1140, 912, 3]; unused planes stay 0 (off).

    Pattern i goes to frame i // ppf, pattern number i % ppf. The 24 bits of a mirror are
    gathered as one uint32 per mask pixel first, so each frame needs one gather over the
    mirror array instead of 24.
    """
    bits = np.asarray(bits, dtype=bool)
    if bits.ndim != 3 or bits.shape[1:] != placement.mask_shape:
        raise MaskError(f"masks of shape {bits.shape} do not match {placement.mask_shape}")
    n = bits.shape[0]
    index = mirror_index_map(placement)
    outside = index < 0
    safe_index = np.where(outside, 0, index)
    frames = np.zeros((frames_needed(n, patterns_per_frame), DMD_ROWS, DMD_COLUMNS, 3), np.uint8)
    for f in range(frames.shape[0]):
        chunk = bits[f * patterns_per_frame : (f + 1) * patterns_per_frame]
        words = np.zeros(chunk.shape[1] * chunk.shape[2], dtype=np.uint32)
        for p, mask in enumerate(chunk):
            words |= mask.reshape(-1).astype(np.uint32) << np.uint32(p)
        mirror_words = words[safe_index]
        mirror_words[outside] = 0
        frames[f, :, :, 1] = mirror_words & 0xFF
        frames[f, :, :, 0] = (mirror_words >> 8) & 0xFF
        frames[f, :, :, 2] = (mirror_words >> 16) & 0xFF
    return frames


def frame_plane(frame: np.ndarray, pattern_number: int) -> np.ndarray:
    """Mirror states bool [1140, 912] of one 1-bit pattern number of an RGB888 frame."""
    channel, bit = PLANE_CHANNEL_BIT[pattern_number]
    return ((frame[:, :, channel] >> bit) & 1).astype(bool)


def unpack_masks(
    frames: np.ndarray,
    n_patterns: int,
    placement: MaskPlacement,
    patterns_per_frame: int = PLANES_PER_FRAME,
) -> np.ndarray:
    """Inverse of :func:`pack_frames` for block-aligned placements: masks [P, H, W].

    Raises :class:`MaskError` if a block's mirrors disagree or a mirror outside the mask area
    is on, so a round trip checks the whole frame, not just one mirror per block.
    """
    if not placement.is_block_aligned:
        raise MaskError("unpack_masks needs a block-aligned placement (no rotation/scale)")
    h, w = placement.mask_shape
    k, r0, c0 = placement.block_size, placement.row0, placement.col0
    out = np.zeros((n_patterns, h, w), dtype=bool)
    for i in range(n_patterns):
        plane = frame_plane(frames[i // patterns_per_frame], i % patterns_per_frame)
        area = plane[r0 : r0 + 2 * k * h, c0 : c0 + k * w]
        blocks = area.reshape(h, 2 * k, w, k)
        mask = blocks[:, 0, :, 0]
        if not (blocks == mask[:, None, :, None]).all() or plane.sum() != area.sum():
            raise MaskError(f"pattern {i}: frame bit plane is not a placed mask")
        out[i] = mask
    return out

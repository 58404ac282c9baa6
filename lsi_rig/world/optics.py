"""Scene -> DMD: the optical power each mirror would send to the detector when on.

The scene image is imaged onto the DMD so that it fills the mask area (``MirrorArea``), times
``scale``, rotated by ``rotation_deg`` and shifted by ``offset_um``. Mirror (r, c) collects the
AREA INTEGRAL of the panchromatic radiance over its footprint: the rectangle one column pitch wide
and one row pitch tall at ``((c + s_r)·pc, r·pr)``, with ``s_r = ½`` on odd rows of the diamond
array. For axis-aligned registration this is exact and separable, ``E = Wy · P · Wxᵀ`` with
overlap matrices (one Wx for even and one for odd rows); rotated registration is supersampled.
Then a Gaussian PSF (``blur_sigma_um``) and vignetting ``1 − a·r²/r_corner²`` act on the DMD
plane. Units: the result is normalised so a full-white scene with every mask-area mirror on
delivers ``white_power_w`` watts to the detector.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import ndimage, sparse

from lsi_rig.world.config import DmdArrayConfig, OpticsConfig
from lsi_rig.world.geometry import MirrorArea


def overlap_matrix(
    cell_edges: np.ndarray, pixel_edges: np.ndarray, pixel_size: float
) -> sparse.csr_array:
    """Sparse [cells, pixels]: length of overlap of each cell interval with each pixel interval,
    in pixel widths (a cell fully inside pixel j weighs ``cell_length / pixel_size``). Both edge
    arrays must be increasing."""
    n_cells, n_pix = cell_edges.size - 1, pixel_edges.size - 1
    # pixels overlapping cell i: from the one containing its left edge to the one with its right
    first = np.clip(np.searchsorted(pixel_edges, cell_edges[:-1], side="right") - 1, 0, n_pix - 1)
    last = np.clip(np.searchsorted(pixel_edges, cell_edges[1:], side="left") - 1, 0, n_pix - 1)
    span = np.maximum(last - first + 1, 1)
    rows = np.repeat(np.arange(n_cells), span)
    cols = np.repeat(first, span) + (
        np.arange(span.sum()) - np.repeat(np.cumsum(span) - span, span)
    )
    lo = np.maximum(cell_edges[:-1][rows], pixel_edges[:-1][cols])
    hi = np.minimum(cell_edges[1:][rows], pixel_edges[1:][cols])
    vals = np.clip(hi - lo, 0.0, None) / pixel_size
    keep = vals > 0
    return sparse.csr_array((vals[keep], (rows[keep], cols[keep])), shape=(n_cells, n_pix))


class Optics:
    """Computes per-mirror power maps [rows, columns] (W) for a panchromatic scene."""

    def __init__(self, optics: OpticsConfig, dmd: DmdArrayConfig) -> None:
        self.optics = optics
        self.dmd = dmd
        self._white_sum: dict[tuple[MirrorArea, tuple[int, int]], float] = {}
        # per-geometry constants, cached: every new scene reuses them (a capture of thousands
        # of scenes would otherwise rebuild them per scene)
        self._overlaps: dict[tuple[MirrorArea, tuple[int, int]], tuple[Any, ...]] = {}
        self._vignette: dict[MirrorArea, np.ndarray] = {}

    def _scene_frame(self, area: MirrorArea, shape: tuple[int, int]) -> tuple[float, ...]:
        """Scene centre (x, y) and pixel size (sx, sy) on the DMD plane, µm."""
        pc, pr = self.dmd.column_pitch_um, self.dmd.row_pitch_um
        cx = (area.col0 + area.width_cols / 2) * pc + self.optics.offset_um[0]
        cy = (area.row0 + area.height_rows / 2) * pr + self.optics.offset_um[1]
        sx = self.optics.scale * area.width_cols * pc / shape[1]
        sy = self.optics.scale * area.height_rows * pr / shape[0]
        return cx, cy, sx, sy

    def raw_power(self, radiance: np.ndarray, area: MirrorArea) -> np.ndarray:
        """Unnormalised mirror map: ∫ radiance over each footprint, in scene-pixel areas."""
        if self.optics.rotation_deg % 360.0 == 0.0:
            e = self._separable(radiance, area)
        else:
            e = self._supersampled(radiance, area)
        if self.optics.blur_sigma_um > 0:
            sigma = (
                self.optics.blur_sigma_um / self.dmd.row_pitch_um,
                self.optics.blur_sigma_um / self.dmd.column_pitch_um,
            )
            e = ndimage.gaussian_filter(e, sigma=sigma, mode="constant", truncate=4.0)
        if self.optics.vignetting > 0:
            e *= self._vignetting(area)  # e is a fresh array: in place saves a copy per scene
        return e

    def power_w(self, radiance: np.ndarray, white_level: float, area: MirrorArea) -> np.ndarray:
        """Mirror map in watts: a white scene (radiance ``white_level`` everywhere) with every
        mirror of ``area`` on sums to ``white_power_w``."""
        key = (area, radiance.shape)
        if key not in self._white_sum:
            white = self.raw_power(np.ones(radiance.shape), area)
            rows = slice(area.row0, area.row0 + area.height_rows)
            cols = slice(area.col0, area.col0 + area.width_cols)
            self._white_sum[key] = float(white[rows, cols].sum())
        scale = self.optics.white_power_w / (white_level * self._white_sum[key])
        power = self.raw_power(radiance, area)
        power *= scale
        return power

    def _overlap_matrices(self, area: MirrorArea, shape: tuple[int, int]) -> tuple[Any, ...]:
        """(wy rows r0:r1, r0, r1, wx_even, wx_odd) of the separable registration (cached)."""
        key = (area, shape)
        hit = self._overlaps.get(key)
        if hit is not None:
            return hit
        h, w = shape
        cx, cy, sx, sy = self._scene_frame(area, (h, w))
        pc, pr = self.dmd.column_pitch_um, self.dmd.row_pitch_um
        px_edges = cx - sx * w / 2 + sx * np.arange(w + 1)
        py_edges = cy - sy * h / 2 + sy * np.arange(h + 1)
        wy = overlap_matrix(pr * np.arange(self.dmd.rows + 1), py_edges, sy)
        col_edges = pc * np.arange(self.dmd.columns + 1, dtype=np.float64)
        wx_even = overlap_matrix(col_edges, px_edges, sx)
        wx_odd = (
            overlap_matrix(col_edges + pc / 2, px_edges, sx)
            if self.optics.diamond_geometry
            else None
        )
        lit = np.flatnonzero(np.diff(wy.indptr))
        r0, r1 = (int(lit[0]), int(lit[-1]) + 1) if lit.size else (0, 0)
        hit = (wy[r0:r1], r0, r1, wx_even, wx_odd)
        if len(self._overlaps) >= 8:
            self._overlaps.pop(next(iter(self._overlaps)))
        self._overlaps[key] = hit
        return hit

    def _separable(self, radiance: np.ndarray, area: MirrorArea) -> np.ndarray:
        wy, r0, r1, wx_even, wx_odd = self._overlap_matrices(area, radiance.shape)
        out = np.zeros((self.dmd.rows, self.dmd.columns))
        if r1 == r0:
            return out
        tmp = wy @ radiance  # [rows, w] dense
        if wx_odd is None:
            out[r0:r1] = (wx_even @ tmp.T).T
            return out
        first_even = r0 % 2  # index in the band of its first even array row
        band = out[r0:r1]
        band[first_even::2] = (wx_even @ tmp[first_even::2].T).T
        band[1 - first_even :: 2] = (wx_odd @ tmp[1 - first_even :: 2].T).T
        return out

    def _supersampled(self, radiance: np.ndarray, area: MirrorArea) -> np.ndarray:
        """Rotated registration: n×n point samples per mirror footprint, nearest scene pixel."""
        h, w = radiance.shape
        cx, cy, sx, sy = self._scene_frame(area, (h, w))
        pc, pr = self.dmd.column_pitch_um, self.dmd.row_pitch_um
        n = self.optics.supersample
        theta = math.radians(self.optics.rotation_deg)
        cos_t, sin_t = math.cos(theta), math.sin(theta)
        half_diag = 0.5 * math.hypot(sx * w, sy * h)
        r_lo = max(0, int((cy - half_diag) / pr) - 1)
        r_hi = min(self.dmd.rows, int((cy + half_diag) / pr) + 2)
        c_lo = max(0, int((cx - half_diag) / pc) - 2)
        c_hi = min(self.dmd.columns, int((cx + half_diag) / pc) + 2)
        out = np.zeros((self.dmd.rows, self.dmd.columns))
        if r_lo >= r_hi or c_lo >= c_hi:
            return out
        sub = (np.arange(n) + 0.5) / n
        cols = np.arange(c_lo, c_hi)
        pixel_area_fraction = (pc * pr) / (sx * sy) / (n * n)
        chunk = max(1, 1024 // (n * n))  # rows per chunk: ~1 M samples x 8 arrays at most
        for start in range(r_lo, r_hi, chunk):  # row chunks bound the memory of the sample grid
            rows = np.arange(start, min(start + chunk, r_hi))
            shift = 0.5 * (rows % 2) if self.optics.diamond_geometry else np.zeros(rows.size)
            y = (rows[:, None] + sub[None, :]) * pr  # [R, n]
            x = (cols[None, :, None] + shift[:, None, None] + sub[None, None, :]) * pc  # [R, C, n]
            dy = y[:, None, :, None] - cy  # [R, 1, n, 1]
            dx = x[:, :, None, :] - cx  # [R, C, 1, n]
            u = cos_t * dx + sin_t * dy  # inverse rotation: DMD plane -> scene frame
            v = -sin_t * dx + cos_t * dy
            j = np.floor(u / sx + w / 2).astype(np.int64)
            i = np.floor(v / sy + h / 2).astype(np.int64)
            inside = (i >= 0) & (i < h) & (j >= 0) & (j < w)
            vals = np.where(inside, radiance[np.clip(i, 0, h - 1), np.clip(j, 0, w - 1)], 0.0)
            out[rows[0] : rows[-1] + 1, c_lo:c_hi] = vals.sum(axis=(2, 3)) * pixel_area_fraction
        return out

    def _vignetting(self, area: MirrorArea) -> np.ndarray:
        """``1 − a·r²/r_corner²`` about the mask-area centre, r_corner to its corner (cached)."""
        hit = self._vignette.get(area)
        if hit is None:
            hit = self._vignetting_map(area)
            hit.setflags(write=False)
            if len(self._vignette) >= 8:
                self._vignette.pop(next(iter(self._vignette)))
            self._vignette[area] = hit
        return hit

    def _vignetting_map(self, area: MirrorArea) -> np.ndarray:
        pc, pr = self.dmd.column_pitch_um, self.dmd.row_pitch_um
        cx = (area.col0 + area.width_cols / 2) * pc
        cy = (area.row0 + area.height_rows / 2) * pr
        x = (np.arange(self.dmd.columns) + 0.5) * pc - cx
        y = (np.arange(self.dmd.rows) + 0.5) * pr - cy
        r2 = y[:, None] ** 2 + x[None, :] ** 2
        r2_corner = (area.width_cols * pc / 2) ** 2 + (area.height_rows * pr / 2) ** 2
        return np.clip(1.0 - self.optics.vignetting * r2 / r2_corner, 0.0, None)

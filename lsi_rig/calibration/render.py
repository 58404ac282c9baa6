"""Drawing a scene through the calibration: what the monitor must show so that the mask area
receives the official simulation's image.

Three corrections, applied per pixel of a supersampled monitor image:

1. **Registration** — each monitor pixel looks up the scene pixel that lands under it on the
   mask area (``m = A·s``, :mod:`lsi_rig.calibration.affine`), nearest neighbour, so a scene
   pixel stays a sharp square on the DMD and each mask pixel integrates exactly its own scene
   pixel. Monitor pixels that land outside the mask area are black.
2. **Flat field** — vignetting weighs the mask area unevenly, which a per-mask gain cannot undo;
   the linear value is divided by the measured relative response there and multiplied by its
   minimum (``flat_ref``), so the compensated image never needs more than full white.
3. **Monitor linearisation** — the measured response of each colour channel (code → linear
   light above black, scaled to the dimmest channel's full scale) is inverted with ordered
   dithering between the two neighbouring 8-bit codes, so the *average* light of a small patch
   equals the requested linear value instead of being rounded to the coarse steps of a gamma
   curve's bright end.

The monitor image is ``supersample × 256`` pixels square (default 1024): the finer it is, the
closer the nearest-neighbour edges fall to the scene-pixel edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from lsi_rig.calibration.affine import GRID, Affine

#: 4×4 Bayer matrix: ordered-dither thresholds (k + 0.5) / 16.
_BAYER4 = (
    np.array([[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]], dtype=np.float64) + 0.5
) / 16.0


def to_grid(image: np.ndarray) -> np.ndarray:
    """A scene as the official simulation sees it: uint8 RGB resized to 256 × 256 (bilinear,
    as torchvision's ``Resize`` on a PIL image), returned as float64 in [0, 1]."""
    img = np.asarray(image)
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"a scene is uint8 [H, W, 3], got {img.dtype} {img.shape}")
    if img.shape[:2] != (GRID, GRID):
        img = np.asarray(
            Image.fromarray(img).resize((GRID, GRID), Image.Resampling.BILINEAR), dtype=np.uint8
        )
    return img.astype(np.float64) / 255.0


def linear_lut(n_codes: int = 256) -> np.ndarray:
    """The LUT of an ideal linear monitor (code / 255), one row per channel."""
    return np.tile(np.arange(n_codes, dtype=np.float64) / (n_codes - 1), (3, 1))


def encode_channel(linear: np.ndarray, lut: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Codes whose light equals ``linear`` on average: the two LUT entries around each value,
    chosen by comparing the fractional position with the dither ``thresholds`` (float32: the
    light of a code is known to far better than its 1e-7 resolution, and it halves the
    memory traffic of a 1024² frame)."""
    top = len(lut) - 1
    lut32 = np.asarray(lut, dtype=np.float32)
    step = np.diff(np.asarray(lut, dtype=np.float64))
    inverse = (1.0 / np.where(step > 0, step, np.inf)).astype(np.float32)
    t = np.clip(np.asarray(linear, dtype=np.float32), 0.0, lut32[-1])
    low = np.searchsorted(lut32, t, side="right")
    low -= 1
    np.clip(low, 0, top - 1, out=low)
    frac = t - lut32[low]
    frac *= inverse[low]
    code = (frac > thresholds).astype(np.uint8)
    code += low.astype(np.uint8)
    return code


@dataclass(frozen=True, eq=False)
class SceneRenderer:
    """The drawing half of a calibration (see module docstring)."""

    registration: Affine
    monitor_lut: np.ndarray  # [3, 256]: linear light of each code, 1.0 = common full scale
    flat_field: np.ndarray | None = None  # [256, 256] relative response of the mask area
    flat_ref: float = 1.0
    supersample: int = 4

    def __post_init__(self) -> None:
        lut = np.asarray(self.monitor_lut, dtype=np.float64)
        if lut.shape != (3, 256) or np.any(np.diff(lut, axis=1) < 0):
            raise ValueError("monitor LUT must be [3, 256] and non-decreasing per channel")
        object.__setattr__(self, "monitor_lut", lut)
        size = GRID * self.supersample
        centres = (np.arange(size) + 0.5) / self.supersample
        sx, sy = np.meshgrid(centres, centres)
        m = self.registration.apply(np.stack([sx, sy], axis=-1))
        col = np.floor(m[..., 0]).astype(np.int64)
        row = np.floor(m[..., 1]).astype(np.int64)
        inside = (row >= 0) & (row < GRID) & (col >= 0) & (col < GRID)
        flat_index = np.clip(row, 0, GRID - 1) * GRID + np.clip(col, 0, GRID - 1)
        object.__setattr__(self, "_flat_index", flat_index)
        object.__setattr__(self, "_inside", inside)
        weight = inside.astype(np.float32)
        if self.flat_field is not None:
            flat = np.asarray(self.flat_field, dtype=np.float64)
            if flat.shape != (GRID, GRID) or np.any(flat <= 0):
                raise ValueError("flat field must be [256, 256] and positive")
            weight *= (self.flat_ref / flat.ravel()[flat_index]).astype(np.float32)
        object.__setattr__(self, "_weight", weight)
        reps = -(-size // 4)
        thresholds = np.tile(_BAYER4, (reps, reps))[:size, :size].astype(np.float32)
        object.__setattr__(self, "_thresholds", thresholds)

    @property
    def shape(self) -> tuple[int, int, int]:
        size = GRID * self.supersample
        return size, size, 3

    def render_linear(self, linear: np.ndarray) -> np.ndarray:
        """uint8 monitor image for a linear image [256, 256, 3] in [0, 1] (mask-area frame)."""
        lin = np.asarray(linear, dtype=np.float64)
        if lin.shape != (GRID, GRID, 3):
            raise ValueError(f"linear image must be [256, 256, 3], got {lin.shape}")
        out = np.empty(self.shape, dtype=np.uint8)
        values = lin.astype(np.float32).reshape(-1, 3)[self._flat_index]  # type: ignore[attr-defined]
        values *= self._weight[..., None]  # type: ignore[attr-defined]
        for c in range(3):
            out[..., c] = encode_channel(values[..., c], self.monitor_lut[c], self._thresholds)  # type: ignore[attr-defined]
        return out

    def render(self, image: np.ndarray) -> np.ndarray:
        """uint8 monitor image for a uint8 scene (resized to the 256² grid first)."""
        return self.render_linear(to_grid(image))

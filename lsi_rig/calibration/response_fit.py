"""The official simulated measurement, and the per-mask response of a rig against it.

Official simulation (shared/reference/lsi-model.md §5.1): the image resized to 256 × 256 in
[0, 1], each mask upsampled onto that grid, ``sim_i = Σ_c Σ_xy mask_i(x, y) · image_c(x, y)``.
A rig whose scenes are drawn through the calibration measures, per mask,
``vector_i = gain_i · sim_i + offset_i`` (the offset holds what the dark references do not
remove: the monitor's black level through the mask's mirrors); the response step fits both
from K known images and reports how well a straight line explains them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lsi_rig.calibration.affine import GRID
from lsi_rig.calibration.render import to_grid
from lsi_rig.core.errors import MaskError
from lsi_rig.masks.maskset import MaskSet


def _check_shape(masks: MaskSet) -> tuple[int, int]:
    h, w = masks.shape
    if GRID % h or GRID % w:
        raise MaskError(
            f"mask set {masks.name!r}: {h}x{w} masks do not tile the 256 × 256 LSI image grid; "
            "the official simulation needs sides that divide 256"
        )
    return GRID // h, GRID // w


def official_simulation(masks: MaskSet, images: list[np.ndarray]) -> np.ndarray:
    """[K, n]: ``Σ_c mask↑ · image01_c`` of each uint8 image (any size; resized to 256²)."""
    fh, fw = _check_shape(masks)
    h, w = masks.shape
    flat = masks.flat(np.float64)
    out = np.empty((len(images), masks.n))
    for k, image in enumerate(images):
        summed = to_grid(image).sum(axis=2)
        blocks = summed.reshape(h, fh, w, fw).sum(axis=(1, 3))
        out[k] = flat @ blocks.ravel()
    return out


def r_squared(measured: np.ndarray, model: np.ndarray) -> float:
    """1 − SS_res / SS_tot over every entry (pooled over scenes and masks)."""
    y = np.asarray(measured, dtype=np.float64).ravel()
    f = np.asarray(model, dtype=np.float64).ravel()
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    return 1.0 - float(np.sum((y - f) ** 2)) / ss_tot if ss_tot > 0 else float("nan")


def scale_factor(calibrated: np.ndarray, ideal: np.ndarray) -> float:
    """Least-squares slope through the origin of calibrated against ideal vectors."""
    c = np.asarray(calibrated, dtype=np.float64).ravel()
    i = np.asarray(ideal, dtype=np.float64).ravel()
    return float(np.dot(c, i) / np.dot(i, i))


@dataclass(frozen=True)
class ResponseFit:
    gain: np.ndarray  # [n] volts per official unit
    offset: np.ndarray  # [n] volts
    residual_v: np.ndarray  # [K, n] measured − fitted
    r2_pooled: float  # of the fitted line against the measurements, all entries
    r2_structure: float  # the same with each image's mean over the masks removed
    r2_per_mask: np.ndarray  # [n]
    relative_rms: float  # rms residual / rms of the official-scale spread

    def calibrate(self, vector_v: np.ndarray) -> np.ndarray:
        return (np.asarray(vector_v, dtype=np.float64) - self.offset) / self.gain


def fit_response(measured_v: np.ndarray, official: np.ndarray) -> ResponseFit:
    """Per-mask straight line ``measured = gain · official + offset`` over K images [K, n]."""
    y = np.asarray(measured_v, dtype=np.float64)
    x = np.asarray(official, dtype=np.float64)
    if y.shape != x.shape or y.ndim != 2 or y.shape[0] < 2:
        raise ValueError(f"need [K ≥ 2, n] measurements and simulations, got {y.shape}, {x.shape}")
    xm, ym = x.mean(axis=0), y.mean(axis=0)
    sxx = ((x - xm) ** 2).sum(axis=0)
    if np.any(sxx <= 0):
        bad = int(np.flatnonzero(sxx <= 0)[0])
        raise ValueError(f"mask {bad} sees the same light in every response image (all off?)")
    gain = ((x - xm) * (y - ym)).sum(axis=0) / sxx
    offset = ym - gain * xm
    fitted = gain * x + offset
    residual = y - fitted
    ss_tot_mask = ((y - ym) ** 2).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        r2_mask = 1.0 - (residual**2).sum(axis=0) / ss_tot_mask
    spread = float(np.sqrt(np.mean((x - x.mean()) ** 2)))
    rel = float(np.sqrt(np.mean((residual / gain) ** 2)) / spread) if spread > 0 else float("nan")
    structure = r_squared(
        y - y.mean(axis=1, keepdims=True), fitted - fitted.mean(axis=1, keepdims=True)
    )
    return ResponseFit(gain, offset, residual, r_squared(y, fitted), structure, r2_mask, rel)

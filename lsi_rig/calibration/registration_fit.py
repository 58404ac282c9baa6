"""Registration and flat field from single-pixel images of known targets.

The rig images the monitor through Walsh–Hadamard patterns covering the mask area (patterns of
order N, upsampled onto the target mask set's grid so they land on exactly its mirrors; the
world and the DLPC350 packer place a mask set by its shape). The exact linear reconstruction
(:func:`lsi_rig.recon.reconstruct_hadamard`) is an N × N picture of the mask area, each pixel
the light of one block of 256/N grid pixels. From three pictures —

* black frame ``B`` (monitor black: its black level, stray light through the mirrors),
* white frame ``W`` (full white: ``W − B`` is the flat field, vignetting times coverage),
* dot target ``T`` (:func:`lsi_rig.calibration.targets.dot_target`) —

the dots are located in ``(T − B) / flat`` by iterated Gaussian-weighted centroids (the fixed
point of a symmetric window on a symmetric blob is its centre, so the estimate is unbiased), and
an affine is fitted from the dots' scene positions to their measured mask positions.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from lsi_rig.calibration.affine import GRID, Affine, fit_affine
from lsi_rig.calibration.targets import DotTarget
from lsi_rig.masks.hadamard import walsh_patterns
from lsi_rig.masks.maskset import MaskSet
from lsi_rig.recon import reconstruct_hadamard

#: Patterns per capture: the DLPC350 frame stream holds at most 1088 per sequence, references
#: included, so the Walsh set is measured in chunks of this many.
CHUNK_PATTERNS = 1024


def walsh_order(mask_shape: tuple[int, int], preferred: int = 32) -> int:
    """Largest power of two ≤ ``preferred`` dividing both sides of the target mask shape."""
    h, w = mask_shape
    order = 1
    while order * 2 <= preferred and h % (order * 2) == 0 and w % (order * 2) == 0:
        order *= 2
    if order < 8:
        raise ValueError(
            f"registration needs masks whose sides are multiples of 8 (got {h}x{w}); "
            "calibrate with a mask set of 8², 16², 32², … pixels"
        )
    return order


def walsh_set(order: int) -> MaskSet:
    """The demo Walsh set of ``order`` (what :func:`reconstruct_hadamard` expects)."""
    return MaskSet(walsh_patterns(order), name=f"walsh{order}", source=f"demo:hadamard{order}")


def chunk_count(order: int) -> int:
    return -(-(order * order) // CHUNK_PATTERNS)


def walsh_chunks(order: int, mask_shape: tuple[int, int]) -> Iterator[MaskSet]:
    """The Walsh patterns upsampled to ``mask_shape``, one capture chunk at a time (a chunk of
    1024 256² masks is 64 MB of bits; the whole order-64 set would be four times that)."""
    h, w = mask_shape
    patterns = walsh_patterns(order)
    for start in range(0, patterns.shape[0], CHUNK_PATTERNS):
        part = patterns[start : start + CHUNK_PATTERNS]
        bits = np.repeat(np.repeat(part, h // order, axis=1), w // order, axis=2)
        yield MaskSet(
            bits,
            name=f"walsh{order}[{start}:{start + part.shape[0]}]@{h}x{w}",
            source=f"calibration:walsh{order}",
        )


def reconstruct(vector_v: np.ndarray, order: int) -> np.ndarray:
    """N × N picture (volts per block) from the concatenated chunk vectors."""
    return reconstruct_hadamard(np.asarray(vector_v, dtype=np.float64), walsh_set(order))


def block_centres(order: int) -> np.ndarray:
    """Grid coordinates of the reconstruction pixel centres along one axis."""
    return (np.arange(order) + 0.5) * (GRID / order)


@dataclass(frozen=True)
class FlatField:
    """Smooth fit of the relative response over the mask area."""

    map: np.ndarray  # [256, 256], mean 1 over the covered area
    ref: float  # minimum of the map (compensation never needs more than full white)
    coverage: float  # fraction of reconstruction pixels that receive the monitor's light
    residual_rms: float  # rms relative deviation of the data from the fit (covered pixels)
    valid: np.ndarray  # [N, N] bool: pixels used in the fit


def _poly_terms(u: np.ndarray, v: np.ndarray, degree: int) -> np.ndarray:
    return np.stack(
        [u**i * v**j for i in range(degree + 1) for j in range(degree + 1 - i)], axis=-1
    )


def fit_flat_field(white_minus_black: np.ndarray, *, degree: int = 4) -> FlatField:
    """Fit a 2-D polynomial to the white − black picture over the pixels fully lit by the
    monitor (a pixel and its 8 neighbours above half the median), evaluate it on the grid."""
    f = np.asarray(white_minus_black, dtype=np.float64)
    order = f.shape[0]
    median = float(np.median(f))
    if not median > 0:
        raise ValueError("the white frame gives no light on the mask area")
    lit = f > 0.5 * median
    padded = np.pad(lit, 1, constant_values=False)
    valid = lit.copy()
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            valid &= padded[1 + dy : 1 + dy + order, 1 + dx : 1 + dx + order]
    valid[0, 0] = False  # holds the residual error of the offset (see steps.registration)
    coverage = float(lit.mean())
    axis = block_centres(order)
    uu, vv = np.meshgrid((axis - GRID / 2) / (GRID / 2), (axis - GRID / 2) / (GRID / 2))
    design = _poly_terms(uu[valid], vv[valid], degree)
    coeffs, *_ = np.linalg.lstsq(design, f[valid], rcond=None)
    fitted = _poly_terms(uu, vv, degree) @ coeffs
    residual = float(np.sqrt(np.mean((f[valid] / fitted[valid] - 1.0) ** 2)))
    grid = ((np.arange(GRID) + 0.5) - GRID / 2) / (GRID / 2)
    gu, gv = np.meshgrid(grid, grid)
    full = _poly_terms(gu, gv, degree) @ coeffs
    full = full / full.mean()
    if np.any(full <= 0):
        raise ValueError("the flat-field fit is not positive over the mask area")
    return FlatField(full, float(full.min()), coverage, residual, valid)


def flat_on_blocks(flat: np.ndarray, order: int) -> np.ndarray:
    """The grid flat field averaged onto the N × N reconstruction pixels."""
    b = GRID // order
    return flat.reshape(order, b, order, b).mean(axis=(1, 3))


@dataclass(frozen=True)
class DotFit:
    found: np.ndarray  # [k, 2] measured dot centres (mask grid px)
    expected: np.ndarray  # [k, 2] scene positions of the dots
    signal: np.ndarray  # [k] integrated dot signal (same units as the picture)


def locate_dots(
    picture: np.ndarray, target: DotTarget, guess: Affine, *, iterations: int = 30
) -> DotFit:
    """Centroids of the target's dots in a background-free, flat-corrected N × N picture,
    starting from the positions ``guess`` predicts."""
    img = np.asarray(picture, dtype=np.float64)
    order = img.shape[0]
    axis = block_centres(order)
    xx, yy = np.meshgrid(axis, axis)
    window = target.sigma_px  # a neighbour (6σ away) weighs exp(-18)
    search = 0.45 * 6 * target.sigma_px  # under half the dot pitch
    found, signal = [], []
    for centre in guess.apply(target.centres):
        near = (xx - centre[0]) ** 2 + (yy - centre[1]) ** 2 <= search**2
        if not near.any():
            found.append([np.nan, np.nan])
            signal.append(0.0)
            continue
        masked = np.where(near, img, -np.inf)
        r, c = np.unravel_index(int(np.argmax(masked)), img.shape)
        cx, cy = float(xx[r, c]), float(yy[r, c])
        total = 0.0
        for _ in range(iterations):
            w = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * window**2)) * img
            total = float(w.sum())
            if not total > 0:
                break
            nx, ny = float((w * xx).sum() / total), float((w * yy).sum() / total)
            done = abs(nx - cx) + abs(ny - cy) < 1e-6
            cx, cy = nx, ny
            if done:
                break
        found.append([cx, cy])
        signal.append(total)
    return DotFit(np.asarray(found), np.asarray(target.centres, dtype=float), np.asarray(signal))


def fit_registration(dots: DotFit) -> tuple[Affine, np.ndarray]:
    """Affine from the dots (those with a positive signal); residuals [k, 2] (NaN: unused)."""
    ok = np.isfinite(dots.found).all(axis=1) & (dots.signal > 0)
    if ok.sum() < 4:
        raise ValueError(f"only {int(ok.sum())} registration dots were found (need ≥ 4)")
    affine, res = fit_affine(dots.expected[ok], dots.found[ok])
    residuals = np.full_like(dots.found, np.nan)
    residuals[ok] = res
    return affine, residuals

"""Exact linear reconstruction for the Walsh–Hadamard demo mask sets.

Physics. Pattern i is shown as ``p_i = (1 + h_i) / 2`` with ``h_i`` a ±1 Walsh pattern and
``p_0`` all ones. After removing the dark offset ``d`` (interleaved dark references; the
engine already hands over the offset-corrected vector, hence ``offset = 0`` by default) the
photodiode reads ``y_i − d = <p_i, x>``. So

    <h_0, x> = y_0 − d                      (total light)
    <h_i, x> = 2 (y_i − d) − (y_0 − d)      (i ≥ 1)

and, since the 2-D Walsh patterns are orthogonal with ``<h_i, h_i> = N²``,
``x = Σ_i <h_i, x> h_i / N²``, evaluated by two fast inverse transforms. Coefficients that were
not measured (a truncated set, ``demo:hadamard32:256``) are taken as zero, which gives the
block-averaged low-pass picture (see :mod:`lsi_rig.masks.hadamard`).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from lsi_rig.core.errors import MaskError
from lsi_rig.masks.hadamard import fwht, sequency_to_natural, walsh_order_2d, walsh_patterns
from lsi_rig.masks.maskset import MaskSet, maskset_sha256

_MAX_ORDER = 64


@lru_cache(maxsize=32)
def _walsh_hash(order: int, count: int) -> str:
    return maskset_sha256(walsh_patterns(order, count))


def is_hadamard_set(masks: MaskSet) -> int | None:
    """Order N if ``masks`` is the first n patterns of the demo Walsh set of order N, else None.

    Recognised by content (hash), so a demo set saved to .npy and loaded back still counts;
    ``metadata["hadamard_n"]`` (set by the demo loader) only picks the order to try first.
    """
    h, w = masks.shape
    if h != w or h > _MAX_ORDER or h & (h - 1) or masks.n > h * h:
        return None
    hinted = masks.metadata.get("hadamard_n")
    if hinted is not None and hinted != str(h):
        return None
    if not masks.bits[0].all():  # cheap reject: pattern 0 is all ones
        return None
    return h if masks.sha256 == _walsh_hash(h, masks.n) else None


def hadamard_coefficients(vector: np.ndarray, offset: float | np.ndarray = 0.0) -> np.ndarray:
    """±1-pattern coefficients ``<h_i, x>`` from 0/1 measurements ``[..., n]``."""
    y = np.asarray(vector, dtype=np.float64) - np.asarray(offset, dtype=np.float64)
    coeffs = 2.0 * y - y[..., :1]
    coeffs[..., 0] = y[..., 0]
    return coeffs


def reconstruct_hadamard(
    vector: np.ndarray,
    masks: MaskSet,
    *,
    offset: float | np.ndarray = 0.0,
) -> np.ndarray:
    """Scene ``[N, N]`` (or ``[B, N, N]`` for ``vector [B, n]``), float64, in the units of
    ``vector`` per mask pixel (the detector's response to one fully lit mask pixel)."""
    order = is_hadamard_set(masks)
    if order is None:
        raise MaskError(
            f"mask set {masks.name!r} ({masks.source}) is not a Walsh–Hadamard demo set; "
            "linear reconstruction needs demo:hadamard16/32/64 (or a prefix of one)"
        )
    y = np.asarray(vector, dtype=np.float64)
    if y.ndim not in (1, 2) or y.shape[-1] != masks.n:
        raise ValueError(f"vector must be [{masks.n}] or [B, {masks.n}], got shape {y.shape}")
    off = np.asarray(offset, dtype=np.float64)
    if off.ndim > 1 or (off.ndim == 1 and off.shape[0] != masks.n):
        raise ValueError(f"offset must be a scalar or [{masks.n}], got shape {off.shape}")
    coeffs = hadamard_coefficients(y, off)
    natural = sequency_to_natural(order)
    pairs = walsh_order_2d(order)[: masks.n]
    spectrum = np.zeros((*y.shape[:-1], order, order), dtype=np.float64)
    spectrum[..., natural[pairs[:, 0]], natural[pairs[:, 1]]] = coeffs
    image = fwht(fwht(spectrum, axis=-2), axis=-1)
    return image / float(order * order)

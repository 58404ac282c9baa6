"""Turning per-pattern samples into a measurement vector.

The sequence table says which sample belongs to which mask and which are references. The dark
(all-off) references carry the detector offset plus stray light; interpolating them linearly over
the pattern index removes offset and slow drift. Differential sets subtract each complement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lsi_rig.dmd.sequence import PatternKind, PatternSequence
from lsi_rig.flags import RecordFlags


@dataclass(frozen=True)
class FormedVector:
    raw_v: np.ndarray
    vector_v: np.ndarray
    dark_v: np.ndarray
    bright_v: np.ndarray
    flags: RecordFlags


def form_vector(
    samples_v: np.ndarray, sequence: PatternSequence, *, drift_threshold: float = 0.02
) -> FormedVector:
    """Split ``samples_v`` (display order) into raw, corrected and reference parts."""
    samples = np.asarray(samples_v, dtype=np.float64)
    if samples.shape != (sequence.n_patterns,):
        raise ValueError(f"expected {sequence.n_patterns} samples, got shape {samples.shape}")
    n = sequence.masks.n
    mask_pos = sequence.positions(PatternKind.MASK)
    comp_pos = sequence.positions(PatternKind.COMPLEMENT)
    dark_pos = sequence.positions(PatternKind.DARK)
    bright_pos = sequence.positions(PatternKind.BRIGHT)

    raw = np.empty(n, dtype=np.float64)
    raw[sequence.mask_index[mask_pos]] = samples[mask_pos]
    dark = samples[dark_pos]
    bright = samples[bright_pos]
    flags = RecordFlags.NONE

    if comp_pos.size:
        comp = np.empty(n, dtype=np.float64)
        comp[sequence.mask_index[comp_pos]] = samples[comp_pos]
        vector = raw - comp
    elif dark_pos.size:
        vector = raw.copy()
        vector[sequence.mask_index[mask_pos]] -= np.interp(mask_pos, dark_pos, dark)
    else:
        vector = raw.copy()

    if bright.size >= 2 and np.all(np.isfinite(bright)):
        span = bright - (np.interp(bright_pos, dark_pos, dark) if dark.size else 0.0)
        reference = float(np.max(np.abs(span)))
        if reference > 0 and (np.max(span) - np.min(span)) / reference > drift_threshold:
            flags |= RecordFlags.DRIFT
    return FormedVector(raw, vector, dark, bright, flags)

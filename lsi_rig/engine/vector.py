"""Turning per-pattern samples into a measurement vector.

The sequence table says which sample belongs to which mask and which are references. The dark
(all-off) references carry the detector offset plus stray light; interpolating them linearly over
the pattern index removes offset and slow drift. Differential sets subtract each complement.

The index arithmetic depends only on the sequence, so it is done once per sequence
(:class:`VectorLayout`) and each record costs a few gathers: this runs once per vector on the
acquisition hot path.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from lsi_rig.core.flags import RecordFlags
from lsi_rig.dmd.sequence import PatternKind, PatternSequence


@dataclass(frozen=True)
class FormedVector:
    raw_v: np.ndarray
    vector_v: np.ndarray
    dark_v: np.ndarray
    bright_v: np.ndarray
    flags: RecordFlags


class VectorLayout:
    """Precomputed gathers for one pattern sequence."""

    def __init__(self, sequence: PatternSequence) -> None:
        self.n_patterns = sequence.n_patterns
        n = sequence.masks.n
        mask_pos = sequence.positions(PatternKind.MASK)
        comp_pos = sequence.positions(PatternKind.COMPLEMENT)
        self.dark_pos = sequence.positions(PatternKind.DARK)
        self.bright_pos = sequence.positions(PatternKind.BRIGHT)
        # raw[i] = samples[mask_at[i]] (mask order), likewise for complements
        self.mask_at = np.empty(n, dtype=np.intp)
        self.mask_at[sequence.mask_index[mask_pos]] = mask_pos
        self.comp_at: np.ndarray | None = None
        if comp_pos.size:
            self.comp_at = np.empty(n, dtype=np.intp)
            self.comp_at[sequence.mask_index[comp_pos]] = comp_pos
        self.dark_weights = self._interpolation(self.mask_at)
        self.bright_dark_weights = self._interpolation(self.bright_pos)

    def _interpolation(self, at: np.ndarray) -> np.ndarray | None:
        """Matrix W with W @ dark = dark interpolated linearly at pattern positions ``at``."""
        k = self.dark_pos.size
        if k == 0:
            return None
        eye = np.eye(k)
        return np.stack([np.interp(at, self.dark_pos, eye[j]) for j in range(k)], axis=1)

    def form(self, samples_v: np.ndarray, *, drift_threshold: float = 0.02) -> FormedVector:
        samples = np.asarray(samples_v, dtype=np.float64)
        if samples.shape != (self.n_patterns,):
            raise ValueError(f"expected {self.n_patterns} samples, got shape {samples.shape}")
        raw = samples[self.mask_at]
        dark = samples[self.dark_pos]
        bright = samples[self.bright_pos]
        if self.comp_at is not None:
            vector = raw - samples[self.comp_at]
        elif self.dark_weights is not None:
            vector = raw - self.dark_weights @ dark
        else:
            vector = raw.copy()
        flags = RecordFlags.NONE
        if bright.size >= 2:
            # a handful of values: plain Python beats numpy's per-call overhead here
            span = (bright - self.bright_dark_weights @ dark if dark.size else bright).tolist()
            high, low = max(span), min(span)
            reference = max(abs(high), abs(low))
            if reference > 0 and (high - low) / reference > drift_threshold:
                flags |= RecordFlags.DRIFT
        return FormedVector(raw, vector, dark, bright, flags)


class _LayoutCache:
    """One layout per live sequence object (sequences are immutable)."""

    @cached_property
    def layouts(self) -> dict[int, tuple[PatternSequence, VectorLayout]]:
        return {}

    def get(self, sequence: PatternSequence) -> VectorLayout:
        hit = self.layouts.get(id(sequence))
        if hit is None or hit[0] is not sequence:
            if len(self.layouts) > 16:
                self.layouts.clear()
            hit = (sequence, VectorLayout(sequence))
            self.layouts[id(sequence)] = hit
        return hit[1]


_CACHE = _LayoutCache()


def form_vector(
    samples_v: np.ndarray, sequence: PatternSequence, *, drift_threshold: float = 0.02
) -> FormedVector:
    """Split ``samples_v`` (display order) into raw, corrected and reference parts."""
    return _CACHE.get(sequence).form(samples_v, drift_threshold=drift_threshold)

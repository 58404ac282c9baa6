"""The :class:`PatternSequence`: what the DMD shows for one measurement vector, in order.

A sequence is the mask set plus interleaved reference patterns (all-off "dark" and all-on
"bright" over the mask area) and, for differential measurement, each mask's complement. The
engine turns one detector sample per pattern back into a vector with the same table, so the
table is stored in every session file.

Layout with ``reference_every = K``: a reference block ``[DARK, BRIGHT]`` first, then after every
K mask patterns, and a closing block at the end, so offset and drift can be interpolated across
the whole sequence.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from lsi_rig.core.errors import ConfigError
from lsi_rig.masks.maskset import MaskSet


class PatternKind(IntEnum):
    """What one displayed pattern is."""

    MASK = 0
    COMPLEMENT = 1  # 1 - mask, for differential measurement
    DARK = 2  # all mirrors off: detector offset + stray light
    BRIGHT = 3  # all mask-area mirrors on: source level, for drift


@dataclass(frozen=True, eq=False)
class PatternSequence:
    """Display order of patterns. ``kinds[i]``/``mask_index[i]`` describe pattern i
    (``mask_index`` is -1 for references)."""

    masks: MaskSet
    kinds: np.ndarray
    mask_index: np.ndarray
    exposure_us: float
    period_us: float

    @classmethod
    def build(
        cls,
        masks: MaskSet,
        *,
        exposure_us: float,
        period_us: float | None = None,
        reference_every: int | None = None,
    ) -> PatternSequence:
        """Lay out masks (and complements when ``masks.complementary``) with references."""
        period = float(exposure_us if period_us is None else period_us)
        if exposure_us <= 0 or period < exposure_us:
            raise ConfigError(
                f"pattern timing: exposure_us={exposure_us} and period_us={period} must satisfy "
                "0 < exposure_us <= period_us"
            )
        if reference_every is not None and reference_every < 1:
            raise ConfigError(f"reference_every must be >= 1 or null, got {reference_every}")
        kinds: list[int] = []
        index: list[int] = []

        def refs() -> None:
            kinds.extend((PatternKind.DARK, PatternKind.BRIGHT))
            index.extend((-1, -1))

        if reference_every:
            refs()
        for i in range(masks.n):
            kinds.append(PatternKind.MASK)
            index.append(i)
            if masks.complementary:
                kinds.append(PatternKind.COMPLEMENT)
                index.append(i)
            if reference_every and (i + 1) % reference_every == 0 and i + 1 < masks.n:
                refs()
        if reference_every:
            refs()
        return cls(
            masks=masks,
            kinds=np.asarray(kinds, dtype=np.int8),
            mask_index=np.asarray(index, dtype=np.int32),
            exposure_us=float(exposure_us),
            period_us=period,
        )

    @property
    def n_patterns(self) -> int:
        return int(self.kinds.shape[0])

    @property
    def duration_us(self) -> float:
        """Pattern time of one pass (excluding any frame padding a DMD mode adds)."""
        return self.n_patterns * self.period_us

    def positions(self, kind: PatternKind) -> np.ndarray:
        """Indices in display order of the patterns of one kind."""
        return np.flatnonzero(self.kinds == int(kind))

    def pattern_bits(self, i: int) -> np.ndarray:
        """Boolean [H, W] image of pattern i at mask resolution."""
        kind = PatternKind(int(self.kinds[i]))
        h, w = self.masks.shape
        if kind is PatternKind.DARK:
            return np.zeros((h, w), dtype=bool)
        if kind is PatternKind.BRIGHT:
            return np.ones((h, w), dtype=bool)
        bits = self.masks.bits[int(self.mask_index[i])]
        return ~bits if kind is PatternKind.COMPLEMENT else bits

    def bits(self) -> np.ndarray:
        """All patterns as one boolean array [n_patterns, H, W] (materialised)."""
        return np.stack([self.pattern_bits(i) for i in range(self.n_patterns)])

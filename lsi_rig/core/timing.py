"""Pattern timing as the DMD really runs it, and when each pattern starts: one formula for the
engine's edge expectations and the world's sequencer physics."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np


@dataclass(frozen=True)
class SequenceTiming:
    """How the DMD will actually run a loaded sequence.

    ``sequence_period_us`` is the time from one TRIG_OUT_2 (sequence start) to the next; it can
    exceed ``n_patterns * period_us`` when the mode pads to whole video frames.
    ``edges_per_pass`` is the number of TRIG_OUT_1 pulses the DMD emits per pass: more than
    ``n_patterns`` when it also shows padding patterns (DLPC350 ``frame_stream``: the unused
    planes of the last frame); None: ``n_patterns``.
    """

    n_patterns: int
    exposure_us: float
    period_us: float
    sequence_period_us: float
    patterns_per_frame: int | None = None
    frames_per_sequence: int | None = None
    notes: tuple[str, ...] = ()
    edges_per_pass: int | None = None


def pattern_start_offsets_s(
    n_patterns: int,
    period_s: float,
    patterns_per_frame: int | None = None,
    frame_period_s: float | None = None,
) -> np.ndarray:
    """Start of each pattern from its pass start, seconds. Video-port modes put
    ``patterns_per_frame`` patterns in each frame and wait for the next VSYNC; without frames
    the patterns follow each other every ``period_s``."""
    index = np.arange(n_patterns)
    if patterns_per_frame and frame_period_s is not None:
        return (index // patterns_per_frame) * frame_period_s + (
            index % patterns_per_frame
        ) * period_s
    return index * period_s


@lru_cache(maxsize=16)
def pattern_offsets_s(timing: SequenceTiming) -> np.ndarray:
    """:func:`pattern_start_offsets_s` for a loaded sequence (read-only, cached)."""
    frame_s = (
        timing.sequence_period_us * 1e-6 / timing.frames_per_sequence
        if timing.patterns_per_frame and timing.frames_per_sequence
        else None
    )
    offsets = pattern_start_offsets_s(
        timing.n_patterns, timing.period_us * 1e-6, timing.patterns_per_frame, frame_s
    )
    offsets.setflags(write=False)
    return offsets

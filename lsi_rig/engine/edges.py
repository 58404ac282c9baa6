"""Edge accounting: did the DMD show every pattern of a pass exactly once?

Two witnesses: the detector's own count of the TRIG_OUT_1 edges it sampled on (per-pattern
mode), and the sync controller's free-running counter, reset before the pass and read after it.
"""

from __future__ import annotations

import numpy as np

from lsi_rig.core.flags import RecordFlags
from lsi_rig.core.timing import SequenceTiming, pattern_offsets_s
from lsi_rig.detector.protocol import DetectorReading


def expected_edges(
    t_reset_s: float, t_pass_start_s: float, timing: SequenceTiming
) -> tuple[int, int]:
    """Range (low, high) of TRIG_OUT_1 rising edges a counter reset at ``t_reset_s`` has seen
    by the end of the pass starting at ``t_pass_start_s``, for a sequencer running
    continuously. Edges of the previous pass within a quarter period of the reset may or may
    not have been counted (clock resolution), so they widen the range instead of raising false
    flags."""
    offsets = pattern_offsets_s(timing)
    previous = t_pass_start_s - timing.sequence_period_us * 1e-6
    tolerance = 0.25 * timing.period_us * 1e-6
    # every pattern of the pass itself is counted; of the previous pass, those after the reset
    low = timing.n_patterns + int(np.count_nonzero(previous + offsets >= t_reset_s + tolerance))
    high = timing.n_patterns + int(np.count_nonzero(previous + offsets > t_reset_s - tolerance))
    if t_pass_start_s < t_reset_s + tolerance:  # the pass's first edge may precede the reset
        low -= int(np.count_nonzero(t_pass_start_s + offsets < t_reset_s + tolerance))
    return low, high


def detector_edge_flags(reading: DetectorReading, timing: SequenceTiming) -> RecordFlags:
    """Flags from the edges the acquisition itself saw (None: the mode cannot see them)."""
    if reading.edges_seen is None:
        return RecordFlags.NONE
    if reading.edges_seen < timing.n_patterns:
        return RecordFlags.MISSING_EDGES
    if reading.edges_seen > timing.n_patterns:
        return RecordFlags.EXTRA_EDGES
    return RecordFlags.NONE


def sync_edge_flags(
    seen: int, t_reset_s: float, t_pass_start_s: float, timing: SequenceTiming
) -> RecordFlags:
    """Flags from the sync controller's count since ``t_reset_s`` against the expected range."""
    low, high = expected_edges(t_reset_s, t_pass_start_s, timing)
    if seen < low:
        return RecordFlags.MISSING_EDGES
    if seen > high:
        return RecordFlags.EXTRA_EDGES
    return RecordFlags.NONE

"""Edge accounting: did the DMD show every pattern of a pass exactly once?

Two witnesses, both latched per pass so that a busy computer reading them late cannot make a
clean pass look faulty (the sequencer keeps running after the pass):

* the detector's own count of the TRIG_OUT_1 pulses of the pass it sampled
  (``DetectorReading.edges_seen``; None when its mode cannot count them);
* the sync controller's gated counter: armed before the pass, opened by the TRIG_OUT_2 edge
  that starts it, closed after the pass's last pattern (:func:`gate_window_us`), read after it.

Both are compared with the pulses the DMD emits per pass (``SequenceTiming.edges_per_pass``,
padding patterns included).
"""

from __future__ import annotations

import logging

from lsi_rig.core.clock import Clock
from lsi_rig.core.flags import RecordFlags
from lsi_rig.core.timing import SequenceTiming, pattern_start_offsets_s
from lsi_rig.detector.protocol import DetectorReading
from lsi_rig.sync.protocol import SyncController

log = logging.getLogger(__name__)

#: The gate closes this fraction of a pattern period after the last pattern's start: late
#: enough to see a glitch in that pattern's pulse (an extra edge, at most 0.6 of the exposure),
#: early enough that the next pass's first edge (one full period later) is never counted.
GATE_TAIL = 0.8
#: Polls of a gate still open after the read (real clocks: the read may end mid-window).
GATE_POLLS = 20


def edges_per_pass(timing: SequenceTiming) -> int:
    """TRIG_OUT_1 pulses the DMD emits per pass (padding patterns included)."""
    return timing.edges_per_pass or timing.n_patterns


def gate_window_us(timing: SequenceTiming) -> float:
    """How long the sync controller's gate stays open after the pass's TRIG_OUT_2 edge."""
    frame_s = (
        timing.sequence_period_us * 1e-6 / timing.frames_per_sequence
        if timing.patterns_per_frame and timing.frames_per_sequence
        else None
    )
    n = edges_per_pass(timing)
    last = pattern_start_offsets_s(n, timing.period_us * 1e-6, timing.patterns_per_frame, frame_s)
    return float(last[-1]) * 1e6 + GATE_TAIL * timing.period_us


def _compare(seen: int, expected: int) -> RecordFlags:
    if seen < expected:
        return RecordFlags.MISSING_EDGES
    if seen > expected:
        return RecordFlags.EXTRA_EDGES
    return RecordFlags.NONE


def detector_edge_flags(reading: DetectorReading, timing: SequenceTiming) -> RecordFlags:
    """Flags from the edges the acquisition itself saw (None: the mode cannot see them)."""
    if reading.edges_seen is None:
        return RecordFlags.NONE
    return _compare(reading.edges_seen, edges_per_pass(timing))


def open_edge_gate(sync: SyncController, timing: SequenceTiming) -> None:
    """Arm the sync controller's pass gate before the detector is armed for the pass."""
    if sync.has_edge_gate:
        sync.arm_edge_gate(gate_window_us(timing))


def gated_edge_flags(sync: SyncController, timing: SequenceTiming, clock: Clock) -> RecordFlags:
    """Flags from the gated count of the pass just read (waits at most one gate window for a
    gate that is still open). A gate that never opened (TRIG_OUT_2 not wired to the sync
    controller) is a DEVICE_WARNING, not an edge fault."""
    if not sync.has_edge_gate:
        return RecordFlags.NONE
    gate = sync.edge_gate()
    step_s = gate_window_us(timing) * 1e-6 / GATE_POLLS
    for _ in range(GATE_POLLS):
        if gate.done:
            break
        clock.sleep_s(step_s)
        gate = sync.edge_gate()
    if not gate.done:
        log.warning(
            "sync controller's edge gate is '%s' after the pass (is TRIG_OUT_2 wired to it?)",
            gate.state,
        )
        return RecordFlags.DEVICE_WARNING
    return _compare(gate.edges, edges_per_pass(timing))

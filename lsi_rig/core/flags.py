"""Per-record quality flags (a bit field stored as uint32 with every record)."""

from __future__ import annotations

from enum import IntFlag


class RecordFlags(IntFlag):
    """What went wrong, or nearly wrong, while one vector was measured."""

    NONE = 0
    SATURATED = 1 << 0  # a sample hit the photodiode output limit or the DAQ range
    NEAR_SATURATION = 1 << 1  # a sample above 90 % of the usable output range
    MISSING_EDGES = 1 << 2  # fewer TRIG_OUT_1 edges than patterns
    EXTRA_EDGES = 1 << 3  # more TRIG_OUT_1 edges than patterns
    TIMING_ANOMALY = 1 << 4  # sequence period off, dropped/repeated video frame
    PARTIAL_READ = 1 << 5  # the read timed out or the buffer was overwritten: NaN samples
    DRIFT = 1 << 6  # bright reference changed by more than the drift threshold
    SLOW_DETECTOR = 1 << 7  # exposure too short for the photodiode bandwidth at this gain
    DEVICE_WARNING = 1 << 8  # the DMD/DAQ reported a warning during the record
    SCENE_NOT_SETTLED = 1 << 9  # measured before the monitor settle time elapsed

    def names(self) -> list[str]:
        return [f.name for f in RecordFlags if f and f in self and f.name]

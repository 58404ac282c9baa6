"""Device contract for the photodiode read through a DAQ (PDA100A2 + NI DAQ, or simulation)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

import numpy as np

from lsi_rig.core.flags import RecordFlags


class AcquisitionMode(StrEnum):
    """How samples are tied to patterns.

    PER_PATTERN: one sample per pattern, the DAQ sample clock is TRIG_OUT_1 (falling edge, end
    of exposure). OVERSAMPLED: start-triggered acquisition at a fixed rate of the photodiode (and
    TRIG_OUT_1 on a second channel), cut into per-pattern windows, settling guard dropped,
    the rest averaged.
    """

    PER_PATTERN = "per_pattern"
    OVERSAMPLED = "oversampled"


@dataclass(frozen=True)
class AcquisitionRequest:
    """What the detector must capture at the next sequence start."""

    n_patterns: int
    exposure_us: float
    period_us: float
    sequence_period_us: float
    timeout_s: float
    keep_trace: bool = False
    #: (scene_index, repeat_index, pass within the record) of the measurement, or None (a probe
    #: pass). A simulated detector draws its noise per key, so a resumed capture reproduces an
    #: uninterrupted one; real detectors ignore it.
    record_key: tuple[int, int, int] | None = None


@dataclass(frozen=True)
class DetectorReading:
    """One pass over the sequence: one value per pattern, in volts at the DAQ input.

    Missing samples (timeout, partial read) are NaN and flagged. ``edges_seen`` counts the
    TRIG_OUT_1 edges the acquisition could see (None when the mode cannot see them).
    ``trace_v`` is the raw DAQ trace ``[channels, samples]`` when requested and available.
    """

    samples_v: np.ndarray
    t_start_s: float
    flags: RecordFlags = RecordFlags.NONE
    edges_seen: int | None = None
    trace_v: np.ndarray | None = None
    trace_rate_hz: float | None = None
    messages: tuple[str, ...] = ()


@runtime_checkable
class Detector(Protocol):
    """Photodiode + DAQ. ``gain_db`` is the PDA100A2 knob as set by the operator (recorded
    with every record); ``range_v`` the DAQ input range (±range_v)."""

    @property
    def gain_db(self) -> float: ...

    @property
    def range_v(self) -> float: ...

    @property
    def mode(self) -> AcquisitionMode: ...

    def describe(self) -> dict[str, Any]: ...

    def arm(self, request: AcquisitionRequest) -> None:
        """Prepare to capture the next full sequence (start trigger = next TRIG_OUT_2)."""
        ...

    def read(self) -> DetectorReading:
        """Block until the armed sequence has been sampled or the request's timeout passed."""
        ...

    def close(self) -> None: ...

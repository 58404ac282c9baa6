"""Mock devices for engine unit tests: they record calls and return scripted values.

These are *mocks* (no physics); integration tests use the simulated world instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lsi_rig.config.schema import RigConfig
from lsi_rig.core.clock import SimClock
from lsi_rig.core.flags import RecordFlags
from lsi_rig.core.timing import SequenceTiming
from lsi_rig.detector.protocol import AcquisitionMode, AcquisitionRequest, DetectorReading
from lsi_rig.dmd.protocol import DmdStatus
from lsi_rig.dmd.sequence import PatternSequence
from lsi_rig.rig import Rig
from lsi_rig.world.config import WorldConfig


@dataclass
class MockDisplay:
    clock: SimClock
    settle_time_s: float = 0.05
    shown: list[np.ndarray] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        return {"model": "mock display"}

    def show(self, image: np.ndarray) -> float:
        self.shown.append(image)
        return self.clock.now_s()

    def close(self) -> None:
        pass


@dataclass
class MockDmd:
    sequence: PatternSequence | None = None
    running: bool = False
    calls: list[str] = field(default_factory=list)
    stop_error: Exception | None = None
    status_override: DmdStatus | None = None

    def describe(self) -> dict[str, Any]:
        return {"model": "mock dmd"}

    def load_sequence(self, sequence: PatternSequence) -> SequenceTiming:
        self.sequence = sequence
        self.calls.append("load")
        return SequenceTiming(
            n_patterns=sequence.n_patterns,
            exposure_us=sequence.exposure_us,
            period_us=sequence.period_us,
            sequence_period_us=sequence.duration_us,
        )

    def start(self) -> None:
        self.running = True
        self.calls.append("start")

    def stop(self) -> None:
        self.running = False
        self.calls.append("stop")
        if self.stop_error is not None:
            raise self.stop_error

    def status(self) -> DmdStatus:
        self.calls.append("status")
        if self.status_override is not None:
            return self.status_override
        return DmdStatus(running=self.running, healthy=True)

    def close(self) -> None:
        pass


@dataclass
class MockDetector:
    """Returns ``values_for(scene_count, pass_index)`` as samples; counts arms and reads."""

    clock: SimClock
    dmd: MockDmd
    display: MockDisplay
    gain_db: float = 40.0
    range_v: float = 10.0
    mode: AcquisitionMode = AcquisitionMode.PER_PATTERN
    edges_offset: int | None = None
    flags: RecordFlags = RecordFlags.NONE
    passes: int = 0
    request: AcquisitionRequest | None = None
    on_read: Any = None
    #: read number (0-based, counting every read) -> exception raised instead of a reading
    failures: dict[int, Exception] = field(default_factory=dict)
    #: read number -> flags of that reading only
    read_flags: dict[int, RecordFlags] = field(default_factory=dict)
    reads: int = 0
    requests: list[AcquisitionRequest] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        return {"model": "mock detector"}

    def arm(self, request: AcquisitionRequest) -> None:
        self.request = request
        self.requests.append(request)

    def read(self) -> DetectorReading:
        assert self.request is not None and self.dmd.running
        number = self.reads
        self.reads += 1
        if number in self.failures:
            raise self.failures[number]
        n = self.request.n_patterns
        samples = np.arange(n, dtype=np.float64) + 1000.0 * len(self.display.shown) + self.passes
        t0 = self.clock.now_s()
        self.clock.sleep_s(self.request.sequence_period_us * 1e-6)
        self.passes += 1
        if self.on_read is not None:
            self.on_read(self)
        edges = None if self.edges_offset is None else n + self.edges_offset
        flags = self.flags | self.read_flags.get(number, RecordFlags.NONE)
        return DetectorReading(samples_v=samples, t_start_s=t0, flags=flags, edges_seen=edges)

    def close(self) -> None:
        pass


def mock_rig() -> tuple[Rig, MockDisplay, MockDmd, MockDetector]:
    clock = SimClock()
    display = MockDisplay(clock)
    dmd = MockDmd()
    detector = MockDetector(clock, dmd, display)
    rig = Rig(
        config=RigConfig(name="mock", world=WorldConfig()),
        clock=clock,
        display=display,
        dmd=dmd,
        detector=detector,
        sync=None,
    )
    return rig, display, dmd, detector

"""Devices that replay recorded samples, for the overhead benches.

What a real rig looks like to the CPU: the display shows at once, the DMD answers at once, and
the DAQ read blocks on the rig's clock for the sequence period (in the driver, not computing)
and returns samples recorded beforehand. With a :class:`~lsi_rig.core.clock.SimClock` the
blocking costs no wall time (the capture bench); with a ``WallClock`` it does, so work done
ahead of time overlaps with the measurement as on the bench (the batch bench).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lsi_rig.config import RigConfig
from lsi_rig.core.clock import Clock
from lsi_rig.core.timing import SequenceTiming
from lsi_rig.detector.protocol import AcquisitionMode, AcquisitionRequest, DetectorReading
from lsi_rig.dmd.protocol import DmdStatus
from lsi_rig.dmd.sequence import PatternSequence
from lsi_rig.rig import Rig


class ReplayDisplay:
    def __init__(self, clock: Clock, settle_time_s: float) -> None:
        self.clock = clock
        self.settle_time_s = settle_time_s

    def describe(self) -> dict[str, Any]:
        return {"model": "replay"}

    def show(self, image: np.ndarray) -> float:
        return self.clock.now_s()

    def close(self) -> None:
        pass


class ReplayDmd:
    def __init__(self, exposure_us: float) -> None:
        self.exposure_us = exposure_us

    def describe(self) -> dict[str, Any]:
        return {"model": "replay"}

    def load_sequence(self, sequence: PatternSequence) -> SequenceTiming:
        n = sequence.n_patterns
        return SequenceTiming(n, self.exposure_us, self.exposure_us, n * self.exposure_us)

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def status(self) -> DmdStatus:
        return DmdStatus(running=True, healthy=True)

    def close(self) -> None:
        pass


class ReplayDetector:
    """Samples ``offset + scale · U(0, 1)`` (seed 0), after blocking for the sequence period."""

    gain_db = 40.0
    range_v = 10.0
    mode = AcquisitionMode.PER_PATTERN

    def __init__(self, clock: Clock, offset: float = 0.0, scale: float = 1.0) -> None:
        self.clock = clock
        self.offset, self.scale = offset, scale
        self.samples: np.ndarray | None = None

    def describe(self) -> dict[str, Any]:
        return {"model": "replay"}

    def arm(self, request: AcquisitionRequest) -> None:
        if self.samples is None or self.samples.shape[0] != request.n_patterns:
            noise = np.random.default_rng(0).random(request.n_patterns)
            self.samples = self.offset + self.scale * noise
        self.request = request

    def read(self) -> DetectorReading:
        t0 = self.clock.now_s()
        self.clock.sleep_s(self.request.sequence_period_us * 1e-6)
        assert self.samples is not None
        return DetectorReading(samples_v=self.samples, t_start_s=t0, edges_seen=self.samples.size)

    def close(self) -> None:
        pass


def replay_rig(
    config: RigConfig,
    clock: Clock,
    *,
    exposure_us: float,
    settle_time_s: float,
    offset: float = 0.0,
    scale: float = 1.0,
) -> Rig:
    """A :class:`Rig` of replay devices on ``clock`` (no sync port)."""
    return Rig(
        config,
        clock,
        ReplayDisplay(clock, settle_time_s),
        ReplayDmd(exposure_us),
        ReplayDetector(clock, offset, scale),
        None,
    )

"""The newest capture state, written by the job's thread and read by the redraw timer.

The capture job calls its listeners in its own thread for every committed record, possibly
hundreds per second; the GUI must not queue a Qt event per record. The listener stores the
newest record here (under a lock) and the redraw timer draws whatever is newest when it ticks.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

import numpy as np

from lsi_rig.core.records import MeasurementRecord
from lsi_rig.engine.results import Progress

DRIFT_HISTORY = 600


def drift_pct(record: MeasurementRecord) -> float:
    """Spread of the offset-corrected bright references within one record, in % of their
    largest value: the quantity the engine flags as DRIFT above the rig's threshold."""
    bright = np.asarray(record.bright_v, dtype=np.float64)
    dark = np.asarray(record.dark_v, dtype=np.float64)
    if bright.size < 2:
        return float("nan")
    span = bright - dark if dark.shape == bright.shape else bright
    reference = float(np.nanmax(np.abs(span)))
    if not reference > 0:
        return float("nan")
    return 100.0 * float(np.nanmax(span) - np.nanmin(span)) / reference


class RateMeter:
    """Events per second over a sliding window (not thread-safe: one owner)."""

    def __init__(self, window_s: float = 2.0) -> None:
        self.window_s = window_s
        self._times: deque[float] = deque()

    def tick(self, now: float | None = None) -> None:
        self._times.append(time.perf_counter() if now is None else now)

    def rate(self, now: float | None = None) -> float:
        now = time.perf_counter() if now is None else now
        while self._times and now - self._times[0] > self.window_s:
            self._times.popleft()
        if len(self._times) < 2:
            return 0.0
        return (len(self._times) - 1) / max(now - self._times[0], 1e-9)


@dataclass(frozen=True)
class LiveSnapshot:
    """What the redraw timer needs; ``sequence`` grows by one per committed record."""

    sequence: int
    index: int
    record: MeasurementRecord | None
    progress: Progress | None
    committed_at: float  # time.perf_counter() when the record was committed
    vectors_per_s: float
    drift_pct: np.ndarray  # bright-reference spread within each recent record, % (history)


class LiveState:
    """Thread-safe holder of the newest committed record (see module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._sequence = 0
            self._index = -1
            self._record: MeasurementRecord | None = None
            self._progress: Progress | None = None
            self._committed_at = 0.0
            self._rate = RateMeter()
            self._drift: deque[float] = deque(maxlen=DRIFT_HISTORY)

    def commit(self, index: int, record: MeasurementRecord, progress: Progress) -> None:
        now = time.perf_counter()
        drift = drift_pct(record)
        with self._lock:
            self._sequence += 1
            self._index, self._record, self._progress = index, record, progress
            self._committed_at = now
            self._rate.tick(now)
            self._drift.append(drift)

    @property
    def sequence(self) -> int:
        with self._lock:
            return self._sequence

    def snapshot(self) -> LiveSnapshot:
        with self._lock:
            return LiveSnapshot(
                sequence=self._sequence,
                index=self._index,
                record=self._record,
                progress=self._progress,
                committed_at=self._committed_at,
                vectors_per_s=self._rate.rate(),
                drift_pct=np.asarray(self._drift, dtype=np.float64),
            )

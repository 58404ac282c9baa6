"""Time sources.

The engine never calls :func:`time.sleep` directly: it asks the rig's clock. Real rigs use the
wall clock; simulated rigs share a :class:`SimClock` with their world so a 50 ms monitor settle or
a 30 ms pattern sequence costs no real time, and every simulated device sees the same "now".
"""

from __future__ import annotations

import threading
import time
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """Monotonic seconds plus a way to let time pass."""

    def now_s(self) -> float: ...

    def sleep_s(self, seconds: float) -> None: ...


class WallClock:
    """Real time (``time.monotonic``)."""

    def now_s(self) -> float:
        return time.monotonic()

    def sleep_s(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class SimClock:
    """Simulated time: sleeping advances the clock instantly. Thread-safe."""

    def __init__(self, start_s: float = 0.0) -> None:
        self._now = float(start_s)
        self._lock = threading.Lock()

    def now_s(self) -> float:
        with self._lock:
            return self._now

    def sleep_s(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"cannot sleep a negative time ({seconds} s)")
        with self._lock:
            self._now += seconds

    def advance_to(self, t_s: float) -> None:
        """Move the clock forward to ``t_s`` (no-op if it is already later)."""
        with self._lock:
            self._now = max(self._now, float(t_s))

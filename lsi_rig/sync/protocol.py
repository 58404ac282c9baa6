"""Device contract for the trigger/sync controller (a microcontroller on a serial port)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class SyncStatus:
    armed: bool
    firing: bool
    pulses_remaining: int
    edge_count: int
    error: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class SyncController(Protocol):
    """Generates trigger pulse trains and counts the DMD's TRIG_OUT_1 edges, so every record
    can be checked for missing or extra pattern triggers."""

    def describe(self) -> dict[str, Any]: ...

    def identify(self) -> str: ...

    def arm(self, n_pulses: int, period_us: float, width_us: float) -> None: ...

    def fire(self) -> None: ...

    def abort(self) -> None: ...

    def status(self) -> SyncStatus: ...

    def edge_count(self) -> int:
        """TRIG_OUT_1 edges seen since the last :meth:`reset_edge_count`."""
        ...

    def reset_edge_count(self) -> None: ...

    def close(self) -> None: ...

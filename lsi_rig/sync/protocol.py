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


@dataclass(frozen=True)
class EdgeGate:
    """The pass-gated edge count: armed before a pass, opened by the TRIG_OUT_2 rising edge that
    starts the pass, closed ``window_us`` later; ``edges`` are the TRIG_OUT_1 rising edges
    counted while it was open. Latched: reading it later (the sequencer keeps running) gives
    the same number. ``state`` is one of ``idle``, ``armed``, ``counting``, ``done``."""

    state: str
    edges: int

    @property
    def done(self) -> bool:
        return self.state == "done"


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

    @property
    def has_edge_gate(self) -> bool:
        """Whether the controller latches edges per pass (serial protocol ≥ 1.1)."""
        ...

    def arm_edge_gate(self, window_us: float) -> None:
        """Count TRIG_OUT_1 rising edges for ``window_us`` from the next TRIG_OUT_2 rising edge
        (the start of the next pass); re-arming replaces the previous gate."""
        ...

    def edge_gate(self) -> EdgeGate:
        """State and count of the gate armed last."""
        ...

    def close(self) -> None: ...

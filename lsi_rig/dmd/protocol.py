"""Device contract for the spatial light modulator (DLP4500 / DLPC350 or its simulation)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from lsi_rig.core.errors import DeviceError
from lsi_rig.core.timing import SequenceTiming
from lsi_rig.dmd.sequence import PatternSequence


@dataclass(frozen=True)
class DmdStatus:
    """Decoded controller state, polled during acquisition to tie device health to data."""

    running: bool
    healthy: bool
    video_locked: bool | None = None
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)
    device: str = "DMD"

    def check(self) -> DmdStatus:
        """Raise one :class:`DeviceError` line naming the device when it is unhealthy (e.g. the
        HDMI video lock was lost mid-capture); return ``self`` otherwise."""
        if not self.healthy:
            what = "; ".join(self.errors) or "unhealthy"
            raise DeviceError(f"{self.device}: {what}")
        return self


@runtime_checkable
class Dmd(Protocol):
    """A DMD that shows a pattern sequence repeatedly, emitting TRIG_OUT_1 per pattern and
    TRIG_OUT_2 per sequence."""

    def describe(self) -> dict[str, Any]:
        """Static description (model, firmware, geometry, mode) stored in the session file."""
        ...

    def load_sequence(self, sequence: PatternSequence) -> SequenceTiming:
        """Program the sequence (stops the sequencer first). Raises DeviceError on refusal."""
        ...

    def start(self) -> None:
        """Run the loaded sequence continuously."""
        ...

    def stop(self) -> None: ...

    def status(self) -> DmdStatus: ...

    def close(self) -> None: ...

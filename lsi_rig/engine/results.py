"""What the engine reports: progress per record, the run summary, and the sink records go to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from lsi_rig.core.flags import RecordFlags
from lsi_rig.core.records import MeasurementRecord
from lsi_rig.core.timing import SequenceTiming

RecordKey = tuple[int, int]  # (scene_index, repeat_index)


class RecordSink(Protocol):
    def append(self, record: MeasurementRecord) -> int: ...


@dataclass(frozen=True)
class Progress:
    """Sent after every record (and once at the start with ``record = None``).

    ``records_done`` counts every committed record of the plan, those of earlier runs of a
    resumed session included (``records_before``); the ETA uses this run's own rate.
    """

    records_done: int
    records_total: int
    scene_index: int
    scene_id: str
    repeat_index: int
    elapsed_s: float
    flags: RecordFlags = RecordFlags.NONE
    record: MeasurementRecord | None = None
    records_before: int = 0
    records_skipped: int = 0

    @property
    def eta_s(self) -> float | None:
        done_here = self.records_done - self.records_before
        if done_here <= 0:
            return None
        rate = self.elapsed_s / done_here
        return rate * (self.records_total - self.records_done - self.records_skipped)


@dataclass
class RunSummary:
    """What happened: counts, why it ended, and where the time went."""

    records_written: int
    records_planned: int
    stopped: bool
    wall_s: float
    device_s: float
    sink_s: float
    flag_counts: dict[str, int] = field(default_factory=dict)
    timing: SequenceTiming | None = None
    skipped: list[RecordKey] = field(default_factory=list)
    retries: int = 0
    records_before: int = 0
    #: Software work done inside a settle wait that it did not lengthen (a scene's last record
    #: is written while the next scene settles): outside device calls, yet no time lost.
    hidden_s: float = 0.0

    @property
    def overhead_s(self) -> float:
        """Wall time the run lost to software: outside device calls and not hidden in a wait."""
        return max(0.0, self.wall_s - self.device_s - self.hidden_s)

    @property
    def overhead_per_record_s(self) -> float:
        """Software time lost per record (record formation and writing incl.)."""
        if self.records_written == 0:
            return 0.0
        return self.overhead_s / self.records_written

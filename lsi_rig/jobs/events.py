"""States and typed events of a capture job (what a GUI, a wizard or a batch listens to).

Events are delivered in the job's own thread, in order; a GUI re-emits them as Qt signals. They
are plain frozen dataclasses so a listener can pattern-match on the type.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from lsi_rig.core.records import MeasurementRecord
from lsi_rig.engine.results import Progress, RunSummary


class JobState(StrEnum):
    """idle → preparing → running ⇄ paused → finished | failed | cancelled."""

    IDLE = "idle"
    PREPARING = "preparing"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in (JobState.FINISHED, JobState.FAILED, JobState.CANCELLED)


#: Transitions a job may make (anything else is a bug and raises).
ALLOWED: dict[JobState, frozenset[JobState]] = {
    JobState.IDLE: frozenset({JobState.PREPARING, JobState.CANCELLED, JobState.FAILED}),
    JobState.PREPARING: frozenset(
        {JobState.RUNNING, JobState.PAUSED, JobState.FAILED, JobState.CANCELLED}
    ),
    JobState.RUNNING: frozenset(
        {JobState.PAUSED, JobState.FINISHED, JobState.FAILED, JobState.CANCELLED}
    ),
    JobState.PAUSED: frozenset(
        {JobState.RUNNING, JobState.PREPARING, JobState.FAILED, JobState.CANCELLED}
    ),
    JobState.FINISHED: frozenset(),
    JobState.FAILED: frozenset(),
    JobState.CANCELLED: frozenset(),
}


@dataclass(frozen=True)
class StateChanged:
    old: JobState
    new: JobState
    reason: str = ""


@dataclass(frozen=True)
class RecordCommitted:
    """A record is on disk (committed): ``index`` is its row in the session file."""

    index: int
    record: MeasurementRecord
    progress: Progress


@dataclass(frozen=True)
class JobWarning:
    message: str


@dataclass(frozen=True)
class JobFinished:
    """The job ended without error: ``status`` is the session's final status ("complete", or
    "interrupted" after a stop or with records skipped by the error policy)."""

    status: str
    path: Path | None
    summary: RunSummary | None


@dataclass(frozen=True)
class JobFailed:
    """The job ended with an error: ``message`` is the one line the CLI prints; ``internal`` is
    True for a bug (not a user or device error), whose traceback went to the log."""

    message: str
    path: Path | None
    records_kept: int
    internal: bool = False


JobEvent = StateChanged | RecordCommitted | JobWarning | JobFinished | JobFailed

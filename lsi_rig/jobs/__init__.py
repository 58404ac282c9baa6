"""Application services: capture jobs the CLI, the GUI, wizards and batches drive (Qt-free)."""

from __future__ import annotations

from lsi_rig.jobs.capture import (
    CaptureJob,
    CaptureRequest,
    CaptureResult,
    JobResult,
    capture_session,
)
from lsi_rig.jobs.events import (
    JobEvent,
    JobFailed,
    JobFinished,
    JobState,
    JobWarning,
    RecordCommitted,
    StateChanged,
)
from lsi_rig.jobs.plans import plan_from_config

__all__ = [
    "CaptureJob",
    "CaptureRequest",
    "CaptureResult",
    "JobEvent",
    "JobFailed",
    "JobFinished",
    "JobResult",
    "JobState",
    "JobWarning",
    "RecordCommitted",
    "StateChanged",
    "capture_session",
    "plan_from_config",
]

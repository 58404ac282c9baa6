"""The capture job: one object per capture, steerable from any thread, Qt-free.

``CaptureJob(request)`` builds (or borrows) the rig, programs the DMD, creates — or, with
``request.resume``, reopens — the session file, runs the engine and closes the file with the
status the run earned. It moves through :class:`~lsi_rig.jobs.events.JobState` and tells
listeners with typed events. ``start()`` runs it in a thread it owns, ``run()`` in the caller's;
``pause()``, ``resume()`` and ``stop()`` are thread-safe and honoured in every phase within one
sequence pass (see :mod:`lsi_rig.engine.control`). The CLI, the GUI, wizards and batches are
thin users of it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsi_rig.config.schema import RigConfig
from lsi_rig.core.calibration import AppliedCalibration
from lsi_rig.core.errors import CaptureStopped, LsiRigError
from lsi_rig.engine import AcquisitionEngine, Progress, RunSummary
from lsi_rig.engine.control import Phase, RunControl
from lsi_rig.engine.plan import CapturePlan
from lsi_rig.engine.policy import ErrorPolicy
from lsi_rig.jobs.calibrated import CalibratedScenes
from lsi_rig.jobs.events import (
    ALLOWED,
    JobEvent,
    JobFailed,
    JobFinished,
    JobState,
    JobWarning,
    RecordCommitted,
    StateChanged,
)
from lsi_rig.jobs.session_file import SessionTarget
from lsi_rig.rig import Rig, build_rig

log = logging.getLogger(__name__)

Listener = Callable[[JobEvent], None]


@dataclass(frozen=True)
class CaptureRequest:
    """Everything a capture needs. ``resume``: ``out`` is an interrupted session to continue
    (refused when rig, masks, scenes or calibration differ, unless ``force``). ``extra``: more
    ``SessionMetadata.extra`` entries for a new file (``/config/extra``: a batch's manifest,
    splits and labels); a resumed file keeps the ones it was created with."""

    rig_config: RigConfig
    plan: CapturePlan
    out: Path
    overwrite: bool = False
    resume: bool = False
    force: bool = False
    command: str = ""
    policy: ErrorPolicy = field(default_factory=ErrorPolicy)
    health_interval_s: float = 1.0
    calibration: AppliedCalibration | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def effective_plan(self) -> CapturePlan:
        """The plan as the engine runs it: scenes drawn through the calibration, if any."""
        if self.calibration is None:
            return self.plan
        return dataclasses.replace(
            self.plan, scenes=CalibratedScenes(self.plan.scenes, self.calibration)
        )


@dataclass(frozen=True)
class JobResult:
    state: JobState
    status: str | None  # the session's final status; None when no file was written
    path: Path | None
    summary: RunSummary | None
    error: str | None = None


class CaptureJob:
    """One capture (see module docstring)."""

    def __init__(self, request: CaptureRequest, *, rig: Rig | None = None) -> None:
        self.request = request
        self._rig = rig
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()
        self._state = JobState.IDLE
        self._control = RunControl(listener=self._on_pause)
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self._result: JobResult | None = None
        self._error: BaseException | None = None
        self.progress: Progress | None = None
        self._target: SessionTarget | None = None

    # -- observing ---------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        """``listener(event)`` is called in the job's thread for every event, in order."""
        self._listeners.append(listener)

    @property
    def state(self) -> JobState:
        return self._state

    @property
    def result(self) -> JobResult | None:
        return self._result

    def _emit(self, event: JobEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a broken observer must never stop the capture
                log.exception("capture job listener %r failed on %s", listener, event)

    def _set_state(self, new: JobState, reason: str = "") -> None:
        with self._lock:
            old = self._state
            if old is new:
                return
            if new not in ALLOWED[old]:
                raise RuntimeError(f"capture job cannot go from {old} to {new}")
            self._state = new
        self._emit(StateChanged(old, new, reason))

    def _on_pause(self, paused: bool, phase: Phase, reason: str) -> None:
        if paused:
            self._resume_to = self._state
            self._set_state(JobState.PAUSED, f"{reason} ({phase})")
        else:
            self._set_state(getattr(self, "_resume_to", JobState.RUNNING), "resumed")

    # -- steering (any thread) ---------------------------------------------------------------
    def pause(self, reason: str = "paused by the operator") -> None:
        self._control.pause(reason)

    def resume(self) -> None:
        self._control.resume()

    def stop(self) -> None:
        """End the capture within one sequence pass; every committed record is kept. A stop
        before the job starts cancels it without touching any file."""
        self._control.stop()

    # -- running -----------------------------------------------------------------------------
    def start(self) -> None:
        """Run in a new (non-daemon) thread; errors are reported as :class:`JobFailed`."""
        if self._thread is not None:
            raise RuntimeError("capture job already started")
        self._thread = threading.Thread(
            target=self._run_quietly, name=f"capture {self.request.out.name}"
        )
        self._thread.start()

    def wait(self, timeout: float | None = None) -> JobResult | None:
        """The result once the job ended (None if ``timeout`` passed first)."""
        self._done.wait(timeout)
        return self._result

    def _run_quietly(self) -> None:
        with contextlib.suppress(BaseException):  # reported through JobFailed and the result
            self.run()

    def run(self) -> JobResult:
        """Run in the caller's thread. Re-raises the error that ended the job (after closing
        the session file with status failed or interrupted) so a CLI can report it."""
        try:
            return self._run()
        finally:
            self._done.set()

    def _run(self) -> JobResult:
        request = self.request
        target = self._target = SessionTarget(request)
        rig: Rig | None = None
        summary: RunSummary | None = None
        try:
            if self._control.stop_requested:
                raise CaptureStopped("capture stopped before it started")
            self._set_state(JobState.PREPARING)
            target.check()
            rig = self._rig if self._rig is not None else build_rig(request.rig_config)
            engine = AcquisitionEngine(
                rig,
                on_progress=self._on_progress,
                control=self._control,
                policy=request.policy,
                health_interval_s=request.health_interval_s,
            )
            plan = request.effective_plan()
            prepared = engine.prepare(plan)
            target.open(rig, engine, prepared)
            self._set_state(JobState.RUNNING)
            summary = engine.run(plan, target, prepared=prepared, skip=target.skip)
            final_status = target.finish(summary)
            for key in summary.skipped:
                self._emit(JobWarning(f"record scene {key[0]} repeat {key[1]} skipped"))
            final = JobState.CANCELLED if summary.stopped else JobState.FINISHED
            self._result = JobResult(final, final_status, target.path, summary)
            self._emit(JobFinished(final_status, target.path, summary))
            self._set_state(final)
            return self._result
        except (CaptureStopped, KeyboardInterrupt) as exc:
            stopped = target.abort(interrupted=True, message=str(exc) or "interrupted")
            self._result = JobResult(JobState.CANCELLED, stopped, target.path, summary)
            self._emit(JobFinished(stopped or "cancelled", target.path, summary))
            self._set_state(JobState.CANCELLED, str(exc))
            if isinstance(exc, KeyboardInterrupt):
                raise
            return self._result
        except BaseException as exc:
            internal = not isinstance(exc, LsiRigError)
            message = str(exc) if not internal else f"internal error: {type(exc).__name__}: {exc}"
            if internal:
                log.exception("capture job failed")
            failed = target.abort(interrupted=False, message=message)
            self._result = JobResult(JobState.FAILED, failed, target.path, summary, message)
            self._emit(JobFailed(message, target.path, target.records_written, internal))
            self._set_state(JobState.FAILED, message)
            raise
        finally:
            if rig is not None and self._rig is None:
                rig.close()

    def _on_progress(self, progress: Progress) -> None:
        """The engine reports after the sink committed the record: it is on disk now."""
        self.progress = progress
        target = self._target
        if progress.record is not None and target is not None and target.last_record is not None:
            # the record as stored (with its calibrated vector), not the engine's copy
            committed = dataclasses.replace(progress, record=target.last_record)
            self._emit(RecordCommitted(target.last_index, target.last_record, committed))


@dataclass(frozen=True)
class CaptureResult:
    path: Path
    summary: RunSummary
    status: str


def capture_session(
    rig_config: RigConfig,
    plan: CapturePlan,
    out: str | Path,
    *,
    overwrite: bool = False,
    command: str = "",
    on_progress: Callable[[Progress], None] | None = None,
    rig: Rig | None = None,
    policy: ErrorPolicy | None = None,
) -> CaptureResult:
    """Run ``plan`` into a new session file at ``out`` in this thread (scripts, notebooks, the
    demo): a :class:`CaptureJob` without the steering. Raises what ended it."""
    request = CaptureRequest(
        rig_config=rig_config,
        plan=plan,
        out=Path(out),
        overwrite=overwrite,
        command=command,
        policy=policy if policy is not None else ErrorPolicy(),
    )
    job = CaptureJob(request, rig=rig)
    if on_progress is not None:
        callback = on_progress

        def forward(event: JobEvent) -> None:
            if isinstance(event, RecordCommitted):
                callback(event.progress)

        job.subscribe(forward)
    result = job.run()
    assert result.summary is not None and result.path is not None and result.status
    return CaptureResult(path=result.path, summary=result.summary, status=result.status)

"""The GUI's handle on one capture job: steering, and job events as queued Qt signals.

The job calls its listeners in its own thread. Committed records go into :class:`LiveState`
(the redraw timer draws the newest, and offers it to the live decoder); every other event
— state changes, warnings, the end — is re-emitted as a typed Qt signal, queued into the GUI
thread. No acquisition logic lives here: the job does the capture.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PyQt6.QtCore import QObject, pyqtSignal

from lsi_rig.gui.live_state import LiveState
from lsi_rig.gui.widgets import queued
from lsi_rig.jobs import (
    CaptureJob,
    CaptureRequest,
    JobEvent,
    JobFailed,
    JobFinished,
    JobState,
    JobWarning,
    RecordCommitted,
    StateChanged,
)
from lsi_rig.rig import Rig

log = logging.getLogger(__name__)


class CaptureController(QObject):
    state_changed = pyqtSignal(object, str)  # JobState, reason
    warned = pyqtSignal(str)
    finished = pyqtSignal(object)  # JobFinished
    failed = pyqtSignal(object)  # JobFailed

    _event = pyqtSignal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.live = LiveState()
        self.job: CaptureJob | None = None
        self.on_running: Callable[[], None] | None = None
        self.ended = True
        queued(self._event, self._dispatch)

    @property
    def state(self) -> JobState:
        return self.job.state if self.job is not None else JobState.IDLE

    @property
    def active(self) -> bool:
        """A job exists and has not ended (it may still be preparing). A job whose end event
        the GUI has handled is over, even in the moment before its final state change."""
        return self.job is not None and not self.job.state.is_final and not self.ended

    def prepare(self, request: CaptureRequest, rig: Rig) -> CaptureJob:
        """A new job for ``request`` on the connected ``rig``; start it with ``job.start()``
        (the app does that from the rig worker)."""
        self.live.reset()
        job = CaptureJob(request, rig=rig)
        job.subscribe(self._listen)
        self.job = job
        self.ended = False
        return job

    # -- steering (any of these is safe at any time) -------------------------------------
    def stop(self) -> None:
        if self.job is not None:
            self.job.stop()

    def pause(self) -> None:
        if self.job is not None:
            self.job.pause()

    def resume(self) -> None:
        if self.job is not None:
            self.job.resume()

    def toggle_pause(self) -> None:
        if self.state is JobState.PAUSED:
            self.resume()
        elif self.active:
            self.pause()

    # -- the job's thread -----------------------------------------------------------------
    def _listen(self, event: JobEvent) -> None:
        if isinstance(event, RecordCommitted):
            self.live.commit(event.index, event.record, event.progress)
            return
        if (
            isinstance(event, StateChanged)
            and event.new is JobState.RUNNING
            and event.old is JobState.PREPARING
            and self.on_running is not None
        ):
            self.on_running()  # in the job's thread: the session log handler is attached
        self._event.emit(event)

    # -- the GUI thread -------------------------------------------------------------------
    def _dispatch(self, event: JobEvent) -> None:
        if isinstance(event, StateChanged):
            self.state_changed.emit(event.new, event.reason)
        elif isinstance(event, JobWarning):
            self.warned.emit(event.message)
        elif isinstance(event, JobFinished):
            self.ended = True
            self.finished.emit(event)
        elif isinstance(event, JobFailed):
            self.ended = True
            self.failed.emit(event)

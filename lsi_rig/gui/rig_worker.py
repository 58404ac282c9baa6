"""The rig, connected once and kept between captures, built and polled off the GUI thread.

Building a rig can take seconds (emulators start, USB and gRPC links open) and a device status
read is real I/O, so both run in a worker ``QThread``; the GUI asks with queued signals and
listens to the answers. Captures are started through the same worker, so a status poll and the
first device call of a capture can never overlap; while a capture runs the job polls the DMD
itself and the app does not.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from PyQt6.QtCore import QObject, QThread, pyqtSignal, pyqtSlot

from lsi_rig.config.schema import RigConfig
from lsi_rig.core.errors import LsiRigError
from lsi_rig.dmd.protocol import DmdStatus
from lsi_rig.gui.mirror import MirroredDisplay, ShownImages
from lsi_rig.gui.widgets import queued
from lsi_rig.jobs import CaptureJob
from lsi_rig.rig import Rig, build_rig
from lsi_rig.sync.protocol import SyncStatus

log = logging.getLogger(__name__)


class Connection(StrEnum):
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    FAILED = "failed"


@dataclass(frozen=True)
class RigHealth:
    """One status poll: the decoded DMD and sync status, or the one-line reason it failed."""

    dmd: DmdStatus | None = None
    dmd_error: str | None = None
    sync: SyncStatus | None = None
    sync_error: str | None = None


class _Worker(QObject):
    built = pyqtSignal(object)  # Rig
    build_failed = pyqtSignal(str, bool)  # message, internal
    closed = pyqtSignal()
    polled = pyqtSignal(object)  # RigHealth

    def __init__(self, shown: ShownImages) -> None:
        super().__init__()
        self.shown = shown
        self.rig: Rig | None = None

    @pyqtSlot(object)
    def build(self, config: RigConfig) -> None:
        self._close()
        try:
            rig = build_rig(config)
        except LsiRigError as exc:
            self.build_failed.emit(str(exc), False)
            return
        except Exception as exc:
            log.exception("building rig %s failed", config.name)
            self.build_failed.emit(f"{type(exc).__name__}: {exc}", True)
            return
        rig.display = MirroredDisplay(rig.display, self.shown)
        self.rig = rig
        log.info("rig %s connected", config.name)
        self.built.emit(rig)

    @pyqtSlot()
    def close_rig(self) -> None:
        self._close()
        self.closed.emit()

    def _close(self) -> None:
        if self.rig is not None:
            name = self.rig.config.name
            self.rig.close()
            self.rig = None
            log.info("rig %s disconnected", name)

    @pyqtSlot()
    def poll(self) -> None:
        rig = self.rig
        if rig is None:
            return
        dmd, dmd_error, sync, sync_error = None, None, None, None
        try:
            dmd = rig.dmd.status()
        except Exception as exc:  # a status read failing is itself the status
            dmd_error = str(exc) if isinstance(exc, LsiRigError) else f"{type(exc).__name__}: {exc}"
        if rig.sync is not None:
            try:
                sync = rig.sync.status()
            except Exception as exc:
                sync_error = (
                    str(exc) if isinstance(exc, LsiRigError) else f"{type(exc).__name__}: {exc}"
                )
        self.polled.emit(RigHealth(dmd, dmd_error, sync, sync_error))

    @pyqtSlot(object)
    def start_job(self, job: CaptureJob) -> None:
        job.start()


class RigConnection(QObject):
    """GUI-thread side of the rig worker: ask, and listen to the answers."""

    connected = pyqtSignal(object)  # Rig
    disconnected = pyqtSignal()
    failed = pyqtSignal(str, bool)
    health = pyqtSignal(object)  # RigHealth

    _build = pyqtSignal(object)
    _close = pyqtSignal()
    _poll = pyqtSignal()
    _start_job = pyqtSignal(object)

    def __init__(self, shown: ShownImages, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = Connection.DISCONNECTED
        self.rig: Rig | None = None
        self.config: RigConfig | None = None
        self._thread = QThread()
        self._thread.setObjectName("rig worker")
        self._worker = _Worker(shown)
        self._worker.moveToThread(self._thread)
        queued(self._build, self._worker.build)
        queued(self._close, self._worker.close_rig)
        queued(self._poll, self._worker.poll)
        queued(self._start_job, self._worker.start_job)
        queued(self._worker.built, self._on_built)
        queued(self._worker.build_failed, self._on_failed)
        queued(self._worker.closed, self._on_closed)
        queued(self._worker.polled, self.health)
        self._thread.start()

    def connect_rig(self, config: RigConfig) -> None:
        self.state, self.config, self.rig = Connection.CONNECTING, config, None
        self._build.emit(config)

    def disconnect_rig(self) -> None:
        self.rig = None
        self._close.emit()

    def poll(self) -> None:
        if self.state is Connection.CONNECTED:
            self._poll.emit()

    def start_job(self, job: CaptureJob) -> None:
        """Start ``job`` from the worker thread (after any status poll already asked for)."""
        self._start_job.emit(job)

    def _on_built(self, rig: Rig) -> None:
        self.state, self.rig = Connection.CONNECTED, rig
        self.connected.emit(rig)

    def _on_failed(self, message: str, internal: bool) -> None:
        self.state, self.rig = Connection.FAILED, None
        self.failed.emit(message, internal)

    def _on_closed(self) -> None:
        if self.state is not Connection.CONNECTING:
            self.state = Connection.DISCONNECTED
        self.disconnected.emit()

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        """Close the rig in the worker, then end the worker thread (GUI keeps processing
        events meanwhile, so a device that needs the GUI thread to close cannot deadlock)."""
        from PyQt6.QtCore import QDeadlineTimer, QEventLoop, QTimer

        loop = QEventLoop()
        queued(self._worker.closed, loop.quit)
        QTimer.singleShot(timeout_ms, loop.quit)
        self._close.emit()
        loop.exec()
        self._thread.quit()
        self._thread.wait(QDeadlineTimer(timeout_ms))

"""What the operator's capture actions do: start, pause, stop, resume a session, and what the
window shows while the job runs and when it ends. The capture itself is the job's
(:class:`~lsi_rig.jobs.CaptureJob`, started from the rig worker); this module turns widgets
into a request and job events into widgets.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from PyQt6.QtWidgets import QFileDialog

from lsi_rig.core.calibration import AppliedCalibration
from lsi_rig.core.errors import LsiRigError
from lsi_rig.core.paths import check_output_path
from lsi_rig.core.records import MeasurementRecord
from lsi_rig.decode.units import record_input
from lsi_rig.engine.policy import ErrorPolicy
from lsi_rig.gui.drawing import DecodeKey
from lsi_rig.gui.rig_worker import Connection
from lsi_rig.jobs import CaptureRequest, JobFailed, JobFinished, JobState
from lsi_rig.jobs.plans import plan_from_config
from lsi_rig.rig import Rig

if TYPE_CHECKING:
    from lsi_rig.gui.main_window import MainWindow

log = logging.getLogger(__name__)


class CaptureFlow:
    def __init__(self, window: MainWindow, sessions_dir: Path) -> None:
        self.w = window
        self.sessions_dir = sessions_dir
        self._pending_start = False
        self._preview_dir: Path | None = None
        self._run = 0

    def setup(self) -> None:
        w, s = self.w, self.w.session_dock
        s.repeats.setValue(w.options.repeats or w.rigs.rig_config.acquisition.repeats)
        s.start.clicked.connect(self.start)
        s.pause.clicked.connect(self.toggle_pause)
        s.stop.clicked.connect(self.stop)
        s.resume.clicked.connect(lambda: self.resume_session())
        w.capture.state_changed.connect(self._state_changed)
        w.capture.finished.connect(self._finished)
        w.capture.failed.connect(self._failed)
        w.capture.warned.connect(lambda text: w.status(f"warning: {text}"))
        self.buttons()

    def rig_ready(self) -> None:
        """The rig connected: a Start pressed meanwhile goes ahead."""
        self.buttons()
        if self._pending_start:
            self._pending_start = False
            self.start()

    def rig_failed(self) -> None:
        self._pending_start = False

    def start(self) -> None:
        w = self.w
        if w.capture.active:
            if w.capture.state is JobState.PAUSED:
                w.capture.resume()
            return
        if w.rig.state is Connection.CONNECTING:
            self._pending_start = True
            w.status("connecting the rig: the capture starts when it is ready")
            return
        if w.rig.rig is None:
            self._pending_start = True
            self.w.rigs.connect_rig()
            return
        try:
            request = self._request()
        except LsiRigError as exc:
            w.errors.user_error(str(exc))
            return
        self._start(request, w.rig.rig)

    def _start(self, request: CaptureRequest, rig: Rig) -> None:
        from lsi_rig.gui.main_window import Mode

        w = self.w
        self._run += 1
        w.review.back_to_live()
        w.set_mode(Mode.LIVE)
        self.w.inputs.use_decoder()
        notes = w.session_dock.notes.toPlainText().strip()
        w.capture.on_running = (lambda: log.info("operator notes: %s", notes)) if notes else None
        job = w.capture.prepare(request, rig)
        w.live_dock.clear(f"Capture starting: {request.out.name}…")
        w.session_dock.path_label.setText(
            f"Writing {request.out}" if self._preview_dir is None else "Preview: not recorded"
        )
        w.session_dock.progress.setFormat("%v / %m records")
        w.session_dock.progress.setRange(0, request.plan.n_records)
        w.session_dock.progress.setValue(0)
        self.w.rigs.place_scene_window(w.scene_dock.show_window.isChecked())
        w.rig_dock.show_capturing()
        w.rig.start_job(job)
        self.buttons()

    def _request(self, *, resume: Path | None = None) -> CaptureRequest:
        self._cleanup_preview()
        if self.w.inputs.scene_source is None:
            self.w.inputs.scene_source = self.w.inputs.scene_choice.source()
            self.w.inputs.scene_cache.clear()
        plan = plan_from_config(
            self.w.rigs.rig_config.acquisition,
            scenes=self.w.inputs.scene_source,
            masks=self.w.inputs.mask_set,
            repeats=self.w.session_dock.repeats.value(),
        )
        out = resume if resume is not None else self._output_path()
        command = (
            f"lsi-rig gui --rig {self.w.rigs.rig_label} --masks {self.w.inputs.mask_set.source}"
        )
        return CaptureRequest(
            rig_config=self.w.rigs.rig_config,
            plan=plan,
            out=out,
            resume=resume is not None,
            command=command,
            policy=ErrorPolicy(),
            calibration=self._calibration(),
        )

    def _calibration(self) -> AppliedCalibration | None:
        """The rig's current calibration, as ``lsi-rig capture`` applies it. One that does not
        fit (another mask set, gain, rig file) is not applied, and the app says so: the
        operator sees why the vectors are uncalibrated instead of being blocked."""
        from lsi_rig.calibration import calibration_for_capture

        try:
            calibration = calibration_for_capture(
                self.w.rigs.rig_config, None, self.w.inputs.mask_set
            )
        except LsiRigError as exc:
            log.warning("calibration not applied: %s", exc)
            self.w.status(f"Uncalibrated: {exc}", 15000)
            return None
        if calibration is not None:
            log.info("applying calibration %s", calibration.snapshot.source)
        return calibration

    def _output_path(self) -> Path:
        from lsi_rig.core.paths import new_session_path
        from lsi_rig.decode.vectors import safe_stem

        dock = self.w.session_dock
        if not dock.record.isChecked():
            self._preview_dir = Path(tempfile.mkdtemp(prefix="lsi-rig-preview-"))
            return self._preview_dir / "preview.h5"
        text = dock.file_name.text().strip()
        if text:
            path = Path(text).expanduser()
            if path.suffix.lower() not in (".h5", ".hdf5"):
                path = path.with_name(path.name + ".h5")
            if not path.is_absolute() and path.parent == Path("."):
                self.sessions_dir.mkdir(parents=True, exist_ok=True)  # our folder: made on use
                path = self.sessions_dir / path
            check_output_path(path, overwrite=False)
            return path
        self.sessions_dir.mkdir(parents=True, exist_ok=True)
        return new_session_path(self.sessions_dir, f"gui_{safe_stem(self.w.inputs.mask_set.name)}")

    def resume_session(self, path: Path | None = None) -> None:
        w = self.w
        if w.capture.active:
            w.errors.user_error("a capture is running; stop it before resuming another session")
            return
        if path is None:
            chosen, _ = QFileDialog.getOpenFileName(
                w, "Resume an interrupted session", str(self.sessions_dir), "Sessions (*.h5)"
            )
            if not chosen:
                return
            path = Path(chosen)
        if w.rig.rig is None:
            w.errors.user_error("connect the rig first (Rig panel ▸ Connect), then resume")
            return
        try:
            from lsi_rig.storage import open_session

            with open_session(path) as reader:
                stored_masks = reader.masks()
            if stored_masks.sha256 != self.w.inputs.mask_set.sha256:
                self.w.inputs.mask_set = (
                    stored_masks  # the session's own masks: the DMD must show them
                )
                w.masks_dock.show_masks(stored_masks, self.w.rigs.rig_config)
                log.info("resume: using the session's mask set %s", stored_masks.name)
            request = self._request(resume=path)
        except LsiRigError as exc:
            w.errors.user_error(str(exc))
            return
        self._start(request, w.rig.rig)

    def stop(self) -> None:
        if self.w.capture.active:
            self.w.capture.stop()
            self.w.session_dock.state.setText("Stopping: ending the current sequence pass…")

    def toggle_pause(self) -> None:
        self.w.capture.toggle_pause()

    def stop_and_wait(self, timeout_s: float = 30.0) -> None:
        """Stop the capture and wait for the file to be closed (events keep flowing)."""
        from PyQt6.QtCore import QCoreApplication, QEventLoop

        job = self.w.capture.job
        if job is None:
            return
        job.stop()
        waited = 0.0
        while job.wait(0.02) is None and waited < timeout_s:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            waited += 0.02

    def decode_drawn(self, index: int, record: MeasurementRecord, scene_id: str) -> None:
        """The record just drawn goes to the live decoder (latest wins): nobody sees more
        vectors than the redraw shows, so decoding the others would only compete for the CPU."""
        vector, _ = record_input(record, self.w.rigs.rig_config.world)
        key = DecodeKey("live", self._run, index, record.scene_index, scene_id)
        self.w.decoding.submit(vector, key)

    def _state_changed(self, state: JobState, reason: str) -> None:
        text = {
            JobState.PREPARING: "Preparing: programming the DMD…",
            JobState.RUNNING: "Capturing.",
            JobState.PAUSED: f"Paused: {reason}. F6 resumes.",
        }.get(state)
        if text is not None:
            self.w.session_dock.state.setText(text)
        word = "stopped" if state is JobState.CANCELLED else state.value  # the job's word
        self.w.status_capture.setText(f"capture: {word}")
        self.buttons()
        if state.is_final:
            self.w.rigs.poll_status()  # the app reads the DMD's status again

    def _finished(self, event: JobFinished) -> None:
        summary = event.summary
        done = 0 if summary is None else summary.records_before + summary.records_written
        planned = 0 if summary is None else summary.records_planned
        bar = self.w.session_dock.progress
        bar.setMaximum(max(planned, 1))
        bar.setValue(done)
        text = f"Finished: status <b>{event.status}</b>, {done}/{planned} records"
        if self._preview_dir is not None:
            text += " (preview, not recorded)"
            self._cleanup_preview()
        elif event.path is not None:
            self.w.session_dock.path_label.setText(f"Wrote {event.path}")
            self.w.review.remember(event.path)
        self.w.session_dock.state.setText(text)
        self.w.status(f"capture ended: {event.status}, {done} records")

    def _failed(self, event: JobFailed) -> None:
        written = event.path is not None and event.path.exists()
        if written:
            kept = f"{event.records_kept} records kept in {event.path}"
        else:
            kept = "no session file was written"
        self.w.session_dock.state.setText(f"<b>Failed</b>: {event.message}<br>{kept}")
        self.w.session_dock.path_label.setText("")
        self.w.live_dock.clear(f"Capture failed: {event.message}")
        if self._preview_dir is not None:
            self._cleanup_preview()
        elif written and event.path is not None:
            self.w.review.remember(event.path)
        if event.internal:
            self.w.errors.internal_error(event.message.removeprefix("internal error: "))
        else:
            self.w.errors.user_error(event.message, "Capture failed")

    def _cleanup_preview(self) -> None:
        if self._preview_dir is not None and not self.w.capture.active:
            shutil.rmtree(self._preview_dir, ignore_errors=True)
            self._preview_dir = None

    def update_progress(self) -> None:
        progress = self.w.capture.live.snapshot().progress if self.w.capture.active else None
        if progress is None:
            return
        bar = self.w.session_dock.progress
        bar.setMaximum(max(progress.records_total, 1))
        bar.setValue(progress.records_done)
        eta = progress.eta_s
        if self.w.capture.state is JobState.RUNNING:
            text = f"Capturing scene <b>{progress.scene_id}</b>" + (
                f" · ETA {eta:.0f} s" if eta is not None else ""
            )
            if text != self.w.session_dock.state.text():  # a new text re-lays out the panel
                self.w.session_dock.state.setText(text)

    def buttons(self) -> None:
        w = self.w
        active = w.capture.active
        s = w.session_dock
        s.start.setEnabled(not active)
        s.stop.setEnabled(active)
        s.pause.setEnabled(active)
        s.pause.setText("Resume  (F6)" if w.capture.state is JobState.PAUSED else "Pause  (F6)")
        s.resume.setEnabled(not active)
        s.record.setEnabled(not active)
        s.file_name.setEnabled(not active)
        connected = w.rig.state is Connection.CONNECTED
        w.rig_dock.connect_button.setEnabled(not active)
        w.rig_dock.disconnect_button.setEnabled(connected and not active)
        w.rig_dock.apply_button.setEnabled(not active)

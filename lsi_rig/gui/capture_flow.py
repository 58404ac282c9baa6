"""What the operator's capture actions do: connect the rig, load masks, start/pause/stop,
resume, load a model. Everything is handed to the services (rig worker, capture job, decoder);
this module only turns widgets into requests and answers into widgets.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PyQt6.QtCore import QObject, pyqtSignal
from PyQt6.QtWidgets import QFileDialog

from lsi_rig.config import load_rig
from lsi_rig.config.schema import RigConfig
from lsi_rig.core.errors import LsiRigError
from lsi_rig.core.records import MeasurementRecord
from lsi_rig.engine.policy import ErrorPolicy
from lsi_rig.gui.drawing import DecodeKey
from lsi_rig.gui.rig_settings import needs_reconnect, with_settings
from lsi_rig.gui.rig_worker import Connection, RigHealth
from lsi_rig.gui.scene_choice import SceneChoice
from lsi_rig.gui.widgets import Light, queued
from lsi_rig.jobs import CaptureRequest, JobFailed, JobFinished, JobState
from lsi_rig.jobs.plans import plan_from_config
from lsi_rig.jobs.session_file import check_output_path
from lsi_rig.masks import load_masks
from lsi_rig.masks.maskset import MaskSet
from lsi_rig.rig import Rig
from lsi_rig.scenes.source import SceneSource

if TYPE_CHECKING:
    from lsi_rig.gui.main_window import GuiOptions, MainWindow

log = logging.getLogger(__name__)
SCENE_CACHE = 16


class _ModelLoaded(QObject):
    done = pyqtSignal(object, str)  # decoder or None, error message


class CaptureFlow:
    def __init__(self, window: MainWindow, sessions_dir: Path) -> None:
        self.w = window
        self.sessions_dir = sessions_dir
        self.rig_config: RigConfig = window.options.rig_config
        self.rig_label = window.options.rig_label
        self.mask_set: MaskSet = window.options.mask_set
        self.scene_choice: SceneChoice = window.options.scenes
        self.scene_source: SceneSource | None = None
        self._scene_cache: dict[int, np.ndarray] = {}
        self._pending_start = False
        self._preview_dir: Path | None = None
        self._run = 0
        self._model_signal = _ModelLoaded()
        queued(self._model_signal.done, self._model_done)

    def setup(self, options: GuiOptions) -> None:
        w = self.w
        w.rig_dock.show_config(self.rig_config, self.rig_label)
        w.rig_dock.show_connection(Light.OFF, "not connected", self.rig_config)
        w.live_dock.set_drift_threshold(self.rig_config.acquisition.drift_threshold)
        w.scene_dock.show_scene(None, "Scene on the monitor")
        w.rig_dock.connect_button.clicked.connect(self.connect_rig)
        w.rig_dock.disconnect_button.clicked.connect(self.disconnect_rig)
        w.rig_dock.apply_button.clicked.connect(self.apply_settings)
        w.rig_dock.rig_choice.currentIndexChanged.connect(self._rig_chosen)
        w.rig_dock.open_file.clicked.connect(self._pick_rig_file)
        w.masks_dock.load_requested.connect(self.load_masks)
        w.masks_dock.show_masks(self.mask_set, self.rig_config)
        w.scene_dock.set_choice(self.scene_choice)
        w.scene_dock.choice_changed.connect(self._scenes_chosen)
        w.scene_dock.window_requested.connect(self.place_scene_window)
        w.scene_dock.show_window.setChecked(True)
        s = w.session_dock
        s.repeats.setValue(self.rig_config.acquisition.repeats)
        s.start.clicked.connect(self.start)
        s.pause.clicked.connect(self.toggle_pause)
        s.stop.clicked.connect(self.stop)
        s.resume.clicked.connect(lambda: self.resume_session())
        w.rig.connected.connect(self._connected)
        w.rig.failed.connect(self._connect_failed)
        w.rig.disconnected.connect(self._disconnected)
        w.rig.health.connect(self._health)
        w.capture.state_changed.connect(self._state_changed)
        w.capture.finished.connect(self._finished)
        w.capture.failed.connect(self._failed)
        w.capture.warned.connect(lambda text: w.status(f"warning: {text}"))
        self._use_decoder()
        self._buttons()

    # -- rig ------------------------------------------------------------------------------
    def connect_rig(self) -> None:
        if self.w.capture.active:
            self.w.errors.user_error("stop the capture before reconnecting the rig")
            return
        self.w.rig_dock.show_connection(Light.BUSY, f"connecting {self.rig_config.name}…",
                                        self.rig_config)  # fmt: skip
        self.w.rig.connect_rig(self.rig_config)
        self._buttons()

    def disconnect_rig(self) -> None:
        if self.w.capture.active:
            self.w.errors.user_error("stop the capture before disconnecting the rig")
            return
        self.w.rig.disconnect_rig()

    def _connected(self, rig: Rig) -> None:
        w = self.w
        w.rig_dock.show_connection(Light.OK, f"{rig.config.name} connected", rig.config)
        w.rig_dock.show_description(rig.describe())
        self.place_scene_window(w.scene_dock.show_window.isChecked())
        self.poll_status()
        self._buttons()
        if self._pending_start:
            self._pending_start = False
            self.start()

    def _connect_failed(self, message: str, internal: bool) -> None:
        self._pending_start = False
        self.w.rig_dock.show_connection(Light.ERROR, message, self.rig_config)
        if internal:
            self.w.errors.internal_error(message)
        else:
            self.w.errors.user_error(message, "Rig not connected")
        self._buttons()

    def _disconnected(self) -> None:
        if self.w.rig.state is Connection.DISCONNECTED:
            self.w.rig_dock.show_connection(Light.OFF, "disconnected", self.rig_config)
            self.w.rig_dock.show_description(None)
        self._buttons()

    def poll_status(self) -> None:
        if not self.w.capture.active:
            self.w.rig.poll()

    def _health(self, health: RigHealth) -> None:
        self.w.rig_dock.show_health(health)

    def _rig_chosen(self, index: int) -> None:
        label = str(self.w.rig_dock.rig_choice.itemData(index))
        self._switch_rig(label)

    def _pick_rig_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.w, "Rig file", "", "Rig files (*.yaml *.yml)")
        if path:
            self._switch_rig(path)

    def _switch_rig(self, label: str) -> None:
        if self.w.capture.active:
            self.w.rig_dock.show_config(self.rig_config, self.rig_label)
            self.w.errors.user_error("stop the capture before changing the rig")
            return
        try:
            config = load_rig(label)
        except LsiRigError as exc:
            self.w.rig_dock.show_config(self.rig_config, self.rig_label)
            self.w.errors.user_error(str(exc))
            return
        self.rig_config, self.rig_label = config, label
        self.w.rig_dock.show_config(config, label)
        self.w.masks_dock.show_masks(self.mask_set, config)
        self.w.update_title()
        self.connect_rig()

    def apply_settings(self) -> None:
        dock = self.w.rig_dock
        if self.w.capture.active:
            dock.settings_error.setText("Stop the capture before changing settings.")
            return
        try:
            config = with_settings(self.rig_config, dock.settings())
        except LsiRigError as exc:
            dock.settings_error.setText(str(exc))
            return
        reconnect = needs_reconnect(self.rig_config, config)
        self.rig_config = config
        dock.settings_error.setText("")
        self.w.status("settings applied" + (": reconnecting the rig" if reconnect else ""))
        if reconnect and self.w.rig.state is not Connection.DISCONNECTED:
            self.connect_rig()

    # -- masks, scenes, decoder -------------------------------------------------------------
    def load_masks(self, spec: str) -> bool:
        if self.w.capture.active:
            self.w.errors.user_error("stop the capture before loading other masks")
            return False
        try:
            mask_set = load_masks(spec)
        except LsiRigError as exc:
            self.w.errors.user_error(str(exc))
            return False
        self.mask_set = mask_set
        self.w.masks_dock.show_masks(mask_set, self.rig_config)
        self._use_decoder()
        self.w.update_title()
        return True

    def _scenes_chosen(self, choice: SceneChoice) -> None:
        self.scene_choice = choice
        self.scene_source = None
        self._scene_cache.clear()

    def _use_decoder(self, force: bool = False) -> None:
        choice = self.w.decoding.use_masks(self.mask_set, force=force)
        self.w.recon_dock.set_decoder(choice.reason, choice.tasks)

    def ground_truth(self, scene_index: int) -> np.ndarray | None:
        """Attribute labels of the scene when known (procedural faces will carry them)."""
        return None

    def scene_pixels(self, scene_index: int) -> np.ndarray | None:
        if scene_index in self._scene_cache:
            return self._scene_cache[scene_index]
        source = self.scene_source
        if source is None or not 0 <= scene_index < len(source.infos):
            return None
        try:
            image = np.asarray(source.load(scene_index).image)
        except LsiRigError:
            return None
        if len(self._scene_cache) >= SCENE_CACHE:
            self._scene_cache.pop(next(iter(self._scene_cache)))
        self._scene_cache[scene_index] = image
        return image

    def load_model(self) -> None:
        checkpoint, _ = QFileDialog.getOpenFileName(
            self.w, "LSI checkpoint (masks, encoder, heads)", "", "Checkpoints (*.pt *.pth)"
        )
        if not checkpoint:
            return
        generator, _ = QFileDialog.getOpenFileName(
            self.w, "StyleGAN-XL generator (.pkl, or model.json of a converted cache)", "",
            "Generators (*.pkl *.json)",
        )  # fmt: skip
        if not generator:
            return
        if generator.endswith(".json"):
            generator = str(Path(generator).parent)
        self.w.recon_dock.set_decoder(
            f"loading LSI model {Path(checkpoint).name}…", self.w.decoding.choice.tasks
        )

        def work() -> None:
            try:
                from lsi_rig.models.decoder import Decoder

                decoder = Decoder.from_files(checkpoint, generator, impl="fast")
            except LsiRigError as exc:
                self._model_signal.done.emit(None, str(exc))
                return
            except Exception as exc:
                log.exception("loading the LSI model failed")
                self._model_signal.done.emit(None, f"internal: {type(exc).__name__}: {exc}")
                return
            self._model_signal.done.emit(decoder, "")

        threading.Thread(target=work, name="load LSI model", daemon=True).start()

    def _model_done(self, decoder: object, error: str) -> None:
        if decoder is None:
            self._use_decoder()
            if error.startswith("internal: "):
                self.w.errors.internal_error(error.removeprefix("internal: "))
            else:
                self.w.errors.user_error(error, "LSI model not loaded")
            return
        self.w.decoding.official = decoder  # type: ignore[assignment]
        self._use_decoder(force=True)

    # -- capture --------------------------------------------------------------------------
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
            self.connect_rig()
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
        self._use_decoder()
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
        self.place_scene_window(w.scene_dock.show_window.isChecked())
        w.rig.start_job(job)
        self._buttons()

    def _request(self, *, resume: Path | None = None) -> CaptureRequest:
        self._cleanup_preview()
        if self.scene_source is None:
            self.scene_source = self.scene_choice.source()
            self._scene_cache.clear()
        plan = plan_from_config(
            self.rig_config.acquisition,
            scenes=self.scene_source,
            masks=self.mask_set,
            repeats=self.w.session_dock.repeats.value(),
        )
        out = resume if resume is not None else self._output_path()
        command = f"lsi-rig gui --rig {self.rig_label} --masks {self.mask_set.source}"
        return CaptureRequest(
            rig_config=self.rig_config,
            plan=plan,
            out=out,
            resume=resume is not None,
            command=command,
            policy=ErrorPolicy(),
        )

    def _output_path(self) -> Path:
        from lsi_rig.decode.vectors import safe_stem
        from lsi_rig.demo import session_path

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
        return session_path(self.sessions_dir, f"gui_{safe_stem(self.mask_set.name)}")

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
            if stored_masks.sha256 != self.mask_set.sha256:
                self.mask_set = stored_masks  # the session's own masks: the DMD must show them
                w.masks_dock.show_masks(stored_masks, self.rig_config)
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
        vector = record.calibrated_v if record.calibrated_v is not None else record.vector_v
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
        self.w.status_capture.setText(f"capture: {state.value}")
        self._buttons()

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

    def _buttons(self) -> None:
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

    # -- scene window, calibration, batch ---------------------------------------------------
    def place_scene_window(self, show: bool) -> None:
        w = self.w
        sw = w.scene_window
        if self.rig_config.devices.display.backend == "window":
            sw.hide()
            w.scene_dock.window_note.setText(
                "This rig's scene monitor is its own full-screen window (devices.display.screen "
                "in the rig file); the preview above mirrors it."
            )
            return
        if not show:
            sw.hide()
            w.scene_dock.window_note.setText("Hidden; the preview above mirrors the monitor.")
            return
        from PyQt6.QtGui import QGuiApplication

        screens = QGuiApplication.screens()
        index = w.scene_dock.screen_choice.currentData()
        screen = screens[int(index)] if index is not None and int(index) < len(screens) else None
        if screen is None:
            return
        full = screen is not w.screen()
        sw.place(screen, full_screen=full)
        _count, image = w.shown.latest()
        if image is not None:
            sw.set_image(image)
        if not full:
            sw.raise_()
        w.scene_dock.window_note.setText(
            f"Full screen on {screen.name()}."
            if full
            else "The app is on this screen too, so the scene window is a small window at its "
            "top-right corner; choose the scene monitor's screen for full screen."
        )

    def open_calibration(self) -> None:
        self._open_page("lsi_rig.gui.calibration_wizard", "CalibrationWizard")

    def open_batch(self) -> None:
        self._open_page("lsi_rig.gui.batch_page", "BatchDialog")

    def _open_page(self, module: str, name: str) -> None:
        import importlib

        try:
            page = getattr(importlib.import_module(module), name)(self.w, self.rig_config)
        except ImportError:
            self.w.errors.user_error(f"{name} is not installed in this lsi-rig")
            return
        page.show()

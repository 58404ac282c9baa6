"""The batch page: a dialog that sets up, runs and steers a :class:`~lsi_rig.batch.BatchJob`.

The job runs in its own thread (Qt-free); its events reach the dialog through a queued Qt
signal, and a 10 Hz timer redraws progress from the job's latest state, so a fast capture never
floods the GUI thread. Pause, Resume and Stop call the job's thread-safe steering methods.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QObject, QTimer, pyqtSignal
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from lsi_rig.config.schema import RigConfig
from lsi_rig.core.errors import LsiRigError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchForm:
    """What the page's fields say (paths as typed; empty = not given)."""

    masks: str
    source: str  # a manifest .csv or an image folder
    out: str
    split_list: str = ""
    labels: str = ""
    repeats: int = 1
    averages: int = 1
    settle_s: float = 0.0  # 0: the display's settle time
    order: str = "fixed"
    seed: int = 0
    size: int = 256
    resume: bool = False


def build_request(form: BatchForm, rig_config: RigConfig) -> Any:
    """The :class:`~lsi_rig.batch.BatchRequest` of a filled form (raises LsiRigError)."""
    from lsi_rig.batch import (
        BatchRequest,
        BatchSettings,
        ScanOrder,
        batch_scenes,
        read_celeba_attributes,
    )
    from lsi_rig.core.errors import SessionError
    from lsi_rig.decode.model_masks import load_masks

    if not form.masks or not form.source or not form.out:
        raise SessionError("give the masks, the manifest or image folder, and the session file")
    source = Path(form.source).expanduser()
    manifest = batch_scenes(
        manifest=None if source.is_dir() else source,
        images=[source] if source.is_dir() else None,
        split_list=form.split_list or None,
    )
    out = Path(form.out).expanduser()
    if not form.resume:
        from lsi_rig.core.paths import check_output_path

        check_output_path(out, overwrite=False)
    order = ScanOrder(form.order)
    settings = BatchSettings(
        repeats=form.repeats,
        averages=form.averages,
        settle_s=form.settle_s or None,
        order=order,
        seed=form.seed if order is ScanOrder.SHUFFLED else None,
        size=form.size or None,
    )
    from lsi_rig.calibration import calibration_for_capture

    masks = load_masks(form.masks)
    return BatchRequest(
        rig_config=rig_config,
        masks=masks,
        calibration=calibration_for_capture(rig_config, None, masks),
        manifest=manifest,
        out=out,
        settings=settings,
        attributes=read_celeba_attributes(form.labels) if form.labels else None,
        split_list=form.split_list or None,
        resume=form.resume,
        command="gui batch",
    )


class _Bridge(QObject):
    """Carries job events from the job's thread to the GUI thread (queued connection)."""

    arrived = pyqtSignal(object)


class BatchDialog(QDialog):
    """Batch capture of a manifest or image folder on ``rig_config`` (see module docstring)."""

    def __init__(self, parent: QWidget | None, rig_config: RigConfig) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Batch capture — {rig_config.name}")
        self.rig_config = rig_config
        self.job: Any = None
        self._bridge = _Bridge()
        self._bridge.arrived.connect(self._on_event)
        self._timer = QTimer(self)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self._redraw)
        self._build()
        self._set_running(False)

    # -- layout --------------------------------------------------------------------------
    def _path_row(self, edit: QLineEdit, pick: str) -> QWidget:
        row = QWidget(self)
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(edit)
        browse = QPushButton("…", row)
        browse.clicked.connect(lambda: self._browse(edit, pick))
        box.addWidget(browse)
        return row

    def _spin(self, low: int, high: int, value: int) -> QSpinBox:
        spin = QSpinBox(self)
        spin.setRange(low, high)
        spin.setValue(value)
        return spin

    def _build(self) -> None:
        self.masks_edit = QLineEdit("demo:hadamard32", self)
        self.source_edit = QLineEdit(self)
        self.list_edit = QLineEdit(self)
        self.labels_edit = QLineEdit(self)
        self.out_edit = QLineEdit(self)
        self.resume_box = QCheckBox("continue this interrupted batch", self)
        self.repeats_spin = self._spin(1, 1000, 1)
        self.averages_spin = self._spin(1, 1000, 1)
        self.settle_spin = QDoubleSpinBox(self)
        self.settle_spin.setRange(0.0, 60.0)
        self.settle_spin.setDecimals(3)
        self.settle_spin.setSpecialValueText("display default")
        self.order_combo = QComboBox(self)
        self.order_combo.addItems(["fixed", "shuffled"])
        self.seed_spin = self._spin(0, 2**31 - 1, 0)
        self.size_spin = self._spin(0, 4096, 256)
        self.size_spin.setSpecialValueText("keep")
        form = QFormLayout()
        form.addRow("masks", self.masks_edit)
        form.addRow("manifest (.csv) or image folder", self._path_row(self.source_edit, "source"))
        form.addRow("split list (optional)", self._path_row(self.list_edit, "file"))
        form.addRow("CelebA labels (optional)", self._path_row(self.labels_edit, "file"))
        form.addRow("session file", self._path_row(self.out_edit, "save"))
        form.addRow("", self.resume_box)
        form.addRow("repeats", self.repeats_spin)
        form.addRow("averages", self.averages_spin)
        form.addRow("settle (s)", self.settle_spin)
        form.addRow("order", self.order_combo)
        form.addRow("seed (shuffled)", self.seed_spin)
        form.addRow("scene size (px)", self.size_spin)
        self.progress = QProgressBar(self)
        self.status_label = QLabel("idle", self)
        self.status_label.setWordWrap(True)
        self.error_label = QLabel("", self)
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b00020")
        buttons = QHBoxLayout()
        self.start_button = QPushButton("Start", self)
        self.pause_button = QPushButton("Pause", self)
        self.resume_button = QPushButton("Resume", self)
        self.stop_button = QPushButton("Stop", self)
        for button in (self.start_button, self.pause_button, self.resume_button, self.stop_button):
            buttons.addWidget(button)
        self.start_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(lambda: self.job and self.job.pause())
        self.resume_button.clicked.connect(lambda: self.job and self.job.resume())
        self.stop_button.clicked.connect(lambda: self.job and self.job.stop())
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status_label)
        layout.addWidget(self.error_label)
        layout.addLayout(buttons)

    def _browse(self, edit: QLineEdit, pick: str) -> None:
        if pick == "save":
            path, _ = QFileDialog.getSaveFileName(self, "Session file", "", "Sessions (*.h5)")
        elif pick == "source":
            path, _ = QFileDialog.getOpenFileName(self, "Manifest", "", "CSV (*.csv)")
            if not path:
                path = QFileDialog.getExistingDirectory(self, "Image folder")
        else:
            path, _ = QFileDialog.getOpenFileName(self, "File")
        if path:
            edit.setText(path)

    def form(self) -> BatchForm:
        return BatchForm(
            masks=self.masks_edit.text().strip(),
            source=self.source_edit.text().strip(),
            out=self.out_edit.text().strip(),
            split_list=self.list_edit.text().strip(),
            labels=self.labels_edit.text().strip(),
            repeats=self.repeats_spin.value(),
            averages=self.averages_spin.value(),
            settle_s=self.settle_spin.value(),
            order=self.order_combo.currentText(),
            seed=self.seed_spin.value(),
            size=self.size_spin.value(),
            resume=self.resume_box.isChecked(),
        )

    # -- running -------------------------------------------------------------------------
    def start(self) -> None:
        from lsi_rig.batch import BatchJob

        self.error_label.setText("")
        try:
            request = build_request(self.form(), self.rig_config)
        except LsiRigError as exc:
            self.error_label.setText(str(exc))
            return
        self.job = BatchJob(request)
        self.job.subscribe(self._bridge.arrived.emit)  # job thread → queued → GUI thread
        self.job.start()
        self._set_running(True)
        self._timer.start()

    def _set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        for button in (self.pause_button, self.resume_button, self.stop_button):
            button.setEnabled(running)

    def _on_event(self, event: object) -> None:
        from lsi_rig.batch import ReportWritten, ScenesChecked
        from lsi_rig.jobs import JobFailed, JobWarning

        if isinstance(event, ScenesChecked):
            self.status_label.setText(f"checking scenes: {event.done}/{event.total}")
        elif isinstance(event, JobWarning):
            log.warning("batch: %s", event.message)
        elif isinstance(event, JobFailed):
            self.error_label.setText(event.message)
        elif isinstance(event, ReportWritten):
            self.report_dir = event.directory

    def _redraw(self) -> None:
        job = self.job
        if job is None:
            return
        progress = job.progress
        if progress is not None and progress.records_total:
            self.progress.setMaximum(progress.records_total)
            self.progress.setValue(progress.records_done)
            eta = progress.eta_s
            eta_text = f", ETA {eta / 60:.1f} min" if eta is not None else ""
            self.status_label.setText(
                f"{job.state}: {progress.records_done}/{progress.records_total} records, "
                f"scene {progress.scene_id}{eta_text}"
            )
        if job.finished:
            self._timer.stop()
            self._set_running(False)
            self._show_result(job)

    def _show_result(self, job: Any) -> None:
        if job.error is not None and not self.error_label.text():
            self.error_label.setText(str(job.error))
        result = job.result
        if result is None:
            return
        status = result.job.status or "cancelled before capture (no file)"
        text = f"finished: {status}"
        if result.report_dir is not None:
            text += f"; QA report in {result.report_dir}"
        self.status_label.setText(text)

    def closeEvent(self, event: Any) -> None:
        """Closing the page stops a running batch (records kept, resumable)."""
        if self.job is not None and not self.job.finished:
            self.job.stop()
            self.job.wait(30)
        self._timer.stop()
        super().closeEvent(event)

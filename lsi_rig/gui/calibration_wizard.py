"""The calibration wizard: a ``QWizard`` over the Qt-free calibration steps.

One page per step (dark, gain, monitor, registration, response, check) between a setup page
(mask set, calibration folder) and a summary page that saves the calibration. Every step runs
in a worker ``QThread`` through :class:`lsi_rig.calibration.CalibrationSession` — exactly what
``lsi-rig calibrate`` runs — and talks to the pages with queued signals; the GUI thread only
shows progress, the plain-language result and the step's figure. "Cancel step" stops the
running capture within one sequence pass; closing the wizard cancels and releases the rig.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QObject, Qt, QThread, pyqtSignal, pyqtSlot
from PyQt6.QtGui import QPixmap
from PyQt6.QtWidgets import (
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from lsi_rig.calibration import (
    STEPS,
    CalibrationCancelled,
    CalibrationSession,
    CalibrationSettings,
    SavedCalibration,
    StepProgress,
    StepResult,
)
from lsi_rig.calibration.model import STEP_ORDER
from lsi_rig.config.schema import RigConfig
from lsi_rig.core.errors import LsiRigError
from lsi_rig.masks.maskset import MaskSet
from lsi_rig.rig import Rig

log = logging.getLogger(__name__)


class _OperatorBridge(QObject):
    """Asks the operator on the GUI thread while the worker waits (a real gain knob)."""

    ask = pyqtSignal(str)

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__()
        self._parent = parent
        self._answer = False
        self._done = threading.Event()
        self.ask.connect(self._show)  # emitted from the worker: queued to the GUI thread

    @pyqtSlot(str)
    def _show(self, message: str) -> None:
        reply = QMessageBox.question(self._parent, "Calibration", f"Please {message}, then OK.")
        self._answer = reply == QMessageBox.StandardButton.Yes
        self._done.set()

    def __call__(self, message: str) -> bool:  # runs in the worker thread
        self._done.clear()
        self.ask.emit(message)
        self._done.wait()
        return self._answer


class _Worker(QObject):
    """Lives in the worker thread; owns the session (and so the rig)."""

    opened = pyqtSignal(str)
    progress = pyqtSignal(str, float, str)
    finished = pyqtSignal(str, object, object)  # step, StepResult, PNG bytes | None
    failed = pyqtSignal(str, str)  # step ("" = opening/saving), message
    saved = pyqtSignal(object)  # SavedCalibration

    def __init__(self, factory: Any) -> None:
        super().__init__()
        self._factory = factory
        self.session: CalibrationSession | None = None

    @pyqtSlot()
    def open(self) -> None:
        try:
            self.session = self._factory()
            self.session.open()
        except LsiRigError as exc:
            self.session = None
            self.failed.emit("", str(exc))
            return
        base = self.session.base
        self.opened.emit(f"building on {base.folder}" if base is not None else "starting afresh")

    @pyqtSlot(str)
    def run_step(self, name: str) -> None:
        session = self.session
        if session is None:
            self.failed.emit(name, "the rig is not open")
            return
        try:
            result = session.run_step(name, progress=self._progress)
        except CalibrationCancelled as exc:
            self.failed.emit(name, f"cancelled: {exc}")
            return
        except LsiRigError as exc:
            self.failed.emit(name, str(exc))
            return
        except Exception as exc:  # an internal error must reach the page, not kill the thread
            log.exception("calibration step %s failed", name)
            self.failed.emit(name, f"internal error: {type(exc).__name__}: {exc}")
            return
        self.finished.emit(name, result, session.figures.get(f"{name}.png"))

    def _progress(self, progress: StepProgress) -> None:
        self.progress.emit(progress.step, progress.fraction, progress.message)

    @pyqtSlot()
    def save(self) -> None:
        if self.session is None:
            self.failed.emit("", "nothing to save")
            return
        try:
            self.saved.emit(self.session.save())
        except LsiRigError as exc:
            self.failed.emit("", str(exc))

    @pyqtSlot()
    def close(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None


class _Controller(QObject):
    """GUI-thread side: queued requests into the worker."""

    do_open = pyqtSignal()
    do_run = pyqtSignal(str)
    do_save = pyqtSignal()
    do_close = pyqtSignal()


class SetupPage(QWizardPage):
    def __init__(self, wizard: CalibrationWizard) -> None:
        super().__init__()
        self.wiz = wizard
        self.setTitle("Calibrate the rig")
        self.setSubTitle(
            f"Rig {wizard.rig_config.name!r}. The steps measure the detector, the monitor, the "
            "registration and the response, and save a calibration that later captures apply."
        )
        form = QFormLayout(self)
        self.masks_edit = QLineEdit(wizard.mask_spec)
        self.masks_edit.setPlaceholderText("demo:hadamard32, CHECKPOINT.pt, MASKS.npy, PNG folder")
        self.root_edit = QLineEdit(str(wizard.root))
        self.status = QLabel("")
        self.status.setWordWrap(True)
        form.addRow("Mask set", self.masks_edit)
        form.addRow("Calibration folder", self.root_edit)
        form.addRow(self.status)
        if wizard.preset_masks is not None:
            self.masks_edit.setText(wizard.preset_masks.name)
            self.masks_edit.setEnabled(False)

    def validatePage(self) -> bool:
        try:
            self.wiz.prepare(self.masks_edit.text().strip(), Path(self.root_edit.text().strip()))
        except LsiRigError as exc:
            self.status.setText(str(exc))
            return False
        return True


class StepPage(QWizardPage):
    """One step: runs when shown; complete once it has a result."""

    def __init__(self, wizard: CalibrationWizard, name: str) -> None:
        super().__init__()
        self.wiz, self.name = wizard, name
        info = STEPS[name]
        self.setTitle(info.title)
        self.setSubTitle(info.description)
        layout = QVBoxLayout(self)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.message = QLabel("")
        self.result = QLabel("")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.figure = QLabel()
        self.figure.setAlignment(Qt.AlignmentFlag.AlignCenter)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.figure)
        self.cancel_button = QPushButton("Cancel step")
        self.cancel_button.clicked.connect(wizard.cancel_step)
        self.retry_button = QPushButton("Run again")
        self.retry_button.clicked.connect(self.start)
        for widget in (self.progress, self.message, self.result, scroll):
            layout.addWidget(widget)
        layout.addWidget(self.cancel_button)
        layout.addWidget(self.retry_button)
        self.outcome: StepResult | None = None
        self.running = False

    def initializePage(self) -> None:
        if self.outcome is None and not self.running:
            self.start()

    def start(self) -> None:
        self.outcome, self.running = None, True
        self.result.setText("")
        self.message.setText("starting…")
        self.progress.setValue(0)
        self.cancel_button.setEnabled(True)
        self.retry_button.setEnabled(False)
        self.completeChanged.emit()
        self.wiz.run_step(self.name)

    def on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(1000 * fraction))
        self.message.setText(message)

    def on_finished(self, result: StepResult, png: bytes | None) -> None:
        self.running, self.outcome = False, result
        self.progress.setValue(1000)
        self.message.setText(
            "accepted" if result.ok else "REJECTED — the previous calibration stays"
        )
        self.result.setText(result.summary + "".join(f"\nwarning: {w}" for w in result.warnings))
        if png:
            pixmap = QPixmap()
            pixmap.loadFromData(png, "PNG")
            self.figure.setPixmap(pixmap)
        self.cancel_button.setEnabled(False)
        self.retry_button.setEnabled(True)
        self.completeChanged.emit()

    def on_failed(self, message: str) -> None:
        self.running = False
        self.message.setText("failed")
        self.result.setText(message)
        self.cancel_button.setEnabled(False)
        self.retry_button.setEnabled(True)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.outcome is not None and not self.running


class SummaryPage(QWizardPage):
    def __init__(self, wizard: CalibrationWizard) -> None:
        super().__init__()
        self.wiz = wizard
        self.setTitle("Save the calibration")
        layout = QVBoxLayout(self)
        self.text = QLabel("")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.text)
        self.saved: SavedCalibration | None = None

    def initializePage(self) -> None:
        self.saved = None
        self.text.setText("saving…")
        self.completeChanged.emit()
        self.wiz.save()

    def on_saved(self, saved: SavedCalibration) -> None:
        self.saved = saved
        self.text.setText(saved.message)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.saved is not None


class CalibrationWizard(QWizard):
    """``CalibrationWizard(parent, rig_config)``; ``rig`` reuses an already built rig (it is
    not closed), ``masks``/``root``/``settings`` preset what the setup page asks."""

    def __init__(
        self,
        parent: QWidget | None,
        rig_config: RigConfig,
        *,
        rig: Rig | None = None,
        masks: MaskSet | None = None,
        root: Path | None = None,
        settings: CalibrationSettings | None = None,
        steps: tuple[str, ...] = STEP_ORDER,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Calibrate rig {rig_config.name}")
        self.rig_config = rig_config
        self.rig = rig
        self.preset_masks = masks
        self.mask_spec = ""
        self.root = root if root is not None else Path(rig_config.paths.calibration_dir)
        self.settings = settings or CalibrationSettings()
        self.operator = _OperatorBridge(self)
        self._thread = QThread(self)
        self._thread.setObjectName("calibration worker")
        self._worker: _Worker | None = None
        self._controller = _Controller()
        self.setup_page = SetupPage(self)
        self.addPage(self.setup_page)
        self.step_pages = {name: StepPage(self, name) for name in steps}
        for page in self.step_pages.values():
            self.addPage(page)
        self.summary_page = SummaryPage(self)
        self.addPage(self.summary_page)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self._thread.start()
        self.finished.connect(self._shutdown)

    # -- GUI → worker ------------------------------------------------------------------------
    def prepare(self, mask_spec: str, root: Path) -> None:
        """Load the masks (one-line errors on the setup page) and open the session."""
        if self._worker is not None:
            return
        masks = self.preset_masks
        if masks is None:
            from lsi_rig.decode.model_masks import load_masks

            if not mask_spec:
                from lsi_rig.core.errors import MaskError

                raise MaskError("give the mask set your captures will use")
            masks = load_masks(mask_spec)
        self.root = root
        config, rig, settings, operator = self.rig_config, self.rig, self.settings, self.operator

        def factory() -> CalibrationSession:
            return CalibrationSession(
                config,
                masks,
                root=root,
                settings=settings,
                operator=operator,
                rig=rig,
                base=None,
                command="lsi-rig gui: calibration wizard",
            )

        worker = _Worker(factory)
        worker.moveToThread(self._thread)
        c = self._controller  # sender and receiver live in different threads: queued
        c.do_open.connect(worker.open)
        c.do_run.connect(worker.run_step)
        c.do_save.connect(worker.save)
        c.do_close.connect(worker.close)
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        worker.saved.connect(self.summary_page.on_saved)
        worker.opened.connect(self.setup_page.status.setText)
        self._worker = worker
        c.do_open.emit()

    def run_step(self, name: str) -> None:
        self._controller.do_run.emit(name)

    def cancel_step(self) -> None:
        if self._worker is not None and self._worker.session is not None:
            self._worker.session.cancel()  # thread-safe: stops the running capture job

    def save(self) -> None:
        self._controller.do_save.emit()

    # -- worker → GUI ------------------------------------------------------------------------
    def _on_progress(self, step: str, fraction: float, message: str) -> None:
        page = self.step_pages.get(step)
        if page is not None:
            page.on_progress(fraction, message)

    def _on_finished(self, step: str, result: StepResult, png: bytes | None) -> None:
        self.step_pages[step].on_finished(result, png)

    def _on_failed(self, step: str, message: str) -> None:
        if step in self.step_pages:
            self.step_pages[step].on_failed(message)
        else:
            self.setup_page.status.setText(message)

    def _shutdown(self) -> None:
        self.cancel_step()
        if self._worker is not None:
            self._controller.do_close.emit()
        self._thread.quit()
        self._thread.wait(30_000)

    def closeEvent(self, event: Any) -> None:
        self._shutdown()
        super().closeEvent(event)

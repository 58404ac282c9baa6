"""The main window: docks, actions and shortcuts, the redraw timer, layout persistence.

What the actions do lives in the flows — :mod:`~lsi_rig.gui.rig_flow` (rig, settings, scene
window), :mod:`~lsi_rig.gui.inputs_flow` (masks, scenes, decoder), :mod:`~lsi_rig.gui.capture_flow`
(start, pause, stop, resume) and :mod:`~lsi_rig.gui.review_flow` (session files); drawing is
:mod:`~lsi_rig.gui.drawing`'s, at :data:`~lsi_rig.gui.defaults.REDRAW_HZ`. This module builds
the window: docks, actions and shortcuts, layout persistence, quitting.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from PyQt6.QtCore import QByteArray, Qt, QTimer
from PyQt6.QtGui import QAction, QCloseEvent, QKeySequence
from PyQt6.QtWidgets import QLabel, QMainWindow, QMessageBox, QWidget

from lsi_rig.config.schema import RigConfig
from lsi_rig.gui.capture import CaptureController
from lsi_rig.gui.capture_flow import CaptureFlow
from lsi_rig.gui.decoding import DecodePipeline
from lsi_rig.gui.defaults import REDRAW_HZ, STATUS_POLL_S
from lsi_rig.gui.docks.live import LiveDock
from lsi_rig.gui.docks.log import LogDock
from lsi_rig.gui.docks.masks import MasksDock
from lsi_rig.gui.docks.recon import ReconDock
from lsi_rig.gui.docks.rig import RigDock
from lsi_rig.gui.docks.scene import SceneDock
from lsi_rig.gui.docks.session import SessionDock
from lsi_rig.gui.drawing import Drawing, RedrawTimer
from lsi_rig.gui.errors import ErrorReporter
from lsi_rig.gui.inputs_flow import InputsFlow
from lsi_rig.gui.logview import BufferedLogHandler
from lsi_rig.gui.mirror import SceneWindow, ShownImages
from lsi_rig.gui.review_flow import ReviewFlow
from lsi_rig.gui.rig_flow import RigFlow
from lsi_rig.gui.rig_worker import RigConnection
from lsi_rig.gui.scene_choice import SceneChoice
from lsi_rig.gui.settings import app_settings
from lsi_rig.masks.maskset import MaskSet

log = logging.getLogger(__name__)


class Mode(StrEnum):
    LIVE = "live"
    REVIEW = "review"


@dataclass
class GuiOptions:
    rig_config: RigConfig
    rig_label: str  # the built-in name or the YAML path it came from
    mask_set: MaskSet
    scenes: SceneChoice
    sessions_dir: Path | None = None  # None: the rig's paths.sessions_dir
    log_path: Path | None = None
    connect: bool = True  # connect the rig as soon as the window is up
    restore_layout: bool = True
    repeats: int | None = None  # records per scene; None: the rig's acquisition.repeats


class MainWindow(QMainWindow):
    def __init__(self, options: GuiOptions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.options = options
        self.setObjectName("lsi_rig_main")
        self.setDockNestingEnabled(True)
        self.mode = Mode.LIVE
        self.shown = ShownImages()
        self.errors = ErrorReporter(self, options.log_path)
        self.log_handler = BufferedLogHandler()
        package_log = logging.getLogger("lsi_rig")
        package_log.addHandler(self.log_handler)
        self._log_level = package_log.level
        if package_log.getEffectiveLevel() > logging.INFO:  # the log panel shows INFO
            package_log.setLevel(logging.INFO)
        self.rig = RigConnection(self.shown, self)
        self.capture = CaptureController(self)
        self.decoding = DecodePipeline()
        self.scene_window = SceneWindow()

        sessions = options.sessions_dir or Path(options.rig_config.paths.sessions_dir)
        self.rig_dock = RigDock(self)
        self.masks_dock = MasksDock(self)
        self.scene_dock = SceneDock(self)
        self.live_dock = LiveDock(self)
        self.recon_dock = ReconDock(self)
        self.session_dock = SessionDock(sessions, self)
        self.log_dock = LogDock(self.log_handler, self)
        self._lay_out_docks()

        self.rigs = RigFlow(self)
        self.inputs = InputsFlow(self)
        self.flow = CaptureFlow(self, sessions)
        self.review = ReviewFlow(self)
        self.drawing = Drawing(self)
        self._build_actions()
        self.status_mode = QLabel()
        self.status_capture = QLabel()
        bar = self.statusBar()
        assert bar is not None
        bar.addPermanentWidget(self.status_capture)
        bar.addPermanentWidget(self.status_mode)

        self.redraw_timer = RedrawTimer(REDRAW_HZ, self.drawing.redraw, self)
        self.poll_timer = QTimer(self)
        self.poll_timer.setInterval(round(1000 * STATUS_POLL_S))
        self.poll_timer.timeout.connect(self.rigs.poll_status)
        self.follow_timer = QTimer(self)
        self.follow_timer.setInterval(1000)
        self.follow_timer.timeout.connect(self.review.follow)

        self.resize(1600, 1000)
        self.restored_geometry = False
        self.restored_state = False
        if options.restore_layout:
            self._restore_layout()
        if not self.restored_state:
            QTimer.singleShot(0, self._size_docks)
        self.rigs.setup()
        self.inputs.setup()
        self.flow.setup()
        self.review.setup()
        self.set_mode(Mode.LIVE)
        self.redraw_timer.start()
        self.poll_timer.start()
        self.follow_timer.start()
        if options.connect:
            self.rigs.connect_rig()

    # -- layout ---------------------------------------------------------------------------
    def _lay_out_docks(self) -> None:
        """Left: session over rig. Middle: live, reconstruction, log. Right: scene | masks."""
        area = Qt.DockWidgetArea
        self.addDockWidget(area.LeftDockWidgetArea, self.session_dock)
        self.splitDockWidget(self.session_dock, self.rig_dock, Qt.Orientation.Vertical)
        self.addDockWidget(area.RightDockWidgetArea, self.live_dock)
        self.splitDockWidget(self.live_dock, self.scene_dock, Qt.Orientation.Horizontal)
        self.tabifyDockWidget(self.scene_dock, self.masks_dock)
        self.scene_dock.raise_()
        self.splitDockWidget(self.live_dock, self.recon_dock, Qt.Orientation.Vertical)
        self.splitDockWidget(self.recon_dock, self.log_dock, Qt.Orientation.Vertical)

    def _size_docks(self) -> None:
        """Default proportions (once the window has its real size)."""
        height = max(self.height(), 600)
        self.resizeDocks(
            [self.session_dock, self.live_dock, self.scene_dock],
            [400, 1000, 420],
            Qt.Orientation.Horizontal,
        )
        self.resizeDocks(
            [self.live_dock, self.recon_dock, self.log_dock],
            [int(height * 0.47), int(height * 0.38), int(height * 0.15)],
            Qt.Orientation.Vertical,
        )
        self.resizeDocks(
            [self.session_dock, self.rig_dock],
            [int(height * 0.58), int(height * 0.42)],
            Qt.Orientation.Vertical,
        )

    def docks(self) -> list[QWidget]:
        return [self.rig_dock, self.masks_dock, self.scene_dock, self.live_dock,
                self.recon_dock, self.session_dock, self.log_dock]  # fmt: skip

    def _restore_layout(self) -> None:
        settings = app_settings()
        geometry = settings.value("window/geometry")
        state = settings.value("window/state")
        if isinstance(geometry, QByteArray):
            self.restored_geometry = self.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            self.restored_state = self.restoreState(state)

    def save_layout(self) -> None:
        settings = app_settings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        settings.sync()

    # -- actions --------------------------------------------------------------------------
    def _action(self, text: str, shortcut: str | None, slot: Callable[[], object]) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        self.addAction(action)
        self.scene_window.addAction(action)  # the shortcuts work over the scene window too
        return action

    def _build_actions(self) -> None:
        flow, review = self.flow, self.review
        self.act_start = self._action("&Start capture", "F5", flow.start)
        self.act_stop = self._action("S&top capture", "Esc", flow.stop)
        self.act_pause = self._action("&Pause / resume", "F6", flow.toggle_pause)
        self.act_open = self._action("&Open session…", "Ctrl+O", lambda: review.open_session())
        self.act_resume = self._action("&Resume session…", None, lambda: flow.resume_session())
        self.act_quit = self._action("&Quit", "Ctrl+Q", self.close)
        self.act_prev = self._action("Previous record", "PgUp", lambda: review.step(-1))
        self.act_next = self._action("Next record", "PgDown", lambda: review.step(1))
        self.act_live = self._action("Back to &live view", None, review.back_to_live)
        inputs = self.inputs
        self.act_masks = self._action("Load &masks…", "Ctrl+M", inputs.pick_masks)
        self.act_model = self._action("Load LSI &model…", None, inputs.load_model)
        self.act_calibrate = self._action("&Calibrate…", None, inputs.open_calibration)
        self.act_batch = self._action("&Batch…", None, inputs.open_batch)
        self.act_calibrate.setEnabled(_module_exists("lsi_rig.gui.calibration_wizard"))
        self.act_batch.setEnabled(_module_exists("lsi_rig.gui.batch_page"))
        self.act_reset_layout = self._action("Reset panel layout", None, self._reset_layout)

        menu = self.menuBar()
        assert menu is not None
        file_menu = menu.addMenu("&File")
        assert file_menu is not None
        for action in (self.act_open, self.act_resume, self.act_live):
            file_menu.addAction(action)
        self.recent_menu = file_menu.addMenu("Recent sessions")
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        capture_menu = menu.addMenu("&Capture")
        assert capture_menu is not None
        for action in (self.act_start, self.act_pause, self.act_stop):
            capture_menu.addAction(action)
        rig_menu = menu.addMenu("&Rig")
        assert rig_menu is not None
        rig_menu.addAction(self.act_calibrate)
        rig_menu.addAction(self.act_batch)
        model_menu = menu.addMenu("&Masks && model")
        assert model_menu is not None
        model_menu.addAction(self.act_masks)
        model_menu.addAction(self.act_model)
        view_menu = menu.addMenu("&View")
        assert view_menu is not None
        for dock in self.docks():
            view_menu.addAction(dock.toggleViewAction())  # type: ignore[attr-defined]
        view_menu.addSeparator()
        view_menu.addAction(self.act_reset_layout)

    def _reset_layout(self) -> None:
        for dock in self.docks():
            dock.setFloating(False)  # type: ignore[attr-defined]
            dock.show()
        self._lay_out_docks()
        self._size_docks()

    # -- modes and titles -----------------------------------------------------------------
    def set_mode(self, mode: Mode) -> None:
        self.mode = mode
        self.drawing.reset()
        self.update_title()

    def update_title(self) -> None:
        rig = self.rigs.rig_config.name
        masks = self.inputs.mask_set.name
        if self.mode is Mode.REVIEW and self.review.session is not None:
            what = f"REVIEW {self.review.session.path.name}"
        else:
            what = "live"
        self.setWindowTitle(f"lsi-rig — rig {rig} · masks {masks} · {what}")
        self.status_mode.setText(f"mode: {what}")

    def status(self, text: str, timeout_ms: int = 8000) -> None:
        bar = self.statusBar()
        assert bar is not None
        bar.showMessage(text, timeout_ms)

    # -- quitting -------------------------------------------------------------------------
    def ask(self, title: str, question: str) -> bool:
        answer = QMessageBox.question(
            self,
            title,
            question,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event: QCloseEvent | None) -> None:
        assert event is not None
        if self.capture.active:
            if not self.ask(
                "Quit during a capture?",
                "A capture is running. Stop it and quit?\n\nThe session file is closed "
                "'interrupted' with every record captured so far.",
            ):
                event.ignore()
                return
            self.flow.stop_and_wait()
        self.save_layout()
        for timer in (self.redraw_timer, self.poll_timer, self.follow_timer):
            timer.stop()
        self.review.close()
        self.decoding.close()
        self.drawing.scores.close()
        self.rig.shutdown()
        self.scene_window.hide()
        self.scene_window.deleteLater()
        package_log = logging.getLogger("lsi_rig")
        package_log.removeHandler(self.log_handler)
        package_log.setLevel(self._log_level)
        event.accept()


def _module_exists(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False

"""Session dock: recording, file name, notes, start/pause/stop, resume, review of a file."""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QCheckBox,
    QDockWidget,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from lsi_rig.gui.widgets import SpinBox, scrolled


class SessionDock(QDockWidget):
    open_recent = pyqtSignal(Path)
    record_selected = pyqtSignal(int)

    def __init__(self, sessions_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__("Session", parent)
        self.setObjectName("dock_session")
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)

        capture = QGroupBox("Capture")
        form = QFormLayout(capture)
        self.record = QCheckBox("Record to a session file")
        self.record.setChecked(True)
        self.record.setToolTip(
            "Off: a preview run; the vectors go to a temporary file that is deleted afterwards"
        )
        form.addRow(self.record)
        self.file_name = QLineEdit()
        self.file_name.setPlaceholderText(f"automatic: {sessions_dir}/<date>/<time>_gui_….h5")
        self.file_name.setToolTip(
            "Session file to create; a bare name goes into the sessions folder. Empty: a new "
            "dated name for every capture."
        )
        form.addRow("File", self.file_name)
        self.repeats = SpinBox()
        self.repeats.setRange(1, 100_000)
        self.repeats.setToolTip("records per scene")
        form.addRow("Repeats per scene", self.repeats)
        self.notes = QPlainTextEdit()
        self.notes.setPlaceholderText("Notes (stored in the session log when the capture starts)")
        self.notes.setMaximumHeight(60)
        form.addRow("Notes", self.notes)
        buttons = QHBoxLayout()
        self.start = QPushButton("Start  (F5)")
        self.pause = QPushButton("Pause  (F6)")
        self.stop = QPushButton("Stop  (Esc)")
        self.start.setStyleSheet("QPushButton:enabled { font-weight: bold; color: #1b5e20 }")
        self.stop.setStyleSheet("QPushButton:enabled { font-weight: bold; color: #b71c1c }")
        for button in (self.start, self.pause, self.stop):
            buttons.addWidget(button)
        form.addRow(buttons)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        self.progress.setFormat("no capture yet")
        form.addRow(self.progress)
        self.state = QLabel("Idle.")
        self.state.setWordWrap(True)
        form.addRow(self.state)
        self.path_label = QLabel("")
        self.path_label.setWordWrap(True)
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(self.path_label)
        self.resume = QPushButton("Resume session…")
        self.resume.setToolTip("Continue an interrupted session file with the current setup")
        form.addRow(self.resume)
        layout.addWidget(capture)

        review = QGroupBox("Review a session file")
        rform = QVBoxLayout(review)
        self.open = QPushButton("Open session…  (Ctrl+O)")
        rform.addWidget(self.open)
        self.review_label = QLabel("No file open.")
        self.review_label.setWordWrap(True)
        rform.addWidget(self.review_label)
        step = QHBoxLayout()
        self.previous = QPushButton("◀")
        self.previous.setToolTip("previous record (Page Up)")
        self.next = QPushButton("▶")
        self.next.setToolTip("next record (Page Down)")
        self.record_index = SpinBox()
        self.record_index.setRange(0, 0)
        self.record_index.setPrefix("record ")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        for widget in (self.previous, self.record_index, self.next):
            step.addWidget(widget)
        step.addWidget(self.slider, stretch=1)
        rform.addLayout(step)
        self.follow = QCheckBox("Follow a file being written (refresh every second)")
        self.follow.setChecked(True)
        rform.addWidget(self.follow)
        self.back_to_live = QPushButton("Back to live view")
        rform.addWidget(self.back_to_live)
        rform.addWidget(QLabel("Recent files (double-click to open):"))
        self.recent = QListWidget()
        self.recent.setMaximumHeight(110)
        rform.addWidget(self.recent)
        layout.addWidget(review)
        layout.addStretch(1)
        self.setWidget(scrolled(body))

        self.previous.clicked.connect(
            lambda: self.record_index.setValue(self.record_index.value() - 1)
        )
        self.next.clicked.connect(lambda: self.record_index.setValue(self.record_index.value() + 1))
        self.record_index.valueChanged.connect(self.slider.setValue)
        self.slider.valueChanged.connect(self.record_index.setValue)
        self.record_index.valueChanged.connect(self.record_selected)
        self.recent.itemDoubleClicked.connect(
            lambda item: self.open_recent.emit(Path(item.data(Qt.ItemDataRole.UserRole)))
        )
        self.set_review(None)

    def set_recent(self, files: list[Path]) -> None:
        self.recent.clear()
        for path in files:
            item = QListWidgetItem(path.name)
            item.setToolTip(str(path))
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            self.recent.addItem(item)

    def set_review(self, summary: str | None, n_records: int = 0) -> None:
        """Review controls for a file of ``n_records`` records (None: no file open)."""
        enabled = summary is not None and n_records > 0
        self.review_label.setText(summary or "No file open.")
        for widget in (self.previous, self.next, self.record_index, self.slider):
            widget.setEnabled(enabled)
        self.back_to_live.setEnabled(summary is not None)
        self.set_record_count(n_records)

    def set_record_count(self, n_records: int) -> None:
        top = max(n_records - 1, 0)
        for widget in (self.record_index, self.slider):
            widget.blockSignals(True)
            widget.setMaximum(top)
            widget.blockSignals(False)
        self.record_index.setSuffix(f" of {n_records}" if n_records else "")

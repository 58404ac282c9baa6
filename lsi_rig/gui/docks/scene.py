"""Scene dock: what goes on the monitor (demo faces, images, a manifest), a preview of the scene
being shown, and the screen the scene window goes to."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PyQt6.QtCore import pyqtSignal
from PyQt6.QtGui import QGuiApplication
from PyQt6.QtWidgets import (
    QCheckBox,
    QDockWidget,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from lsi_rig.gui.plots import ImagePane
from lsi_rig.gui.scene_choice import SceneChoice, SceneKind
from lsi_rig.gui.widgets import ComboBox, SpinBox, scrolled


class SceneDock(QDockWidget):
    choice_changed = pyqtSignal(object)  # SceneChoice
    window_requested = pyqtSignal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Scene", parent)
        self.setObjectName("dock_scene")
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)

        source = QGroupBox("Scenes to capture")
        form = QFormLayout(source)
        demo_row = QHBoxLayout()
        self.demo_button = QPushButton("Demo faces")
        self.demo_button.setToolTip("procedurally generated faces, then test targets")
        self.demo_count = SpinBox()
        self.demo_count.setRange(1, 500)
        self.demo_count.setSuffix(" scenes")
        demo_row.addWidget(self.demo_button)
        demo_row.addWidget(self.demo_count)
        form.addRow(demo_row)
        files_row = QHBoxLayout()
        self.folder_button = QPushButton("Folder…")
        self.folder_button.setToolTip("every image in a folder, in natural name order")
        self.file_button = QPushButton("Files…")
        self.file_button.setToolTip("one or more image files")
        self.manifest_button = QPushButton("Manifest…")
        self.manifest_button.setToolTip("a CSV with id,path,split columns")
        for button in (self.folder_button, self.file_button, self.manifest_button):
            files_row.addWidget(button)
        form.addRow(files_row)
        self.choice_label = QLabel("")
        self.choice_label.setWordWrap(True)
        form.addRow("Now:", self.choice_label)
        layout.addWidget(source)

        self.preview = ImagePane("Scene on the monitor")
        layout.addWidget(self.preview, stretch=1)

        monitor = QGroupBox("Scene monitor")
        mform = QFormLayout(monitor)
        self.screen_choice = ComboBox()
        mform.addRow("Screen", self.screen_choice)
        self.show_window = QCheckBox("Show the scene window")
        mform.addRow(self.show_window)
        self.window_note = QLabel("")
        self.window_note.setWordWrap(True)
        self.window_note.setStyleSheet("color: #505050")
        mform.addRow(self.window_note)
        layout.addWidget(monitor)
        self.setWidget(scrolled(body))

        self.choice = SceneChoice()
        self.refresh_screens()
        self.demo_button.clicked.connect(self._choose_demo)
        self.demo_count.valueChanged.connect(self._demo_count_changed)
        self.folder_button.clicked.connect(self._choose_folder)
        self.file_button.clicked.connect(self._choose_files)
        self.manifest_button.clicked.connect(self._choose_manifest)
        self.show_window.toggled.connect(self.window_requested)
        self.screen_choice.currentIndexChanged.connect(
            lambda _i: self.window_requested.emit(self.show_window.isChecked())
        )

    def refresh_screens(self) -> None:
        current = self.screen_choice.currentText()
        self.screen_choice.blockSignals(True)
        self.screen_choice.clear()
        for i, screen in enumerate(QGuiApplication.screens()):
            g = screen.geometry()
            self.screen_choice.addItem(f"{i}: {screen.name()} ({g.width()}×{g.height()})", i)
        index = self.screen_choice.findText(current)
        screens = self.screen_choice.count()
        self.screen_choice.setCurrentIndex(index if index >= 0 else (1 if screens > 1 else 0))
        self.screen_choice.blockSignals(False)

    def set_choice(self, choice: SceneChoice) -> None:
        self.choice = choice
        self.choice_label.setText(choice.describe())
        self.demo_count.blockSignals(True)
        self.demo_count.setValue(choice.demo_count)
        self.demo_count.blockSignals(False)

    def _emit(self, choice: SceneChoice) -> None:
        self.set_choice(choice)
        self.choice_changed.emit(choice)

    def _choose_demo(self) -> None:
        self._emit(SceneChoice(SceneKind.DEMO, (), self.demo_count.value()))

    def _demo_count_changed(self, count: int) -> None:
        if self.choice.kind is SceneKind.DEMO:
            self._emit(SceneChoice(SceneKind.DEMO, (), count))

    def _choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Folder of scene images")
        if path:
            self._emit(SceneChoice(SceneKind.FILES, (Path(path),)))

    def _choose_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Scene images", "", "Images (*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.webp)"
        )
        if paths:
            self._emit(SceneChoice(SceneKind.FILES, tuple(Path(p) for p in paths)))

    def _choose_manifest(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Scene manifest", "", "CSV (*.csv)")
        if path:
            self._emit(SceneChoice(SceneKind.MANIFEST, (Path(path),)))

    def show_scene(self, image: np.ndarray | None, title: str) -> None:
        self.preview.set_title(title)
        if image is None:
            self.preview.show_placeholder("nothing shown yet")
        else:
            self.preview.set_image(image)

"""Desktop-app tests: a real QApplication (offscreen), settings in a temporary folder, real rigs.

Other test modules create a GUI-less ``QGuiApplication`` when they run; a widget needs a
``QApplication``, so one is created here, at collection time, before any test runs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PyQt6.QtCore import QSettings
from PyQt6.QtWidgets import QApplication

if QApplication.instance() is None:
    _APP = QApplication(["lsi-rig-tests"])

from lsi_rig.config import load_rig
from lsi_rig.gui.main_window import GuiOptions, MainWindow
from lsi_rig.gui.rig_worker import Connection
from lsi_rig.gui.scene_choice import SceneChoice
from lsi_rig.masks import load_masks

FAST_MASKS = "demo:hadamard16:64"


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path) -> Iterator[Path]:
    """Every QSettings read/write of the app goes to a fresh temporary folder."""
    folder = tmp_path / "qsettings"
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    yield folder


WindowFactory = Callable[..., MainWindow]


@pytest.fixture
def make_window(qtbot, tmp_path: Path, monkeypatch) -> Iterator[WindowFactory]:  # type: ignore[no-untyped-def]
    windows: list[MainWindow] = []

    def make(
        rig: str = "sim",
        masks: str = FAST_MASKS,
        scenes: int = 3,
        connect: bool = True,
        wait_connected: bool = True,
        restore_layout: bool = True,
    ) -> MainWindow:
        options = GuiOptions(
            rig_config=load_rig(rig),
            rig_label=rig,
            mask_set=load_masks(masks),
            scenes=SceneChoice(demo_count=scenes),
            sessions_dir=tmp_path / "sessions",
            log_path=tmp_path / "gui.log",
            connect=connect,
            restore_layout=restore_layout,
        )
        window = MainWindow(options)
        windows.append(window)
        window.show()
        qtbot.waitExposed(window)
        if connect and wait_connected:
            qtbot.waitUntil(lambda: window.rig.state is Connection.CONNECTED, timeout=30_000)
        return window

    yield make
    for window in windows:
        if window.isVisible() or window.capture.active:
            monkeypatch.setattr(window, "ask", lambda *_a: True)
            window.close()


def press(qtbot, window: MainWindow, key, modifier=None) -> None:  # type: ignore[no-untyped-def]
    """A key press the way an operator makes it: into the active main window."""
    from PyQt6.QtCore import Qt

    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    qtbot.keyClick(window, key, modifier or Qt.KeyboardModifier.NoModifier)

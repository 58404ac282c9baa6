"""Frameless full-screen Qt window that feeds the LightCrafter's HDMI input (QtGui only).

The frame is painted 1:1 at the window's origin: one video pixel per mirror, so the screen wired
to the DMD must run a 912×1140 mode at ``vsync_hz`` with a device-pixel ratio of 1 (a warning is
logged otherwise). A loop of several frames advances on a precise timer at the frame rate; Qt
cannot lock that to the display's vblank, so multi-frame sequences must be checked on the bench
with TRIG_OUT_2 recorded (docs/dlpc350.md). The window needs a running Qt event loop (the GUI)
or :meth:`QtVideoWindow.process_events` to repaint.

The window and its frame timer live in the Qt GUI thread; every public method may be called
from any thread (the capture worker) and is queued to the GUI thread through
:func:`lsi_rig.qtgui.gui_thread.call_in_gui_thread`, which waits for it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtGui import QGuiApplication, QImage, QPainter, QPaintEvent, QRasterWindow, QScreen

from lsi_rig.dmd.dlpc350.packing import DMD_COLUMNS, DMD_ROWS
from lsi_rig.dmd.dlpc350.video import check_frames
from lsi_rig.qtgui.gui_thread import call_in_gui_thread
from lsi_rig.qtgui.screens import find_screen as find_screen_for
from lsi_rig.qtgui.screens import grab_window, qt_app

log = logging.getLogger(__name__)

DEVICE = "DMD video window"


def _app() -> QGuiApplication:
    return qt_app("devices.dmd.screen")


def find_screen(screen: int | str | None) -> QScreen:
    """Screen by index or name (None: the primary screen)."""
    return find_screen_for(screen, setting="devices.dmd.screen")


class _FrameWindow(QRasterWindow):
    def __init__(self) -> None:
        super().__init__()
        self.image: QImage | None = None
        self.paints = 0

    def paintEvent(self, event: QPaintEvent | None) -> None:
        painter = QPainter(self)
        painter.fillRect(0, 0, self.width(), self.height(), Qt.GlobalColor.black)
        if self.image is not None:
            painter.drawImage(0, 0, self.image)
        painter.end()
        self.paints += 1


class QtVideoWindow:
    """:class:`~lsi_rig.dmd.dlpc350.video.VideoOutput` on a screen (the DMD's HDMI input)."""

    def __init__(self, screen: int | str | None = None) -> None:
        self._app = _app()
        self._frames: np.ndarray | None = None
        self._images: list[QImage] = []
        self._index = 0
        self._painted_at = 0
        self._closed = False
        self._gui(lambda: self._create(screen))

    @staticmethod
    def _gui(fn: Any) -> Any:
        return call_in_gui_thread(fn, what=DEVICE)

    # --- GUI-thread parts ------------------------------------------------------------------
    def _create(self, screen: int | str | None) -> None:
        self.screen = find_screen(screen)
        self.window = _FrameWindow()
        self.window.setFlags(
            Qt.WindowType.Window
            | Qt.WindowType.FramelessWindowHint
            | Qt.WindowType.WindowStaysOnTopHint
        )
        self.window.setScreen(self.screen)
        self.window.setGeometry(self.screen.geometry())
        geometry = self.screen.geometry()
        if (geometry.width(), geometry.height()) != (DMD_COLUMNS, DMD_ROWS):
            log.warning(
                "DMD screen %r is %dx%d; set a %dx%d mode so pixels map 1:1 to mirrors",
                self.screen.name(),
                geometry.width(),
                geometry.height(),
                DMD_COLUMNS,
                DMD_ROWS,
            )
        if self.screen.devicePixelRatio() != 1:
            log.warning(
                "DMD screen %r has device-pixel ratio %g; use 1",
                self.screen.name(),
                self.screen.devicePixelRatio(),
            )
        self._description = {
            "video_output": "Qt window",
            "screen": self.screen.name(),
            "screen_size": [geometry.width(), geometry.height()],
        }
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._advance)

    def _show(self, frames: np.ndarray, frame_rate_hz: float) -> None:
        self._timer.stop()
        self._frames = frames  # keeps the buffers alive for the QImages
        self._images = [
            QImage(f.data, DMD_COLUMNS, DMD_ROWS, DMD_COLUMNS * 3, QImage.Format.Format_RGB888)
            for f in self._frames
        ]
        self._index = 0
        self.window.image = self._images[0]
        self.window.showFullScreen()
        self._changed()
        if len(self._images) > 1:
            self._timer.start(max(1, round(1000.0 / frame_rate_hz)))
        self._process_events()

    def _advance(self) -> None:
        self._index = (self._index + 1) % len(self._images)
        self.window.image = self._images[self._index]
        self._changed()

    def _blank(self) -> None:
        self._timer.stop()
        self.window.image = None
        self._changed()
        self._process_events()

    def _process_events(self, wait_for_paint_s: float = 0.5) -> None:
        deadline = time.monotonic() + wait_for_paint_s
        while True:
            self._app.processEvents()
            if self.window.paints > self._painted_at or time.monotonic() > deadline:
                return
            time.sleep(0.002)

    def _changed(self) -> None:
        self._painted_at = self.window.paints
        self.window.update()

    def _grab(self) -> np.ndarray:
        self._process_events()
        return grab_window(self.screen, self.window)

    def _close(self) -> None:
        self._timer.stop()
        self.window.close()
        self.window.destroy()
        self._frames, self._images = None, []

    # --- VideoOutput -----------------------------------------------------------------------
    def show(self, frames: np.ndarray, frame_rate_hz: float) -> None:
        checked = check_frames(frames)
        self._gui(lambda: self._show(checked, frame_rate_hz))

    def blank(self) -> None:
        self._gui(self._blank)

    def process_events(self, wait_for_paint_s: float = 0.5) -> None:
        """Run Qt events until the window has repainted since the last change (bounded wait:
        Qt throttles update requests to its animation timer)."""
        self._gui(lambda: self._process_events(wait_for_paint_s))

    def grab(self) -> np.ndarray:
        """What the window shows, uint8 [rows, cols, 3] (tests and bench checks)."""
        return self._gui(self._grab)  # type: ignore[no-any-return]

    @property
    def frameless(self) -> bool:
        return bool(self._gui(lambda: self.window.flags() & Qt.WindowType.FramelessWindowHint))

    def describe(self) -> dict[str, Any]:
        return dict(self._description)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._gui(self._close)

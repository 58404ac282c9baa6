"""What the scene monitor shows, mirrored into the app, and the scene window.

:class:`MirroredDisplay` wraps the rig's scene display: every image the engine shows goes to
the real (or simulated) monitor first, then into a thread-safe slot the redraw timer reads. So
the operator sees exactly what the monitor shows, when it shows it, without the capture thread
ever touching a Qt object. :class:`SceneWindow` is the frameless window that shows that image
on the chosen screen (full screen on a second monitor; a normal window when it would cover the
app on a one-screen laptop).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from PyQt6.QtCore import QRect, Qt
from PyQt6.QtGui import QCloseEvent, QImage, QPainter, QPaintEvent, QScreen
from PyQt6.QtWidgets import QWidget

from lsi_rig.display.protocol import SceneDisplay
from lsi_rig.gui.widgets import qimage_rgb


class ShownImages:
    """The newest image shown on the monitor (written in the capture thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._image: np.ndarray | None = None
        self.count = 0

    def put(self, image: np.ndarray) -> None:
        copy = np.array(image, dtype=np.uint8, copy=True)
        with self._lock:
            self._image = copy
            self.count += 1

    def latest(self) -> tuple[int, np.ndarray | None]:
        with self._lock:
            return self.count, self._image


class MirroredDisplay:
    """A :class:`~lsi_rig.display.protocol.SceneDisplay` that also reports what it shows."""

    def __init__(self, inner: SceneDisplay, shown: ShownImages) -> None:
        self.inner = inner
        self.shown = shown

    @property
    def settle_time_s(self) -> float:
        return self.inner.settle_time_s

    def describe(self) -> dict[str, Any]:
        return self.inner.describe()

    def show(self, image: np.ndarray) -> float:
        t = self.inner.show(image)
        self.shown.put(image)
        return t

    def close(self) -> None:
        self.inner.close()


class SceneWindow(QWidget):
    """The current scene centred on black, scaled without smoothing (8-bit values kept)."""

    def __init__(self) -> None:
        super().__init__(None, Qt.WindowType.Window | Qt.WindowType.FramelessWindowHint)
        self.setWindowTitle("lsi-rig scene monitor")
        self.setStyleSheet("background: black")
        self.image: QImage | None = None
        self.count = 0

    def set_image(self, image: np.ndarray) -> None:
        self.image = qimage_rgb(image)
        self.count += 1
        self.update()

    def place(self, screen: QScreen, *, full_screen: bool) -> None:
        """Full screen on ``screen``, or a 512-pixel window at its top-right corner."""
        self.setScreen(screen)
        geometry = screen.availableGeometry()
        if full_screen:
            self.setGeometry(screen.geometry())
            self.showFullScreen()
        else:
            side = min(512, geometry.height() // 2)
            self.showNormal()
            self.setGeometry(geometry.right() - side - 16, geometry.top() + 16, side, side)
            self.show()

    def paintEvent(self, event: QPaintEvent | None) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.black)
        if self.image is not None:
            side = min(self.width(), self.height())
            target = QRect((self.width() - side) // 2, (self.height() - side) // 2, side, side)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            painter.drawImage(target, self.image)
        painter.end()

    def closeEvent(self, event: QCloseEvent | None) -> None:  # closing only hides it
        self.hide()
        if event is not None:
            event.ignore()

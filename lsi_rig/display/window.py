"""The real scene monitor: a frameless full-screen window showing one image at a time.

QtGui only (``QRasterWindow``), so acquisition scripts need no widgets. The image is shown
centred on black, scaled without smoothing (nearest neighbour keeps the 8-bit values the
calibration measured) to ``image_size_px`` or to the largest square that fits. Settling is real
time: the engine waits ``settle_time_s`` on the wall clock after :meth:`show`.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from PyQt6.QtCore import QRect, Qt
from PyQt6.QtGui import QImage, QPainter, QPaintEvent, QRasterWindow

from lsi_rig.core.backend_context import BackendContext
from lsi_rig.core.errors import SceneError
from lsi_rig.display.config import WindowDisplayConfig
from lsi_rig.qtgui.screens import find_screen, grab_window, qt_app


class _SceneWindow(QRasterWindow):
    def __init__(self) -> None:
        super().__init__()
        self.image: QImage | None = None
        self.side: int | None = None
        self.paints = 0

    def target(self) -> QRect:
        side = self.side or min(self.width(), self.height())
        return QRect((self.width() - side) // 2, (self.height() - side) // 2, side, side)

    def paintEvent(self, event: QPaintEvent | None) -> None:
        painter = QPainter(self)
        painter.fillRect(0, 0, self.width(), self.height(), Qt.GlobalColor.black)
        if self.image is not None:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            painter.drawImage(self.target(), self.image)
        painter.end()
        self.paints += 1


class MonitorWindow:
    """:class:`~lsi_rig.display.protocol.SceneDisplay` on a real screen."""

    def __init__(self, config: WindowDisplayConfig) -> None:
        self.config = config
        self._app = qt_app()
        self.screen = find_screen(config.screen, setting="devices.display.screen")
        self.window = _SceneWindow()
        self.window.side = config.image_size_px
        self.window.setFlags(
            Qt.WindowType.Window
            | Qt.WindowType.FramelessWindowHint
            | Qt.WindowType.WindowStaysOnTopHint
        )
        self.window.setScreen(self.screen)
        self.window.setGeometry(self.screen.geometry())
        self._pixels: bytes | None = None

    @property
    def settle_time_s(self) -> float:
        return self.config.settle_time_s

    def describe(self) -> dict[str, Any]:
        g = self.screen.geometry()
        return {
            "backend": "window",
            "model": "scene monitor (full-screen Qt window)",
            "screen": self.screen.name(),
            "screen_size": [g.width(), g.height()],
            "image_size_px": self.config.image_size_px,
            "settle_time_s": self.config.settle_time_s,
        }

    def show(self, image: np.ndarray) -> float:
        pixels = np.ascontiguousarray(image, dtype=np.uint8)
        if pixels.ndim != 3 or pixels.shape[2] != 3:
            raise SceneError(f"scene monitor: image must be uint8 [H, W, 3], got {image.shape}")
        h, w, _ = pixels.shape
        self._pixels = pixels.tobytes()  # QImage borrows this buffer: keep it alive
        self.window.image = QImage(self._pixels, w, h, 3 * w, QImage.Format.Format_RGB888)
        self.window.showFullScreen()
        before = self.window.paints
        self.window.update()
        deadline = time.monotonic() + 0.5
        while self.window.paints == before and time.monotonic() < deadline:
            self._app.processEvents()
            time.sleep(0.001)
        return time.monotonic()

    def grab(self) -> np.ndarray:
        """What the window shows, uint8 [rows, cols, 3] (tests, alignment checks)."""
        self._app.processEvents()
        return grab_window(self.screen, self.window)

    def close(self) -> None:
        self.window.close()
        self.window.destroy()
        self._pixels = None


def create(cfg: WindowDisplayConfig, ctx: BackendContext) -> MonitorWindow:
    return MonitorWindow(cfg)

"""The real scene monitor: a frameless full-screen window showing one image at a time.

QtGui only (``QRasterWindow``), so acquisition scripts need no widgets. The image is shown
centred on black, scaled without smoothing (nearest neighbour keeps the 8-bit values the
calibration measured) to ``image_size_px`` or to the largest square that fits. Settling is real
time: the engine waits ``settle_time_s`` on the rig clock after :meth:`MonitorWindow.show`.

The window lives in the Qt GUI thread. Every method may be called from any thread (a capture
worker): it is queued to the GUI thread through :func:`lsi_rig.qtgui.gui_thread.call_in_gui_thread`
and the caller waits for it, so no Qt object is ever touched from the worker.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from PyQt6.QtCore import QRect, Qt
from PyQt6.QtGui import QImage, QPainter, QPaintEvent, QRasterWindow

from lsi_rig.core.backend_context import BackendContext
from lsi_rig.core.clock import Clock, WallClock
from lsi_rig.core.errors import SceneError
from lsi_rig.display.config import WindowDisplayConfig
from lsi_rig.qtgui.gui_thread import call_in_gui_thread
from lsi_rig.qtgui.screens import find_screen, grab_window, qt_app

DEVICE = "scene monitor window"
SETTING = "devices.display.screen"
PAINT_WAIT_S = 0.5


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
    """:class:`~lsi_rig.display.protocol.SceneDisplay` on a real screen, safe from any thread."""

    def __init__(self, config: WindowDisplayConfig, *, clock: Clock | None = None) -> None:
        self.config = config
        self.clock = clock or WallClock()
        self._app = qt_app("devices.display")
        self._pixels: bytes | None = None
        self._closed = False
        self.window, self._description = self._gui(self._create)

    def _gui(self, fn: Any) -> Any:
        return call_in_gui_thread(fn, what=DEVICE)

    # --- GUI-thread parts ------------------------------------------------------------------
    def _create(self) -> tuple[_SceneWindow, dict[str, Any]]:
        screen = find_screen(self.config.screen, setting=SETTING)
        window = _SceneWindow()
        window.side = self.config.image_size_px
        window.setFlags(
            Qt.WindowType.Window
            | Qt.WindowType.FramelessWindowHint
            | Qt.WindowType.WindowStaysOnTopHint
        )
        window.setScreen(screen)
        window.setGeometry(screen.geometry())
        g = screen.geometry()
        description = {
            "backend": "window",
            "model": "scene monitor (full-screen Qt window)",
            "screen": screen.name(),
            "screen_size": [g.width(), g.height()],
            "image_size_px": self.config.image_size_px,
            "settle_time_s": self.config.settle_time_s,
        }
        return window, description

    def _show(self, pixels: np.ndarray) -> None:
        h, w, _ = pixels.shape
        self._pixels = pixels.tobytes()  # QImage borrows this buffer: keep it alive
        self.window.image = QImage(self._pixels, w, h, 3 * w, QImage.Format.Format_RGB888)
        self.window.showFullScreen()
        before = self.window.paints
        self.window.update()
        deadline = time.monotonic() + PAINT_WAIT_S
        while self.window.paints == before and time.monotonic() < deadline:
            self._app.processEvents()
            time.sleep(0.001)

    def _grab(self) -> np.ndarray:
        self._app.processEvents()
        screen = self.window.screen()
        assert screen is not None
        return grab_window(screen, self.window)

    def _close(self) -> None:
        self.window.close()
        self.window.destroy()
        self._pixels = None

    # --- SceneDisplay ----------------------------------------------------------------------
    @property
    def settle_time_s(self) -> float:
        return self.config.settle_time_s

    def describe(self) -> dict[str, Any]:
        return dict(self._description)

    def show(self, image: np.ndarray) -> float:
        pixels = np.ascontiguousarray(image, dtype=np.uint8)
        if pixels.ndim != 3 or pixels.shape[2] != 3:
            raise SceneError(f"scene monitor: image must be uint8 [H, W, 3], got {image.shape}")
        self._gui(lambda: self._show(pixels))
        return self.clock.now_s()

    def grab(self) -> np.ndarray:
        """What the window shows, uint8 [rows, cols, 3] (tests, alignment checks)."""
        return self._gui(self._grab)  # type: ignore[no-any-return]

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._gui(self._close)


def create(cfg: WindowDisplayConfig, ctx: BackendContext) -> MonitorWindow:
    return MonitorWindow(cfg, clock=ctx.clock)

"""Finding screens for full-screen output windows (QtGui only, never Qt widgets).

Both the DMD's HDMI input and the scene monitor are screens the app paints on; the config names
them by index or by Qt's screen name.
"""

from __future__ import annotations

import numpy as np
from PyQt6.QtGui import QGuiApplication, QImage, QScreen, QWindow

from lsi_rig.core.errors import ConfigError


def qt_app() -> QGuiApplication:
    """The running Qt application, or a new GUI-less one (QtGui only)."""
    app = QGuiApplication.instance()
    if app is None:
        app = QGuiApplication([])
    return app  # type: ignore[return-value]


def find_screen(screen: int | str | None, *, setting: str) -> QScreen:
    """Screen by index or name (None: the primary screen). ``setting`` names the config key in
    error messages, e.g. ``devices.dmd.screen``."""
    app = qt_app()
    screens = app.screens()
    if screen is None:
        primary = app.primaryScreen()
        if primary is None:
            raise ConfigError(f"{setting}: Qt reports no screen")
        return primary
    if isinstance(screen, int):
        if not 0 <= screen < len(screens):
            raise ConfigError(f"{setting}: index {screen} but {len(screens)} screen(s)")
        return screens[screen]
    for s in screens:
        if s.name() == screen:
            return s
    names = ", ".join(repr(s.name()) for s in screens)
    raise ConfigError(f"{setting}: no screen named {screen!r} (available: {names})")


def grab_window(screen: QScreen, window: QWindow) -> np.ndarray:
    """What ``window`` shows on ``screen``, uint8 [rows, cols, 3] (tests, alignment checks)."""
    image = screen.grabWindow(window.winId()).toImage()
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    h, w, stride = image.height(), image.width(), image.bytesPerLine()
    ptr = image.constBits()
    assert ptr is not None
    raw = np.frombuffer(ptr.asstring(image.sizeInBytes()), np.uint8).reshape(h, stride)
    return raw[:, : w * 3].reshape(h, w, 3).copy()

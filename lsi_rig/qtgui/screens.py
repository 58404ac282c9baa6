"""Finding screens for full-screen output windows (QtGui only, never Qt widgets).

Both the DMD's HDMI input and the scene monitor are screens the app paints on; the config names
them by index or by Qt's screen name.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
from PyQt6.QtGui import QGuiApplication, QImage, QScreen, QWindow

from lsi_rig.core.errors import ConfigError

#: Seconds the platform probe may take (a loaded 2-core machine starts Qt in ~1 s).
PLATFORM_PROBE_TIMEOUT_S = 30.0
_PROBE = (
    "import sys\n"
    "from PyQt6.QtGui import QGuiApplication\n"
    "app = QGuiApplication(sys.argv[:1])\n"
    "print(len(app.screens()), app.platformName())\n"
)
_probed: dict[tuple[str | None, ...], str | None] = {}


def _platform_env() -> tuple[str | None, ...]:
    names = ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM_PLUGIN_PATH")
    return tuple(os.environ.get(n) for n in names)


def platform_problem() -> str | None:
    """Why Qt could not open a window here (None: it can).

    Qt *aborts the process* when its platform plugin cannot start (no X display, a missing
    xcb library, an unknown ``QT_QPA_PLATFORM``), so the first attempt runs in a child
    process; the answer is cached per environment."""
    if QGuiApplication.instance() is not None:
        return None
    key = _platform_env()
    if key not in _probed:
        _probed[key] = _probe()
    return _probed[key]


def _probe() -> str | None:
    try:
        done = subprocess.run(
            [sys.executable, "-c", _PROBE],
            capture_output=True,
            text=True,
            timeout=PLATFORM_PROBE_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"Qt did not start within {PLATFORM_PROBE_TIMEOUT_S:g} s"
    except OSError as exc:
        return f"cannot run the Qt platform check ({exc})"
    words = done.stdout.split()
    if done.returncode == 0 and words and words[0].isdigit():
        return None if int(words[0]) > 0 else f"Qt platform '{words[-1]}' reports no screen"
    lines = [ln.strip() for ln in done.stderr.splitlines() if "qt.qpa" in ln or "plugin" in ln]
    why = lines[0] if lines else f"Qt exited with status {done.returncode}"
    return why.removeprefix("qt.qpa.plugin: ")


def qt_app(setting: str = "devices.display") -> QGuiApplication:
    """The running Qt application, or a new GUI-less one (QtGui only).

    Refuses with one line naming ``setting`` when no Qt platform can start (instead of letting
    Qt abort the process)."""
    app = QGuiApplication.instance()
    if app is None:
        problem = platform_problem()
        if problem is not None:
            platform = os.environ.get("QT_QPA_PLATFORM") or "default"
            raise ConfigError(
                f"{setting}: no screen to open a window on (Qt platform {platform}: {problem}); "
                "run on a desktop session with a display, or use a simulated backend"
            )
        app = QGuiApplication(sys.argv[:1])
    return app  # type: ignore[return-value]


def find_screen(screen: int | str | None, *, setting: str) -> QScreen:
    """Screen by index or name (None: the primary screen). ``setting`` names the config key in
    error messages, e.g. ``devices.dmd.screen``."""
    app = qt_app(setting)
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

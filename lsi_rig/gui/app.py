"""Starting the desktop app: the Qt application, the log file, the main window."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

from PyQt6.QtCore import QStandardPaths
from PyQt6.QtWidgets import QApplication

from lsi_rig.gui.defaults import APPLICATION, ORGANIZATION
from lsi_rig.gui.errors import install_excepthook
from lsi_rig.gui.main_window import GuiOptions, MainWindow

LOG_NAME = "lsi-rig-gui.log"


#: The interpreter hands its lock between threads this often: the capture, the decoder and the
#: GUI thread share it, and the default 5 ms makes every GUI call wait that long behind them.
SWITCH_INTERVAL_S = 0.0005


def application() -> QApplication:
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("lsi-rig")
    return app


def default_log_path() -> Path:
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppLocalDataLocation)
    return Path(folder or ".") / LOG_NAME


def setup_logging(log_path: Path) -> None:
    """Everything from ``lsi_rig`` at INFO and above into a rotating file (with tracebacks)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        log_path, maxBytes=5_000_000, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    )
    handler.setLevel(logging.INFO)
    root = logging.getLogger("lsi_rig")
    root.setLevel(logging.INFO)
    root.addHandler(handler)


def run_gui(options: GuiOptions) -> int:
    """Open the main window and run the event loop until it closes; returns the exit code."""
    app = application()
    log_path = options.log_path or default_log_path()
    setup_logging(log_path)
    options.log_path = log_path
    window = MainWindow(options)
    install_excepthook(window.errors)
    if window.restored_geometry:
        window.show()
    else:
        window.showMaximized()
    logging.getLogger(__name__).info("lsi-rig gui started (log file %s)", log_path)
    return int(app.exec())

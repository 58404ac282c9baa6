"""Errors in the app, as clear as the CLI's.

A user error (:class:`~lsi_rig.core.errors.LsiRigError`: bad masks, missing images, a device
that refuses) shows exactly the one line the CLI prints. Anything else is a bug: the dialog
gives the message and where the log file with the traceback is, never the traceback itself.
Dialogs are opened window-modal and non-blocking, so a capture keeps running behind them.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from types import TracebackType

from PyQt6.QtWidgets import QMessageBox, QWidget

from lsi_rig.core.errors import LsiRigError

log = logging.getLogger(__name__)


class ErrorReporter:
    def __init__(self, parent: QWidget, log_path: Path | None) -> None:
        self.parent = parent
        self.log_path = log_path
        self.last: QMessageBox | None = None
        self.shown: list[str] = []  # every message shown, in order (tests, the status bar)

    def user_error(self, message: str, title: str = "Cannot do that") -> QMessageBox:
        return self._open(QMessageBox.Icon.Warning, title, message)

    def internal_error(self, message: str) -> QMessageBox:
        where = (
            f"The details are in the log file {self.log_path}."
            if self.log_path
            else ("The details are in the Log panel.")
        )
        text = f"Internal error (a bug in lsi-rig): {message}\n\n{where}"
        return self._open(QMessageBox.Icon.Critical, "Internal error", text)

    def report(self, exc: BaseException) -> QMessageBox:
        if isinstance(exc, LsiRigError):
            return self.user_error(str(exc))
        log.error("internal error: %s: %s", type(exc).__name__, exc, exc_info=exc)
        return self.internal_error(f"{type(exc).__name__}: {exc}")

    def _open(self, icon: QMessageBox.Icon, title: str, text: str) -> QMessageBox:
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self.parent)
        box.setObjectName("errorDialog")
        box.open()
        self.last = box
        self.shown.append(text)
        return box


def install_excepthook(reporter: ErrorReporter) -> None:
    """Uncaught exceptions in Qt slots become an internal-error dialog (PyQt6 would abort)."""
    previous = sys.excepthook

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            previous(kind, exc, tb)
            return
        try:
            reporter.report(exc.with_traceback(tb))
        except Exception:  # never recurse from the hook
            previous(kind, exc, tb)

    sys.excepthook = hook

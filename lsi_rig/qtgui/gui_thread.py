"""Run callables in the Qt GUI thread and wait for them: the proxy behind every window device.

Qt objects belong to the thread that created them, and windows belong to the GUI thread: a
capture worker (a ``QThread`` or a plain thread) must never touch a ``QWindow`` or start a
``QTimer`` itself. :func:`call_in_gui_thread` queues the call to a :class:`QObject` that lives
in the GUI thread (a queued signal–slot connection, so it runs from the GUI event loop), then
blocks on a :class:`threading.Event` until it has run, with a timeout that raises
:class:`~lsi_rig.core.errors.DeviceTimeoutError`. Exceptions raised in the GUI thread are
re-raised in the caller. Called from the GUI thread itself, the callable runs directly, so a
window method may call another without deadlock.

QtCore only; the GUI thread must run its event loop (``app.exec()``, a pytest-qt ``qtbot``
wait) while a worker waits on it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from PyQt6.QtCore import QCoreApplication, QObject, Qt, QThread, pyqtSignal, pyqtSlot

from lsi_rig.core.errors import DeviceError, DeviceTimeoutError

T = TypeVar("T")

#: Default wait for the GUI thread (a window repaint takes milliseconds; 10 s means it is stuck).
GUI_CALL_TIMEOUT_S = 10.0


class _Call:
    """One queued call: the callable, its outcome, and the event the caller waits on."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn = fn
        self.done = threading.Event()
        self.abandoned = False
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        if self.abandoned:  # the caller timed out: do not act on a stale request
            return
        try:
            self.result = self.fn()
        except BaseException as exc:  # re-raised in the calling thread
            self.error = exc
        finally:
            self.done.set()


class _GuiInvoker(QObject):
    """Lives in the GUI thread; runs each queued :class:`_Call` there."""

    requested = pyqtSignal(object)

    def __init__(self) -> None:
        super().__init__()
        self.requested.connect(self._run, Qt.ConnectionType.QueuedConnection)  # type: ignore[call-arg]

    @pyqtSlot(object)
    def _run(self, call: _Call) -> None:
        call.run()


_lock = threading.Lock()
_invoker: _GuiInvoker | None = None


def _gui_invoker(app: QCoreApplication) -> _GuiInvoker:
    global _invoker
    with _lock:
        if _invoker is None or _invoker.thread() is not app.thread():
            invoker = _GuiInvoker()
            if invoker.thread() is not app.thread():
                invoker.moveToThread(app.thread())
            _invoker = invoker
        return _invoker


def in_gui_thread() -> bool:
    """True when called from the thread that owns the Qt application (or no app exists)."""
    app = QCoreApplication.instance()
    return app is None or QThread.currentThread() is app.thread()


def call_in_gui_thread(
    fn: Callable[[], T], *, what: str, timeout_s: float = GUI_CALL_TIMEOUT_S
) -> T:
    """Run ``fn()`` in the GUI thread and return its result (directly when already there).

    ``what`` names the device in error messages, e.g. ``"scene monitor window"``."""
    app = QCoreApplication.instance()
    if app is None:
        raise DeviceError(f"{what}: no Qt application is running")
    if QThread.currentThread() is app.thread():
        return fn()
    call = _Call(fn)
    _gui_invoker(app).requested.emit(call)
    if not call.done.wait(timeout_s):
        call.abandoned = True
        raise DeviceTimeoutError(
            f"{what}: the Qt GUI thread did not run the request within {timeout_s:g} s (its "
            "event loop is blocked or not running)"
        )
    if call.error is not None:
        raise call.error
    return call.result  # type: ignore[no-any-return]

"""Operator control of a running capture: stop and pause, requested from any thread.

The engine calls :meth:`RunControl.checkpoint` at every point where it may safely stop or wait:
in preparation, before the probe pass, between scenes and before every sequence pass of the
averages loop. So a request takes effect within one pass, in every phase. A request made before
the run starts is kept (a stop pressed while the rig is still connecting is not lost).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from enum import StrEnum

from lsi_rig.core.errors import CaptureStopped


class Phase(StrEnum):
    """Where the engine was when it honoured a request."""

    PREPARING = "preparing"
    PROBE = "probe pass"
    BETWEEN_SCENES = "between scenes"
    IN_RECORD = "inside a record"
    OPERATOR = "waiting for the operator"


PauseListener = Callable[[bool, Phase, str], None]


class RunControl:
    """Thread-safe stop/pause flags plus the engine's side of them.

    ``listener(paused, phase, reason)`` is called from the engine's thread when the engine
    actually stops to wait (``paused=True``) and when it goes on (``False``): a request is not yet
    a state, the job reports the state only once the engine is parked.
    """

    def __init__(self, listener: PauseListener | None = None) -> None:
        self._cond = threading.Condition()
        self._stop = False
        self._pause = False
        self._reason = ""
        self.listener = listener

    # -- operator side (any thread) --------------------------------------------------------
    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()

    def pause(self, reason: str = "paused by the operator") -> None:
        with self._cond:
            if not self._stop:
                self._pause = True
                self._reason = reason
                self._cond.notify_all()

    def resume(self) -> None:
        with self._cond:
            self._pause = False
            self._cond.notify_all()

    @property
    def stop_requested(self) -> bool:
        return self._stop

    @property
    def pause_requested(self) -> bool:
        return self._pause

    # -- engine side -----------------------------------------------------------------------
    def checkpoint(self, phase: Phase, before_wait: Callable[[], None] | None = None) -> bool:
        """Raise :class:`CaptureStopped` if a stop was asked; wait while paused.

        ``before_wait`` runs first whenever the engine is about to stop or park (never on the
        fast path): the engine commits a record it was still holding, so that nothing measured
        sits in memory while an operator may close the app.

        Returns True when it waited (the caller re-establishes what a pause may have changed:
        re-shows the scene, restarts the record), False on the fast path.
        """
        if not (self._stop or self._pause):
            return False
        if before_wait is not None:
            before_wait()
        if self._stop:
            raise CaptureStopped(f"capture stopped by the operator ({phase})")
        with self._cond:
            reason = self._reason
            parked = self._pause and not self._stop
        if parked and self.listener is not None:  # outside the lock: listeners may steer
            self.listener(True, phase, reason)
        with self._cond:
            while self._pause and not self._stop:
                self._cond.wait()
            stopped = self._stop
        if stopped:
            raise CaptureStopped(f"capture stopped by the operator ({phase})")
        if self.listener is not None:
            self.listener(False, phase, reason)
        return True

"""Polling the DMD's health between records, rate-limited so it costs nothing per vector.

In video-port mode the controller is not spoken to while patterns run, so a disconnected USB
cable, a silent controller or a lost HDMI lock would otherwise go unnoticed and every later
record would be garbage flagged as clean. One status read per ``interval_s`` of wall time (and
after the last record) bounds the damage to the records of one interval, which are flagged.
"""

from __future__ import annotations

import time

from lsi_rig.core.errors import DeviceError
from lsi_rig.dmd.protocol import Dmd, DmdStatus


def status_problem(status: DmdStatus) -> str | None:
    """One line naming the device and what is wrong with it, or None when it is fit to
    measure (the errors the controller decodes, a lost video lock, a stopped sequencer)."""
    problems = list(status.errors)
    if status.video_locked is False:
        problems.append("HDMI video input not locked (check the cable and the output window)")
    if not status.running:
        problems.append("the pattern sequence is not running")
    if not status.healthy and not problems:
        problems.append("controller reports an unhealthy state")
    return f"{status.device}: {'; '.join(problems)}" if problems else None


class HealthWatch:
    """Reads ``dmd.status()`` at most every ``interval_s`` (0: after every record)."""

    def __init__(self, dmd: Dmd, interval_s: float) -> None:
        self.dmd = dmd
        self.interval_s = interval_s
        self._last = -float("inf")

    def due(self) -> bool:
        return time.monotonic() - self._last >= self.interval_s

    def check(self) -> str | None:
        """Poll now; the problem in one line, or None. A status read that itself fails is the
        problem (the controller is gone or silent)."""
        self._last = time.monotonic()
        try:
            return status_problem(self.dmd.status())
        except DeviceError as exc:
            return str(exc)

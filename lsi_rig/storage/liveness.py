"""Is the process that writes a session file still alive?

A file whose stored status is "running" is only trusted while its writer lives. The writer
stores who it is (host, boot id, pid, process start time) when it creates the file, and ticks a
heartbeat dataset every ``HEARTBEAT_INTERVAL_S``. A reader decides:

* same host and same boot: the pid must exist, must not be a zombie, and (on Linux) must have
  the stored start time — otherwise the pid was reused by another program;
* same host, other boot (the machine rebooted): dead;
* another host, or no way to inspect processes (Windows, where ``os.kill(pid, 0)`` would
  *send* a signal): the heartbeat must be younger than ``STALE_AFTER_S``.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HEARTBEAT_INTERVAL_S = 1.0
STALE_AFTER_S = 15.0


@dataclass(frozen=True)
class WriterIdentity:
    """Who writes a session file. ``start_ticks`` is the Linux process start time in clock
    ticks since boot (-1 where unknown); ``boot_id`` is the kernel's boot UUID ("" unknown)."""

    host: str
    pid: int
    boot_id: str
    start_ticks: int


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start ticks) from /proc/<pid>/stat, or None when there is no such pid."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name may contain spaces and parentheses: split after the last ')'
    fields = text[text.rfind(")") + 2 :].split()
    return fields[0], int(fields[19])


def current_identity() -> WriterIdentity:
    pid = os.getpid()
    stat = _proc_stat(pid) if sys.platform.startswith("linux") else None
    return WriterIdentity(
        host=socket.gethostname(),
        pid=pid,
        boot_id=_boot_id(),
        start_ticks=stat[1] if stat else -1,
    )


def _pid_alive(identity: WriterIdentity) -> bool | None:
    """True/False when this platform can tell, None when it cannot."""
    if sys.platform.startswith("linux") and Path("/proc/self/stat").exists():
        stat = _proc_stat(identity.pid)
        if stat is None or stat[0] in "ZXx":
            return False
        return identity.start_ticks < 0 or stat[1] == identity.start_ticks
    if os.name == "posix":
        try:
            os.kill(identity.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return None


def writer_alive(
    identity: WriterIdentity,
    heartbeat_ns: int,
    *,
    now_ns: int | None = None,
    stale_after_s: float = STALE_AFTER_S,
) -> bool:
    """Decide whether the writer of a "running" file is alive (rules in the module docstring)."""
    now = time.time_ns() if now_ns is None else now_ns
    heartbeat_fresh = (now - heartbeat_ns) < stale_after_s * 1e9
    if identity.host == socket.gethostname():
        here = _boot_id()
        if identity.boot_id and here and identity.boot_id != here:
            return False
        alive = _pid_alive(identity)
        if alive is False:
            return False
        if alive is True and identity.start_ticks >= 0:
            return True
        # alive without a start time cannot exclude pid reuse, and None knows nothing:
        # either way the heartbeat decides
        return heartbeat_fresh
    return heartbeat_fresh

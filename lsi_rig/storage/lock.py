"""One process at a time writes a session: an OS advisory lock on a sidecar file.

The lock lives on ``.<name>.lock`` beside the session, not on the session file itself, because
HDF5 takes its own locks on the session (and SWMR readers must still open it). Whoever writes,
resumes or recovers a session holds the lock for as long as it does; the kernel drops it when
that process ends, however it ends, so a stale sidecar left by a killed writer never blocks.
The sidecar holds the holder's identity (JSON) so a refusal can name the pid and host.

The sidecar is also the session's **disk reserve**: it is grown to ``reserve_bytes`` of real
(allocated) blocks while held. HDF5 cannot close a file once a write failed for lack of space
(it retries the flush, fails, and later crashes the process), so on a full disk the writer frees
the reserve and closes cleanly into it.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import Any

from filelock import lock_descriptor, unlock_descriptor

from lsi_rig.core.errors import SessionError
from lsi_rig.storage.liveness import current_identity

_IDENTITY_BYTES = 4096  # the identity JSON sits in the first block; the reserve follows


class SessionLockedError(SessionError):
    """Another process writes, resumes or recovers this session."""


def lock_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.lock")


def _read_holder(fd: int) -> dict[str, Any] | None:
    try:
        raw = os.pread(fd, _IDENTITY_BYTES, 0) if hasattr(os, "pread") else b""
        holder = json.loads(raw.split(b"\0", 1)[0].decode("utf-8"))
    except (OSError, ValueError):
        return None
    return holder if isinstance(holder, dict) else None


def locked_message(path: Path, holder: dict[str, Any] | None) -> str:
    if holder is None:
        who = "another process"
    else:
        who = (
            f"pid {holder.get('pid', '?')} on host {holder.get('host', '?')} "
            f"({holder.get('purpose', 'writing')} since {holder.get('since_utc', '?')})"
        )
    return (
        f"session file {path} is in use by {who}; wait until it finishes (or stop that "
        "process) and retry, or choose another file"
    )


def _same_file(fd: int, path: Path) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (mine.st_dev, mine.st_ino)


def _allocate(fd: int, size: int) -> None:
    """Real blocks, not a sparse hole (a hole frees nothing when truncated)."""
    if hasattr(os, "posix_fallocate"):
        try:
            os.posix_fallocate(fd, 0, size)
            return
        except OSError as exc:
            if exc.errno not in (95, 22):  # EOPNOTSUPP / EINVAL: file system cannot; write
                raise
    os.lseek(fd, _IDENTITY_BYTES, os.SEEK_SET)
    left = size - _IDENTITY_BYTES
    zeros = b"\0" * 65536
    while left > 0:
        left -= os.write(fd, zeros[: min(left, len(zeros))])
    os.fsync(fd)


class SessionLock:
    """The held lock of one session (see module docstring). Not reentrant: a second
    :meth:`acquire` of the same session, even in the same process, is refused."""

    def __init__(self, path: Path, fd: int, reserve_bytes: int) -> None:
        self.path = path
        self._fd: int | None = fd
        self.reserve_bytes = reserve_bytes

    @classmethod
    def acquire(cls, path: Path, purpose: str, *, reserve_bytes: int = 0) -> SessionLock:
        """Take the lock of session ``path`` or raise :class:`SessionLockedError` at once."""
        sidecar = lock_path(path)
        for _ in range(20):
            try:
                fd = os.open(sidecar, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
            except OSError as exc:
                raise SessionError(
                    f"session file {path}: cannot create its lock file {sidecar.name} "
                    f"({exc.strerror or exc}); check the folder's permissions and free space"
                ) from None
            lock: SessionLock | None = None
            try:
                if not lock_descriptor(fd, blocking=False):
                    raise SessionLockedError(locked_message(path, _read_holder(fd)))
                if not _same_file(fd, sidecar):  # its holder released (and removed) it
                    unlock_descriptor(fd)
                    os.close(fd)
                    continue
                lock = cls(path, fd, reserve_bytes)
                lock._claim(purpose)
                return lock
            except BaseException:
                if lock is not None:
                    lock.release()
                else:
                    os.close(fd)
                raise
        raise SessionError(f"session file {path}: its lock file keeps changing; retry")

    def _claim(self, purpose: str) -> None:
        assert self._fd is not None
        me = current_identity()
        since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        holder = {"host": me.host, "pid": me.pid, "boot_id": me.boot_id}
        holder |= {"purpose": purpose, "since_utc": since}
        text = json.dumps(holder).encode()
        os.ftruncate(self._fd, 0)
        os.lseek(self._fd, 0, os.SEEK_SET)
        os.write(self._fd, text + b"\0")
        if self.reserve_bytes:
            try:
                _allocate(self._fd, _IDENTITY_BYTES + self.reserve_bytes)
            except OSError as exc:
                raise SessionError(
                    f"session file {self.path}: disk full before the first record (cannot "
                    f"reserve {self.reserve_bytes // 1024} KiB: {exc.strerror or exc}); free "
                    "some space or choose another disk"
                ) from None

    def grow_reserve(self, reserve_bytes: int) -> None:
        """Hold at least ``reserve_bytes`` of disk reserve (resume: sized once the file is read)."""
        if self._fd is None or reserve_bytes <= self.reserve_bytes:
            return
        try:
            _allocate(self._fd, _IDENTITY_BYTES + reserve_bytes)
        except OSError as exc:
            raise SessionError(
                f"session file {self.path}: disk full (cannot reserve {reserve_bytes // 1024} "
                f"KiB: {exc.strerror or exc}); free some space or move the session"
            ) from None
        self.reserve_bytes = reserve_bytes

    @property
    def held(self) -> bool:
        return self._fd is not None

    def free_reserve(self) -> bool:
        """Give the reserve back to the file system (on a full disk); True if it held any."""
        if self._fd is None or not self.reserve_bytes:
            return False
        try:
            os.ftruncate(self._fd, _IDENTITY_BYTES)
        except OSError:
            return False
        self.reserve_bytes = 0
        return True

    def release(self) -> None:
        """Remove the sidecar (if it is still ours), then drop the lock. Idempotent."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        sidecar = lock_path(self.path)
        try:
            if _same_file(fd, sidecar):
                sidecar.unlink()
        except OSError:
            pass
        with contextlib.suppress(OSError):
            unlock_descriptor(fd)
        os.close(fd)


def lock_holder(path: Path) -> dict[str, Any] | bool | None:
    """Who holds the lock of session ``path``: their identity (dict), None if held but the
    identity is unreadable, False if nobody holds it."""
    sidecar = lock_path(path)
    try:
        fd = os.open(sidecar, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return False
    try:
        if lock_descriptor(fd, blocking=False):
            unlock_descriptor(fd)
            return False
        return _read_holder(fd)
    except OSError:
        return False
    finally:
        os.close(fd)


def check_not_locked(path: str | Path) -> None:
    """Refuse early (before a rig is built) when another process writes session ``path``."""
    path = Path(path).expanduser().absolute()
    holder = lock_holder(path)
    if holder is not False:
        raise SessionLockedError(locked_message(path, holder if isinstance(holder, dict) else None))

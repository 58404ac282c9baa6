"""A full disk is an ordinary error: see it coming, and recognise it when it comes anyway.

The writer checks the free space (and the process's file-size limit, ``RLIMIT_FSIZE``) before
each append and stops cleanly, with every committed record kept, before HDF5 can hit the wall:
an HDF5 write that fails for lack of space leaves the library unable to close the file (and the
process crashes at exit). When the disk fills anyway (another program raced us to the last
blocks), :func:`is_disk_full` recognises the error and the writer frees its reserve (see
:mod:`lsi_rig.storage.lock`) so HDF5 can close.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

try:
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None  # type: ignore[assignment]

_FULL_ERRNOS = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}
_FULL_TEXT = (
    "errno = 28",
    "errno = 27",
    "errno = 122",
    "No space left",
    "File too large",
    "Disk quota",
)
#: Free space the guard leaves for closing cleanly (closing log line, status, trimming).
CLOSE_MARGIN_BYTES = 64 * 1024
#: Smallest disk reserve a writer holds (room for HDF5 to close after a real ENOSPC).
MIN_RESERVE_BYTES = 256 * 1024


def is_disk_full(exc: BaseException) -> bool:
    """The error (an OSError, or h5py's RuntimeError around HDF5's) says the disk is full."""
    if isinstance(exc, OSError) and exc.errno in _FULL_ERRNOS:
        return True
    text = str(exc)
    return any(t in text for t in _FULL_TEXT)


def free_bytes(folder: Path) -> int | None:
    try:
        st = os.statvfs(folder)
    except (OSError, AttributeError):
        return None
    return int(st.f_bavail) * int(st.f_frsize)


def file_size_limit() -> int | None:
    """The soft ``RLIMIT_FSIZE`` in bytes, None when unlimited or unknown."""
    if resource is None:
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
    return None if soft == resource.RLIM_INFINITY else int(soft)


def is_size_limit(exc: BaseException) -> bool:
    """EFBIG: the process's RLIMIT_FSIZE (or the file system's largest file) was reached."""
    if isinstance(exc, OSError) and exc.errno == errno.EFBIG:
        return True
    return "errno = 27" in str(exc) or "File too large" in str(exc)


def lift_file_size_limit() -> tuple[int, int] | None:
    """Raise the soft RLIMIT_FSIZE to the hard one so HDF5 can write the few bytes it needs to
    close a file that hit the limit; returns the limits to restore (None: nothing changed)."""
    if resource is None:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    if soft == hard:
        return None
    resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))
    return soft, hard


def restore_file_size_limit(previous: tuple[int, int] | None) -> None:
    if previous is not None and resource is not None:
        resource.setrlimit(resource.RLIMIT_FSIZE, previous)


class DiskGuard:
    """Answers "is there room for one more append?" cheaply: the free space is measured every
    ``RECHECK_APPENDS`` appends, and always when the last measurement minus what was written
    since comes close to the limit."""

    RECHECK_APPENDS = 32

    def __init__(self, path: Path, bytes_per_append: int) -> None:
        self.path = path
        self.need = int(bytes_per_append) + CLOSE_MARGIN_BYTES
        self._limit = file_size_limit()
        self._free = -1
        self._countdown = 0

    def room(self, nbytes: int) -> bool:
        """Room for an append that writes about ``nbytes`` (plus the close margin)?"""
        need = nbytes + self.need
        self._countdown -= 1
        if self._countdown < 0 or self._free < 4 * need:
            free = free_bytes(self.path.parent)
            self._free = free if free is not None else 1 << 62
            self._countdown = self.RECHECK_APPENDS
        if self._free < need:
            return False
        self._free -= nbytes
        if self._limit is not None:
            try:
                size = os.stat(self.path).st_size
            except OSError:
                return True
            return size + need <= self._limit
        return True

"""Finishing a session whose writer died (``lsi-rig recover``).

A killed writer leaves every committed record readable, but HDF5 still marks the file as open
for (SWMR) writing, so h5ls, HDFView and plain ``h5py.File(path)`` refuse it, its status reads
``running`` and its datasets keep their uncommitted growth rows. Recovery rewrites it: every
object is copied by HDF5 into a new file beside it, the record datasets are trimmed to the
committed count, the status becomes ``interrupted`` (a final status is kept), one log line
says what happened, and every committed row is compared with the original before the new
file atomically replaces it. The original stays as a hard-linked backup until the replaced
file has been opened and checked. Nothing committed is ever lost.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from lsi_rig.core.errors import SessionError
from lsi_rig.core.paths import check_output_path
from lsi_rig.storage import layout as L
from lsi_rig.storage.diskspace import free_bytes
from lsi_rig.storage.h5io import open_read
from lsi_rig.storage.lock import SessionLock, SessionLockedError, locked_message
from lsi_rig.storage.reader import SessionReader
from lsi_rig.storage.timeutil import utc_iso

logger = logging.getLogger(__name__)
_BLOCK_ROWS = 4096  # rows compared at a time (bounded memory on big sessions)


@dataclass(frozen=True)
class RecoverReport:
    """What :func:`recover_session` did. ``changed`` is False when the file was already a
    finished session (nothing written)."""

    path: Path
    status_before: str  # /run/status as stored ("running" for a killed writer)
    status: str  # the status after recovery
    n_records: int  # committed records: all kept
    rows_trimmed: int  # allocated rows beyond the committed count, dropped from /records/table
    changed: bool

    def line(self) -> str:
        if not self.changed:
            return f"{self.path}: nothing to recover ({self.status}, {self.n_records} records)"
        return (
            f"{self.path}: recovered, status {self.status} (was {self.status_before}), "
            f"{self.n_records} records kept"
        )


def _is_finished(reader: SessionReader, f: h5py.File) -> bool:
    n = reader.n_records
    rows_clean = all(
        obj.shape[0] == n for obj in f[L.RECORDS].values() if isinstance(obj, h5py.Dataset)
    )
    return (
        not reader.needs_recovery
        and reader.stored_status != L.RunStatus.RUNNING.value
        and "status" in f.attrs
        and rows_clean
    )


def _copy(src: h5py.File, dst: h5py.File) -> None:
    for key, value in src.attrs.items():
        dst.attrs[key] = value
    for name in src:
        src.copy(src[name], dst, name=name)


def _finish_copy(dst: h5py.File, n: int, log_n: int, status: str, finished: str, line: str) -> None:
    for obj in dst[L.RECORDS].values():
        if isinstance(obj, h5py.Dataset) and obj.shape[0] != n:
            obj.resize(n, axis=0)
    log = dst[L.LOG_BYTES]
    entry = np.frombuffer(f"{utc_iso()} {'WARNING':<8} {line}\n".encode(), dtype=np.uint8)
    log.resize(log_n + entry.size, axis=0)
    log[log_n:] = entry
    dst[L.LOG_N_BYTES][()] = np.int64(log_n + entry.size)
    dst[L.RUN_STATUS][()] = np.array(status.encode(), dtype=L.STATUS_DTYPE)
    dst[L.RUN_FINISHED_UTC][()] = np.array(finished.encode(), dtype=L.TIME_DTYPE)
    dst.attrs.update(
        {"status": status, "finished_utc": finished, "n_records": n, "recovered_utc": utc_iso()}
    )


def _same_rows(src: h5py.File, dst: h5py.File, n: int, log_n: int) -> str | None:
    """None when every committed row and the old log are identical, else what differs."""
    for name, obj in src[L.RECORDS].items():
        if not isinstance(obj, h5py.Dataset):
            continue
        other = dst[L.RECORDS][name]
        for start in range(0, n, _BLOCK_ROWS):
            stop = min(n, start + _BLOCK_ROWS)
            if obj[start:stop].tobytes() != other[start:stop].tobytes():
                return f"/records/{name} rows {start}..{stop - 1}"
    if src[L.LOG_BYTES][:log_n].tobytes() != dst[L.LOG_BYTES][:log_n].tobytes():
        return "/log/bytes"
    return None


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def recover_session(path: str | Path, *, _lock: SessionLock | None = None) -> RecoverReport:
    """Finish the session at ``path`` whose writer died (see module docstring).

    Refused with one line while its writer (or another recovery) is alive, when the disk lacks
    room for the copy, or when the file is damaged beyond a killed writer's state.
    """
    path = Path(path).expanduser().absolute()
    lock = _lock if _lock is not None else SessionLock.acquire(path, "recover")
    try:
        return _recover(path)
    finally:
        if _lock is None:
            lock.release()


def _recover(path: Path) -> RecoverReport:
    tag = uuid.uuid4().hex[:8]
    tmp = path.with_name(f".{path.name}.recover-{tag}")
    backup = path.with_name(f".{path.name}.backup-{tag}")
    with SessionReader(path) as reader:
        if reader.status is L.RunStatus.RUNNING:
            ident = reader.writer_identity
            raise SessionLockedError(
                locked_message(
                    path, {"pid": ident.pid, "host": ident.host, "purpose": "capture"}
                ).replace("is in use by", "is being written by")
            )
        src = reader._file
        n, before = reader.n_records, reader.stored_status
        status = L.RunStatus.INTERRUPTED.value if before == "running" else before
        if _is_finished(reader, src):
            return RecoverReport(path, before, status, n, 0, changed=False)
        check_output_path(tmp, overwrite=False, suffixes=None, what=f"cannot recover {path}: copy")
        size = path.stat().st_size
        free = free_bytes(path.parent)
        if free is not None and free < size + (1 << 20):
            raise SessionError(
                f"cannot recover {path}: the copy needs {(size >> 20) + 1} MiB free in "
                f"{path.parent}, {free >> 20} MiB are; free some space and retry"
            )
        log_n = int(src[L.LOG_N_BYTES][()])
        heartbeat = int(src[L.RUN_HEARTBEAT_NS][()])
        finished = reader.attrs["finished_utc"] or utc_iso(heartbeat)
        rows = int(src[L.RECORD_TABLE].shape[0])
        ident = reader.writer_identity
        line = (
            f"session recovered: writer pid {ident.pid} on {ident.host} stopped at record "
            f"{n} (last heartbeat {utc_iso(heartbeat)}); status {status}"
        )
        try:
            with h5py.File(tmp, "w", libver=L.LIBVER) as dst:
                _copy(src, dst)
                _finish_copy(dst, n, log_n, status, finished, line)
            with open_read(tmp, swmr=False) as dst:
                differs = _same_rows(src, dst, n, log_n)
            if differs:
                raise SessionError(f"cannot recover {path}: the copy differs in {differs}")
        except BaseException as exc:
            tmp.unlink(missing_ok=True)
            if isinstance(exc, SessionError) or not isinstance(exc, Exception):
                raise
            raise SessionError(f"cannot recover {path}: {exc}; the file is unchanged") from None
    _replace_with_backup(path, tmp, backup, n, status)
    logger.info("%s", line)
    return RecoverReport(path, before, status, n, max(0, rows - n), changed=True)


def _replace_with_backup(path: Path, tmp: Path, backup: Path, n: int, status: str) -> None:
    try:
        try:
            os.link(path, backup)
        except OSError:
            shutil.copy2(path, backup)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        backup.unlink(missing_ok=True)
        raise SessionError(
            f"cannot recover {path}: {exc.strerror or exc}; the file is unchanged"
        ) from None
    try:
        with SessionReader(path) as check:
            ok = check.n_records == n and check.stored_status == status and not check.needs_recovery
    except SessionError:
        ok = False
    if not ok:
        os.replace(backup, path)
        raise SessionError(f"cannot recover {path}: the recovered file did not check out; restored")
    backup.unlink(missing_ok=True)

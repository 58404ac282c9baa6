"""Work on a session file outside SWMR mode: creating its static part, preparing it to be
appended to again, and finishing it after the writer closed.

Each step opens the file normally (no SWMR), which HDF5 refuses while any reader holds it; the
callers treat that as "try later" (finishing) or as a clear refusal (resuming).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np

from lsi_rig.core.errors import LsiRigError, SessionError
from lsi_rig.storage import layout as L
from lsi_rig.storage.diskspace import is_disk_full
from lsi_rig.storage.liveness import WriterIdentity

logger = logging.getLogger(__name__)
ROOT_FINAL_ATTRS = ("status", "finished_utc", "n_records")


def close_quietly(f: h5py.File, free_space: Callable[[], bool]) -> None:
    """Close ``f``; after a failed write, make room first (HDF5 retries its flush on close)."""
    try:
        f.close()
    except (OSError, RuntimeError, ValueError) as exc:
        if is_disk_full(exc) and free_space():
            f.close()
        else:
            raise


def create_file(
    path: Path,
    tmp: Path,
    write: Callable[[h5py.File], None],
    free_space: Callable[[], bool],
    *,
    overwrite: bool,
) -> None:
    """Write a new file under ``tmp`` with ``write`` and rename it to ``path``. On any error
    the temporary file is gone and the error is one SessionError line (disk full included)."""
    f: h5py.File | None = None
    try:
        f = h5py.File(tmp, "w", libver=L.LIBVER)
        write(f)
        f, done = None, f
        close_quietly(done, free_space)
        if path.exists() and not overwrite:
            raise SessionError(f"session file {path} appeared while it was being created")
        os.replace(tmp, path)
    except BaseException as exc:
        if f is not None:
            if is_disk_full(exc):
                free_space()
            try:
                f.close()
            except (OSError, RuntimeError, ValueError):
                logger.debug("could not close %s after %s", tmp, exc)
        tmp.unlink(missing_ok=True)
        if isinstance(exc, LsiRigError) or not isinstance(exc, Exception):
            raise
        if is_disk_full(exc):
            raise SessionError(
                f"cannot create session file {path}: disk full before the first record; free "
                "some space or choose another disk"
            ) from None
        raise SessionError(
            f"cannot create session file {path}: {exc}; check the folder and the session metadata"
        ) from exc


def finalize(
    path: Path,
    session_uuid: str,
    *,
    status: L.RunStatus,
    finished_utc: str,
    n_records: int,
    log_bytes: int,
    free_space: Callable[[], bool],
) -> bool:
    """Root attributes for plain readers and datasets trimmed to their valid length, if the
    file at ``path`` is still the session ``session_uuid``. False when skipped (a reader holds
    the file, or it is no longer ours); the ``/run`` datasets stay authoritative either way."""
    try:
        f = open_for_update(path)
    except OSError as exc:
        logger.info("session %s: root attributes not updated (%s); /run holds the state", path, exc)
        return False
    try:
        if f.attrs.get("session_uuid") != session_uuid:
            logger.warning("session %s: the file was replaced by another; not touching it", path)
            return False
        f.attrs.update(
            {"status": status.value, "finished_utc": finished_utc, "n_records": n_records}
        )
        for obj in f[L.RECORDS].values():
            if isinstance(obj, h5py.Dataset) and obj.shape and obj.shape[0] > n_records:
                obj.resize(n_records, axis=0)
        if f[L.LOG_BYTES].shape[0] > log_bytes:
            f[L.LOG_BYTES].resize(log_bytes, axis=0)
        return True
    finally:
        close_quietly(f, free_space)


#: A reader (``inspect``, the GUI's review, a script polling the record count) holds a session
#: for milliseconds; writing waits this long for it to let go before refusing.
READER_GRACE_S = 3.0


def open_for_update(path: Path, grace_s: float = READER_GRACE_S) -> h5py.File:
    """``r+`` open that waits out short-lived readers (HDF5's file lock refuses a writer while
    any reader has the file open); the last OSError is raised after ``grace_s``."""
    deadline = time.monotonic() + grace_s
    while True:
        try:
            return h5py.File(path, "r+", libver=L.LIBVER)
        except OSError as exc:
            if "lock" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.02)


def prepare_append(path: Path, session_uuid: str, identity: WriterIdentity, now_ns: int) -> None:
    """Turn a closed session back into a running one owned by ``identity`` (resume)."""
    try:
        f = open_for_update(path)
    except OSError as exc:
        advice = (
            "another program has it open (close it and retry)"
            if "lock" in str(exc)
            else f"it cannot be opened for writing ({exc})"
        )
        raise SessionError(f"cannot resume session file {path}: {advice}") from None
    try:
        if f.attrs.get("session_uuid") != session_uuid:
            raise SessionError(f"cannot resume session file {path}: it changed while opening")
        for name in ROOT_FINAL_ATTRS:
            if name in f.attrs:
                del f.attrs[name]
        run = f[L.RUN]
        run.attrs.update(
            {
                "writer_host": identity.host,
                "writer_pid": identity.pid,
                "writer_boot_id": identity.boot_id,
                "writer_start_ticks": identity.start_ticks,
            }
        )
        f[L.RUN_STATUS][()] = np.array(L.RunStatus.RUNNING.value.encode(), dtype=L.STATUS_DTYPE)
        f[L.RUN_FINISHED_UTC][()] = np.array(b"", dtype=L.TIME_DTYPE)
        f[L.RUN_HEARTBEAT_NS][()] = np.array(now_ns, dtype=np.int64)
    finally:
        f.close()

"""The open, SWMR-mode side of a session writer: rows, log, counters, heartbeat.

Everything here happens under one lock, so capture, log and heartbeat threads may call at
once. Once a write fails (a full disk, an I/O error) nothing more is asked of HDF5 but the
closing status: the library must not be driven on after a failed write.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import h5py
import numpy as np

from lsi_rig.core.errors import SessionError
from lsi_rig.storage import layout as L
from lsi_rig.storage.diskspace import (
    DiskGuard,
    is_disk_full,
    is_size_limit,
    lift_file_size_limit,
    restore_file_size_limit,
)
from lsi_rig.storage.finalize import close_quietly
from lsi_rig.storage.h5io import RowWriter, ScalarWriter, open_swmr_write
from lsi_rig.storage.liveness import HEARTBEAT_INTERVAL_S
from lsi_rig.storage.lock import SessionLock
from lsi_rig.storage.metadata import RecordShape
from lsi_rig.storage.timeutil import utc_iso

logger = logging.getLogger(__name__)
_IO_ERRORS = (OSError, RuntimeError, ValueError)  # what h5py raises around a failed HDF5 call


def record_dataset_names(shape: RecordShape) -> list[str]:
    names = ["table", *L.VECTOR_DATASETS]
    names += [L.TRACE] if shape.trace_shape is not None else []
    names += [L.CALIBRATED] if shape.calibrated else []
    return names


def append_bytes(shape: RecordShape) -> int:
    """Most bytes one append can add to the file: a new chunk of every record dataset, plus
    room for the chunk indexes."""
    total = 8192
    for name in record_dataset_names(shape):
        if name == "table":
            row = L.RECORD_DTYPE.itemsize
        elif name == L.TRACE:
            assert shape.trace_shape is not None
            row = shape.trace_shape[0] * shape.trace_shape[1] * L.VECTOR_DTYPE.itemsize
        else:
            row = shape.width(name) * L.VECTOR_DTYPE.itemsize
        total += row * L.chunk_rows(row)
    return total


def _open_swmr_write(path: Path) -> h5py.File:
    """SWMR-write open; a reader that opened the file in the instant since it was renamed
    holds HDF5's lock for a moment, so a lock refusal is retried for up to 2 s."""
    deadline = time.monotonic() + 2.0
    while True:
        try:
            return open_swmr_write(path)
        except OSError as exc:
            if "lock" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class SwmrAppender:
    """Appends rows and log lines to a session file held open in SWMR-write mode."""

    def __init__(
        self, path: Path, shape: RecordShape, session_lock: SessionLock, flush_every: int
    ) -> None:
        self.path = path
        self._session_lock = session_lock
        self._flush_every = flush_every
        self.file = _open_swmr_write(path)
        f = self.file
        self._columns = {n: RowWriter(f[L.RECORDS][n]) for n in record_dataset_names(shape)}
        self._counter = ScalarWriter(f[L.RUN_N_RECORDS])
        self._log_bytes = RowWriter(f[L.LOG_BYTES])
        self._log_counter = ScalarWriter(f[L.LOG_N_BYTES])
        self.n = self.committed = int(f[L.RUN_N_RECORDS][()])
        self._pending = 0
        self._capacity = int(f[L.RECORD_TABLE].shape[0])
        self.log_n = int(f[L.LOG_N_BYTES][()])
        self._log_capacity = int(f[L.LOG_BYTES].shape[0])
        self._per_append = append_bytes(shape)
        self._guard = DiskGuard(path, self._per_append)
        self.failure: SessionError | None = None  # writing stopped (disk full, I/O error)
        self.io_failed = False  # HDF5 itself reported a failure
        self._lifted_limit: tuple[int, int] | None = None
        self.lock = threading.RLock()
        self.stop = threading.Event()
        self._heartbeat_writer = ScalarWriter(f[L.RUN_HEARTBEAT_NS])
        self._heartbeat = threading.Thread(
            target=self._beat, name=f"lsi-rig session heartbeat {path.name}", daemon=True
        )
        self._heartbeat.start()

    # -- rows ----------------------------------------------------------------------------------

    def write(self, blocks: dict[str, np.ndarray], m: int, *, force: bool) -> int:
        """Write ``m`` rows at the end; returns the index of the first. Caller holds the lock."""
        if self.failure is not None:
            raise self.failure
        start = self.n
        nbytes = self._per_append
        if m > 1:
            nbytes = max(nbytes, sum(b.nbytes for b in blocks.values()))
        if not self._guard.room(nbytes):
            raise self.stop_writing(None)
        try:
            if start + m > self._capacity:
                self._capacity = L.capacity_for(start + m)
                for col in self._columns.values():
                    col.resize(self._capacity)
            for name, col in self._columns.items():
                col.write(start, blocks[name])
            self.n = start + m
            self._pending += m
            if force or self._pending >= self._flush_every:
                self._commit()
        except _IO_ERRORS as exc:
            self.n = self.committed
            raise self.stop_writing(exc) from None
        return start

    def _commit(self) -> None:
        """Rows first, counter after: a kill between the two leaves the old count."""
        self.file.flush()
        self._counter.set(self.n)
        self.committed = self.n
        self._pending = 0

    def flush(self) -> None:
        if self.failure is not None:
            raise self.failure
        if self._pending:
            try:
                self._commit()
            except _IO_ERRORS as exc:
                raise self.stop_writing(exc) from None

    def committed_keys(self) -> set[tuple[int, int]]:
        if self.committed == 0:
            return set()
        table = self.file[L.RECORD_TABLE].fields(["scene_index", "repeat_index"])[: self.committed]
        return set(zip(table["scene_index"].tolist(), table["repeat_index"].tolist(), strict=True))

    def stop_writing(self, exc: BaseException | None) -> SessionError:
        """No more writes after a failure (``exc`` None: the disk guard saw it coming)."""
        if exc is not None:
            self.io_failed = True
            self._session_lock.free_reserve()  # room for HDF5 to close the file
            if is_size_limit(exc) and self._lifted_limit is None:
                self._lifted_limit = lift_file_size_limit()
        if self.failure is not None:
            return self.failure
        k = self.committed
        if exc is None or is_disk_full(exc):
            message = f"session file {self.path}: disk full at record {k}; {k} records kept"
        else:
            message = f"session file {self.path}: write failed at record {k} ({exc}); {k} kept"
        self.failure = SessionError(message)
        self.stop.set()
        logger.debug("%s", message)  # the caller reports it; the closing log line keeps it
        return self.failure

    # -- log -----------------------------------------------------------------------------------

    def append_log(self, level: str, message: str) -> None:
        """One line ``<UTC ISO> <LEVEL> <message>``, committed. Caller holds the lock."""
        line = f"{utc_iso()} {level.upper():<8} {message}\n".encode()
        data = np.frombuffer(line, dtype=np.uint8)
        end = self.log_n + data.shape[0]
        try:
            if end > self._log_capacity:
                self._log_capacity = -(-end // L.LOG_BLOCK_BYTES) * L.LOG_BLOCK_BYTES
                self._log_bytes.resize(self._log_capacity)
            self._log_bytes.write(self.log_n, data)
            self._log_bytes.ds.id.flush()
            self.log_n = end
            self._log_counter.set(end)
        except _IO_ERRORS as exc:
            raise self.stop_writing(exc) from None

    def _beat(self) -> None:
        while not self.stop.wait(HEARTBEAT_INTERVAL_S):
            with self.lock:
                if self.stop.is_set():
                    return
                try:
                    self._heartbeat_writer.set(time.time_ns())
                except _IO_ERRORS as exc:
                    self.stop_writing(exc)
                    return

    # -- end -----------------------------------------------------------------------------------

    def finish(self, status: L.RunStatus, finished: str) -> None:
        """Pending rows, the closing log line, status and time, then close the file. Each step
        is best effort after a failure: the file keeps its last committed state."""
        self.stop.set()
        try:
            if self._pending and self.failure is None:
                self._commit()
            line = f"session closed: {status.value}, {self.committed} records"
            if self.failure is not None:
                line += f" ({self.failure})"
            self.append_log("ERROR" if self.failure else "INFO", line)
        except SessionError:
            pass
        except _IO_ERRORS as exc:
            self.stop_writing(exc)
        f = self.file
        try:
            f[L.RUN_FINISHED_UTC][()] = np.array(finished.encode(), dtype=L.TIME_DTYPE)
            f[L.RUN_STATUS][()] = np.array(status.value.encode(), dtype=L.STATUS_DTYPE)
            f.flush()
        except _IO_ERRORS as exc:
            self.stop_writing(exc)
            logger.error("session %s: final status not stored (%s)", self.path, exc)
        try:
            close_quietly(f, self._session_lock.free_reserve)
        except _IO_ERRORS as exc:
            logger.error("session %s: HDF5 could not close the file: %s", self.path, exc)
            self.io_failed = True
        finally:
            restore_file_size_limit(self._lifted_limit)
            self._lifted_limit = None

    def join_heartbeat(self) -> None:
        self._heartbeat.join(timeout=5.0)

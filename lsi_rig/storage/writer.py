"""The :class:`SessionWriter`: appends records to a crash-safe, self-describing HDF5 file.

Crash safety comes from three rules. (1) The static part is written under a temporary name and
renamed only when complete, so a setup error never leaves a half file. (2) The file is then
opened directly in SWMR-write mode (no window where a kill would leave a non-SWMR file that
readers refuse). (3) For every commit the record rows are flushed first and the committed-record
counter ``/run/n_records`` is written and flushed after them; readers trust only the counter, so
a SIGKILL in the middle of a record never exposes a half record.

Speed: record datasets grow in blocks of ``BLOCK_ROWS`` and rows are written through h5py's
low-level API with reused dataspaces (the high-level slicing costs ~150 µs per call).
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
import weakref
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

import h5py
import numpy as np

from lsi_rig.core.errors import CaptureStopped, LsiRigError, SessionError
from lsi_rig.core.records import MeasurementRecord
from lsi_rig.storage import layout as L
from lsi_rig.storage.columns import ColumnBuilder
from lsi_rig.storage.h5io import RowWriter, ScalarWriter, heartbeat_loop, open_swmr_write
from lsi_rig.storage.liveness import HEARTBEAT_INTERVAL_S, current_identity
from lsi_rig.storage.metadata import RecordShape, SessionMetadata, write_static

logger = logging.getLogger(__name__)


def utc_iso(t_ns: int | None = None) -> str:
    """UTC ISO-8601 with microseconds and a 'Z' suffix."""
    t = time.time_ns() if t_ns is None else t_ns
    dt = datetime.fromtimestamp(t / 1e9, tz=UTC)
    return dt.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _check_target(path: Path, overwrite: bool) -> None:
    folder = path.parent
    if not folder.is_dir():
        raise SessionError(
            f"cannot create session file {path}: folder {folder} does not exist; "
            "create it or choose another output folder"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise SessionError(
            f"cannot create session file {path}: folder {folder} is not writable; "
            "fix its permissions or choose another output folder"
        )
    if path.is_dir():
        raise SessionError(f"cannot create session file {path}: a folder has that name")
    if path.exists() and not overwrite:
        raise SessionError(
            f"session file {path} already exists; choose another name or allow overwriting "
            "(overwrite=True / --overwrite)"
        )


class SessionWriter:
    """Writes one session file; use as a context manager (see module docstring).

    ``flush_every=1`` commits every record; a larger value commits every that many records
    (and at close), trading crash exposure for speed.
    """

    def __init__(
        self,
        path: str | Path,
        metadata: SessionMetadata,
        *,
        overwrite: bool = False,
        flush_every: int = 1,
    ) -> None:
        self.path = Path(path).expanduser().absolute()
        if flush_every < 1:
            raise ValueError(f"flush_every must be >= 1, got {flush_every}")
        _check_target(self.path, overwrite)
        self.session_uuid = str(uuid.uuid4())
        shape = RecordShape.of(metadata)
        seq = metadata.sequence
        self._builder = ColumnBuilder(shape, len(metadata.scenes), seq.exposure_us, seq.period_us)
        self._flush_every = flush_every
        self._create(metadata, overwrite)
        try:
            self._file = open_swmr_write(self.path)
        except OSError as exc:
            self.path.unlink(missing_ok=True)
            raise SessionError(
                f"cannot open new session file {self.path} for writing: {exc}"
            ) from exc
        f = self._file
        names = ["table", *L.VECTOR_DATASETS] + ([L.TRACE] if shape.trace_shape else [])
        self._columns = {name: RowWriter(f[L.RECORDS][name]) for name in names}
        self._counter = ScalarWriter(f[L.RUN_N_RECORDS])
        self._log_bytes = RowWriter(f[L.LOG_BYTES])
        self._log_counter = ScalarWriter(f[L.LOG_N_BYTES])
        self._n = 0
        self._pending = 0
        self._capacity = 0
        self._log_n = 0
        self._log_capacity = 0
        self._closed = False
        self.status: L.RunStatus = L.RunStatus.RUNNING
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._heartbeat = threading.Thread(
            target=heartbeat_loop,
            args=(
                self._lock,
                ScalarWriter(f[L.RUN_HEARTBEAT_NS]),
                self._stop,
                HEARTBEAT_INTERVAL_S,
            ),
            name=f"lsi-rig session heartbeat {self.path.name}",
            daemon=True,
        )
        self._heartbeat.start()
        weakref.finalize(self, self._stop.set)
        self.log("INFO", f"session {self.session_uuid} created: {self.path.name}")

    def _create(self, metadata: SessionMetadata, overwrite: bool) -> None:
        """Write the static part under a temporary name, then rename it into place."""
        tmp = self.path.with_name(f".{self.path.name}.partial-{self.session_uuid[:8]}")
        now = time.time_ns()
        try:
            with h5py.File(tmp, "w", libver="latest") as f:
                write_static(
                    f,
                    metadata,
                    session_uuid=self.session_uuid,
                    created_utc=utc_iso(now),
                    identity=current_identity(),
                    heartbeat_ns=now,
                )
            if self.path.exists() and not overwrite:
                raise SessionError(f"session file {self.path} appeared while it was being created")
            os.replace(tmp, self.path)
        except LsiRigError:
            tmp.unlink(missing_ok=True)
            raise
        except (OSError, ValueError, TypeError, KeyError) as exc:
            tmp.unlink(missing_ok=True)
            raise SessionError(
                f"cannot create session file {self.path}: {exc}; check the folder and the "
                "session metadata"
            ) from exc

    # -- records -------------------------------------------------------------------------------

    @property
    def n_records(self) -> int:
        """Records appended so far (all committed unless ``flush_every > 1``)."""
        return self._n

    def append(self, record: MeasurementRecord) -> int:
        """Append one record; returns its index. Committed (flushed) when ``flush_every=1``."""
        return self._write(self._builder.from_record(record), 1, force=False)

    def append_many(self, records: Sequence[MeasurementRecord]) -> None:
        """Append several records with a single commit."""
        if records:
            self._write(self._builder.from_records(records), len(records), force=True)

    def append_arrays(self, **columns: np.ndarray) -> None:
        """Bulk append from arrays ``[m, ...]`` named like the record fields.

        Missing fields: ``raw_v``/``vector_v`` copy each other, vectors and traces are NaN,
        ``scene_index`` -1 (no scene), exposure/period from the sequence, gain/range NaN,
        ``n_averaged`` 1, ``flags`` 0, times 0. Scalars broadcast.
        """
        blocks = self._builder.from_arrays(columns)
        m = blocks["table"].shape[0]
        if m:
            self._write(blocks, m, force=True)

    def _write(self, blocks: dict[str, np.ndarray], m: int, *, force: bool) -> int:
        """Write ``m`` rows at the end; returns the index of the first."""
        with self._lock:
            self._ensure_open()
            start = self._n
            if start + m > self._capacity:
                self._capacity = L.capacity_for(start + m)
                for col in self._columns.values():
                    col.resize(self._capacity)
            for name, col in self._columns.items():
                col.write(start, blocks[name])
            self._n = start + m
            self._pending += m
            if force or self._pending >= self._flush_every:
                self._commit()
            return start

    def _commit(self) -> None:
        """Rows first, counter after: a kill between the two leaves the old count."""
        self._file.flush()
        self._counter.set(self._n)
        self._pending = 0

    def flush(self) -> None:
        """Commit records appended with ``flush_every > 1``."""
        with self._lock:
            self._ensure_open()
            if self._pending:
                self._commit()

    # -- log -----------------------------------------------------------------------------------

    def log(self, level: str, message: str) -> None:
        """Append one line ``<UTC ISO> <LEVEL> <message>`` to the in-file log (committed)."""
        line = f"{utc_iso()} {level.upper():<8} {message}\n".encode()
        data = np.frombuffer(line, dtype=np.uint8)
        with self._lock:
            self._ensure_open()
            end = self._log_n + data.shape[0]
            if end > self._log_capacity:
                self._log_capacity = -(-end // L.LOG_BLOCK_BYTES) * L.LOG_BLOCK_BYTES
                self._log_bytes.resize(self._log_capacity)
            self._log_bytes.write(self._log_n, data)
            self._log_bytes.ds.id.flush()
            self._log_n = end
            self._log_counter.set(end)

    # -- end of run ----------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    def _ensure_open(self) -> None:
        if self._closed:
            raise SessionError(f"session file {self.path} is already closed ({self.status})")

    def close(self, status: L.RunStatus = L.RunStatus.COMPLETE) -> None:
        """Commit, store the final status and time, close; then set the root attributes."""
        status = L.RunStatus(status)
        if status is L.RunStatus.RUNNING:
            raise ValueError("close() needs a final status, not 'running'")
        with self._lock:
            if self._closed:
                return
            self._stop.set()
            finished = utc_iso()
            try:
                if self._pending:
                    self._commit()
                self.log("INFO", f"session closed: {status.value}, {self._n} records")
                f = self._file
                f[L.RUN_FINISHED_UTC][()] = np.array(finished.encode(), dtype=L.TIME_DTYPE)
                f[L.RUN_STATUS][()] = np.array(status.value.encode(), dtype=L.STATUS_DTYPE)
                f.flush()
            finally:
                self._closed = True
                self.status = status
                self._file.close()
        self._heartbeat.join(timeout=5.0)
        self._finalize(status, finished)

    def _finalize(self, status: L.RunStatus, finished: str) -> None:
        """Outside SWMR: root attributes for plain readers, datasets trimmed to the record
        count. Skipped (the /run datasets stay authoritative) when a reader holds the file."""
        try:
            with h5py.File(self.path, "r+", libver="latest") as f:
                f.attrs.update(
                    {"status": status.value, "finished_utc": finished, "n_records": self._n}
                )
                for name in self._columns:
                    f[L.RECORDS][name].resize(self._n, axis=0)
                f[L.LOG_BYTES].resize(self._log_n, axis=0)
        except OSError as exc:
            logger.info(
                "session %s: root attributes not updated (%s); /run holds the final state",
                self.path,
                exc,
            )

    def __enter__(self) -> SessionWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._closed:
            return
        if exc_type is None:
            self.close(L.RunStatus.COMPLETE)
            return
        stopped = issubclass(exc_type, (KeyboardInterrupt, CaptureStopped))
        status = L.RunStatus.INTERRUPTED if stopped else L.RunStatus.FAILED
        try:  # never let a broken file hide the exception that ended the run
            try:
                self.log("WARNING" if stopped else "ERROR", f"{exc_type.__name__}: {exc}")
            finally:
                self.close(status)
        except Exception as secondary:
            logger.error("session %s: could not close cleanly: %s", self.path, secondary)

    def __repr__(self) -> str:
        state = self.status.value if self._closed else "open"
        return f"SessionWriter({str(self.path)!r}, {self._n} records, {state})"

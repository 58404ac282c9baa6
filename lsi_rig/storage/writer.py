"""The :class:`SessionWriter`: appends records to a crash-safe, self-describing HDF5 file.

Crash safety comes from three rules. (1) The static part is written under a temporary name and
renamed only when complete, so a setup error never leaves a half file. (2) The file is then
opened directly in SWMR-write mode (no window where a kill would leave a non-SWMR file that
readers refuse). (3) For every commit the record rows are flushed first and the committed-record
counter ``/run/n_records`` is written and flushed after them; readers trust only the counter, so
a SIGKILL in the middle of a record never exposes a half record.

One writer per session: the writer holds the session's lock (:mod:`lsi_rig.storage.lock`) from
before the file exists until it is finished, and closing touches only the file it created
(same inode, same session UUID). A full disk stops the writer cleanly
(:mod:`lsi_rig.storage.diskspace`): ``SessionError("... disk full at record k; k records
kept")``, every committed record readable, status ``failed``.

Speed: record datasets grow in blocks of ``BLOCK_ROWS`` and rows are written through h5py's
low-level API with reused dataspaces (the high-level slicing costs ~150 µs per call).
"""

from __future__ import annotations

import logging
import os
import time
import uuid
import weakref
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import h5py
import numpy as np

from lsi_rig.core.errors import CaptureStopped, SessionError
from lsi_rig.core.paths import check_output_path
from lsi_rig.core.records import MeasurementRecord
from lsi_rig.storage import layout as L
from lsi_rig.storage.appending import SwmrAppender, append_bytes
from lsi_rig.storage.columns import ColumnBuilder
from lsi_rig.storage.diskspace import MIN_RESERVE_BYTES
from lsi_rig.storage.finalize import create_file, finalize
from lsi_rig.storage.liveness import current_identity
from lsi_rig.storage.lock import SessionLock
from lsi_rig.storage.metadata import RecordShape, SessionMetadata, write_static
from lsi_rig.storage.resume import refuse_live_writer, reopen_session
from lsi_rig.storage.timeutil import utc_iso

logger = logging.getLogger(__name__)

__all__ = ["SessionWriter", "utc_iso"]


class SessionWriter:
    """Writes one session file; use as a context manager (see module docstring).

    ``flush_every=1`` commits every record; a larger value commits every that many records
    (and at close), trading crash exposure for speed. :meth:`reopen` continues an interrupted
    session.
    """

    def __init__(
        self,
        path: str | Path,
        metadata: SessionMetadata,
        *,
        overwrite: bool = False,
        flush_every: int = 1,
    ) -> None:
        target = Path(path).expanduser().absolute()
        if flush_every < 1:
            raise ValueError(f"flush_every must be >= 1, got {flush_every}")
        check_output_path(target, overwrite=overwrite, suffixes=None, what="session file")
        shape = RecordShape.of(metadata)
        seq = metadata.sequence
        builder = ColumnBuilder(shape, len(metadata.scenes), seq.exposure_us, seq.period_us)
        reserve = max(MIN_RESERVE_BYTES, 2 * append_bytes(shape))
        lock = SessionLock.acquire(target, "capture", reserve_bytes=reserve)
        try:
            if overwrite and target.exists():
                refuse_live_writer(target)
            session_uuid = str(uuid.uuid4())
            now = time.time_ns()
            tmp = target.with_name(f".{target.name}.partial-{session_uuid[:8]}")

            def write(f: h5py.File) -> None:
                write_static(
                    f,
                    metadata,
                    session_uuid=session_uuid,
                    created_utc=utc_iso(now),
                    identity=current_identity(),
                    heartbeat_ns=now,
                )

            create_file(target, tmp, write, lock.free_reserve, overwrite=overwrite)
            self._attach(target, session_uuid, builder, shape, lock, flush_every)
        except BaseException:
            lock.release()
            raise
        self.log("INFO", f"session {self.session_uuid} created: {self.path.name}")

    @classmethod
    def reopen(cls, path: str | Path, *, flush_every: int = 1, note: str = "") -> SessionWriter:
        """Continue an ``interrupted`` (or ``failed``) session: appending resumes after its last
        committed record. A session whose writer died is recovered first (``recover_session``).
        Refused (one line) while another process writes the session, when it is complete, or
        when a reader holds it open. ``note`` goes into the resume line of the in-file log."""
        return reopen_session(cls, Path(path).expanduser().absolute(), flush_every, note)

    def _attach(
        self,
        path: Path,
        session_uuid: str,
        builder: ColumnBuilder,
        shape: RecordShape,
        lock: SessionLock,
        flush_every: int,
        *,
        new_file: bool = True,
    ) -> None:
        """Open the file in SWMR-write mode and set up the append state from what it holds."""
        self.path = path
        self.session_uuid = session_uuid
        self._builder = builder
        self._session_lock = lock
        self._closed = False
        self.status: L.RunStatus = L.RunStatus.RUNNING
        try:
            self._s = SwmrAppender(path, shape, lock, flush_every)
        except OSError as exc:
            if new_file:
                path.unlink(missing_ok=True)
            raise SessionError(f"cannot open session file {path} for writing: {exc}") from None
        st = os.stat(path)
        self._inode = (st.st_dev, st.st_ino)
        self._lock = self._s.lock
        weakref.finalize(self, self._s.stop.set)

    # -- records -------------------------------------------------------------------------------

    @property
    def n_records(self) -> int:
        """Records appended so far (all committed unless ``flush_every > 1``)."""
        return self._s.n

    @property
    def n_committed(self) -> int:
        """Records a reader (or a crash) is guaranteed to see."""
        return self._s.committed

    def committed_keys(self) -> set[tuple[int, int]]:
        """``(scene_index, repeat_index)`` of every committed record (a resumed capture skips
        these)."""
        with self._lock:
            self._ensure_open()
            return self._s.committed_keys()

    def append(self, record: MeasurementRecord) -> int:
        """Append one record; returns its index. Committed (flushed) when ``flush_every=1``."""
        blocks = self._builder.from_record(record)
        with self._lock:
            self._ensure_open()
            return self._s.write(blocks, 1, force=False)

    def append_many(self, records: Sequence[MeasurementRecord]) -> None:
        """Append several records with a single commit."""
        if records:
            blocks = self._builder.from_records(records)
            with self._lock:
                self._ensure_open()
                self._s.write(blocks, len(records), force=True)

    def append_arrays(self, **columns: np.ndarray) -> None:
        """Bulk append from arrays ``[m, ...]`` named like the record fields.

        Missing fields: ``raw_v``/``vector_v`` copy each other, vectors and traces are NaN,
        ``scene_index`` -1 (no scene), exposure/period from the sequence, gain/range NaN,
        ``n_averaged`` 1, ``flags`` 0, times 0. Scalars broadcast. A session with a calibration
        needs ``calibrated_v``.
        """
        blocks = self._builder.from_arrays(columns)
        m = blocks["table"].shape[0]
        if m:
            with self._lock:
                self._ensure_open()
                self._s.write(blocks, m, force=True)

    def flush(self) -> None:
        """Commit records appended with ``flush_every > 1``."""
        with self._lock:
            self._ensure_open()
            self._s.flush()

    def log(self, level: str, message: str) -> None:
        """Append one line ``<UTC ISO> <LEVEL> <message>`` to the in-file log (committed).
        Dropped silently once writing stopped after a failure (the log cannot grow then)."""
        with self._lock:
            self._ensure_open()
            if self._s.failure is None:
                self._s.append_log(level, message)

    # -- end of run ----------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def failure(self) -> SessionError | None:
        """Why writing stopped early (disk full, I/O error), or None."""
        return self._s.failure

    def _ensure_open(self) -> None:
        if self._closed:
            raise SessionError(f"session file {self.path} is already closed ({self.status})")

    def close(self, status: L.RunStatus = L.RunStatus.COMPLETE) -> None:
        """Commit, store the final status and time, close; then set the root attributes.
        After a failure (disk full) the status is ``failed`` whatever was asked."""
        status = L.RunStatus(status)
        if status is L.RunStatus.RUNNING:
            raise ValueError("close() needs a final status, not 'running'")
        with self._lock:
            if self._closed:
                return
            if self._s.failure is not None:
                status = L.RunStatus.FAILED
            finished = utc_iso()
            try:
                self._s.finish(status, finished)
            finally:
                self._closed = True
                self.status = status
        self._s.join_heartbeat()
        try:
            if not self._s.io_failed and self._still_ours():
                finalize(
                    self.path,
                    self.session_uuid,
                    status=status,
                    finished_utc=finished,
                    n_records=self._s.committed,
                    log_bytes=self._s.log_n,
                    free_space=self._session_lock.free_reserve,
                )
        finally:
            self._session_lock.release()

    def _still_ours(self) -> bool:
        """The path still names the file this writer created (not a replacement)."""
        try:
            st = os.stat(self.path)
        except OSError:
            return False
        if (st.st_dev, st.st_ino) != self._inode:
            logger.warning("session %s was replaced while written; not touching it", self.path)
            return False
        return True

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
        return f"SessionWriter({str(self.path)!r}, {self._s.n} records, {state})"

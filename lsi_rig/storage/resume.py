"""Continuing an interrupted session (the storage side of ``lsi-rig capture --resume``).

:meth:`SessionWriter.reopen` lands here: take the session's lock, recover the file if its
writer died, check it can be continued, turn it back into a running session owned by this
process, and hand back a writer appending after the last committed record. Comparing rig,
masks, scenes and calibration with the new plan is the capture job's business (the reader
exposes them: ``rig_config_yaml``, ``mask_sha256``, ``scenes()``, ``calibration_sha256``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from lsi_rig.core.errors import SessionError
from lsi_rig.storage import layout as L
from lsi_rig.storage.appending import append_bytes
from lsi_rig.storage.columns import ColumnBuilder
from lsi_rig.storage.diskspace import MIN_RESERVE_BYTES
from lsi_rig.storage.finalize import prepare_append
from lsi_rig.storage.liveness import current_identity
from lsi_rig.storage.lock import SessionLock, SessionLockedError, locked_message
from lsi_rig.storage.metadata import RecordShape
from lsi_rig.storage.reader import SessionReader
from lsi_rig.storage.recover import recover_session

if TYPE_CHECKING:
    from lsi_rig.storage.writer import SessionWriter

RESUMABLE = (L.RunStatus.INTERRUPTED, L.RunStatus.FAILED)


def refuse_live_writer(path: Path) -> None:
    """Overwriting: refuse a session whose writer is alive elsewhere (another host sharing the
    folder, seen through its heartbeat). Unreadable or foreign files may be overwritten."""
    try:
        reader = SessionReader(path)
    except SessionError:
        return
    with reader:
        if reader.status is L.RunStatus.RUNNING:
            ident = reader.writer_identity
            holder = {"pid": ident.pid, "host": ident.host, "purpose": "capture"}
            raise SessionLockedError(locked_message(path, holder))


def _record_shape(reader: SessionReader) -> RecordShape:
    s = reader.shape
    return RecordShape(
        n_patterns=s.n_patterns,
        n=s.n_masks,
        n_dark=int(s.positions.dark.size),
        n_bright=int(s.positions.bright.size),
        trace_shape=s.trace_shape,
        positions=s.positions,
        calibrated=s.calibrated,
    )


def reopen_session(
    cls: type[SessionWriter], path: Path, flush_every: int, note: str
) -> SessionWriter:
    if flush_every < 1:
        raise ValueError(f"flush_every must be >= 1, got {flush_every}")
    lock = SessionLock.acquire(path, "resume")
    try:
        with SessionReader(path) as reader:
            dead_writer = reader.needs_recovery or reader.stored_status == "running"
            if reader.status is L.RunStatus.RUNNING:
                ident = reader.writer_identity
                raise SessionLockedError(
                    locked_message(path, {"pid": ident.pid, "host": ident.host})
                )
        if dead_writer:
            recover_session(path, _lock=lock)
        with SessionReader(path) as reader:
            status = reader.status
            if status not in RESUMABLE:
                raise SessionError(
                    f"cannot resume session file {path}: it is {status.value} "
                    f"({reader.n_records} records); start a new session instead"
                )
            n = reader.n_records
            session_uuid = str(reader.attrs["session_uuid"])
            shape = _record_shape(reader)
            seq = reader.sequence_table()
            builder = ColumnBuilder(
                shape,
                reader.shape.n_scenes,
                float(seq["exposure_us"][0]),
                float(seq["period_us"][0]),
            )
        lock.grow_reserve(max(MIN_RESERVE_BYTES, 2 * append_bytes(shape)))
        me = current_identity()
        prepare_append(path, session_uuid, me, time.time_ns())
        writer = cls.__new__(cls)
        writer._attach(path, session_uuid, builder, shape, lock, flush_every, new_file=False)
    except BaseException:
        lock.release()
        raise
    was = f"{status.value}, " if status is not L.RunStatus.INTERRUPTED else ""
    extra = f"; {note}" if note else ""
    writer.log(
        "INFO",
        f"session resumed by pid {me.pid} on {me.host} ({was}appending after record {n}){extra}",
    )
    return writer

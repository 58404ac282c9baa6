"""Session files: crash-safe, self-describing HDF5 (layout in ``docs/session-format.md``)."""

from __future__ import annotations

from lsi_rig.storage.layout import SCHEMA_VERSION, RunStatus
from lsi_rig.storage.lock import SessionLockedError, check_not_locked
from lsi_rig.storage.loghandler import SessionLogHandler
from lsi_rig.storage.metadata import SessionMetadata
from lsi_rig.storage.reader import SessionReader, open_session
from lsi_rig.storage.recover import RecoverReport, recover_session
from lsi_rig.storage.writer import SessionWriter

__all__ = [
    "SCHEMA_VERSION",
    "RecoverReport",
    "RunStatus",
    "SessionLockedError",
    "SessionLogHandler",
    "SessionMetadata",
    "SessionReader",
    "SessionWriter",
    "check_not_locked",
    "open_session",
    "recover_session",
]

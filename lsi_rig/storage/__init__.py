"""Session files: crash-safe, self-describing HDF5 (layout in ``docs/session-format.md``)."""

from __future__ import annotations

from lsi_rig.storage.layout import SCHEMA_VERSION, RunStatus
from lsi_rig.storage.loghandler import SessionLogHandler
from lsi_rig.storage.metadata import SessionMetadata
from lsi_rig.storage.reader import SessionReader, open_session
from lsi_rig.storage.writer import SessionWriter

__all__ = [
    "SCHEMA_VERSION",
    "RunStatus",
    "SessionLogHandler",
    "SessionMetadata",
    "SessionReader",
    "SessionWriter",
    "open_session",
]

"""A :class:`logging.Handler` that keeps a session's log inside its file."""

from __future__ import annotations

import logging

from lsi_rig.core.errors import SessionError
from lsi_rig.storage.writer import SessionWriter


class SessionLogHandler(logging.Handler):
    """Writes formatted log records into ``/log`` of an open session file.

    Thread-safe: ``logging`` serialises ``emit`` per handler and the writer serialises its
    own file access, so capture, GUI and device threads may log at once. Records logged after
    the writer closed are dropped (a handler often outlives the run it was attached for).
    """

    def __init__(self, writer: SessionWriter, level: int = logging.INFO) -> None:
        super().__init__(level)
        self.writer = writer
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if self.writer.closed:
            return
        try:
            self.writer.log(record.levelname, self.format(record))
        except SessionError:
            if not self.writer.closed:  # closed between the check and the write: drop
                self.handleError(record)
        except Exception:
            self.handleError(record)

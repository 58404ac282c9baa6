"""The ``lsi_rig`` log inside the app: a logging handler feeding a table model.

Log records arrive from every thread (capture job, rig worker, decoder); the handler only
appends them to a bounded buffer, and the redraw timer moves them into the model in the GUI
thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque

from PyQt6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PyQt6.QtGui import QBrush, QColor, QStandardItem, QStandardItemModel

MAX_ROWS = 5000
LEVEL_COLOURS = {
    logging.WARNING: QColor("#b35c00"),
    logging.ERROR: QColor("#c62828"),
    logging.CRITICAL: QColor("#c62828"),
}


class BufferedLogHandler(logging.Handler):
    def __init__(self, capacity: int = MAX_ROWS) -> None:
        super().__init__(logging.DEBUG)
        self._lock_rows = threading.Lock()
        self._rows: deque[tuple[float, int, str, str]] = deque(maxlen=capacity)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        with self._lock_rows:
            self._rows.append((record.created, record.levelno, record.name, message))

    def drain(self) -> list[tuple[float, int, str, str]]:
        with self._lock_rows:
            rows = list(self._rows)
            self._rows.clear()
        return rows


class LogModel(QStandardItemModel):
    COLUMNS = ("time", "level", "source", "message")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(0, len(self.COLUMNS), parent)
        self.setHorizontalHeaderLabels(list(self.COLUMNS))

    def add(self, rows: list[tuple[float, int, str, str]]) -> None:
        for created, level, name, message in rows:
            stamp = time.strftime("%H:%M:%S", time.localtime(created))
            stamp += f".{int(created * 1000) % 1000:03d}"
            items = [
                QStandardItem(stamp),
                QStandardItem(logging.getLevelName(level)),
                QStandardItem(name.removeprefix("lsi_rig.")),
                QStandardItem(message),
            ]
            items[1].setData(level, Qt.ItemDataRole.UserRole)
            colour = LEVEL_COLOURS.get(level)
            for item in items:
                item.setEditable(False)
                if colour is not None:
                    item.setForeground(QBrush(colour))
            self.appendRow(items)
        excess = self.rowCount() - MAX_ROWS
        if excess > 0:
            self.removeRows(0, excess)


class LogFilter(QSortFilterProxyModel):
    """Rows at or above a level whose source or message contains the filter text."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.min_level = logging.INFO
        self.text = ""

    def set_filter(self, min_level: int, text: str) -> None:
        self.min_level, self.text = min_level, text.lower()
        self.invalidateFilter()

    def filterAcceptsRow(
        self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex
    ) -> bool:
        model = self.sourceModel()
        assert model is not None
        parent = QModelIndex(source_parent)
        level = model.index(source_row, 1, parent).data(Qt.ItemDataRole.UserRole)
        if level is None or int(level) < self.min_level:
            return False
        if not self.text:
            return True
        source = str(model.index(source_row, 2, parent).data() or "")
        message = str(model.index(source_row, 3, parent).data() or "")
        return self.text in source.lower() or self.text in message.lower()

"""Log dock: the ``lsi_rig`` log with a level choice and a filter box."""

from __future__ import annotations

import logging

from PyQt6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from lsi_rig.gui.logview import BufferedLogHandler, LogFilter, LogModel
from lsi_rig.gui.widgets import ComboBox

LEVELS = (("debug", logging.DEBUG), ("info", logging.INFO), ("warning", logging.WARNING),
          ("error", logging.ERROR))  # fmt: skip


class LogDock(QDockWidget):
    def __init__(self, handler: BufferedLogHandler, parent: QWidget | None = None) -> None:
        super().__init__("Log", parent)
        self.setObjectName("dock_log")
        self.handler = handler
        self.model = LogModel(self)
        self.filter = LogFilter(self)
        self.filter.setSourceModel(self.model)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Level ≥"))
        self.level = ComboBox()
        for name, value in LEVELS:
            self.level.addItem(name, value)
        self.level.setCurrentIndex(1)
        bar.addWidget(self.level)
        self.text = QLineEdit()
        self.text.setPlaceholderText("filter: text in source or message")
        self.text.setClearButtonEnabled(True)
        bar.addWidget(self.text, stretch=1)
        self.clear_button = QPushButton("Clear")
        bar.addWidget(self.clear_button)
        layout.addLayout(bar)
        self.table = QTableView()
        self.table.setModel(self.filter)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)  # type: ignore[union-attr]
        self.table.verticalHeader().setDefaultSectionSize(20)  # type: ignore[union-attr]
        header = self.table.horizontalHeader()
        assert header is not None
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        layout.addWidget(self.table)
        self.setWidget(body)
        self.level.currentIndexChanged.connect(self._refilter)
        self.text.textChanged.connect(self._refilter)
        self.clear_button.clicked.connect(lambda: self.model.removeRows(0, self.model.rowCount()))

    def _refilter(self) -> None:
        self.filter.set_filter(int(self.level.currentData()), self.text.text())

    def flush(self) -> None:
        """Move buffered log records into the table (redraw timer)."""
        rows = self.handler.drain()
        if not rows:
            return
        bar = self.table.verticalScrollBar()
        at_bottom = bar is None or bar.value() >= bar.maximum() - 2
        self.model.add(rows)
        if at_bottom:
            self.table.scrollToBottom()

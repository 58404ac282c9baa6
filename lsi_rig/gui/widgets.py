"""Small widgets the docks share: wheel-safe spin boxes, status lights, numpy → QImage."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

import numpy as np
from PyQt6.QtCore import QEvent, QObject, Qt, pyqtBoundSignal
from PyQt6.QtGui import QImage, QWheelEvent
from PyQt6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QLabel,
    QScrollArea,
    QSpinBox,
    QWidget,
)


class _WheelGuard(QObject):
    """A wheel over an unfocused field scrolls the panel instead of changing a hardware value
    (ScopeFoundry#69)."""

    def eventFilter(self, watched: QObject | None, event: QEvent | None) -> bool:
        if (
            isinstance(event, QWheelEvent)
            and isinstance(watched, QWidget)
            and not watched.hasFocus()
        ):
            event.ignore()
            return True
        return False


_GUARD = _WheelGuard()


def wheel_safe(widget: QAbstractSpinBox | QComboBox) -> None:
    widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    widget.installEventFilter(_GUARD)


class SpinBox(QSpinBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        wheel_safe(self)


class DoubleSpinBox(QDoubleSpinBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        wheel_safe(self)


class ComboBox(QComboBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        wheel_safe(self)


class Light(Enum):
    """What a status light says; colours chosen to read on light and dark themes."""

    OFF = ("#9e9e9e", "not connected")
    OK = ("#2e9d3f", "ok")
    BUSY = ("#e0a800", "working")
    WARN = ("#f57c00", "warning")
    ERROR = ("#d32f2f", "error")


class StatusLight(QLabel):
    """A round coloured light with a text beside it (the text carries the meaning, the colour
    only helps: colour-blind operators read the word)."""

    def __init__(self, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = label
        self.state = Light.OFF
        self.set(Light.OFF)

    def set(self, state: Light, detail: str = "") -> None:
        self.state = state
        colour, word = state.value
        text = detail or word
        self.setText(
            f'<span style="color:{colour}; font-size:14pt">●</span> <b>{self.label}</b>: {text}'
        )
        self.setToolTip(f"{self.label}: {text}")


def qimage_rgb(image: np.ndarray) -> QImage:
    """uint8 [H, W, 3] (or [H, W] grey) → an owned QImage copy."""
    pixels = np.ascontiguousarray(image, dtype=np.uint8)
    if pixels.ndim == 2:
        pixels = np.ascontiguousarray(np.repeat(pixels[..., None], 3, axis=-1))
    h, w, _ = pixels.shape
    return QImage(pixels.tobytes(), w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def heading(text: str) -> QLabel:
    label = QLabel(f"<b>{text}</b>")
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


def scrolled(widget: QWidget) -> QScrollArea:
    """``widget`` in a frameless scroll area, so a dock can be made smaller than its form."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(widget)
    return area


def queued(signal: pyqtBoundSignal, slot: Callable[..., Any] | pyqtBoundSignal) -> None:
    """Connect so ``slot`` always runs in its receiver's thread, from the event queue (the
    PyQt6 stubs lack connect's connection-type argument)."""
    signal.connect(slot, Qt.ConnectionType.QueuedConnection)  # type: ignore[call-arg]

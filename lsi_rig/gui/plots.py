"""pyqtgraph pieces the docks share: one look for every plot, and an image pane."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtWidgets import QGraphicsItem, QWidget

_CONFIGURED = False


def configure() -> None:
    """Light plots with dark text (readable on a lab monitor and in screenshots)."""
    global _CONFIGURED
    if not _CONFIGURED:
        pg.setConfigOptions(
            background="w", foreground="#202020", antialias=False, imageAxisOrder="row-major"
        )
        _CONFIGURED = True


def plot(title: str, x_label: str, y_label: str, parent: QWidget | None = None) -> pg.PlotWidget:
    configure()
    widget = pg.PlotWidget(parent=parent)
    item = widget.getPlotItem()
    assert item is not None
    item.setTitle(title, size="10pt")
    item.setLabel("bottom", x_label)
    item.setLabel("left", y_label)
    item.showGrid(x=True, y=True, alpha=0.25)
    item.setMenuEnabled(False)
    for name in ("left", "bottom"):
        cache_axis(item.getAxis(name))
    widget.setMinimumHeight(120)
    return widget


def cache_axis(axis: pg.AxisItem) -> None:
    """Keep the axis as a pixmap, redrawn only when its range changes: painting tick labels is
    the costliest part of a redraw, and the data under a still axis changes every tick."""
    axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


class SteadyRange:
    """Axis range that changes only when the data leaves it or shrinks a lot.

    pyqtgraph's auto-range follows every new vector, and every range change re-lays out the
    axis tick labels — the costliest part of a redraw. Growing at once and shrinking only below
    40 % keeps the axes still while the bars move.
    """

    def __init__(self, widget: pg.PlotWidget, axis: str = "y", pad: float = 0.08) -> None:
        item = widget.getPlotItem()
        assert item is not None
        self.view = item.getViewBox()
        self.axis = axis
        self.pad = pad
        self.range: tuple[float, float] | None = None
        self.view.enableAutoRange(axis=axis, enable=False)

    def update(self, values: np.ndarray) -> None:
        finite = np.asarray(values, dtype=np.float64)
        finite = finite[np.isfinite(finite)]
        if finite.size == 0:
            return
        lo, hi = float(finite.min()), float(finite.max())
        lo, hi = min(lo, 0.0), max(hi, 0.0) if lo >= 0 else hi
        if self.range is not None:
            r_lo, r_hi = self.range
            inside = r_lo <= lo and hi <= r_hi
            if inside and (hi - lo) >= 0.4 * (r_hi - r_lo):
                return
        span = (hi - lo) or max(abs(hi), 1e-12)
        self.range = (lo - self.pad * span if lo < 0 else lo, hi + self.pad * span)
        if self.axis == "y":
            self.view.setYRange(*self.range, padding=0)
        else:
            self.view.setXRange(*self.range, padding=0)

    def reset(self) -> None:
        self.range = None


class ImagePane(pg.GraphicsLayoutWidget):
    """A titled, aspect-locked image (rows downwards) with room for overlays."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        configure()
        super().__init__(parent=parent)
        self.setMinimumSize(160, 160)
        self.ci.setContentsMargins(2, 2, 2, 2)
        self.title = self.addLabel(title, row=0, col=0, size="10pt")
        self.view: pg.ViewBox = self.addViewBox(row=1, col=0, lockAspect=True, invertY=True)
        self.view.setMouseEnabled(False, False)
        self.view.setMenuEnabled(False)
        self.image = pg.ImageItem()
        self.view.addItem(self.image)
        self.placeholder = pg.TextItem("", color="#606060", anchor=(0.5, 0.5))
        self.view.addItem(self.placeholder)
        self.shape: tuple[int, ...] | None = None

    def set_title(self, text: str) -> None:
        if text != self.title.text:  # a new title re-lays out the pane
            self.title.setText(text, size="10pt")

    def set_image(self, image: np.ndarray | None, levels: tuple[float, float] = (0, 255)) -> None:
        if image is None:
            self.image.clear()
            return
        self.placeholder.setText("")
        self.image.setImage(np.asarray(image), autoLevels=False, levels=levels)
        if self.shape != image.shape[:2]:
            self.shape = image.shape[:2]
            self.view.setRange(xRange=(0, image.shape[1]), yRange=(0, image.shape[0]), padding=0)

    def show_placeholder(self, text: str, size: tuple[int, int] = (256, 256)) -> None:
        self.image.clear()
        self.shape = None
        self.view.setRange(xRange=(0, size[1]), yRange=(0, size[0]), padding=0)
        self.placeholder.setPos(size[1] / 2, size[0] / 2)
        self.placeholder.setText(text)

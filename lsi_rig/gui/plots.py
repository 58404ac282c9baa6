"""pyqtgraph pieces the docks share: one look for every plot, and an image pane."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtWidgets import QWidget

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
    widget.setMinimumHeight(120)
    return widget


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

"""Masks dock: load a mask set (demo, checkpoint, .npy/.npz, PNG folder) and look at it.

Shows what must match between DMD, session file and decoder: count, resolution, compression
ratio, the content hash; thumbnails and fill factors; and the DLPC350 video frame bit plane a
chosen mask is packed into (the mirrors that will really flip).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from lsi_rig.config.schema import RigConfig
from lsi_rig.dmd.config import Dlpc350Config
from lsi_rig.dmd.dlpc350.packing import PLANES_PER_FRAME, frame_plane, pack_frames, place_masks
from lsi_rig.gui.plots import ImagePane, plot
from lsi_rig.gui.widgets import ComboBox, SpinBox, scrolled
from lsi_rig.masks.loaders import demo_mask_names
from lsi_rig.masks.maskset import MaskSet

THUMBNAILS = 64  # first masks shown in an 8 × 8 mosaic
FIRST_SHOWN = 5  # the DMD frame shown first: a patterned mask (mask 0 is often all-on)


class MasksDock(QDockWidget):
    load_requested = pyqtSignal(str)  # a mask SPEC

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Masks", parent)
        self.setObjectName("dock_masks")
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        row = QHBoxLayout()
        self.spec = ComboBox()
        self.spec.setEditable(True)
        for name in demo_mask_names():
            self.spec.addItem(name)
        self.spec.setToolTip("demo:hadamard16|32|64[:COUNT], CHECKPOINT.pt, MASKS.npy/.npz, folder")
        row.addWidget(self.spec, stretch=1)
        self.load_button = QPushButton("Load")
        row.addWidget(self.load_button)
        layout.addLayout(row)
        files = QHBoxLayout()
        self.checkpoint_button = QPushButton("Checkpoint…")
        self.checkpoint_button.setToolTip("an official LSI checkpoint (.pt): its binarised masks")
        self.array_button = QPushButton("Array…")
        self.array_button.setToolTip("an .npy or .npz array [n, H, W] of 0/1")
        self.folder_button = QPushButton("PNG folder…")
        self.folder_button.setToolTip("a folder of PNGs, one mask per file, natural name order")
        for button in (self.checkpoint_button, self.array_button, self.folder_button):
            files.addWidget(button)
        layout.addLayout(files)
        self.info = QLabel("No mask set loaded.")
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.info)

        grid = QGridLayout()
        self.thumbs = ImagePane(f"First {THUMBNAILS} masks (white: on)")
        self.frame = ImagePane("DMD frame 912×1140")
        grid.addWidget(self.thumbs, 0, 0)
        grid.addWidget(self.frame, 0, 1)
        chooser = QHBoxLayout()
        chooser.addWidget(QLabel("Mask #"))
        self.mask_index = SpinBox()
        self.mask_index.setRange(0, 0)
        chooser.addWidget(self.mask_index)
        self.frame_note = QLabel("")
        self.frame_note.setWordWrap(True)
        chooser.addWidget(self.frame_note, stretch=1)
        grid.addLayout(chooser, 1, 0, 1, 2)
        layout.addLayout(grid, stretch=2)
        self.fill_plot = plot("Fill factor per mask", "mask index", "fraction on")
        self.fill = self.fill_plot.plot([], [], pen=pg.mkPen("#2e7d32", width=1))
        layout.addWidget(self.fill_plot, stretch=1)
        self.setWidget(scrolled(body))

        self.mask_set: MaskSet | None = None
        self.rig_config: RigConfig | None = None
        self.load_button.clicked.connect(lambda: self.load_requested.emit(self.spec.currentText()))
        self.checkpoint_button.clicked.connect(self._pick_checkpoint)
        self.array_button.clicked.connect(self._pick_array)
        self.folder_button.clicked.connect(self._pick_folder)
        self.mask_index.valueChanged.connect(self._show_frame)

    def _pick_checkpoint(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "LSI checkpoint", "", "Checkpoints (*.pt *.pth)"
        )
        if path:
            self._request(path)

    def _pick_array(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Mask array", "", "Arrays (*.npy *.npz)")
        if path:
            self._request(path)

    def _pick_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Folder of mask PNGs")
        if path:
            self._request(path)

    def _request(self, spec: str) -> None:
        self.spec.setCurrentText(spec)
        self.load_requested.emit(spec)

    def show_masks(self, mask_set: MaskSet, rig_config: RigConfig | None) -> None:
        self.mask_set, self.rig_config = mask_set, rig_config
        self.spec.setCurrentText(mask_set.source)
        h, w = mask_set.shape
        ratio = mask_set.n / (h * w)
        kind = " · differential (mask + complement)" if mask_set.complementary else ""
        self.info.setText(
            f"<b>{mask_set.name}</b> from {mask_set.source}<br>"
            f"{mask_set.n} masks of {h}×{w} pixels · compression {mask_set.n}/{h * w} = "
            f"{100 * ratio:.3g} %{kind}<br>"
            f"fill factor {mask_set.fill_factor.min():.3f} … {mask_set.fill_factor.max():.3f} "
            f"(mean {mask_set.fill_factor.mean():.3f})<br>"
            f"content hash <code>{mask_set.sha256[:32]}<br>{mask_set.sha256[32:]}</code>"
        )
        self.thumbs.set_image(mosaic(mask_set.bits[:THUMBNAILS]))
        self.fill.setData(np.asarray(mask_set.fill_factor))
        self.mask_index.blockSignals(True)
        self.mask_index.setRange(0, mask_set.n - 1)
        first = min(FIRST_SHOWN, mask_set.n - 1)
        self.mask_index.setValue(first)
        self.mask_index.blockSignals(False)
        self._show_frame(first)

    def _show_frame(self, index: int) -> None:
        mask_set = self.mask_set
        if mask_set is None:
            return
        dmd = None if self.rig_config is None else self.rig_config.devices.dmd
        cfg = dmd if isinstance(dmd, Dlpc350Config) else Dlpc350Config()
        try:
            placement = place_masks(
                mask_set.shape,
                block_size=cfg.block_size,
                offset=cfg.placement_offset,
                rotation_deg=cfg.rotation_deg,
                scale=cfg.scale,
            )
        except Exception as exc:  # a placement that does not fit is shown, not raised
            self.frame.show_placeholder(str(exc))
            return
        frame = pack_frames(mask_set.bits[index : index + 1], placement)[0]
        plane = frame_plane(frame, 0)
        self.frame.set_image((plane * 255).astype(np.uint8))
        where = "this rig's DLPC350 placement" if dmd is cfg else "default DLPC350 placement"
        self.frame_note.setText(
            f"mask {index} → frame {index // PLANES_PER_FRAME}, bit plane "
            f"{index % PLANES_PER_FRAME} of the 912×1140 diamond mirror array ({where}: "
            f"{placement.block_size} columns × {2 * placement.block_size} rows per mask pixel, "
            f"at column {placement.col0}, row {placement.row0})"
        )


def mosaic(bits: np.ndarray, gap: int = 1) -> np.ndarray:
    """Masks [k, H, W] → one uint8 grey image, 8 per row, grey gaps between them."""
    k, h, w = bits.shape
    columns = min(8, k)
    rows = -(-k // columns)
    out = np.full((rows * (h + gap) - gap, columns * (w + gap) - gap), 96, dtype=np.uint8)
    for i in range(k):
        r, c = divmod(i, columns)
        out[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = bits[i] * 255
    return out

"""Reconstruction dock: the decoded face beside the scene shown, scores, segmentation, landmarks
and the 40 attribute bars (with ground truth beside them when the scene has it).

What it draws comes from the live decoder (latest wins) and the scene's pixels; the scores come
from :mod:`lsi_rig.decode.quality`. It decodes nothing itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (
    QCheckBox,
    QDockWidget,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from lsi_rig.core.labels import ATTRIBUTE_NAMES, SEGMENTATION_CLASSES, SEGMENTATION_PALETTE
from lsi_rig.decode.quality import SceneScore
from lsi_rig.gui.plots import ImagePane, plot
from lsi_rig.models.api import DecodeResult

_PALETTE = np.asarray(SEGMENTATION_PALETTE, dtype=np.uint8)
#: Readable names of the parsing classes' short labels (see ``lsi_rig.core.labels``).
CLASS_NAMES = {
    "rr": "right ear", "lr": "left ear", "rb": "right brow", "lb": "left brow",
    "re": "right eye", "le": "left eye", "imouth": "inner mouth", "llip": "lower lip",
    "ulip": "upper lip", "eyeg": "glasses", "earr": "earring", "neck_l": "necklace",
}  # fmt: skip


@dataclass(frozen=True)
class DecodedView:
    result: DecodeResult
    scene_id: str
    scene: np.ndarray | None  # uint8 RGB of the scene shown, when known
    latency_s: float
    score: SceneScore | None
    counters: str  # "decoded 12 · dropped 340"
    ground_truth: np.ndarray | None = None  # [40] attribute labels 0/1, when known


class ReconDock(QDockWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Reconstruction", parent)
        self.setObjectName("dock_recon")
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        self.decoder_label = QLabel("Decoder: none")
        self.decoder_label.setWordWrap(True)
        self.metrics = QLabel("No decoded vector yet.")
        self.metrics.setWordWrap(True)
        self.metrics.setFixedHeight(2 * self.metrics.fontMetrics().lineSpacing() + 4)
        layout.addWidget(self.decoder_label)
        layout.addWidget(self.metrics)

        images = QHBoxLayout()
        self.scene_pane = ImagePane("Scene shown")
        self.decoded_pane = ImagePane("Decoded")
        self.overlay = pg.ImageItem()
        self.overlay.setZValue(5)
        self.decoded_pane.view.addItem(self.overlay)
        self.landmarks = pg.ScatterPlotItem(
            size=5, brush=pg.mkBrush(0, 230, 0), pen=pg.mkPen("k", width=0.5)
        )
        self.landmarks.setZValue(10)
        self.decoded_pane.view.addItem(self.landmarks)
        images.addWidget(self.scene_pane, stretch=1)
        images.addWidget(self.decoded_pane, stretch=1)
        self.attr_plot = plot("Attributes (40, CelebA)", "probability", "")
        item = self.attr_plot.getPlotItem()
        assert item is not None
        item.setXRange(0, 1, padding=0.02)
        item.setYRange(-0.5, len(ATTRIBUTE_NAMES) - 0.5, padding=0)
        axis = item.getAxis("left")
        axis.setTicks([[(i, n.replace("_", " ")) for i, n in enumerate(ATTRIBUTE_NAMES)]])
        axis.setStyle(tickFont=self.font())
        item.invertY(True)
        item.addLegend(offset=(-5, -5))  # bottom right, clear of the names
        self.attr_bars = pg.BarGraphItem(
            x0=[], y=[], height=0.7, width=[], brush=(40, 110, 200, 200), name="predicted"
        )
        item.addItem(self.attr_bars)
        self.attr_truth = pg.ScatterPlotItem(
            symbol="x", size=9, pen=pg.mkPen("#c62828", width=2), name="ground truth"
        )
        item.addItem(self.attr_truth)
        self.attr_plot.setMinimumWidth(300)
        # 40 named rows stay readable (≥ 13 px each); a short dock scrolls instead of squeezing
        self.attr_plot.setMinimumHeight(13 * len(ATTRIBUTE_NAMES) + 60)
        self.attr_scroll = QScrollArea()
        self.attr_scroll.setWidgetResizable(True)
        self.attr_scroll.setWidget(self.attr_plot)
        self.attr_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.attr_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        images.addWidget(self.attr_scroll, stretch=1)
        layout.addLayout(images, stretch=1)
        self.extras_note = QLabel("")
        self.extras_note.setWordWrap(True)
        self.extras_note.setStyleSheet("color: #505050")
        layout.addWidget(self.extras_note)

        self.controls = QWidget()
        controls = QGridLayout(self.controls)
        controls.setContentsMargins(0, 0, 0, 0)
        self.show_segmentation = QCheckBox("Segmentation overlay")
        self.show_segmentation.setChecked(True)
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(45)
        self.opacity.setToolTip("overlay opacity")
        self.show_landmarks = QCheckBox("Landmarks (68)")
        self.show_landmarks.setChecked(True)
        controls.addWidget(self.show_segmentation, 0, 0)
        controls.addWidget(QLabel("opacity"), 0, 1)
        controls.addWidget(self.opacity, 0, 2)
        controls.addWidget(self.show_landmarks, 0, 3)
        self.legend = QLabel(_legend_html())
        self.legend.setWordWrap(True)
        controls.addWidget(self.legend, 1, 0, 1, 4)
        layout.addWidget(self.controls)
        self.setWidget(body)

        self.show_segmentation.toggled.connect(self._overlay_visibility)
        self.show_landmarks.toggled.connect(self._overlay_visibility)
        self.opacity.valueChanged.connect(self._overlay_visibility)
        self.shown_key: object = None
        self._timing: list[str] = []
        self._score_text = "scoring…"
        self._scene: np.ndarray | None = None
        self.clear("No decoded vector yet.")

    def set_decoder(self, text: str, tasks: frozenset[str] = frozenset({"image"})) -> None:
        """Name the decoder and show only the panels it can fill."""
        self.decoder_label.setText(f"<b>Decoder:</b> {text}")
        self.attr_scroll.setVisible("attributes" in tasks)
        spatial = bool({"segmentation", "landmarks"} & tasks)
        self.controls.setVisible(spatial)
        missing = [t for t in ("attributes", "segmentation", "landmarks") if t not in tasks]
        self.extras_note.setVisible(bool(missing))
        if missing:
            self.extras_note.setText(
                f"This decoder gives no {', '.join(missing)}: load an LSI model "
                "(Model ▸ Load LSI model…) for the face, its attributes, segmentation and "
                "landmarks."
            )

    def show_scene(self, scene_id: str, scene: np.ndarray | None) -> None:
        if scene is not None and scene is self._scene:
            return  # the same scene again (every decoded face of a repeat): nothing to redraw
        self._scene = scene
        if scene is None:
            self.scene_pane.set_title(f"Scene {scene_id}")
            self.scene_pane.show_placeholder("scene pixels not available")
        else:
            self.scene_pane.set_title(f"Scene shown: {scene_id}")
            self.scene_pane.set_image(scene)

    def show_decoded(self, view: DecodedView) -> None:
        result = view.result
        self.show_scene(view.scene_id, view.scene)
        if result.image is not None:
            self.decoded_pane.set_title(f"Decoded: {view.scene_id}")
            self.decoded_pane.set_image(result.image[0])
        self._timing = [
            f"decode {1000 * sum(result.timings_s.values()):.1f} ms",
            f"submitted → shown {1000 * view.latency_s:.0f} ms",
            view.counters,
        ]
        if view.score is not None:
            self.show_score(view.score)
        elif view.scene is None:
            self._score_text = "PSNR/SSIM: scene pixels unknown"
        self.metrics.setText(" · ".join([self._score_text, *self._timing]))
        self._show_segmentation(result)
        self._show_landmarks(result)
        self._show_attributes(result, view.ground_truth)

    def show_score(self, score: SceneScore, index: int | None = None) -> None:
        fitted = " (luminance, gain/offset fitted)" if score.grey else ""
        which = f" for record {index}" if index is not None else ""
        self._score_text = (
            f"<b>PSNR {score.psnr_db:.1f} dB · SSIM {score.ssim:.3f}</b>{which}{fitted}"
        )
        self.metrics.setText(" · ".join([self._score_text, *self._timing]))

    def _show_segmentation(self, result: DecodeResult) -> None:
        if result.segmentation is None:
            self.overlay.clear()
            self.show_segmentation.setEnabled(False)
            self.show_segmentation.setText("Segmentation overlay (not from this decoder)")
            return
        self.show_segmentation.setEnabled(True)
        self.show_segmentation.setText("Segmentation overlay")
        classes = np.asarray(result.segmentation[0], dtype=np.intp)
        rgba = np.zeros((*classes.shape, 4), dtype=np.uint8)
        rgba[..., :3] = _PALETTE[classes]
        rgba[..., 3] = np.where(classes > 0, 255, 0)
        self.overlay.setImage(rgba, autoLevels=False, levels=(0, 255))
        self._overlay_visibility()

    def _show_landmarks(self, result: DecodeResult) -> None:
        if result.landmarks_px is None:
            self.landmarks.clear()
            self.show_landmarks.setEnabled(False)
            self.show_landmarks.setText("Landmarks (not from this decoder)")
            return
        self.show_landmarks.setEnabled(True)
        self.show_landmarks.setText("Landmarks (68)")
        points = np.asarray(result.landmarks_px[0], dtype=np.float64)
        self.landmarks.setData(points[:, 0] + 0.5, points[:, 1] + 0.5)

    def _show_attributes(self, result: DecodeResult, truth: np.ndarray | None) -> None:
        probs = result.attribute_probabilities
        if probs is None:
            self.attr_bars.setOpts(x0=[], y=[], width=[])
        else:
            values = np.asarray(probs[0], dtype=np.float64)
            self.attr_bars.setOpts(
                x0=np.zeros(values.size), y=np.arange(values.size), width=values, height=0.7
            )
        if truth is None:
            self.attr_truth.clear()
        else:
            self.show_truth(truth)

    def show_truth(self, truth: np.ndarray) -> None:
        """Ground-truth labels (1/0; −1: the ground truth does not say) beside the bars."""
        labels = np.asarray(truth, dtype=np.float64)
        known = labels >= 0
        self.attr_truth.setData(labels[known], np.arange(labels.size)[known])

    def _overlay_visibility(self) -> None:
        self.overlay.setVisible(self.show_segmentation.isChecked())
        self.overlay.setOpacity(self.opacity.value() / 100.0)
        self.landmarks.setVisible(self.show_landmarks.isChecked())

    def clear(self, message: str) -> None:
        self.metrics.setText(message)
        self._score_text = "scoring…"
        self.scene_pane.set_title("Scene shown")
        self.scene_pane.show_placeholder("no scene yet")
        self._scene = None
        self.decoded_pane.set_title("Decoded")
        self.decoded_pane.show_placeholder("no decoded vector yet")
        self.overlay.clear()
        self.landmarks.clear()
        self.attr_bars.setOpts(x0=[], y=[], width=[])
        self.attr_truth.clear()
        self.shown_key = None


def _legend_html() -> str:
    swatches = []
    for name, (r, g, b) in zip(SEGMENTATION_CLASSES[1:], SEGMENTATION_PALETTE[1:], strict=True):
        swatch = f'<span style="background-color:rgb({r},{g},{b})">&nbsp;&nbsp;&nbsp;</span>'
        swatches.append(f"{swatch}&nbsp;{CLASS_NAMES.get(name, name)}")
    return "Segmentation classes: " + " &nbsp; ".join(swatches)

"""Live dock: the measurement vector as bars, references and drift, flags, rates, the raw trace.

Drawn by the redraw timer from the newest record (live) or from the record being reviewed; it
never sees more than one record per tick, however fast the capture runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PyQt6.QtWidgets import QDockWidget, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from lsi_rig.core.flags import RecordFlags
from lsi_rig.core.records import MeasurementRecord
from lsi_rig.detector.windows import find_windows
from lsi_rig.gui.plots import SteadyRange, plot

#: The flags an operator watches, with a short label and how bad they are.
FLAG_LIGHTS: tuple[tuple[RecordFlags, str, str], ...] = (
    (RecordFlags.SATURATED, "saturated", "#d32f2f"),
    (RecordFlags.NEAR_SATURATION, "near saturation", "#f57c00"),
    (RecordFlags.MISSING_EDGES, "missing edges", "#d32f2f"),
    (RecordFlags.EXTRA_EDGES, "extra edges", "#d32f2f"),
    (RecordFlags.TIMING_ANOMALY, "timing", "#f57c00"),
    (RecordFlags.PARTIAL_READ, "partial read", "#d32f2f"),
    (RecordFlags.DRIFT, "drift", "#f57c00"),
    (RecordFlags.SLOW_DETECTOR, "slow detector", "#f57c00"),
    (RecordFlags.DEVICE_WARNING, "device warning", "#d32f2f"),
    (RecordFlags.SCENE_NOT_SETTLED, "not settled", "#f57c00"),
)
_OFF = "#bdbdbd"
#: While live, references, drift and the trace are redrawn every this many ticks (the bars and
#: flags every tick): they change slowly and each plot repaint costs GUI time.
SECONDARY_EVERY = 3
BAR_BRUSH = (40, 110, 200, 200)


@dataclass(frozen=True)
class RecordView:
    """One record as the live dock shows it."""

    record: MeasurementRecord
    index: int
    scene_id: str
    source: str  # "live" or the reviewed file's name
    vectors_per_s: float | None = None
    latency_s: float | None = None
    shown_per_s: float | None = None


class LiveDock(QDockWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Live: measurement vector", parent)
        self.setObjectName("dock_live")
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)

        self.summary = QLabel("No vector yet: press F5 (Start) to capture.")
        self.summary.setWordWrap(True)
        # two lines, always: a label that changes height re-lays out every plot below it
        self.summary.setFixedHeight(2 * self.summary.fontMetrics().lineSpacing() + 4)
        layout.addWidget(self.summary)
        flags = QGridLayout()
        flags.setHorizontalSpacing(10)
        self.flag_labels: dict[RecordFlags, QLabel] = {}
        for i, (flag, _text, _colour) in enumerate(FLAG_LIGHTS):
            label = QLabel()
            label.setToolTip(f"record flag {flag.name}")
            self.flag_labels[flag] = label
            flags.addWidget(label, i // 5, i % 5)
        layout.addLayout(flags)
        self._set_flags(RecordFlags.NONE)

        self.vector_plot = plot("Offset-corrected vector (mask order)", "mask index", "V")
        self.bars = pg.PlotDataItem(
            stepMode="center", fillLevel=0, brush=BAR_BRUSH, pen=pg.mkPen(BAR_BRUSH[:3], width=1)
        )
        self.vector_plot.addItem(self.bars)
        layout.addWidget(self.vector_plot, stretch=3)

        row = QHBoxLayout()
        self.ref_plot = plot(
            "References of this record: <span style='color:#37474f'>dark</span> · "
            "<span style='color:#ef6c00'>bright</span>",
            "reference #",
            "V",
        )
        self.dark = self.ref_plot.plot(
            [], [], pen=pg.mkPen("#37474f", width=2), symbol="o", symbolSize=5
        )
        self.bright = self.ref_plot.plot(
            [], [], pen=pg.mkPen("#ef6c00", width=2), symbol="o", symbolSize=5
        )
        self.drift_plot = plot("Bright-reference spread per record (live)", "record (recent)", "%")
        self.drift = self.drift_plot.plot([], [], pen=pg.mkPen("#ef6c00", width=2))
        self.drift_limit = pg.InfiniteLine(
            angle=0,
            pen=pg.mkPen("#c62828", style=pg.QtCore.Qt.PenStyle.DashLine),
            label="DRIFT flag",
            labelOpts={"position": 0.1, "color": "#c62828"},
        )
        self.drift_plot.addItem(self.drift_limit)
        row.addWidget(self.ref_plot)
        row.addWidget(self.drift_plot)
        layout.addLayout(row, stretch=2)

        self.trace_note = QLabel()
        self.trace_note.setWordWrap(True)
        self.trace_note.setStyleSheet("color: #606060")
        layout.addWidget(self.trace_note)
        self.trace_plot = plot("Raw DAQ trace with per-pattern windows", "sample", "V")
        self.trace_plot.addLegend(offset=(-5, 5))
        self.trace_signal = self.trace_plot.plot(
            [], [], pen=pg.mkPen("#1565c0", width=1), name="photodiode"
        )
        self.trace_trigger = self.trace_plot.plot(
            [], [], pen=pg.mkPen("#9e9e9e", width=1), name="TRIG_OUT_1 (scaled)"
        )
        self.trace_windows = self.trace_plot.plot(
            [], [], pen=pg.mkPen("#c62828", width=2), connect="pairs", name="window means"
        )
        for item in (self.vector_plot, self.trace_plot):
            plot_item = item.getPlotItem()
            assert plot_item is not None
            plot_item.setClipToView(True)
            plot_item.setDownsampling(auto=True, mode="peak")
        layout.addWidget(self.trace_plot, stretch=2)
        self.show_trace(None, "")
        self.setWidget(body)
        self.vector_range = SteadyRange(self.vector_plot)
        self.ref_range = SteadyRange(self.ref_plot)
        self.drift_range = SteadyRange(self.drift_plot)
        self.drift_x = SteadyRange(self.drift_plot, axis="x", pad=0.0)
        self._n = -1
        self._ticks = 0
        self.shown_vector: np.ndarray | None = None
        self.shown_index = -1

    # -- drawing --------------------------------------------------------------------------
    def set_drift_threshold(self, fraction: float) -> None:
        self.drift_limit.setValue(100.0 * fraction)
        self.drift_plot.setYRange(0.0, 150.0 * fraction, padding=0)

    def show_record(
        self, view: RecordView, drift_history_pct: np.ndarray | None = None, *, full: bool = True
    ) -> bool:
        """Draw ``view``; with ``full=False`` the slow-changing panels only every few calls.
        Returns whether everything was drawn."""
        record = view.record
        vector = np.asarray(record.vector_v, dtype=np.float64)
        if vector.size != self._n:
            self._n = vector.size
            self._edges = np.arange(vector.size + 1) - 0.5
            self.vector_plot.setXRange(-0.5, vector.size - 0.5, padding=0.01)
            for steady in (self.vector_range, self.ref_range):
                steady.reset()
        self.bars.setData(self._edges, vector)
        self.vector_range.update(vector)
        self.shown_vector, self.shown_index = vector, view.index
        self._ticks += 1
        if not full and self._ticks % SECONDARY_EVERY:
            self._set_flags(record.flags)
            self._summarise(view, record, vector)
            return False
        self.dark.setData(np.arange(record.dark_v.size), np.asarray(record.dark_v, np.float64))
        self.bright.setData(
            np.arange(record.bright_v.size), np.asarray(record.bright_v, np.float64)
        )
        self.ref_range.update(np.concatenate([record.dark_v, record.bright_v]))
        if drift_history_pct is None:
            self.drift.setData([], [])  # review: the history is the live capture's
        elif drift_history_pct.size:
            self.drift.setData(drift_history_pct, connect="finite")
            limit = float(self.drift_limit.value())
            self.drift_range.update(np.append(drift_history_pct, 1.25 * limit))
            self.drift_x.update(np.array([0.0, max(drift_history_pct.size - 1, 10)]))
        self._set_flags(record.flags)
        self._summarise(view, record, vector)
        self.show_trace(record, "")
        return True

    def _summarise(self, view: RecordView, record: MeasurementRecord, vector: np.ndarray) -> None:
        parts = [
            f"<b>{view.source}</b>",
            f"record {view.index}",
            f"scene <b>{view.scene_id}</b>",
            f"repeat {record.repeat_index}",
            f"{vector.size} masks",
            f"exposure {record.exposure_us:g} µs",
            f"gain {record.gain_db:g} dB, ±{record.range_v:g} V",
        ]
        if record.n_averaged > 1:
            parts.append(f"{record.n_averaged} passes averaged")
        if view.vectors_per_s is not None:
            parts.append(f"<b>{view.vectors_per_s:.1f} vectors/s</b> captured")
        if view.shown_per_s is not None:
            parts.append(f"{view.shown_per_s:.1f}/s drawn")
        if view.latency_s is not None:
            parts.append(f"acquired → drawn {1000 * view.latency_s:.0f} ms")
        self.summary.setText(" · ".join(parts))

    def show_trace(self, record: MeasurementRecord | None, reason: str) -> None:
        trace = None if record is None else record.trace_v
        if trace is None or np.ndim(trace) != 2 or np.shape(trace)[1] == 0:
            self.trace_plot.setVisible(False)
            self.trace_note.setText(
                reason
                or "Raw DAQ trace: none in this record (set the detector mode to oversampled "
                "and tick 'keep raw trace' in the Rig panel)."
            )
            self.trace_note.setVisible(True)
            return
        signal = np.asarray(trace[0], dtype=np.float64)
        self.trace_signal.setData(signal)
        self.trace_plot.setVisible(True)
        self.trace_note.setVisible(False)
        if trace.shape[0] < 2:
            self.trace_trigger.setData([], [])
            self.trace_windows.setData([], [])
            return
        trigger = np.asarray(trace[1], dtype=np.float64)
        top = float(np.nanmax(signal)) if signal.size else 1.0
        self.trace_trigger.setData(trigger / max(float(np.nanmax(trigger)), 1e-9) * top)
        start, stop = find_windows(trigger)
        means = np.array([signal[a:b].mean() for a, b in zip(start, stop, strict=True)])
        xs = np.stack([start, stop - 1], axis=1).ravel()
        self.trace_windows.setData(xs, np.repeat(means, 2))

    def clear(self, message: str) -> None:
        self.bars.setData([], [])
        self.dark.setData([], [])
        self.bright.setData([], [])
        self.drift.setData([], [])
        for steady in (self.vector_range, self.ref_range, self.drift_range, self.drift_x):
            steady.reset()
        self.shown_vector, self.shown_index = None, -1
        self._set_flags(RecordFlags.NONE)
        self.summary.setText(message)
        self.show_trace(None, "")

    def _set_flags(self, flags: RecordFlags) -> None:
        if flags == getattr(self, "_flags", None):
            return  # relabelling ten lights every tick costs a layout pass
        self._flags = flags
        for flag, text, colour in FLAG_LIGHTS:
            on = bool(flags & flag)
            self.flag_labels[flag].setText(
                f'<span style="color:{colour if on else _OFF}; font-size:12pt">●</span> '
                + (f"<b>{text}</b>" if on else f'<span style="color:#757575">{text}</span>')
            )

"""Rig dock: which rig, connect/disconnect, device lights, decoded status, safe settings."""

from __future__ import annotations

import json
from typing import Any

from PyQt6.QtWidgets import (
    QCheckBox,
    QDockWidget,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from lsi_rig.config.load import BUILTIN_RIGS
from lsi_rig.config.schema import RigConfig
from lsi_rig.gui.rig_settings import GAIN_STEPS_DB, MODES, RANGE_STEPS_V, SafeSettings
from lsi_rig.gui.rig_worker import RigHealth
from lsi_rig.gui.widgets import ComboBox, DoubleSpinBox, Light, SpinBox, StatusLight, scrolled

DEVICES = ("display", "dmd", "detector", "sync")
DEVICE_LABELS = {"display": "Scene monitor", "dmd": "DMD", "detector": "Detector/DAQ",
                 "sync": "Sync"}  # fmt: skip


class RigDock(QDockWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Rig", parent)
        self.setObjectName("dock_rig")
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)

        row = QHBoxLayout()
        self.rig_choice = ComboBox()
        self.rig_choice.setEditable(False)
        for name in BUILTIN_RIGS:
            self.rig_choice.addItem(name, name)
        self.rig_choice.setToolTip("built-in rigs, or a rig YAML opened with 'File…'")
        row.addWidget(QLabel("Rig"))
        row.addWidget(self.rig_choice, stretch=1)
        self.open_file = QPushButton("File…")
        row.addWidget(self.open_file)
        layout.addLayout(row)
        self.description = QLabel("")
        self.description.setWordWrap(True)
        self.description.setStyleSheet("color: #505050")
        layout.addWidget(self.description)

        buttons = QHBoxLayout()
        self.connect_button = QPushButton("Connect")
        self.disconnect_button = QPushButton("Disconnect")
        buttons.addWidget(self.connect_button)
        buttons.addWidget(self.disconnect_button)
        layout.addLayout(buttons)
        self.connection = StatusLight("Rig")
        layout.addWidget(self.connection)
        self.lights = {kind: StatusLight(DEVICE_LABELS[kind]) for kind in DEVICES}
        for light in self.lights.values():
            layout.addWidget(light)
        self.status_text = QLabel("")
        self.status_text.setWordWrap(True)
        layout.addWidget(self.status_text)

        settings = QGroupBox("Settings (validated like the rig file)")
        form = QFormLayout(settings)
        self.exposure = DoubleSpinBox()
        self.exposure.setRange(1.0, 1e6)
        self.exposure.setDecimals(1)
        self.exposure.setSuffix(" µs")
        form.addRow("Exposure per pattern", self.exposure)
        self.gain = ComboBox()
        for gain in GAIN_STEPS_DB:
            self.gain.addItem(f"{gain} dB", gain)
        form.addRow("PDA100A2 gain", self.gain)
        self.range_v = ComboBox()
        for value in RANGE_STEPS_V:
            self.range_v.addItem(f"±{value:g} V", value)
        form.addRow("DAQ range", self.range_v)
        self.reference_every = SpinBox()
        self.reference_every.setRange(0, 4096)
        self.reference_every.setSpecialValueText("none")
        self.reference_every.setToolTip("dark/bright reference pair every K masks (0: none)")
        form.addRow("References every", self.reference_every)
        self.averages = SpinBox()
        self.averages.setRange(1, 1000)
        form.addRow("Passes averaged", self.averages)
        self.mode = ComboBox()
        for mode in MODES:
            self.mode.addItem(mode.replace("_", "-"), mode)
        form.addRow("Detector mode", self.mode)
        self.keep_trace = QCheckBox("keep raw DAQ trace (oversampled mode)")
        form.addRow(self.keep_trace)
        self.apply_button = QPushButton("Apply settings")
        form.addRow(self.apply_button)
        self.settings_error = QLabel("")
        self.settings_error.setWordWrap(True)
        self.settings_error.setStyleSheet("color: #c62828")
        form.addRow(self.settings_error)
        layout.addWidget(settings)

        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["device", "value"])
        self.tree.setColumnWidth(0, 170)
        self.tree.setMinimumHeight(140)
        layout.addWidget(QLabel("Device descriptions (stored in every session):"))
        layout.addWidget(self.tree, stretch=1)
        self.setWidget(scrolled(body))
        self._static: list[str] = []

    # -- settings -------------------------------------------------------------------------
    def show_config(self, config: RigConfig, label: str) -> None:
        index = self.rig_choice.findData(label)
        if index < 0:
            self.rig_choice.addItem(label.rsplit("/", 1)[-1], label)
            index = self.rig_choice.count() - 1
        self.rig_choice.blockSignals(True)
        self.rig_choice.setCurrentIndex(index)
        self.rig_choice.blockSignals(False)
        self.description.setText(config.description or config.name)
        s = SafeSettings.of(config)
        self.exposure.setValue(s.exposure_us)
        self.gain.setCurrentIndex(max(self.gain.findData(s.gain_db), 0))
        index = self.range_v.findData(s.range_v)
        if index < 0:
            self.range_v.addItem(f"±{s.range_v:g} V", s.range_v)
            index = self.range_v.count() - 1
        self.range_v.setCurrentIndex(index)
        self.reference_every.setValue(s.reference_every or 0)
        self.averages.setValue(s.averages)
        self.mode.setCurrentIndex(max(self.mode.findData(s.mode), 0))
        self.keep_trace.setChecked(s.keep_trace)
        for field in (self.gain, self.range_v, self.mode):  # a plug-in detector's are its own
            field.setEnabled(s.detector)
        self.settings_error.setText("")

    def settings(self) -> SafeSettings:
        return SafeSettings(
            exposure_us=float(self.exposure.value()),
            gain_db=int(self.gain.currentData()),
            range_v=float(self.range_v.currentData()),
            reference_every=self.reference_every.value() or None,
            averages=self.averages.value(),
            mode=str(self.mode.currentData()),
            keep_trace=self.keep_trace.isChecked(),
        )

    # -- connection and status ----------------------------------------------------------
    def show_connection(self, state: Light, text: str, config: RigConfig | None) -> None:
        self.connection.set(state, text)
        for kind in DEVICES:
            backend = None if config is None else getattr(config.devices, kind).backend
            if backend == "none":
                self.lights[kind].set(Light.OFF, "not used by this rig")
            elif state is Light.OK:
                self.lights[kind].set(Light.OK, f"connected ({backend})")
            elif state is Light.BUSY:
                self.lights[kind].set(Light.BUSY, f"connecting ({backend})")
            elif state is Light.ERROR:
                self.lights[kind].set(Light.ERROR, "not connected (see the rig status)")
            else:
                self.lights[kind].set(Light.OFF, f"not connected ({backend})")

    def show_description(self, described: dict[str, dict[str, Any]] | None) -> None:
        self.tree.clear()
        if not described:
            self.status_text.setText("")
            return
        for kind, values in described.items():
            top = QTreeWidgetItem([DEVICE_LABELS.get(kind, kind), str(values.get("model", ""))])
            _fill(top, values)
            self.tree.addTopLevelItem(top)
        det = described.get("detector", {})
        sync = described.get("sync", {})
        lines = [
            f"DAQ: {det.get('daq') or det.get('device', '?')} · range ±{det.get('range_v', '?')} V"
            f" · gain {det.get('gain_db', '?')} dB · {det.get('mode', '')}",
        ]
        if sync:
            firmware = sync.get("firmware_version") or sync.get("identity", "")
            lines.append(f"Sync: {sync.get('model', '')} · firmware {firmware}")
        self._static = lines
        self.status_text.setText("<br>".join(lines))

    def show_capturing(self) -> None:
        """While a capture runs the job polls the DMD itself (the app does not)."""
        self.lights["dmd"].set(Light.BUSY, "capturing (the capture job checks its status)")
        self.status_text.setText("<br>".join([*self._static, "DMD status: read by the capture"]))

    def show_health(self, health: RigHealth) -> None:
        lines = list(self._static)
        if health.dmd_error:
            self.lights["dmd"].set(Light.ERROR, health.dmd_error)
            lines.append(f"<span style='color:#c62828'>DMD: {health.dmd_error}</span>")
        elif health.dmd is not None:
            st = health.dmd
            lock = {None: "n/a", True: "locked", False: "NOT locked"}[st.video_locked]
            word = "running" if st.running else "idle"
            waiting = not st.running and list(st.errors) == ["video signal not locked"]
            if st.healthy:
                self.lights["dmd"].set(Light.OK, f"healthy, {word}")
            elif waiting:  # no frames are sent before a capture loads its sequence
                self.lights["dmd"].set(Light.WARN, "idle, no video yet (sent at capture start)")
            else:
                self.lights["dmd"].set(Light.ERROR, f"FAULT, {word}")
            text = f"DMD status: {word} · video {lock}"
            bits = st.raw.get("main_status_bits")
            if bits:
                text += f" · main status: {', '.join(map(str, bits))}"
            if "hardware_status" in st.raw:
                text += f" · hardware status 0x{int(st.raw['hardware_status']):02X}"
            if st.raw.get("video_hz"):
                text += f" · video {float(st.raw['video_hz']):.2f} Hz"
            if st.errors:
                text += f" · <span style='color:#c62828'>{'; '.join(st.errors)}</span>"
            lines.append(text)
        if health.sync_error:
            self.lights["sync"].set(Light.ERROR, health.sync_error)
        self.status_text.setText("<br>".join(lines))


def _fill(parent: QTreeWidgetItem, values: dict[str, Any]) -> None:
    for key, value in values.items():
        if isinstance(value, dict):
            child = QTreeWidgetItem([str(key), ""])
            _fill(child, value)
        else:
            text = value if isinstance(value, str) else json.dumps(value)
            child = QTreeWidgetItem([str(key), text])
        parent.addChild(child)

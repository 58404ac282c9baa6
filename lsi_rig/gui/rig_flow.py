"""The rig as the operator steers it: which rig file, connect/disconnect, status polls, the
safe settings, and where the scene window goes. The rig itself lives in the rig worker thread
(:mod:`lsi_rig.gui.rig_worker`); this module turns widgets into requests and answers into
widgets.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PyQt6.QtGui import QGuiApplication
from PyQt6.QtWidgets import QFileDialog

from lsi_rig.config import load_rig
from lsi_rig.config.schema import RigConfig
from lsi_rig.core.errors import LsiRigError
from lsi_rig.gui.rig_settings import needs_reconnect, with_settings
from lsi_rig.gui.rig_worker import Connection, RigHealth
from lsi_rig.gui.widgets import Light
from lsi_rig.rig import Rig

if TYPE_CHECKING:
    from lsi_rig.gui.main_window import MainWindow

log = logging.getLogger(__name__)


class RigFlow:
    def __init__(self, window: MainWindow) -> None:
        self.w = window
        self.rig_config: RigConfig = window.options.rig_config
        self.rig_label = window.options.rig_label

    def setup(self) -> None:
        w, dock = self.w, self.w.rig_dock
        dock.show_config(self.rig_config, self.rig_label)
        dock.show_connection(Light.OFF, "not connected", self.rig_config)
        dock.connect_button.clicked.connect(self.connect_rig)
        dock.disconnect_button.clicked.connect(self.disconnect_rig)
        dock.apply_button.clicked.connect(self.apply_settings)
        dock.rig_choice.currentIndexChanged.connect(self._rig_chosen)
        dock.open_file.clicked.connect(self._pick_rig_file)
        w.live_dock.set_drift_threshold(self.rig_config.acquisition.drift_threshold)
        w.scene_dock.window_requested.connect(self.place_scene_window)
        w.scene_dock.show_window.setChecked(True)
        w.rig.connected.connect(self._connected)
        w.rig.failed.connect(self._connect_failed)
        w.rig.disconnected.connect(self._disconnected)
        w.rig.health.connect(self._health)

    def connect_rig(self) -> None:
        if self.w.capture.active:
            self.w.errors.user_error("stop the capture before reconnecting the rig")
            return
        self.w.rig_dock.show_connection(Light.BUSY, f"connecting {self.rig_config.name}…",
                                        self.rig_config)  # fmt: skip
        self.w.rig.connect_rig(self.rig_config)
        self.w.flow.buttons()

    def disconnect_rig(self) -> None:
        if self.w.capture.active:
            self.w.errors.user_error("stop the capture before disconnecting the rig")
            return
        self.w.rig.disconnect_rig()

    def _connected(self, rig: Rig) -> None:
        w = self.w
        w.rig_dock.show_connection(Light.OK, f"{rig.config.name} connected", rig.config)
        w.rig_dock.show_description(rig.describe())
        self.place_scene_window(w.scene_dock.show_window.isChecked())
        self.poll_status()
        self.w.flow.buttons()
        self.w.flow.rig_ready()

    def _connect_failed(self, message: str, internal: bool) -> None:
        self.w.flow.rig_failed()
        self.w.rig_dock.show_connection(Light.ERROR, message, self.rig_config)
        if internal:
            self.w.errors.internal_error(message)
        else:
            self.w.errors.user_error(message, "Rig not connected")
        self.w.flow.buttons()

    def _disconnected(self) -> None:
        if self.w.rig.state is Connection.DISCONNECTED:
            self.w.rig_dock.show_connection(Light.OFF, "disconnected", self.rig_config)
            self.w.rig_dock.show_description(None)
        self.w.flow.buttons()

    def poll_status(self) -> None:
        if not self.w.capture.active:
            self.w.rig.poll()

    def _health(self, health: RigHealth) -> None:
        self.w.rig_dock.show_health(health)

    def _rig_chosen(self, index: int) -> None:
        label = str(self.w.rig_dock.rig_choice.itemData(index))
        self._switch_rig(label)

    def _pick_rig_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.w, "Rig file", "", "Rig files (*.yaml *.yml)")
        if path:
            self._switch_rig(path)

    def _switch_rig(self, label: str) -> None:
        if self.w.capture.active:
            self.w.rig_dock.show_config(self.rig_config, self.rig_label)
            self.w.errors.user_error("stop the capture before changing the rig")
            return
        try:
            config = load_rig(label)
        except LsiRigError as exc:
            self.w.rig_dock.show_config(self.rig_config, self.rig_label)
            self.w.errors.user_error(str(exc))
            return
        self.rig_config, self.rig_label = config, label
        self.w.rig_dock.show_config(config, label)
        self.w.masks_dock.show_masks(self.w.inputs.mask_set, config)
        self.w.update_title()
        self.connect_rig()

    def apply_settings(self) -> None:
        dock = self.w.rig_dock
        if self.w.capture.active:
            dock.settings_error.setText("Stop the capture before changing settings.")
            return
        try:
            config = with_settings(self.rig_config, dock.settings())
        except LsiRigError as exc:
            dock.settings_error.setText(str(exc))
            return
        reconnect = needs_reconnect(self.rig_config, config)
        self.rig_config = config
        dock.settings_error.setText("")
        self.w.status("settings applied" + (": reconnecting the rig" if reconnect else ""))
        if reconnect and self.w.rig.state is not Connection.DISCONNECTED:
            self.connect_rig()

    def place_scene_window(self, show: bool) -> None:
        w = self.w
        sw = w.scene_window
        if self.rig_config.devices.display.backend == "window":
            sw.hide()
            w.scene_dock.window_note.setText(
                "This rig's scene monitor is its own full-screen window (devices.display.screen "
                "in the rig file); the preview above mirrors it."
            )
            return
        if not show:
            sw.hide()
            w.scene_dock.window_note.setText("Hidden; the preview above mirrors the monitor.")
            return
        screens = QGuiApplication.screens()
        index = w.scene_dock.screen_choice.currentData()
        screen = screens[int(index)] if index is not None and int(index) < len(screens) else None
        if screen is None:
            return
        full = screen is not w.screen()
        sw.place(screen, full_screen=full)
        _count, image = w.shown.latest()
        if image is not None:
            sw.set_image(image)
        if not full:
            sw.raise_()
        w.scene_dock.window_note.setText(
            f"Full screen on {screen.name()}."
            if full
            else "The app is on this screen too, so the scene window is a small window at its "
            "top-right corner; choose the scene monitor's screen for full screen."
        )

"""The HDMI output window: frameless, full-screen, pixels 1:1 (offscreen Qt platform)."""

from __future__ import annotations

import json
import os
import tempfile

import numpy as np
import pytest
from PyQt6.QtGui import QGuiApplication

from lsi_rig.dmd.dlpc350.packing import pack_frames, place_masks

_SCREEN = {"name": "DMD", "x": 0, "y": 0, "width": 912, "height": 1140, "dpr": 1}
if QGuiApplication.instance() is None:  # before the app exists: an offscreen 912×1140 screen
    _screens = os.path.join(tempfile.mkdtemp(prefix="lsi-qt-"), "screens.json")
    with open(_screens, "w") as _f:
        json.dump({"screens": [_SCREEN | {"logicalDpi": 96, "logicalBaseDpi": 96}]}, _f)
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_screens}"

pytestmark = [pytest.mark.gui, pytest.mark.timeout(60)]


def test_window_shows_frame_pixel_exact() -> None:
    from lsi_rig.dmd.dlpc350.qt_window import QtVideoWindow
    from lsi_rig.dmd.dlpc350.video import VideoOutput

    bits = np.random.default_rng(5).random((24, 32, 32)) < 0.5
    frames = pack_frames(bits, place_masks((32, 32)))
    frames[0, 0, 0] = (1, 2, 3)
    frames[0, 1139, 911] = (250, 128, 7)
    window = QtVideoWindow(None)
    try:
        assert isinstance(window, VideoOutput)
        assert window.frameless
        window.show(frames, 60.0)
        shown = window.grab()
        h, w = min(shown.shape[0], 1140), min(shown.shape[1], 912)
        assert h >= 800 and w >= 800  # another module's offscreen app may have an 800² screen
        assert np.array_equal(shown[:h, :w], frames[0, :h, :w])
        if (h, w) == (1140, 912):
            assert tuple(shown[1139, 911]) == (250, 128, 7)
        window.blank()
        assert not window.grab()[:1140, :912].any()
    finally:
        window.close()


def test_unknown_screen_is_a_config_error() -> None:
    from lsi_rig.core.errors import ConfigError
    from lsi_rig.dmd.dlpc350.qt_window import QtVideoWindow

    with pytest.raises(ConfigError, match="no screen named 'HDMI-9'"):
        QtVideoWindow("HDMI-9")
    with pytest.raises(ConfigError, match="index 5"):
        QtVideoWindow(5)

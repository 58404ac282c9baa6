"""The real scene-monitor window, on Qt's offscreen platform."""

from __future__ import annotations

import numpy as np
import pytest

from lsi_rig.core.errors import ConfigError
from lsi_rig.display.config import WindowDisplayConfig
from lsi_rig.display.protocol import SceneDisplay
from lsi_rig.display.window import MonitorWindow

pytestmark = pytest.mark.gui


def test_shows_image_centred_and_scaled_without_smoothing() -> None:
    display = MonitorWindow(WindowDisplayConfig(image_size_px=64, settle_time_s=0.2))
    try:
        assert isinstance(display, SceneDisplay)
        assert display.settle_time_s == 0.2
        image = np.zeros((4, 4, 3), dtype=np.uint8)
        image[0, 0] = (255, 0, 0)
        image[3, 3] = (10, 200, 30)
        display.show(image)
        shown = display.grab()
        h, w, _ = shown.shape
        top, left = (h - 64) // 2, (w - 64) // 2
        # each image pixel is a 16x16 block of identical screen pixels
        assert tuple(shown[top + 3, left + 3]) == (255, 0, 0)
        assert tuple(shown[top + 60, left + 60]) == (10, 200, 30)
        assert tuple(shown[top + 20, left + 20]) == (0, 0, 0)
        assert tuple(shown[top - 1, left - 1]) == (0, 0, 0)  # black surround
        described = display.describe()
        assert described["image_size_px"] == 64 and described["backend"] == "window"
    finally:
        display.close()


def test_unknown_screen_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"devices.display.screen: no screen named 'nope'"):
        MonitorWindow(WindowDisplayConfig(screen="nope"))

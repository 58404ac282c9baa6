"""Smoke test: the window captures through the real drivers against the emulators."""

from __future__ import annotations

import pytest

from lsi_rig.storage import RunStatus, open_session

from .conftest import FAST_MASKS

pytestmark = [pytest.mark.gui, pytest.mark.timeout(180)]


def test_emulated_rig_captures_a_complete_session(qtbot, make_window) -> None:
    window = make_window(rig="emulated", masks=FAST_MASKS, scenes=2)
    assert "connected" in window.rig_dock.connection.text()
    assert "nidaqmx" in window.rig_dock.lights["detector"].text()
    window.flow.start()
    qtbot.waitUntil(lambda: window.capture.job is not None and window.capture.job.state.is_final,
                    timeout=120_000)  # fmt: skip
    qtbot.waitUntil(window.session_dock.start.isEnabled, timeout=10_000)
    (path,) = sorted(window.flow.sessions_dir.rglob("*.h5"))
    with open_session(path) as reader:
        assert reader.status is RunStatus.COMPLETE
        assert reader.n_records == 2
        assert reader.devices["dmd"]["model"].startswith("DLP LightCrafter 4500")
    qtbot.waitUntil(lambda: window.live_dock.shown_index == 1, timeout=5_000)
    window.rigs.poll_status()  # after the capture the DMD shows its frames: HDMI locked
    qtbot.waitUntil(lambda: "video locked" in window.rig_dock.status_text.text(), timeout=10_000)
    assert "healthy" in window.rig_dock.lights["dmd"].text()

"""The window itself: wheel-safe fields, layout persisted in (temporary) QSettings, the log
panel, settings validated like the rig file, the scene mirror."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from PyQt6.QtCore import QPoint, QPointF, QSettings, Qt
from PyQt6.QtGui import QWheelEvent
from PyQt6.QtWidgets import QApplication

from lsi_rig.config import load_rig
from lsi_rig.core.errors import ConfigError
from lsi_rig.gui.rig_settings import SafeSettings, needs_reconnect, with_settings
from lsi_rig.gui.widgets import SpinBox

pytestmark = [pytest.mark.gui, pytest.mark.timeout(120)]


def _wheel(widget, steps: int) -> None:  # type: ignore[no-untyped-def]
    event = QWheelEvent(
        QPointF(5, 5), QPointF(widget.mapToGlobal(QPoint(5, 5))), QPoint(0, 0),
        QPoint(0, 120 * steps), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase, False,
    )  # fmt: skip
    QApplication.sendEvent(widget, event)


def test_spin_boxes_ignore_the_wheel_unless_focused(qtbot) -> None:
    box = SpinBox()
    box.setRange(0, 100)
    box.setValue(50)
    qtbot.addWidget(box)
    box.show()
    qtbot.waitExposed(box)
    box.clearFocus()
    _wheel(box, 3)
    assert box.value() == 50
    box.setFocus()
    qtbot.waitUntil(box.hasFocus, timeout=2_000)
    _wheel(box, 3)
    assert box.value() == 53


def test_every_numeric_field_of_the_window_is_wheel_safe(make_window) -> None:
    window = make_window(connect=False)
    for field in (window.rig_dock.exposure, window.rig_dock.averages, window.rig_dock.gain,
                  window.session_dock.repeats, window.masks_dock.mask_index):  # fmt: skip
        before = field.value() if hasattr(field, "value") else field.currentIndex()
        field.clearFocus()
        _wheel(field, -2)
        after = field.value() if hasattr(field, "value") else field.currentIndex()
        assert after == before, field


def test_layout_is_persisted_in_the_tests_own_settings(make_window, isolated_settings) -> None:
    window = make_window(connect=False)
    window.log_dock.hide()
    window.masks_dock.setFloating(True)
    window.close()
    files = list(isolated_settings.rglob("*.ini"))
    assert len(files) == 1 and "lsi-rig-gui" in files[0].name
    again = make_window(connect=False)
    assert again.log_dock.isHidden()
    assert again.masks_dock.isFloating()
    settings = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "lsi-rig",
                         "lsi-rig-gui")  # fmt: skip
    assert settings.fileName() == str(files[0])


def test_log_panel_shows_levels_and_filters(make_window) -> None:
    window = make_window(connect=False)
    log = logging.getLogger("lsi_rig.gui.test")
    log.info("DMD programmed with 88 patterns")
    log.warning("drift above threshold on face_002")
    log.debug("a debug line")
    window.log_dock.flush()
    dock = window.log_dock
    rows = lambda: [dock.filter.index(r, 3).data() for r in range(dock.filter.rowCount())]  # noqa: E731
    assert "DMD programmed with 88 patterns" in rows()
    assert "a debug line" not in rows()  # below the default level (info)
    dock.level.setCurrentIndex(2)  # warning
    assert rows()[-1] == "drift above threshold on face_002"
    assert "DMD programmed with 88 patterns" not in rows()
    dock.level.setCurrentIndex(0)
    dock.text.setText("FACE_002")
    assert rows() == ["drift above threshold on face_002"]


def test_settings_are_validated_like_the_rig_file() -> None:
    config = load_rig("sim")
    s = SafeSettings.of(config)
    assert (s.exposure_us, s.gain_db, s.range_v, s.reference_every) == (250.0, 40, 10.0, 32)
    changed = with_settings(config, SafeSettings(300.0, 50, 5.0, None, 4, "oversampled", True))
    assert changed.acquisition.exposure_us == 300.0 and changed.acquisition.averages == 4
    assert changed.acquisition.reference_every is None and changed.acquisition.keep_trace
    assert changed.devices.detector.gain_db == 50 and changed.devices.detector.range_v == 5.0
    assert needs_reconnect(config, changed)
    only_plan = with_settings(config, SafeSettings(300.0, 40, 10.0, 16, 2, "per_pattern", False))
    assert not needs_reconnect(config, only_plan)
    for bad, key in (
        (SafeSettings(-1.0, 40, 10.0, 32, 1, "per_pattern", False), "acquisition.exposure_us"),
        (SafeSettings(250.0, 40, 10.0, 32, 0, "per_pattern", False), "acquisition.averages"),
        (SafeSettings(250.0, 40, 0.0, 32, 1, "per_pattern", False), "devices.detector.range_v"),
        (SafeSettings(250.0, 40, 10.0, 32, 1, "sideways", False), "devices.detector.mode"),
    ):
        with pytest.raises(ConfigError, match=f"^rig sim \\(settings in the app\\): {key}: "):
            with_settings(config, bad)
    emulated = load_rig("emulated")
    with pytest.raises(ConfigError, match=r"devices\.detector\.gain_db: .*not a knob setting"):
        with_settings(emulated, SafeSettings(250.0, 45, 10.0, 32, 1, "per_pattern", False))


def test_oversampled_trace_is_drawn_with_its_windows(qtbot, make_window) -> None:
    window = make_window(scenes=1)
    dock = window.rig_dock
    dock.mode.setCurrentIndex(dock.mode.findData("oversampled"))
    dock.keep_trace.setChecked(True)
    window.rigs.apply_settings()
    qtbot.waitUntil(lambda: window.rig.rig is not None
                    and window.rig.rig.config.devices.detector.mode == "oversampled",
                    timeout=30_000)  # fmt: skip
    window.flow.start()
    live = window.live_dock
    qtbot.waitUntil(lambda: live.shown_index == 0 and live.trace_plot.isVisibleTo(live),
                    timeout=60_000)  # fmt: skip
    _, signal = live.trace_signal.getData()
    _, means = live.trace_windows.getData()
    n_patterns = window.inputs.mask_set.n + 2 * (window.inputs.mask_set.n // 32 + 1)
    assert signal.size > n_patterns and means.size // 2 >= window.inputs.mask_set.n


def test_the_scene_mirror_shows_what_the_monitor_shows(qtbot, make_window) -> None:
    window = make_window(scenes=2)
    window.flow.start()
    qtbot.waitUntil(lambda: window.capture.job is not None and window.capture.job.state.is_final,
                    timeout=60_000)  # fmt: skip
    # the redraw has drawn the newest image the monitor showed
    qtbot.waitUntil(lambda: window.shown.count >= 2
                    and window.drawing._shown_count == window.shown.count,
                    timeout=5_000)  # fmt: skip
    _, image = window.shown.latest()
    world = window.rig.rig.world
    assert world is not None and world.scene is not None
    from lsi_rig.scenes.procedural import demo_scenes

    np.testing.assert_array_equal(image, demo_scenes(2)[1].image)
    assert window.scene_window.isVisible()
    np.testing.assert_array_equal(window.scene_dock.preview.image.image, image)


def test_disconnect_and_reconnect_the_rig(qtbot, make_window) -> None:
    from lsi_rig.gui.rig_worker import Connection

    window = make_window()
    window.rig_dock.disconnect_button.click()
    qtbot.waitUntil(lambda: window.rig.state is Connection.DISCONNECTED, timeout=10_000)
    assert window.rig.rig is None
    assert "disconnected" in window.rig_dock.connection.text()
    assert "not connected" in window.rig_dock.lights["dmd"].text()
    assert not window.rig_dock.disconnect_button.isEnabled()
    window.rig_dock.connect_button.click()
    qtbot.waitUntil(lambda: window.rig.state is Connection.CONNECTED, timeout=30_000)
    assert "connected (sim)" in window.rig_dock.lights["detector"].text()


def test_cli_gui_is_registered() -> None:
    from lsi_rig.cli.app import main

    assert main(["gui", "--help"]) == 0


def test_the_demo_scene_count_applies_to_the_next_capture(qtbot, make_window) -> None:
    window = make_window(scenes=3)
    window.scene_dock.demo_count.setValue(2)
    assert window.inputs.scene_choice.demo_count == 2
    assert "2 procedural demo scenes" in window.scene_dock.choice_label.text()
    window.flow.start()
    qtbot.waitUntil(lambda: window.capture.job is not None and window.capture.job.state.is_final,
                    timeout=60_000)  # fmt: skip
    assert window.capture.live.sequence == 2


def test_a_manifest_is_read_like_lsi_rig_batch_reads_it(tmp_path) -> None:
    import numpy as np
    from PIL import Image

    from lsi_rig.core.errors import SceneError
    from lsi_rig.gui.scene_choice import manifest_paths

    (tmp_path / "img").mkdir()
    for stem in ("000001", "000002"):
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "img" / f"{stem}.jpg")
    manifest = tmp_path / "set.csv"
    manifest.write_text("id,path,split\n000001,img/000001.jpg,test\n000002,img/000002.jpg,train\n")
    assert [p.name for p in manifest_paths(manifest)] == ["000001.jpg", "000002.jpg"]
    assert all(p.is_file() for p in manifest_paths(manifest))
    bad = tmp_path / "bad.csv"
    bad.write_text("id,split\n000001,test\n")
    with pytest.raises(SceneError, match=r"bad\.csv"):
        manifest_paths(bad)

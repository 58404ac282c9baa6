"""Capturing from the window: buttons and shortcuts drive a real capture job on the sim rig."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PyQt6.QtCore import Qt

from lsi_rig.jobs import JobState
from lsi_rig.storage import RunStatus, open_session

from .conftest import press

pytestmark = [pytest.mark.gui, pytest.mark.timeout(120)]


def _session_files(window) -> list[Path]:  # type: ignore[no-untyped-def]
    return sorted(window.flow.sessions_dir.rglob("*.h5"))


def _wait_final(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: window.capture.job is not None, timeout=10_000)
    qtbot.waitUntil(lambda: window.capture.job.state.is_final, timeout=60_000)
    # the GUI has processed the end (buttons, state label) once Start is enabled again
    qtbot.waitUntil(lambda: window.session_dock.start.isEnabled(), timeout=10_000)


def _committed(window) -> int:  # type: ignore[no-untyped-def]
    return window.capture.live.sequence


def test_buttons_start_and_stop_write_an_interrupted_session_with_every_record(
    qtbot, make_window
) -> None:
    window = make_window()
    window.session_dock.repeats.setValue(400)  # far more than the test waits for
    qtbot.mouseClick(window.session_dock.start, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _committed(window) >= 5, timeout=30_000)
    assert window.session_dock.stop.isEnabled() and not window.session_dock.start.isEnabled()
    qtbot.mouseClick(window.session_dock.stop, Qt.MouseButton.LeftButton)
    _wait_final(qtbot, window)

    assert window.capture.job.state is JobState.CANCELLED
    files = _session_files(window)
    assert len(files) == 1
    with open_session(files[0]) as reader:
        assert reader.status is RunStatus.INTERRUPTED
        assert reader.n_records == _committed(window) >= 5
        assert reader.n_records < 3 * 400
        vectors = reader.vectors("offset_corrected")
    assert "interrupted" in window.session_dock.state.text()
    # the bars show a record of the file, value for value
    qtbot.waitUntil(lambda: window.live_dock.shown_index == reader.n_records - 1, timeout=5_000)
    shown = window.live_dock.shown_vector
    assert shown is not None
    np.testing.assert_array_equal(shown, vectors[window.live_dock.shown_index].astype(np.float64))


def test_a_full_run_completes_with_notes_in_the_session_log(qtbot, make_window) -> None:
    window = make_window(scenes=3)
    window.session_dock.notes.setPlainText("lens cap off, room lights dimmed")
    window.session_dock.file_name.setText("bench_run")
    qtbot.mouseClick(window.session_dock.start, Qt.MouseButton.LeftButton)
    _wait_final(qtbot, window)

    path = window.flow.sessions_dir / "bench_run.h5"
    assert _session_files(window) == [path]
    with open_session(path) as reader:
        assert reader.status is RunStatus.COMPLETE
        assert reader.n_records == 3
        assert list(reader.records_table()["scene_index"]) == [0, 1, 2]
        log_text = "\n".join(reader.log_lines())
    assert "operator notes: lens cap off, room lights dimmed" in log_text
    assert "complete" in window.session_dock.state.text()
    assert window.session_dock.progress.value() == 3
    # the same name again is refused with the one-line message, nothing overwritten
    before = path.stat().st_mtime_ns
    qtbot.mouseClick(window.session_dock.start, Qt.MouseButton.LeftButton)
    assert window.errors.shown[-1].startswith(f"output {path} already exists")
    assert path.stat().st_mtime_ns == before


def test_shortcuts_f5_f6_esc_start_pause_resume_and_stop(qtbot, make_window) -> None:
    window = make_window()
    window.session_dock.repeats.setValue(400)
    press(qtbot, window, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: _committed(window) >= 3, timeout=30_000)

    press(qtbot, window, Qt.Key.Key_F6)
    qtbot.waitUntil(lambda: window.capture.state is JobState.PAUSED, timeout=10_000)
    paused_at = _committed(window)
    qtbot.wait(300)
    assert _committed(window) == paused_at  # parked: nothing is measured while paused
    assert window.session_dock.pause.text().startswith("Resume")
    assert "Paused" in window.session_dock.state.text()

    press(qtbot, window, Qt.Key.Key_F6)
    qtbot.waitUntil(lambda: _committed(window) > paused_at + 2, timeout=30_000)
    press(qtbot, window, Qt.Key.Key_Escape)
    _wait_final(qtbot, window)

    (path,) = _session_files(window)
    with open_session(path) as reader:
        assert reader.status is RunStatus.INTERRUPTED
        assert reader.n_records == _committed(window)
        table = reader.records_table()
    # every committed record is in the file once, in plan order (scene-major)
    keys = list(zip(table["scene_index"].tolist(), table["repeat_index"].tolist(), strict=True))
    assert len(set(keys)) == len(keys)
    assert keys == sorted(keys)


def test_start_before_the_rig_is_connected_starts_once_it_is(qtbot, make_window) -> None:
    window = make_window(connect=False)
    assert window.rig.rig is None
    window.flow.start()  # connects, then starts
    _wait_final(qtbot, window)
    (path,) = _session_files(window)
    with open_session(path) as reader:
        assert reader.status is RunStatus.COMPLETE and reader.n_records == 3


def test_preview_without_recording_leaves_no_file(qtbot, make_window) -> None:
    window = make_window()
    window.session_dock.record.setChecked(False)
    window.flow.start()
    _wait_final(qtbot, window)
    assert _committed(window) == 3
    assert _session_files(window) == []
    assert "not recorded" in window.session_dock.state.text()
    assert window.flow._preview_dir is None


def test_a_device_refusal_shows_its_one_line_and_writes_nothing(qtbot, make_window) -> None:
    window = make_window()
    window.rig_dock.exposure.setValue(100.0)  # the DLPC350 refuses < 235 µs (sim enforces it)
    window.rigs.apply_settings()
    assert window.rig_dock.settings_error.text() == ""
    assert window.rigs.rig_config.acquisition.exposure_us == 100.0
    window.flow.start()
    qtbot.waitUntil(lambda: bool(window.errors.shown), timeout=30_000)
    message = window.errors.shown[-1]
    assert "\n" not in message and "Traceback" not in message
    assert "235" in message  # the device's own limit, as the CLI prints it
    assert _session_files(window) == []
    assert "no session file was written" in window.session_dock.state.text()


def test_quit_during_capture_asks_then_ends_interrupted_with_records_kept(
    qtbot, make_window, monkeypatch
) -> None:
    window = make_window()
    window.session_dock.repeats.setValue(400)
    window.flow.start()
    qtbot.waitUntil(lambda: _committed(window) >= 3, timeout=30_000)

    questions: list[str] = []
    monkeypatch.setattr(window, "ask", lambda title, text: questions.append(text) or False)
    assert not window.close()  # "No": the capture goes on
    assert window.isVisible() and window.capture.active
    assert "interrupted" in questions[0]

    monkeypatch.setattr(window, "ask", lambda title, text: True)
    assert window.close()
    job = window.capture.job
    assert job.state is JobState.CANCELLED
    (path,) = _session_files(window)
    with open_session(path) as reader:
        assert reader.status is RunStatus.INTERRUPTED
        assert reader.n_records == _committed(window) >= 3


def test_the_app_applies_the_current_calibration_and_says_when_it_cannot(
    qtbot, make_window, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """As ``lsi-rig capture`` does: the rig's current calibration is applied when it fits the
    masks; one that does not is not applied, and the status bar and the log say why."""
    from lsi_rig.config import load_rig
    from tests.calibration.conftest import synthetic_calibration

    window = make_window(scenes=2)
    config = window.rigs.rig_config
    monkeypatch.chdir(tmp_path)
    root = Path(config.paths.calibration_dir)
    synthetic_calibration(load_rig(config.name), window.inputs.mask_set, root)
    request = window.flow._request()
    assert request.calibration is not None and request.calibration.snapshot.rig_name == "sim"
    assert window.inputs.load_masks("demo:hadamard16:16")
    request = window.flow._request()
    assert request.calibration is None
    assert "Uncalibrated: " in window.statusBar().currentMessage()

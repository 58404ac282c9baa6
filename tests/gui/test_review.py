"""Review mode: record k's vector, flags, scene and reconstruction from a session file."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QFileDialog

from lsi_rig.config import load_rig
from lsi_rig.jobs import CaptureJob, CaptureRequest, RecordCommitted, plan_from_config
from lsi_rig.masks import load_masks
from lsi_rig.scenes.procedural import demo_scenes
from lsi_rig.scenes.source import InMemoryScenes
from lsi_rig.storage import RunStatus, open_session

from .conftest import FAST_MASKS, press

pytestmark = [pytest.mark.gui, pytest.mark.timeout(120)]


def _capture(
    path: Path, *, scenes: int = 4, repeats: int = 2, stop_after: int | None = None
) -> Path:
    config = load_rig("sim")
    plan = plan_from_config(
        config.acquisition,
        scenes=InMemoryScenes(demo_scenes(scenes)),
        masks=load_masks(FAST_MASKS),
        repeats=repeats,
    )
    job = CaptureJob(CaptureRequest(config, plan, out=path))
    if stop_after is not None:
        job.subscribe(
            lambda e: job.stop() if isinstance(e, RecordCommitted) and e.index + 1 >= stop_after
            else None
        )  # fmt: skip
    job.run()
    return path


def test_review_shows_record_k_vector_flags_scene_and_decoded_face(
    qtbot, make_window, tmp_path
) -> None:
    path = _capture(tmp_path / "faces.h5")
    with open_session(path) as reader:
        vectors = reader.vectors("offset_corrected")
        table = reader.records_table()
        scenes = reader.scenes()
    window = make_window(connect=False)
    assert window.review.open_session(path)
    assert window.mode.value == "review"
    assert "REVIEW faces.h5" in window.windowTitle()
    assert "8 records" in window.session_dock.review_label.text()
    for k in (5, 2, 7):
        window.session_dock.record_index.setValue(k)
        live = window.live_dock
        assert live.shown_index == k
        np.testing.assert_array_equal(live.shown_vector, vectors[k].astype(np.float64))
        _x, heights = live.bars.getData()
        np.testing.assert_array_equal(heights, vectors[k].astype(np.float64))
        scene_id = scenes[int(table["scene_index"][k])].scene_id
        assert f"record {k}" in live.summary.text() and scene_id in live.summary.text()
        # the scene is found again (demo scenes by content hash) and the face decoded
        expected = demo_scenes(4)[int(table["scene_index"][k])].image
        np.testing.assert_array_equal(window.recon_dock.scene_pane.image.image, expected)
        qtbot.waitUntil(
            lambda k=k: (
                window.drawing._decoded_key is not None and window.drawing._decoded_key.index == k
            ),
            timeout=10_000,
        )
        assert window.recon_dock.decoded_pane.image.image.shape == (256, 256, 3)
        qtbot.waitUntil(lambda: "PSNR" in window.recon_dock.metrics.text(), timeout=10_000)

    press(qtbot, window, Qt.Key.Key_PageDown)
    assert window.live_dock.shown_index == 7  # already the last record: stays
    press(qtbot, window, Qt.Key.Key_PageUp)
    assert window.live_dock.shown_index == 6

    window.review.back_to_live()
    assert window.mode.value == "live" and window.review.session is None


def test_ctrl_o_opens_an_interrupted_file_and_remembers_it(
    qtbot, make_window, tmp_path, monkeypatch
) -> None:
    path = _capture(tmp_path / "cut.h5", scenes=3, repeats=3, stop_after=4)
    with open_session(path) as reader:
        assert reader.status is RunStatus.INTERRUPTED
        n = reader.n_records
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    window = make_window(connect=False)
    press(qtbot, window, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    assert window.review.session is not None
    assert "interrupted" in window.session_dock.review_label.text()
    assert window.session_dock.record_index.maximum() == n - 1
    assert window.session_dock.recent.count() == 1
    # recent files survive a restart (in the test's own QSettings folder)
    window.close()
    again = make_window(connect=False)
    assert again.session_dock.recent.item(0).data(Qt.ItemDataRole.UserRole) == str(path)


def test_review_refuses_a_non_session_file_with_one_line(make_window, tmp_path) -> None:
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not hdf5 at all")
    window = make_window(connect=False)
    assert not window.review.open_session(junk)
    message = window.errors.shown[-1]
    assert message.startswith(f"{junk} is not an HDF5 file") and "\n" not in message
    assert window.mode.value == "live"


WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from lsi_rig.config import load_rig
    from lsi_rig.jobs import CaptureJob, CaptureRequest, RecordCommitted, plan_from_config
    from lsi_rig.masks import load_masks
    from lsi_rig.scenes.procedural import demo_scenes
    from lsi_rig.scenes.source import InMemoryScenes
    config = load_rig("sim")
    plan = plan_from_config(config.acquisition, scenes=InMemoryScenes(demo_scenes(2)),
                            masks=load_masks("demo:hadamard16:64"), repeats=15)
    job = CaptureJob(CaptureRequest(config, plan, out=Path(sys.argv[1])))
    go = Path(sys.argv[2])
    def slow(event):
        if isinstance(event, RecordCommitted):
            time.sleep(0.15)
            if event.index == 1:
                go.write_text("ready")
    job.subscribe(slow)
    job.run()
    """
)


@pytest.mark.slow
def test_review_follows_a_file_another_process_is_writing(qtbot, make_window, tmp_path) -> None:
    path, ready = tmp_path / "growing.h5", tmp_path / "ready"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(ready)])
    try:
        qtbot.waitUntil(ready.exists, timeout=60_000)
        window = make_window(connect=False)
        assert window.review.open_session(path)
        first = window.review.session.n_records
        assert window.review.session.status is RunStatus.RUNNING
        qtbot.waitUntil(lambda: window.review.session.n_records >= first + 3, timeout=30_000)
        assert window.session_dock.record_index.maximum() == window.review.session.n_records - 1
        assert writer.wait(timeout=60) == 0
    finally:
        if writer.poll() is None:
            writer.kill()


def test_resume_session_completes_an_interrupted_file(qtbot, make_window, tmp_path) -> None:
    path = _capture(tmp_path / "cut.h5", scenes=3, repeats=2, stop_after=2)
    window = make_window(scenes=3)
    window.session_dock.repeats.setValue(2)
    window.flow.resume_session(path)
    qtbot.waitUntil(lambda: window.capture.job is not None and window.capture.job.state.is_final,
                    timeout=60_000)  # fmt: skip
    assert not window.errors.shown, window.errors.shown
    with open_session(path) as reader:
        assert reader.status is RunStatus.COMPLETE
        table = reader.records_table()
    keys = sorted(zip(table["scene_index"].tolist(), table["repeat_index"].tolist(), strict=True))
    assert keys == [(s, r) for s in range(3) for r in range(2)]

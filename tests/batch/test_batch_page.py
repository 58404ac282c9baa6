"""The batch page (offscreen Qt): a batch started, steered and finished from its buttons."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsi_rig.config import load_rig
from lsi_rig.jobs import JobState
from lsi_rig.storage import open_session

from .helpers import make_images, write_manifest

pytestmark = [pytest.mark.gui, pytest.mark.timeout(120)]


@pytest.fixture
def dialog(qtbot, tmp_path: Path):  # type: ignore[no-untyped-def]
    from lsi_rig.gui.batch_page import BatchDialog

    stems = [f"{i:04d}" for i in range(8)]
    make_images(tmp_path / "imgs", stems, size=16)
    write_manifest(tmp_path / "m.csv", [[s, f"imgs/{s}.png", "test"] for s in stems])
    page = BatchDialog(None, load_rig("sim-ideal"))
    qtbot.addWidget(page)
    page.masks_edit.setText("demo:hadamard16:8")
    page.source_edit.setText(str(tmp_path / "m.csv"))
    page.out_edit.setText(str(tmp_path / "gui.h5"))
    page.size_spin.setValue(16)
    page.order_combo.setCurrentText("shuffled")
    page.seed_spin.setValue(9)
    return page


def test_start_runs_the_batch_to_the_end(dialog, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert dialog.start_button.isEnabled() and not dialog.stop_button.isEnabled()
    dialog.start_button.click()
    assert not dialog.start_button.isEnabled() and dialog.stop_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.start_button.isEnabled(), timeout=60_000)
    assert dialog.job.result.job.status == "complete"
    assert dialog.progress.value() == dialog.progress.maximum() == 8
    assert dialog.status_label.text().startswith("finished: complete; QA report in")
    assert dialog.error_label.text() == ""
    with open_session(tmp_path / "gui.h5") as reader:
        assert reader.n_records == 8
        assert reader.extra["batch"]["order"] == "shuffled" and reader.extra["batch"]["seed"] == 9


def test_pause_resume_and_stop_buttons(dialog, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dialog.repeats_spin.setValue(50)
    dialog.start_button.click()
    dialog.pause_button.click()
    qtbot.waitUntil(lambda: dialog.job.state is JobState.PAUSED, timeout=30_000)
    dialog.resume_button.click()
    qtbot.waitUntil(lambda: dialog.job.state is JobState.RUNNING, timeout=30_000)
    dialog.stop_button.click()
    qtbot.waitUntil(lambda: dialog.start_button.isEnabled(), timeout=60_000)
    result = dialog.job.result
    assert result.job.state is JobState.CANCELLED
    if result.job.path is not None:  # stopped mid-capture: what was measured is kept
        with open_session(tmp_path / "gui.h5") as reader:
            assert reader.status == "interrupted" and reader.n_records < 400


def test_bad_input_is_shown_on_the_page(dialog, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dialog.source_edit.setText(str(tmp_path / "missing.csv"))
    dialog.start_button.click()
    assert "missing.csv" in dialog.error_label.text() and "not found" in dialog.error_label.text()
    assert dialog.job is None and dialog.start_button.isEnabled()
    assert not (tmp_path / "gui.h5").exists()

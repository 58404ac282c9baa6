"""The GUI wizard runs the same steps in a worker thread and saves the same calibration."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsi_rig.calibration import CalibrationSettings
from lsi_rig.calibration.store import current_folder, read_calibration
from lsi_rig.config import load_rig
from lsi_rig.masks import load_masks

pytestmark = [pytest.mark.gui, pytest.mark.timeout(180)]


def test_wizard_runs_the_steps_and_saves(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from lsi_rig.gui.calibration_wizard import CalibrationWizard

    config = load_rig("sim-ideal")
    wizard = CalibrationWizard(
        None,
        config,
        masks=load_masks("demo:hadamard16:16"),
        root=tmp_path,
        settings=CalibrationSettings(monitor_levels=4, response_count=4, registration_averages=1),
        steps=("monitor", "registration", "response"),
    )
    qtbot.addWidget(wizard)
    wizard.show()
    assert wizard.currentPage() is wizard.setup_page
    wizard.next()  # validates the setup page: opens the session in the worker
    for name in ("monitor", "registration", "response"):
        page = wizard.step_pages[name]
        assert wizard.currentPage() is page
        qtbot.waitUntil(page.isComplete, timeout=120_000)
        assert page.outcome is not None and page.outcome.ok, page.result.text()
        assert page.outcome.summary in page.result.text()
        assert page.figure.pixmap() is not None and not page.figure.pixmap().isNull()
        wizard.next()
    summary = wizard.summary_page
    assert wizard.currentPage() is summary
    qtbot.waitUntil(summary.isComplete, timeout=60_000)
    assert summary.saved is not None and summary.saved.made_current
    folder = current_folder(tmp_path / "sim-ideal")
    assert folder == summary.saved.folder and str(folder) in summary.text.text()
    assert read_calibration(folder).content.steps.response is not None
    wizard.close()
    assert not wizard._thread.isRunning()


def test_bad_mask_spec_stays_on_the_setup_page(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from lsi_rig.gui.calibration_wizard import CalibrationWizard

    wizard = CalibrationWizard(None, load_rig("sim-ideal"), root=tmp_path)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.setup_page.masks_edit.setText("no-such-masks.npy")
    wizard.next()
    assert wizard.currentPage() is wizard.setup_page
    assert "no-such-masks.npy" in wizard.setup_page.status.text()
    wizard.close()

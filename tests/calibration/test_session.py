"""Sessions: keeping the previous calibration when a fit is rejected, building on an earlier
calibration, cancelling, and the acceptance world with a far misregistration."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from lsi_rig.calibration import (
    CalibrationCancelled,
    CalibrationSession,
    CalibrationSettings,
    StepProgress,
    read_calibration,
)
from lsi_rig.calibration.affine import Affine
from lsi_rig.calibration.store import current_folder, list_calibrations
from lsi_rig.config import load_rig

from .conftest import synthetic_calibration
from .worlds import WIDE, smooth_masks, true_registration

pytestmark = pytest.mark.timeout(300)

FAST = CalibrationSettings(
    dark_repeats=1,
    gains_db=(40, 50),
    monitor_levels=5,
    registration_averages=2,
    response_count=6,
    check_duration_s=2.0,
    check_interval_s=1.0,
    check_repeats=2,
)


@pytest.mark.slow
def test_far_misregistration_is_measured_and_refused(tmp_path: Path) -> None:
    """±5 px, 3°, scale 0.95: registration and gamma are still recovered, but the monitor image
    cannot cover the mask area, so the registration is rejected, the step says why, and the
    calibration in force stays current."""
    config = WIDE.rig()
    masks = smooth_masks(16)
    previous = synthetic_calibration(config, masks, tmp_path)
    settings = CalibrationSettings(monitor_levels=6, registration_averages=4)
    with CalibrationSession(config, masks, root=tmp_path, settings=settings, base=None) as session:
        monitor = session.run_step("monitor")
        registration = session.run_step("registration")
        saved = session.save()
    true_gamma = WIDE.monitor["gamma"]
    assert all(abs(g / true_gamma - 1) < 0.02 for g in monitor.gamma), monitor.gamma  # type: ignore[attr-defined]
    fitted = Affine.from_list(registration.affine)  # type: ignore[attr-defined]
    error = fitted.max_distance(true_registration(config))
    print(f"wide: registration error {error:.3f} px, gamma {monitor.gamma}")  # type: ignore[attr-defined]
    assert error < 0.5, (fitted.describe(), true_registration(config).describe())
    assert not registration.ok
    assert (
        "covers only" in registration.summary
        and "enlarge the monitor image" in registration.summary
    )
    assert registration.coverage_after < 0.95  # type: ignore[attr-defined]
    assert saved.status == "failed" and not saved.made_current
    assert (
        "the calibration in force stays" in saved.message and str(previous.folder) in saved.message
    )
    assert current_folder(tmp_path / config.name) == previous.folder
    assert read_calibration(saved.folder).content.status == "failed"


@pytest.fixture(scope="module")
def ideal_calibrated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("ideal")
    config = load_rig("sim-ideal")
    with CalibrationSession(config, smooth_masks(16), root=root, settings=FAST, base=None) as s:
        for step in ("dark", "gain", "monitor", "registration", "response", "check"):
            assert s.run_step(step).ok
        saved = s.save()
    assert saved.made_current
    return root, saved.folder


def test_a_single_step_builds_on_the_current_calibration(
    ideal_calibrated: tuple[Path, Path],
) -> None:
    root, first = ideal_calibrated
    config = load_rig("sim-ideal")
    masks = smooth_masks(16)
    events: list[StepProgress] = []
    with CalibrationSession(config, masks, root=root, settings=FAST) as session:
        assert session.base is not None and session.base.folder == first
        session.run_step("dark", progress=events.append)
        saved = session.save()
    assert events and events[-1].fraction == 1.0 and events[-1].step == "dark"
    assert saved.made_current and current_folder(root / config.name) == saved.folder
    old, new = read_calibration(first).content, read_calibration(saved.folder).content
    assert new.steps.dark != old.steps.dark  # measured again
    assert new.steps.response == old.steps.response  # carried over
    assert (saved.folder / "response.png").read_bytes() == (first / "response.png").read_bytes()
    np.testing.assert_array_equal(
        read_calibration(saved.folder).arrays["response_gain"],
        read_calibration(first).arrays["response_gain"],
    )


def test_re_running_a_step_drops_its_dependents_and_keeps_the_current(
    ideal_calibrated: tuple[Path, Path],
) -> None:
    root, _ = ideal_calibrated
    config = load_rig("sim-ideal")
    before = current_folder(root / config.name)
    with CalibrationSession(config, smooth_masks(16), root=root, settings=FAST) as session:
        session.run_step("monitor")
        saved = session.save()
    content = read_calibration(saved.folder).content
    assert content.steps.monitor is not None and content.steps.dark is not None
    assert content.steps.registration is None and content.steps.response is None
    assert content.status == "partial" and not saved.made_current
    assert "no registration, response step yet" in content.message
    assert current_folder(root / config.name) == before


def test_a_rejected_response_fit_keeps_the_previous_calibration(
    ideal_calibrated: tuple[Path, Path],
) -> None:
    """The noise-free rig fits to R² 1 − 1e-12 or so; demanding more must reject, say why and
    leave the calibration in force alone."""
    root, _ = ideal_calibrated
    config = load_rig("sim-ideal")
    before = current_folder(root / config.name)
    strict = CalibrationSettings(response_count=4, min_r2=1.0 + 1e-9)
    with CalibrationSession(config, smooth_masks(16), root=root, settings=strict) as session:
        result = session.run_step("response")
        saved = session.save()
    assert not result.ok and result.summary.startswith("the response fit is not good enough")
    assert saved.status == "failed" and not saved.made_current
    assert current_folder(root / config.name) == before


def test_cancel_stops_a_step_and_saves_nothing(tmp_path: Path) -> None:
    config = load_rig("sim")
    settings = CalibrationSettings(walsh_order=64, registration_averages=4)
    session = CalibrationSession(
        config, smooth_masks(8), root=tmp_path, settings=settings, base=None
    )
    session.open()
    scratch = session._scratch
    started = threading.Event()

    def progress(event: StepProgress) -> None:
        started.set()

    outcome: list[BaseException] = []

    def work() -> None:
        try:
            session.run_step("registration", progress=progress)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    assert started.wait(60)
    session.cancel()
    thread.join(60)
    assert not thread.is_alive()
    session.close()
    assert len(outcome) == 1 and isinstance(outcome[0], CalibrationCancelled)
    assert session.steps.registration is None
    assert scratch is not None and not scratch.exists()
    assert list_calibrations(tmp_path / config.name) == []

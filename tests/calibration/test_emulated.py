"""The same wizard on ``--rig emulated``: the real DLPC350 (USB HID over pyusb), NI-DAQmx
(nidaqmx over gRPC) and serial sync drivers against their protocol emulators."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lsi_rig.calibration import (
    STEP_ORDER,
    CalibrationSession,
    CalibrationSettings,
    RigCalibration,
    official_simulation,
    r_squared,
    resolve_calibration,
    scale_factor,
)
from lsi_rig.calibration.affine import Affine
from lsi_rig.config import load_rig
from lsi_rig.jobs import CaptureJob, CaptureRequest, JobEvent, RecordCommitted, plan_from_config
from lsi_rig.scenes.procedural import face_scene
from lsi_rig.scenes.source import InMemoryScenes

from .worlds import smooth_masks, true_registration

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]


def test_calibrate_all_on_the_emulated_rig(tmp_path: Path) -> None:
    config = load_rig("emulated")
    masks = smooth_masks(24, shape=(64, 64))
    settings = CalibrationSettings(
        dark_repeats=1,
        gains_db=(40, 50),
        monitor_levels=5,
        registration_averages=2,
        response_count=8,
        check_duration_s=20.0,
        check_interval_s=10.0,
        check_repeats=2,
    )
    with CalibrationSession(config, masks, root=tmp_path, settings=settings, base=None) as session:
        devices = session.rig.describe()
        for step in STEP_ORDER:
            result = session.run_step(step)
            assert result.ok, f"{step}: {result.summary}"
        saved = session.save()
    assert saved.made_current
    assert "DLPC350" in str(devices["dmd"]) and "nidaqmx" in str(devices["detector"]).lower()
    calibration = resolve_calibration(
        config, None, masks=masks, gain_db=40, range_v=10.0, root=tmp_path
    )
    assert isinstance(calibration, RigCalibration)
    steps = calibration.content.steps
    assert steps.gain is not None and steps.gain.exposure_us == pytest.approx(694.0)
    assert steps.monitor is not None and abs(steps.monitor.gamma[1] / 2.2 - 1) < 0.02
    assert steps.registration is not None
    fitted = Affine.from_list(steps.registration.affine)
    error = fitted.max_distance(true_registration(config, (64, 64)))
    print(f"emulated: registration error {error:.3f} px, gamma {steps.monitor.gamma}")
    assert error < 0.5
    scenes = [face_scene(k, seed=99) for k in range(2)]
    plan = plan_from_config(config.acquisition, scenes=InMemoryScenes(scenes), masks=masks)
    records = []

    def keep(event: JobEvent) -> None:
        if isinstance(event, RecordCommitted):
            records.append(event.record)

    job = CaptureJob(CaptureRequest(config, plan, out=tmp_path / "new.h5", calibration=calibration))
    job.subscribe(keep)
    job.run()
    calibrated = np.array([r.calibrated_v for r in records], dtype=np.float64)
    ideal = official_simulation(masks, [s.image for s in scenes])
    r2, scale = r_squared(calibrated, ideal), scale_factor(calibrated, ideal)
    print(f"emulated: R² {r2:.6f}, scale {scale:.5f}")
    assert r2 >= 0.999 and abs(scale - 1) <= 0.01

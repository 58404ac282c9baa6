"""Fixtures: a calibration folder written without running the steps (fast store tests)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lsi_rig.calibration.affine import Affine
from lsi_rig.calibration.model import (
    CalibrationContent,
    MonitorResult,
    RegistrationResult,
    ResponseResult,
    StepResults,
)
from lsi_rig.calibration.provenance import make_provenance
from lsi_rig.calibration.render import linear_lut
from lsi_rig.calibration.store import StoredCalibration, utc_now, write_calibration
from lsi_rig.config import load_rig
from lsi_rig.config.schema import RigConfig
from lsi_rig.masks import load_masks
from lsi_rig.masks.maskset import MaskSet


def synthetic_calibration(
    rig_config: RigConfig,
    masks: MaskSet,
    root: Path,
    *,
    status: str = "ok",
    make_current: bool = True,
    gain: float = 1e-5,
) -> StoredCalibration:
    now = utc_now()
    common = {"ok": status != "failed", "summary": "synthetic", "created_utc": now}
    steps = StepResults(
        monitor=MonitorResult(
            **common,
            levels=[0, 255],
            gamma=(1.0, 1.0, 1.0),
            amplitude_v=(1.0, 1.0, 1.0),
            balance=(1.0, 1.0, 1.0),
            black_level=0.0,
            black_v=0.0,
            residual_rms_v=(0.0, 0.0, 0.0),
            max_relative_residual=0.0,
        ),
        registration=RegistrationResult(
            **common,
            walsh_order=32,
            affine=Affine.identity().to_list(),
            scale=1.0,
            rotation_deg=0.0,
            shift_px=(0.0, 0.0),
            dots=16,
            fit_residual_rms_px=0.0,
            verify_error_max_px=0.0,
            verify_error_rms_px=0.0,
            coverage_before=1.0,
            coverage_after=1.0,
            flat_ref=1.0,
            flat_residual_rms=0.0,
            flatness_after=0.0,
        ),
        response=None
        if status == "partial"
        else ResponseResult(
            **common,
            images=[("a", "0" * 64)],
            r2_pooled=1.0,
            r2_structure=1.0,
            r2_per_mask_min=1.0,
            relative_rms=0.0,
            r2_threshold=0.999,
            gain_mean_v=gain,
            gain_spread=0.0,
            offset_mean_v=0.0,
        ),
    )
    arrays = {
        "monitor_lut": linear_lut(),
        "registration_flat_field": np.ones((256, 256), dtype=np.float32),
    }
    if status != "partial":
        arrays["response_gain"] = np.full(masks.n, gain)
        arrays["response_offset"] = np.zeros(masks.n)
    content = CalibrationContent(
        created_utc=now,
        status=status,  # type: ignore[arg-type]
        message=status,
        provenance=make_provenance(
            rig_config, masks, devices={"dmd": {"model": "x"}}, exposure_us=250.0
        ),
        steps=steps,
    )
    return write_calibration(
        root / rig_config.name,
        content,
        arrays,
        {"response.png": b"\x89PNG"},
        make_current=make_current,
    )


@pytest.fixture
def sim_rig() -> RigConfig:
    return load_rig("sim")


@pytest.fixture
def masks16() -> MaskSet:
    return load_masks("demo:hadamard16:32")

"""Calibration wizards: recover the rig's true state so measured vectors equal the official
simulation (docs/calibration.md).

Qt-free. Steps (``dark``, ``gain``, ``monitor``, ``registration``, ``response``, ``check``) run
through the capture job on any rig; a :class:`CalibrationSession` runs them and saves a
calibration folder; :func:`resolve_calibration` picks the calibration a capture applies
(:class:`RigCalibration`, an :class:`~lsi_rig.core.calibration.AppliedCalibration`).
"""

from __future__ import annotations

from lsi_rig.calibration.affine import Affine
from lsi_rig.calibration.applied import RigCalibration
from lsi_rig.calibration.errors import CalibrationCancelled, CalibrationError, CalibrationRefused
from lsi_rig.calibration.model import STEP_ORDER, CalibrationContent, StepResult
from lsi_rig.calibration.resolve import calibration_for_capture, resolve_calibration
from lsi_rig.calibration.response_fit import official_simulation, r_squared, scale_factor
from lsi_rig.calibration.session import (
    CalibrationSession,
    SavedCalibration,
    StepProgress,
)
from lsi_rig.calibration.settings import CalibrationSettings
from lsi_rig.calibration.steps import STEPS
from lsi_rig.calibration.store import read_calibration

__all__ = [
    "STEPS",
    "STEP_ORDER",
    "Affine",
    "CalibrationCancelled",
    "CalibrationContent",
    "CalibrationError",
    "CalibrationRefused",
    "CalibrationSession",
    "CalibrationSettings",
    "RigCalibration",
    "SavedCalibration",
    "StepProgress",
    "StepResult",
    "calibration_for_capture",
    "official_simulation",
    "r_squared",
    "read_calibration",
    "resolve_calibration",
    "scale_factor",
]

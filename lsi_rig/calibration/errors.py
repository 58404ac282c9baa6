"""Errors of the calibration wizards; all are user-facing one-liners (exit code 2 in the CLI)."""

from __future__ import annotations

from lsi_rig.core.errors import CaptureStopped, LsiRigError


class CalibrationError(LsiRigError):
    """A calibration step cannot run, or a calibration file is missing or invalid."""


class CalibrationRefused(CalibrationError):
    """A calibration was made for another rig, mask set or detector setting."""


class CalibrationCancelled(CaptureStopped):
    """The operator cancelled a calibration step; nothing was made current."""

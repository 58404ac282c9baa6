"""A rig calibration as every layer sees it: a stored snapshot, and what applying it means.

The calibration wizards (``lsi_rig.calibration``) measure the rig and produce an
:class:`AppliedCalibration`; capture jobs apply it (scenes drawn through it, vectors calibrated
by it) without knowing how it was measured; sessions store its :class:`CalibrationSnapshot`
(content and hash) so every file says which calibration its calibrated vectors came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True, eq=False)
class CalibrationSnapshot:
    """The stored form: ``content_yaml`` (the calibration file, provenance included) plus its
    arrays; ``sha256`` is the calibration's content hash, ``source`` where it was loaded from."""

    rig_name: str
    created_utc: str
    sha256: str
    content_yaml: str
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    source: str = ""


@runtime_checkable
class AppliedCalibration(Protocol):
    """What a capture needs of a calibration."""

    @property
    def snapshot(self) -> CalibrationSnapshot: ...

    def scene_image(self, image: np.ndarray) -> np.ndarray:
        """The uint8 RGB image to put on the monitor for scene ``image`` (linearised for the
        monitor's response, registered to the mask area)."""
        ...

    def calibrate(self, vector_v: np.ndarray) -> np.ndarray:
        """Offset-corrected vector [n] (volts, mask order) -> the official simulation's scale."""
        ...

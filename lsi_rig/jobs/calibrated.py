"""Applying a rig calibration during a capture: scenes drawn through it, vectors calibrated.

Both are data transformations at the job level, so the engine and the devices stay unaware of
calibration: the scene table (ids, content hashes) still names the original images, and the
offset-corrected vector is kept beside its calibrated counterpart.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from lsi_rig.core.calibration import AppliedCalibration
from lsi_rig.core.records import MeasurementRecord
from lsi_rig.scenes.scene import Scene, SceneInfo
from lsi_rig.scenes.source import SceneSource


class CalibratedScenes:
    """A scene source whose images are shown through ``calibration.scene_image``."""

    def __init__(self, source: SceneSource, calibration: AppliedCalibration) -> None:
        self.source = source
        self.calibration = calibration

    @property
    def infos(self) -> Sequence[SceneInfo]:
        return self.source.infos

    def load(self, index: int) -> Scene:
        scene = self.source.load(index)
        shown = np.ascontiguousarray(self.calibration.scene_image(scene.image), dtype=np.uint8)
        return dataclasses.replace(scene, image=shown)


def calibrate_record(
    record: MeasurementRecord, calibration: AppliedCalibration
) -> MeasurementRecord:
    values = np.asarray(calibration.calibrate(record.vector_v), dtype=np.float32)
    return dataclasses.replace(record, calibrated_v=values)

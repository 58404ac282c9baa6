"""What every step gets (the rig, the target masks, results so far) and gives back."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lsi_rig.calibration.applied import renderer_for
from lsi_rig.calibration.capture import Capturer
from lsi_rig.calibration.model import StepResult, StepResults
from lsi_rig.calibration.render import SceneRenderer
from lsi_rig.calibration.settings import CalibrationSettings
from lsi_rig.config.schema import RigConfig
from lsi_rig.masks.maskset import MaskSet


@dataclass
class StepContext:
    capturer: Capturer
    rig_config: RigConfig
    masks: MaskSet
    settings: CalibrationSettings
    steps: StepResults
    arrays: dict[str, np.ndarray]
    created_utc: str

    def report(self, fraction: float, message: str) -> None:
        self.capturer.report(fraction, message)

    def renderer(self) -> SceneRenderer:
        """Scenes drawn with what the earlier steps measured."""
        return renderer_for(self.steps, self.arrays)

    def all_on(self, count: int) -> MaskSet:
        """``count`` all-on masks of the target shape (they light exactly the mask area)."""
        h, w = self.masks.shape
        return MaskSet(np.ones((count, h, w), dtype=bool), "all-on", "calibration:all-on")

    def on_off(self, pattern: str) -> MaskSet:
        """Masks of the target shape, all on (``1``) or all off (``0``), in ``pattern`` order."""
        h, w = self.masks.shape
        bits = np.zeros((len(pattern), h, w), dtype=bool)
        bits[[i for i, ch in enumerate(pattern) if ch == "1"]] = True
        return MaskSet(bits, f"on-off[{pattern}]", "calibration:on-off")


@dataclass(frozen=True)
class StepOutcome:
    result: StepResult
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    figure_png: bytes | None = None

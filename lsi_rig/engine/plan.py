"""The :class:`CapturePlan`: what to measure, independent of how devices do it."""

from __future__ import annotations

from dataclasses import dataclass

from lsi_rig.masks.maskset import MaskSet
from lsi_rig.scenes.source import SceneSource


@dataclass(frozen=True)
class CapturePlan:
    """Every scene, ``repeats`` records each, each record the mean of ``averages`` passes."""

    scenes: SceneSource
    masks: MaskSet
    exposure_us: float = 250.0
    period_us: float | None = None
    reference_every: int | None = 32
    repeats: int = 1
    averages: int = 1
    settle_s: float | None = None
    keep_trace: bool = False
    drift_threshold: float = 0.02
    read_timeout_s: float = 2.0

    @property
    def n_records(self) -> int:
        return len(self.scenes.infos) * self.repeats

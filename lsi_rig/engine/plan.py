"""The :class:`CapturePlan`: what to measure, independent of how devices do it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lsi_rig.config.schema import AcquisitionConfig
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

    @classmethod
    def from_config(
        cls,
        acquisition: AcquisitionConfig,
        *,
        scenes: SceneSource,
        masks: MaskSet,
        **overrides: Any,
    ) -> CapturePlan:
        """Plan with the rig's acquisition defaults, optionally overridden (CLI flags)."""
        values = acquisition.model_dump()
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(scenes=scenes, masks=masks, **values)

    @property
    def n_records(self) -> int:
        return len(self.scenes.infos) * self.repeats

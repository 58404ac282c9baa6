"""Capture plans from a rig's acquisition defaults plus per-run overrides (CLI flags, GUI)."""

from __future__ import annotations

from typing import Any

from lsi_rig.config.schema import AcquisitionConfig
from lsi_rig.engine.plan import CapturePlan
from lsi_rig.masks.maskset import MaskSet
from lsi_rig.scenes.source import SceneSource


def plan_from_config(
    acquisition: AcquisitionConfig,
    *,
    scenes: SceneSource,
    masks: MaskSet,
    **overrides: Any,
) -> CapturePlan:
    """Plan with the rig's acquisition defaults; overrides set to None keep the default."""
    values = acquisition.model_dump()
    values.update({k: v for k, v in overrides.items() if v is not None})
    return CapturePlan(scenes=scenes, masks=masks, **values)

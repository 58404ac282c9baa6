"""Configuration of the scene display backends."""

from __future__ import annotations

from typing import Literal

from lsi_rig.config.base import StrictModel


class SimDisplayConfig(StrictModel):
    """The simulated monitor of the world (physics in ``world.monitor``)."""

    backend: Literal["sim"] = "sim"


DisplayConfig = SimDisplayConfig

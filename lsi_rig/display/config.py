"""Configuration of the scene display backends."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from lsi_rig.core.strict import StrictModel


class SimDisplayConfig(StrictModel):
    """The simulated monitor of the world (physics in ``world.monitor``)."""

    backend: Literal["sim"] = "sim"


class WindowDisplayConfig(StrictModel):
    """The real scene monitor: a frameless full-screen window on one screen (QtGui)."""

    backend: Literal["window"] = "window"
    screen: int | str | None = Field(
        None, description="screen index or Qt name of the calibrated monitor; None: primary"
    )
    image_size_px: int | None = Field(
        None, gt=0, description="side of the shown square image in screen pixels; None: fit"
    )
    settle_time_s: float = Field(
        0.1, ge=0, description="wait after an image change (panel response + one frame)"
    )


DisplayConfig = SimDisplayConfig | WindowDisplayConfig

"""Configuration of the scene display backends."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from lsi_rig.core.strict import StrictModel


class _DisplayModel(StrictModel):
    """Numbers are finite and inside the documented ranges."""

    model_config = ConfigDict(allow_inf_nan=False)


class SimDisplayConfig(_DisplayModel):
    """The simulated monitor of the world (physics in ``world.monitor``)."""

    backend: Literal["sim"] = "sim"


class WindowDisplayConfig(_DisplayModel):
    """The real scene monitor: a frameless full-screen window on one screen (QtGui)."""

    backend: Literal["window"] = "window"
    screen: (
        Annotated[int, Field(ge=0, le=63)] | Annotated[str, Field(min_length=1, max_length=200)]
    ) | None = Field(
        None, description="screen index (0-63) or Qt name of the calibrated monitor; None: primary"
    )
    image_size_px: int | None = Field(
        None,
        gt=0,
        le=16384,
        description="side of the shown square image in screen pixels (≤ 16384); None: fit",
    )
    settle_time_s: float = Field(
        0.1, ge=0, le=600, description="wait after an image change (panel response + one frame)"
    )


DisplayConfig = SimDisplayConfig | WindowDisplayConfig

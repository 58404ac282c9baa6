"""Simulated scene monitor: shows images on the world's monitor."""

from __future__ import annotations

from typing import Any

import numpy as np

from lsi_rig.core.backend_context import BackendContext
from lsi_rig.core.errors import ConfigError
from lsi_rig.display.config import SimDisplayConfig
from lsi_rig.world import World


class SimDisplay:
    """The world's monitor as a :class:`~lsi_rig.display.protocol.SceneDisplay`."""

    def __init__(self, world: World) -> None:
        self.world = world

    @property
    def settle_time_s(self) -> float:
        return self.world.config.monitor.settle_time_s

    def describe(self) -> dict[str, Any]:
        m = self.world.config.monitor
        return {
            "model": "scene monitor (simulated)",
            "gamma": m.gamma,
            "black_level": m.black_level,
            "response_time_s": m.response_time_s,
            "settle_time_s": m.settle_time_s,
            "colour_weights": list(m.colour_weights),
        }

    def show(self, image: np.ndarray) -> float:
        return self.world.show_scene(image)

    def close(self) -> None:
        return None


def create(config: SimDisplayConfig, ctx: BackendContext) -> SimDisplay:
    if not isinstance(ctx.world, World):
        raise ConfigError("devices.display.backend 'sim' needs the rig's 'world' section")
    return SimDisplay(ctx.world)

"""A :class:`Rig`: the four devices of a configured rig, ready for the engine.

``build_rig`` creates the shared world (when the rig has one), starts protocol emulators the
rig asks for, then builds each device through the backend registry. The engine only ever sees
the device protocols.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from lsi_rig.config.schema import RigConfig
from lsi_rig.core.backend_context import BackendContext
from lsi_rig.core.clock import Clock, SimClock, WallClock
from lsi_rig.detector.protocol import Detector
from lsi_rig.display.protocol import SceneDisplay
from lsi_rig.dmd.protocol import Dmd
from lsi_rig.rig.backends import factory_for
from lsi_rig.sync.protocol import SyncController

log = logging.getLogger(__name__)


@dataclass
class Rig:
    config: RigConfig
    clock: Clock
    display: SceneDisplay
    dmd: Dmd
    detector: Detector
    sync: SyncController | None
    world: Any | None = None
    _closers: list[Any] = field(default_factory=list, repr=False)
    #: running protocol emulators by config name (``dlpc350_usb``: the DLPC350 emulator,
    #: ``daq_grpc``: the NI gRPC double, ``sync_pty``: the serial sync emulator); tests inject
    #: device faults through them
    emulators: dict[str, Any] = field(default_factory=dict, repr=False)

    def describe(self) -> dict[str, dict[str, Any]]:
        out = {
            "display": self.display.describe(),
            "dmd": self.dmd.describe(),
            "detector": self.detector.describe(),
        }
        if self.sync is not None:
            out["sync"] = self.sync.describe()
        return out

    def close(self) -> None:
        """Close devices, then emulators; never raises (logs instead)."""
        devices = [self.sync, self.detector, self.dmd, self.display]
        for obj in [*devices, *reversed(self._closers)]:
            if obj is None:
                continue
            try:
                obj.close()
            except Exception:  # closing must not hide the original error
                log.exception("error while closing %r", obj)

    def __enter__(self) -> Rig:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def build_rig(config: RigConfig) -> Rig:
    """Instantiate the world, emulators and devices described by ``config``."""
    world = None
    clock: Clock
    if config.world is not None:
        from lsi_rig.world import World

        sim_clock = SimClock()
        world = World(config.world, clock=sim_clock)
        clock = sim_clock
    else:
        clock = WallClock()
    ctx = BackendContext(rig=config, clock=clock, world=world)
    closers: list[Any] = []
    emulators: dict[str, Any] = {}
    built: dict[str, Any] = {}
    try:
        if config.emulators is not None:
            from lsi_rig.rig.emulators import start_emulators

            emulators = start_emulators(config, ctx)
            closers.extend(emulators.values())
        for kind in ("display", "dmd", "detector", "sync"):
            section = getattr(config.devices, kind)
            if section.backend == "none":
                built[kind] = None
                continue
            built[kind] = factory_for(kind, section.backend)(section, ctx)
    except BaseException:
        for obj in [*built.values(), *reversed(closers)]:
            if obj is not None:
                with contextlib.suppress(Exception):
                    obj.close()
        raise
    return Rig(
        config=config,
        clock=clock,
        display=built["display"],
        dmd=built["dmd"],
        detector=built["detector"],
        sync=built["sync"],
        world=world,
        _closers=closers,
        emulators=emulators,
    )

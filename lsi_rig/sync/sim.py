"""Simulated trigger/sync controller: counts the world's TRIG_OUT_1 edges."""

from __future__ import annotations

import math
from typing import Any

from lsi_rig.core.backend_context import BackendContext
from lsi_rig.core.errors import ConfigError, DeviceError
from lsi_rig.sync.config import SimSyncConfig
from lsi_rig.sync.protocol import EdgeGate, SyncStatus
from lsi_rig.sync.wire import COINCIDENT_US
from lsi_rig.world import World

IDENTITY = "lsi-rig sim sync 1"


class SimSync:
    """Edge counter on the world's TRIG_OUT_1 plus a simple pulse-train generator state."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._reset_s = world.clock.now_s()
        self._train: tuple[int, float, float] | None = None  # n, period_s, width_s
        self._fired_s: float | None = None
        self._gate: tuple[float, float] | None = None  # armed at (s), window (s)

    def describe(self) -> dict[str, Any]:
        return {"model": "sync controller (simulated)", "identity": IDENTITY}

    def identify(self) -> str:
        return IDENTITY

    def arm(self, n_pulses: int, period_us: float, width_us: float) -> None:
        if n_pulses < 1 or period_us <= 0 or not 0 < width_us < period_us:
            raise DeviceError(
                f"sim sync: cannot arm {n_pulses} pulses of {width_us} µs every {period_us} µs"
            )
        self._train = (int(n_pulses), period_us * 1e-6, width_us * 1e-6)
        self._fired_s = None

    def fire(self) -> None:
        if self._train is None:
            raise DeviceError("sim sync: fire() before arm()")
        self._fired_s = self.world.clock.now_s()

    def abort(self) -> None:
        self._train = None
        self._fired_s = None

    def _remaining(self) -> int:
        if self._train is None:
            return 0
        n, period, _ = self._train
        if self._fired_s is None:
            return n
        elapsed = self.world.clock.now_s() - self._fired_s
        return max(0, n - math.floor(elapsed / period) - 1) if elapsed >= 0 else n

    def status(self) -> SyncStatus:
        remaining = self._remaining()
        firing = self._fired_s is not None and remaining > 0
        return SyncStatus(
            armed=self._train is not None and self._fired_s is None,
            firing=firing,
            pulses_remaining=remaining,
            edge_count=self.edge_count(),
        )

    def edge_count(self) -> int:
        return self.world.trigger_edge_count(self._reset_s, self.world.clock.now_s())

    def reset_edge_count(self) -> None:
        self._reset_s = self.world.clock.now_s()

    @property
    def has_edge_gate(self) -> bool:
        return True

    def arm_edge_gate(self, window_us: float) -> None:
        if not 0 < window_us <= 60e6:
            raise DeviceError(f"sim sync: gate window {window_us} µs is outside 0-60 s")
        self._gate = (self.world.clock.now_s(), window_us * 1e-6)

    def edge_gate(self) -> EdgeGate:
        """Opened by the pass start the detector also triggers on (the next TRIG_OUT_2 rising
        edge after arming), counting TRIG_OUT_1 rising edges for the window."""
        if self._gate is None:
            return EdgeGate("idle", 0)
        t_arm, window = self._gate
        now = self.world.clock.now_s()
        t_open = self.world.next_sequence_start_s(t_arm)
        if t_open is None or t_open > now:
            return EdgeGate("armed", 0)
        t_close = t_open + window
        t_end = min(now + 1e-9, t_close)  # an edge at "now" has happened
        edges = self.world.trigger_edge_count(t_open - COINCIDENT_US * 1e-6, t_end)
        return EdgeGate("done" if now >= t_close else "counting", edges)

    def close(self) -> None:
        self.abort()


def create(config: SimSyncConfig, ctx: BackendContext) -> SimSync:
    if not isinstance(ctx.world, World):
        raise ConfigError("devices.sync.backend 'sim' needs the rig's 'world' section")
    return SimSync(ctx.world)

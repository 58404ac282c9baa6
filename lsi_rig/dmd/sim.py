"""Simulated DLP4500: loads pattern sequences into the world's DMD sequencer."""

from __future__ import annotations

from typing import Any

from lsi_rig.core.backend_context import BackendContext
from lsi_rig.core.errors import ConfigError, DeviceError
from lsi_rig.core.timing import SequenceTiming
from lsi_rig.dmd.config import SimDmdConfig
from lsi_rig.dmd.protocol import DmdStatus
from lsi_rig.dmd.sequence import PatternSequence
from lsi_rig.dmd.timing import check_pattern_timing
from lsi_rig.world import World


class SimDmd:
    """A DMD that runs exactly the requested timing (no video frames, no padding)."""

    def __init__(self, config: SimDmdConfig, world: World) -> None:
        self.config = config
        self.world = world
        self._timing: SequenceTiming | None = None
        self._mask_shape: tuple[int, int] | None = None
        self._closed = False

    def describe(self) -> dict[str, Any]:
        dmd = self.world.config.dmd
        out: dict[str, Any] = {
            "model": "DLP4500 (simulated)",
            "controller": "DLPC350 (simulated)",
            "array": {
                "columns": dmd.columns,
                "rows": dmd.rows,
                "column_pitch_um": dmd.column_pitch_um,
                "row_pitch_um": dmd.row_pitch_um,
                "diamond": self.world.physics.optics.diamond_geometry,
            },
            "enforce_dlpc350_limits": self.config.enforce_dlpc350_limits,
        }
        if self._mask_shape is not None:
            g = self.world.mask_geometry(self._mask_shape)
            out["geometry"] = {
                "mask_shape": list(g.mask_shape),
                "block_size": g.block_size,
                "col0": g.col0,
                "row0": g.row0,
                "width_cols": g.width_cols,
                "height_rows": g.height_rows,
            }
            out["block_size"] = g.block_size
        return out

    def load_sequence(self, sequence: PatternSequence) -> SequenceTiming:
        self._check_open()
        if self.config.enforce_dlpc350_limits:
            try:
                check_pattern_timing(sequence.exposure_us, sequence.period_us)
            except ConfigError as exc:
                raise DeviceError(f"simulated DLPC350 refused the sequence: {exc}") from exc
        self.world.load_patterns(
            sequence.bits(),
            level="mask",
            exposure_us=sequence.exposure_us,
            period_us=sequence.period_us,
        )
        self._mask_shape = sequence.masks.shape
        self._timing = SequenceTiming(
            n_patterns=sequence.n_patterns,
            exposure_us=sequence.exposure_us,
            period_us=sequence.period_us,
            sequence_period_us=sequence.n_patterns * sequence.period_us,
        )
        return self._timing

    def start(self) -> None:
        self._check_open()
        self.world.start_sequence()

    def stop(self) -> None:
        self.world.stop_sequence()

    def status(self) -> DmdStatus:
        running = self.world.sequence_running
        return DmdStatus(
            running=running,
            healthy=not self._closed,
            raw={"loaded": self._timing is not None},
            device="simulated DMD",
        )

    def close(self) -> None:
        if not self._closed:
            self.world.stop_sequence()
            self._closed = True

    def _check_open(self) -> None:
        if self._closed:
            raise DeviceError("simulated DMD: used after close()")


def create(config: SimDmdConfig, ctx: BackendContext) -> SimDmd:
    if not isinstance(ctx.world, World):
        raise ConfigError("devices.dmd.backend 'sim' needs the rig's 'world' section")
    return SimDmd(config, ctx.world)

"""Simulated PDA100A2 + DAQ reading the world's photodiode.

Per-pattern mode samples at every TRIG_OUT_1 falling edge (the DAQ's external sample clock);
oversampled mode records the photodiode and TRIG_OUT_1 at ``sample_rate_hz`` from the sequence
start and cuts the trace with :func:`lsi_rig.detector.windows.segment_trace`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lsi_rig.core.backend_context import BackendContext
from lsi_rig.core.errors import ConfigError, DeviceError, DeviceTimeoutError
from lsi_rig.core.flags import RecordFlags
from lsi_rig.detector.config import MAX_TRACE_SAMPLES, SimDetectorConfig
from lsi_rig.detector.protocol import AcquisitionMode, AcquisitionRequest, DetectorReading
from lsi_rig.detector.windows import segment_trace
from lsi_rig.world import World

NEAR_SATURATION_FRACTION = 0.9
SETTLING_BANDWIDTHS = 1.1  # 0.1 % settling of a single pole takes 1.1/BW (hardware.md §3)


class SimDetector:
    """:class:`~lsi_rig.detector.protocol.Detector` backed by the world."""

    def __init__(self, config: SimDetectorConfig, world: World) -> None:
        self.config = config
        self.world = world
        world.set_detector(gain_db=config.gain_db, range_v=config.range_v)
        max_rate = world.config.daq.max_sample_rate_hz
        if config.mode is AcquisitionMode.OVERSAMPLED and config.sample_rate_hz > max_rate:
            raise ConfigError(
                f"devices.detector.sample_rate_hz: {config.sample_rate_hz:g} Hz exceeds the "
                f"simulated DAQ's {max_rate:g} S/s (world.daq.max_sample_rate_hz)"
            )
        self._request: AcquisitionRequest | None = None
        self._t_arm: float = 0.0

    @property
    def gain_db(self) -> float:
        return float(self.config.gain_db)

    @property
    def range_v(self) -> float:
        return self.config.range_v

    @property
    def mode(self) -> AcquisitionMode:
        return self.config.mode

    def describe(self) -> dict[str, Any]:
        pd = self.world.photodiode
        return {
            "model": "PDA100A2 (simulated)",
            "daq": "DAQ (simulated)",
            "gain_db": self.config.gain_db,
            "transimpedance_v_per_a": pd.transimpedance_v_per_a,
            "bandwidth_hz": pd.bandwidth_hz,
            "range_v": self.config.range_v,
            "mode": self.config.mode.value,
            "sample_rate_hz": self.config.sample_rate_hz,
            "settle_guard_fraction": self.config.settle_guard_fraction,
            "daq_resolution_bits": self.world.config.daq.resolution_bits,
            "load": self.world.config.photodiode.load,
        }

    def arm(self, request: AcquisitionRequest) -> None:
        self.world.set_detector(gain_db=self.config.gain_db, range_v=self.config.range_v)
        self._request = request
        self._t_arm = self.world.clock.now_s()

    def read(self) -> DetectorReading:
        request = self._request
        if request is None:
            raise DeviceError("simulated detector: read() before arm()")
        self._request = None
        clock = self.world.clock
        t0 = self.world.next_sequence_start_s(self._t_arm)
        seq_s = request.sequence_period_us * 1e-6
        if self.config.mode is AcquisitionMode.OVERSAMPLED:
            n_trace = round(seq_s * self.config.sample_rate_hz)
            if n_trace > MAX_TRACE_SAMPLES:
                raise ConfigError(
                    f"devices.detector: an oversampled pass of {seq_s:g} s at "
                    f"{self.config.sample_rate_hz:g} S/s is {n_trace} samples (limit "
                    f"{MAX_TRACE_SAMPLES}); lower sample_rate_hz or the pattern exposure"
                )
        if t0 is None or t0 + seq_s - self._t_arm > request.timeout_s:
            # like a real DAQ whose start trigger never came: nothing arrived, so raise
            clock.sleep_s(max(0.0, self._t_arm + request.timeout_s - clock.now_s()))
            why = "no sequence running" if t0 is None else "sequence did not finish in time"
            raise DeviceTimeoutError(
                f"simulated detector: read timed out after {request.timeout_s} s ({why}); "
                "check that the DMD sequence was started"
            )
        flags = RecordFlags.NONE
        trace = None
        if self.config.mode is AcquisitionMode.PER_PATTERN:
            sampled = self.world.sample_per_pattern(
                t0, request.n_patterns, noise_key=request.record_key
            )
            samples, edges = sampled.samples_v, sampled.edges_seen
            if sampled.timing_anomaly:
                flags |= RecordFlags.TIMING_ANOMALY
            if not sampled.scene_settled:
                flags |= RecordFlags.SCENE_NOT_SETTLED
            if sampled.saturated:
                flags |= RecordFlags.SATURATED
            elif sampled.near_saturation:
                flags |= RecordFlags.NEAR_SATURATION
        else:
            trace = self.world.sample_trace(
                t0,
                seq_s,
                self.config.sample_rate_hz,
                ("photodiode", "trig_out_1"),
                noise_key=request.record_key,
            )
            if not self.world.scene_settled(t0, t0 + seq_s):
                flags |= RecordFlags.SCENE_NOT_SETTLED
            windows = segment_trace(
                trace[0],
                trace[1],
                request.n_patterns,
                settle_guard_fraction=self.config.settle_guard_fraction,
            )
            samples, edges = windows.samples_v, windows.n_windows
            faults = self.world.pass_faults(t0)
            if faults is not None and faults.dropped_frame is not None:
                flags |= RecordFlags.TIMING_ANOMALY
            flags |= self._level_flags(trace[0])
        # edge counts are compared with what the DMD emits per pass (padding included) by the
        # engine (lsi_rig.engine.edges), which knows the loaded sequence's timing
        if np.isnan(samples).any():
            flags |= RecordFlags.PARTIAL_READ
        if (
            SETTLING_BANDWIDTHS / self.world.detector_bandwidth_hz
            > 0.25 * request.exposure_us * 1e-6
        ):
            flags |= RecordFlags.SLOW_DETECTOR
        clock.advance_to(t0 + seq_s)
        return DetectorReading(
            samples_v=samples,
            t_start_s=t0,
            flags=flags,
            edges_seen=edges,
            trace_v=trace if request.keep_trace else None,
            trace_rate_hz=self.config.sample_rate_hz if trace is not None else None,
        )

    def _level_flags(self, values: np.ndarray) -> RecordFlags:
        if self.world.config.ideal:
            return RecordFlags.NONE
        limit = self.world.photodiode.usable_max_v
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            return RecordFlags.NONE
        top = float(finite.max())
        q = self.world.photodiode.quantum_v
        if top >= limit - 1.5 * q or float(finite.min()) <= -self.config.range_v + 0.5 * q:
            return RecordFlags.SATURATED
        if top > NEAR_SATURATION_FRACTION * limit:
            return RecordFlags.NEAR_SATURATION
        return RecordFlags.NONE

    def close(self) -> None:
        self._request = None


def create(config: SimDetectorConfig, ctx: BackendContext) -> SimDetector:
    if not isinstance(ctx.world, World):
        raise ConfigError("devices.detector.backend 'sim' needs the rig's 'world' section")
    if not math.isfinite(config.range_v):
        raise ConfigError("devices.detector.range_v must be finite")
    return SimDetector(config, ctx.world)

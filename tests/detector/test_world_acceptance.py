"""Acceptance: the real nidaqmx client against the gRPC double, fed by the real World, measures
exactly what the simulated detector measures (same seed, noise off), in both modes."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from lsi_rig.config.schema import RigConfig
from lsi_rig.core.backend_context import BackendContext
from lsi_rig.core.flags import RecordFlags
from lsi_rig.detector import nidaqmx_backend, sim
from lsi_rig.detector.config import SimDetectorConfig
from lsi_rig.detector.grpc_double import start_server
from lsi_rig.world import World, WorldConfig
from tests.detector.conftest import request_for

pytestmark = pytest.mark.timeout(60)

N_PATTERNS = 24
NOISE_OFF = {"shot": False, "amplifier": False, "daq": False, "quantisation": False}
WORLDS = {
    "ideal": {"seed": 5, "ideal": True},
    "physics_noise_off": {"seed": 5, "noise": NOISE_OFF},
}


def _world(world_cfg: dict, exposure_us: float, period_us: float) -> World:
    world = World(WorldConfig(**world_cfg))
    rng = np.random.default_rng(11)
    world.show_scene(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8))
    world.clock.sleep_s(0.2)  # monitor settled
    bits = rng.random((N_PATTERNS, 32, 32)) < 0.5
    world.load_patterns(bits, level="mask", exposure_us=exposure_us, period_us=period_us)
    world.clock.sleep_s(0.0123)
    world.start_sequence()
    world.clock.sleep_s(0.0031)  # arm mid-pass: the start trigger must realign
    return world


def _rig(world_cfg: dict, detector: dict) -> RigConfig:
    return RigConfig(name="emulated-daq", world=world_cfg, devices={"detector": detector})


def _measure_emulated(world_cfg, detector, request, passes=2, **server_kw):
    world = _world(world_cfg, request.exposure_us, request.period_us)
    handle = start_server(world, **server_kw)
    rig = _rig(world_cfg, detector)
    ctx = BackendContext(
        rig=rig, clock=world.clock, world=world, endpoints={"daq_grpc_address": handle.address}
    )
    det = nidaqmx_backend.create(rig.devices.detector, ctx)
    try:
        readings = []
        for _ in range(passes):
            det.arm(request)
            readings.append(det.read())
        return world, det.describe(), readings
    finally:
        det.close()
        handle.close()


def _measure_sim(world_cfg, detector, request, passes=2):
    world = _world(world_cfg, request.exposure_us, request.period_us)
    common = {k: v for k, v in detector.items() if k in SimDetectorConfig.model_fields}
    cfg = SimDetectorConfig(**{**common, "backend": "sim"})
    rig = _rig(world_cfg, cfg.model_dump())
    det = sim.create(cfg, BackendContext(rig=rig, clock=world.clock, world=world))
    readings = []
    for _ in range(passes):
        det.arm(request)
        readings.append(det.read())
    return world, readings


@pytest.mark.parametrize("world_name", sorted(WORLDS))
def test_per_pattern_equals_world_and_sim(world_name):
    world_cfg = WORLDS[world_name]
    detector = {"backend": "nidaqmx", "gain_db": 40, "grpc": {"address": "emulator"}}
    request = request_for(N_PATTERNS, period_us=500.0, exposure_us=500.0)
    world, describe, emulated = _measure_emulated(world_cfg, detector, request)
    _, simulated = _measure_sim(world_cfg, detector, request)
    # the same world, asked directly for the two passes after arming
    ref = _world(world_cfg, request.exposure_us, request.period_us)
    t0 = ref.next_sequence_start_s(ref.clock.now_s())
    seq_s = N_PATTERNS * 500e-6
    for k, (emu, simr) in enumerate(zip(emulated, simulated, strict=True)):
        expected = ref.sample_per_pattern(t0 + k * seq_s, N_PATTERNS).samples_v
        np.testing.assert_array_equal(emu.samples_v, expected)
        np.testing.assert_array_equal(emu.samples_v, simr.samples_v)
        assert np.isfinite(emu.samples_v).all() and np.ptp(emu.samples_v) > 0
        assert emu.edges_seen is None and simr.edges_seen == N_PATTERNS
        assert not emu.flags & (RecordFlags.PARTIAL_READ | RecordFlags.MISSING_EDGES)
    last_fall = ref.trigger_edges(t0, t0 + 2 * seq_s).trig1_falling_s[-1]
    assert world.clock.now_s() == pytest.approx(last_fall, abs=1e-12)  # the last sample
    assert describe["gain_db"] == 40 and describe["transport"].startswith("grpc 127.0.0.1:")


@pytest.mark.parametrize("world_name", sorted(WORLDS))
def test_oversampled_equals_sim(world_name):
    world_cfg = WORLDS[world_name]
    detector = {
        "backend": "nidaqmx",
        "mode": "oversampled",
        "sample_rate_hz": 100e3,
        "gain_db": 30,
        "grpc": {"address": "emulator"},
    }
    request = request_for(N_PATTERNS, period_us=500.0, exposure_us=260.0, keep_trace=True)
    _, _, emulated = _measure_emulated(world_cfg, detector, request)
    _, simulated = _measure_sim(world_cfg, detector, request)
    for emu, simr in zip(emulated, simulated, strict=True):
        np.testing.assert_array_equal(emu.samples_v, simr.samples_v)
        np.testing.assert_array_equal(emu.trace_v, simr.trace_v)
        assert emu.edges_seen == simr.edges_seen == N_PATTERNS
        assert np.isfinite(emu.samples_v).all()


def test_minimal_server_with_world():
    """A server with only hardware.md §4.3's RPCs serves the main flow (both modes)."""
    world_cfg = WORLDS["ideal"]
    for detector, request in (
        ({"backend": "nidaqmx", "grpc": {"address": "emulator"}}, request_for(N_PATTERNS)),
        (
            {"backend": "nidaqmx", "mode": "oversampled", "sample_rate_hz": 50e3,
             "grpc": {"address": "emulator"}},
            request_for(N_PATTERNS, exposure_us=600.0),
        ),
    ):  # fmt: skip
        _, describe, readings = _measure_emulated(
            world_cfg, detector, request, passes=1, only_table_rpcs=True
        )
        assert describe["device_max_multi_chan_rate_hz"] is None
        assert np.isfinite(readings[0].samples_v).all()


def test_gain_pushed_to_world_and_slow_detector_flagged(caplog):
    detector = {"backend": "nidaqmx", "gain_db": 70, "grpc": {"address": "emulator"}}
    request = request_for(N_PATTERNS, period_us=500.0)
    with caplog.at_level(logging.WARNING):
        world, describe, readings = _measure_emulated(
            WORLDS["physics_noise_off"], detector, request
        )
    assert world.photodiode.bandwidth_hz == 2e3  # 70 dB row of the default table
    assert describe["gain_db"] == 70 and describe["bandwidth_hz"] == 2e3
    assert all(r.flags & RecordFlags.SLOW_DETECTOR for r in readings)
    slow = [r for r in caplog.records if "settles to 0.1 % in 550.0 µs" in r.getMessage()]
    assert len(slow) == 1  # warned once per detector, not per pass

"""Sim backends through the device protocols and the lead's rig builder."""

from __future__ import annotations

import numpy as np
import pytest

from lsi_rig.config import load_rig
from lsi_rig.core.backend_context import BackendContext
from lsi_rig.core.errors import DeviceError, DeviceTimeoutError
from lsi_rig.core.flags import RecordFlags
from lsi_rig.core.timing import SequenceTiming
from lsi_rig.detector.config import SimDetectorConfig
from lsi_rig.detector.protocol import AcquisitionMode, AcquisitionRequest, Detector
from lsi_rig.detector.sim import SimDetector
from lsi_rig.display.protocol import SceneDisplay
from lsi_rig.dmd.protocol import Dmd
from lsi_rig.dmd.sequence import PatternSequence
from lsi_rig.engine.edges import detector_edge_flags
from lsi_rig.masks.maskset import MaskSet
from lsi_rig.rig import Rig, build_rig
from lsi_rig.sync.protocol import SyncController
from lsi_rig.world import World


def sequence(n: int = 64, exposure_us: float = 250.0) -> PatternSequence:
    bits = np.random.default_rng(5).integers(0, 2, (n, 32, 32)).astype(bool)
    return PatternSequence.build(
        MaskSet(bits, "r", "test"), exposure_us=exposure_us, reference_every=32
    )


def capture(rig: Rig, seq: PatternSequence, timeout_s: float = 1.0):  # type: ignore[no-untyped-def]
    timing = rig.dmd.load_sequence(seq)
    rig.dmd.start()
    assert rig.sync is not None
    rig.sync.reset_edge_count()
    rig.detector.arm(
        AcquisitionRequest(
            seq.n_patterns, seq.exposure_us, seq.period_us, timing.sequence_period_us, timeout_s
        )
    )
    return rig.detector.read()


@pytest.fixture
def rig() -> Rig:
    with build_rig(load_rig("sim")) as built:
        image = np.random.default_rng(6).integers(0, 256, (256, 256, 3), dtype=np.uint8)
        built.display.show(image)
        built.clock.sleep_s(built.display.settle_time_s)
        yield built


def test_protocols_and_descriptions(rig: Rig) -> None:
    assert isinstance(rig.world, World)
    assert isinstance(rig.display, SceneDisplay)
    assert isinstance(rig.dmd, Dmd)
    assert isinstance(rig.detector, Detector)
    assert isinstance(rig.sync, SyncController)
    assert rig.display.settle_time_s == 0.05
    rig.dmd.load_sequence(sequence())
    desc = rig.describe()
    assert desc["dmd"]["model"] == "DLP4500 (simulated)" and desc["dmd"]["block_size"] == 17
    assert desc["detector"]["model"] == "PDA100A2 (simulated)"
    assert desc["detector"]["gain_db"] == 40 and desc["detector"]["daq_resolution_bits"] == 16
    assert rig.sync.identify() == "lsi-rig sim sync 1"


def test_per_pattern_capture(rig: Rig) -> None:
    seq = sequence()
    reading = capture(rig, seq)
    assert reading.flags == RecordFlags.NONE and reading.edges_seen == seq.n_patterns
    world = rig.world
    expected = world.expected_pattern_volts(reading.t_start_s)
    noise = world.predicted_noise_v(expected)
    assert np.all(np.abs(reading.samples_v - expected) < 6 * noise)
    assert rig.clock.now_s() == pytest.approx(reading.t_start_s + seq.n_patterns * 250e-6)
    assert rig.sync.edge_count() == seq.n_patterns
    assert rig.dmd.status().running


def test_oversampled_capture_matches_per_pattern(rig: Rig) -> None:
    world = rig.world
    cfg = SimDetectorConfig(mode=AcquisitionMode.OVERSAMPLED, sample_rate_hz=200e3)
    ctx = BackendContext(rig=rig.config, clock=rig.clock, world=world)
    from lsi_rig.detector.sim import create

    detector = create(cfg, ctx)
    seq = sequence(exposure_us=1000)
    timing = rig.dmd.load_sequence(seq)
    rig.dmd.start()
    detector.arm(
        AcquisitionRequest(
            seq.n_patterns, 1000, 1000, timing.sequence_period_us, 1.0, keep_trace=True
        )
    )
    reading = detector.read()
    assert reading.edges_seen == seq.n_patterns and reading.flags == RecordFlags.NONE
    assert reading.trace_v is not None and reading.trace_v.shape == (2, 200 * seq.n_patterns)
    expected = world.expected_pattern_volts(reading.t_start_s)
    np.testing.assert_allclose(reading.samples_v, expected, atol=5e-4)


def test_timeout_without_sequence(rig: Rig) -> None:
    rig.dmd.load_sequence(sequence())
    t_before = rig.clock.now_s()
    rig.detector.arm(AcquisitionRequest(10, 250, 250, 2500, 0.5))
    with pytest.raises(DeviceTimeoutError, match=r"timed out after 0.5 s \(no sequence running\)"):
        rig.detector.read()
    assert rig.clock.now_s() == pytest.approx(t_before + 0.5)


def test_flags_slow_detector_and_saturation() -> None:
    world = World(load_rig("sim").world)  # type: ignore[arg-type]
    world.show_scene(np.full((64, 64, 3), 255, dtype=np.uint8))
    world.clock.sleep_s(1.0)
    cfg = SimDetectorConfig(gain_db=70)
    detector = SimDetector(cfg, world)
    seq = sequence()
    world.load_patterns(seq.bits(), level="mask", exposure_us=250, period_us=250)
    world.start_sequence()
    detector.arm(AcquisitionRequest(seq.n_patterns, 250, 250, seq.duration_us, 1.0))
    flags = detector.read().flags
    assert RecordFlags.SLOW_DETECTOR in flags and RecordFlags.SATURATED in flags


def test_edge_fault_flags() -> None:
    config = load_rig("sim").world
    assert config is not None
    config = config.model_copy(
        update={
            "faults": config.faults.model_copy(
                update={"missing_edge_rate": 0.05, "dropped_frame_rate": 1.0}
            )
        }
    )
    world = World(config)
    detector = SimDetector(SimDetectorConfig(), world)
    seq = sequence()
    world.load_patterns(seq.bits(), level="mask", exposure_us=250, period_us=250)
    world.start_sequence()
    detector.arm(AcquisitionRequest(seq.n_patterns, 250, 250, seq.duration_us, 1.0))
    reading = detector.read()
    assert RecordFlags.TIMING_ANOMALY in reading.flags
    assert reading.edges_seen is not None and reading.edges_seen < seq.n_patterns
    # the engine compares the pass's own edge count with what the DMD emits per pass
    timing = SequenceTiming(seq.n_patterns, 250, 250, seq.duration_us)
    assert detector_edge_flags(reading, timing) == RecordFlags.MISSING_EDGES


def test_sim_dmd_enforces_dlpc350_limits(rig: Rig) -> None:
    with pytest.raises(DeviceError, match="235"):
        rig.dmd.load_sequence(sequence(exposure_us=100))


def test_sim_sync_pulse_train(rig: Rig) -> None:
    sync = rig.sync
    assert sync is not None
    sync.arm(5, 1000, 100)
    assert sync.status().armed and sync.status().pulses_remaining == 5
    sync.fire()
    rig.clock.sleep_s(2.5e-3)
    status = sync.status()
    assert status.firing and status.pulses_remaining == 2
    rig.clock.sleep_s(1.0)
    assert not sync.status().firing
    with pytest.raises(DeviceError):
        sync.arm(0, 1000, 100)


def test_sim_ideal_rig_measures_the_official_simulation() -> None:
    with build_rig(load_rig("sim-ideal")) as rig:
        image = np.random.default_rng(8).integers(0, 256, (256, 256, 3), dtype=np.uint8)
        rig.display.show(image)
        rig.clock.sleep_s(rig.display.settle_time_s)
        bits = np.random.default_rng(9).integers(0, 2, (24, 256, 256)).astype(bool)
        seq = PatternSequence.build(MaskSet(bits, "r", "test"), exposure_us=250)
        reading = capture(rig, seq)
        assert reading.flags == RecordFlags.NONE
        official = bits.reshape(24, -1).astype(np.float64) @ (image / 255.0).sum(-1).ravel()
        scale = rig.world.ideal_scale_v((256, 256))
        np.testing.assert_allclose(reading.samples_v / scale, official, rtol=1e-9)

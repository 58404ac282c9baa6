"""PDA100A2 + DAQ physics: bandwidth, saturation, quantisation, noise, gain table."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lsi_rig.core.errors import ConfigError
from lsi_rig.world import World
from tests.world.conftest import QUIET, make_world, run_pass

EXPOSURE_US = 250.0


def alternating_masks(n: int = 4) -> np.ndarray:
    masks = np.zeros((n, 16, 16), dtype=bool)
    masks[1::2] = True
    return masks


def show_settled(world: World, value: int) -> None:
    world.show_scene(np.full((32, 32, 3), value, dtype=np.uint8))
    world.clock.sleep_s(1.0)


def grey(world: World) -> None:
    show_settled(world, 128)


def test_first_order_settling_across_patterns() -> None:
    world = make_world(noise=QUIET, dmd={"trig_out_1_min_low_us": 0.0})
    world.set_detector(gain_db=70, range_v=10.0)
    show_settled(world, 30)
    t0 = run_pass(world, alternating_masks())
    levels = world.expected_pattern_volts()
    dark, on = levels[0], levels[1]
    tau = 1 / (2 * math.pi * 2e3)
    a = math.exp(-EXPOSURE_US * 1e-6 / tau)
    samples = world.sample_per_pattern(t0).samples_v
    y1 = on + (dark - on) * a
    y2 = dark + (y1 - dark) * a
    y3 = on + (y2 - on) * a
    np.testing.assert_allclose(samples, [dark, y1, y2, y3], rtol=1e-9)
    assert world.detector_bandwidth_hz == 2e3


def test_dark_gap_relaxes_towards_dark_level() -> None:
    world = make_world(noise=QUIET)
    world.set_detector(gain_db=70, range_v=10.0)
    show_settled(world, 30)
    masks = np.ones((3, 16, 16), dtype=bool)
    t0 = run_pass(world, masks, exposure_us=250, period_us=500)
    dark = world.sample_per_pattern(t0).samples_v  # warm-up pass 0 ends settled? check below
    level = world.expected_pattern_volts()[0]
    v_dark = world.photodiode.volts(world.config.optics.ambient_w)
    tau = 1 / (2 * math.pi * 2e3)
    a, g = math.exp(-250e-6 / tau), math.exp(-250e-6 / tau)
    y0 = level + (v_dark - level) * a
    y1 = level + (v_dark + (y0 - v_dark) * g - level) * a
    np.testing.assert_allclose(dark[:2], [y0, y1], rtol=1e-9)


def test_saturation_and_daq_clipping() -> None:
    world = make_world(noise={"shot": False, "amplifier": False, "daq": False})
    world.set_detector(gain_db=70, range_v=10.0)  # 15 µA x 4.75 MV/A >> 10 V
    grey(world)
    t0 = run_pass(world, np.ones((2, 16, 16), dtype=bool))
    sp = world.sample_per_pattern(t0)
    q = 20 / 2**16
    assert sp.saturated and sp.near_saturation
    np.testing.assert_array_equal(sp.samples_v, [10 - q, 10 - q])
    world.set_detector(gain_db=70, range_v=2.0)
    sp = world.sample_per_pattern(t0)
    np.testing.assert_array_equal(sp.samples_v, [2 - 4 / 2**16] * 2)


def test_50_ohm_load_halves_gain_and_output_limit() -> None:
    world = make_world(noise=QUIET, photodiode={"load": "50_ohm"})
    world.set_detector(gain_db=70, range_v=10.0)
    grey(world)
    t0 = run_pass(world, np.ones((1, 16, 16), dtype=bool))
    sp = world.sample_per_pattern(t0)
    assert sp.saturated and sp.samples_v[0] == 5.0
    assert world.photodiode.transimpedance_v_per_a == 4.75e6 / 2


def test_near_saturation_flag() -> None:
    world = make_world(noise=QUIET)
    world.set_detector(gain_db=40, range_v=2.5)  # bright ≈ 2.27 V > 0.9·2.5 V, < 2.5 V
    show_settled(world, 255)
    t0 = run_pass(world, np.ones((1, 16, 16), dtype=bool))
    sp = world.sample_per_pattern(t0)
    assert sp.near_saturation and not sp.saturated


def test_quantisation_step() -> None:
    world = make_world(noise={"shot": False, "amplifier": True, "daq": False})
    world.set_detector(gain_db=40, range_v=1.0)
    show_settled(world, 20)
    t0 = run_pass(world, alternating_masks(8))
    samples = world.sample_per_pattern(t0).samples_v
    q = 2.0 / 2**16
    codes = samples / q
    np.testing.assert_allclose(codes, np.round(codes), atol=1e-9)
    assert len(np.unique(samples)) > 2


def test_unknown_gain_names_valid_settings() -> None:
    world = make_world()
    with pytest.raises(ValueError, match=r"valid: 0, 10, 20, 30, 40, 50, 60, 70 dB") as info:
        world.set_detector(gain_db=35, range_v=10.0)
    assert isinstance(info.value, ConfigError)


@pytest.mark.parametrize("gain_db", [40, 70])
def test_per_pattern_noise_matches_prediction(gain_db: int) -> None:
    world = make_world(optics={"white_power_w": 2e-6})
    world.set_detector(gain_db=gain_db, range_v=10.0)
    grey(world)
    masks = np.zeros((4, 16, 16), dtype=bool)
    masks[1:, :8] = True
    masks[3] = True
    t0 = run_pass(world, masks, exposure_us=2000)  # long enough to settle at 70 dB
    runs = np.stack([world.sample_per_pattern(t0).samples_v for _ in range(400)])
    predicted = world.predicted_noise_v(world.expected_pattern_volts())
    np.testing.assert_allclose(runs.std(axis=0, ddof=1), predicted, rtol=0.10)
    mean_error = np.abs(runs.mean(axis=0) - world.expected_pattern_volts())
    assert np.all(mean_error < 5 * predicted / np.sqrt(400))


def test_shot_noise_formula() -> None:
    world = make_world(
        noise={"shot": True, "amplifier": False, "daq": False, "quantisation": False}
    )
    world.set_detector(gain_db=50, range_v=10.0)
    volts = np.array([0.003, 1.003])
    current = 1.0 / 4.75e5
    expected = 4.75e5 * math.sqrt(2 * 1.602176634e-19 * current * math.pi / 2 * 45e3)
    np.testing.assert_allclose(world.predicted_noise_v(volts), [0.0, expected], rtol=1e-12)


def test_window_average_noise_matches_prediction() -> None:
    world = make_world(optics={"white_power_w": 2e-6})
    world.set_detector(gain_db=60, range_v=10.0)  # 11 kHz: samples at 200 kHz are correlated
    grey(world)
    t0 = run_pass(world, np.ones((2, 16, 16), dtype=bool), exposure_us=1000)
    rate = 200e3
    t_window = t0 + 500e-6
    traces = np.stack(
        [world.sample_trace(t_window, 200e-6, rate, ("photodiode",))[0] for _ in range(400)]
    )
    assert traces.shape == (400, 40)
    level = world.expected_pattern_volts()[:1]
    predicted = world.predicted_noise_v(level, mode="oversampled", window_samples=40, rate_hz=rate)[
        0
    ]
    white = world.predicted_noise_v(level, mode="oversampled", window_samples=40)[0]
    assert predicted > 1.5 * white  # correlation matters at this bandwidth
    assert abs(traces.mean(axis=1).std(ddof=1) / predicted - 1) < 0.10


def test_ideal_world_has_no_noise() -> None:
    world = make_world(ideal=True)
    assert np.all(world.predicted_noise_v(np.array([0.0, 1.0, 5.0])) == 0)

"""Monitor radiance (gamma, black level, colour weights) and the settle blend."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lsi_rig.world.config import MonitorConfig
from lsi_rig.world.monitor import Monitor
from tests.world.conftest import QUIET, make_world, run_pass


def test_gamma_black_level_and_weights() -> None:
    mon = Monitor(
        MonitorConfig(
            gamma=2.2, black_level=0.002, peak_radiance=2.0, colour_weights=(0.5, 1.0, 0.25)
        )
    )
    assert mon.channel_radiance(np.array([0]))[0] == 2.0 * 0.002
    assert mon.channel_radiance(np.array([255]))[0] == 2.0
    r128 = 2.0 * (0.002 + 0.998 * (128 / 255) ** 2.2)
    assert abs(mon.channel_radiance(np.array([128]))[0] - r128) < 1e-15
    image = np.array([[[128, 255, 0]]], dtype=np.uint8)
    expected = 0.5 * r128 + 1.0 * 2.0 + 0.25 * 2.0 * 0.002
    assert abs(mon.panchromatic(image)[0, 0] - expected) < 1e-15
    assert abs(mon.white_level - 2.0 * 1.75) < 1e-15


def test_scene_change_blends_exponentially() -> None:
    tau = 0.005
    world = make_world(noise=QUIET, monitor={"response_time_s": tau})
    masks = np.zeros((4, 32, 32), dtype=bool)
    masks[:, :16] = True
    masks[1] = True
    dark_img = np.full((64, 64, 3), 40, dtype=np.uint8)
    bright_img = np.full((64, 64, 3), 220, dtype=np.uint8)
    world.show_scene(dark_img)
    world.clock.sleep_s(1.0)
    run_pass(world, masks)
    v_old = world.expected_pattern_volts()
    t_change = world.show_scene(bright_img)
    v_new = world.expected_pattern_volts()
    assert np.all(v_new > v_old)
    world.clock.sleep_s(0.003)
    t0 = world.next_sequence_start_s(world.clock.now_s())
    assert t0 is not None
    blended = world.expected_pattern_volts(t0)
    t_sample = t0 + np.arange(4) * 250e-6 + 240e-6  # falling edge: 10 µs minimum low time
    frac = np.exp(-(t_sample - t_change) / tau)
    np.testing.assert_allclose(blended, v_new + (v_old - v_new) * frac, rtol=1e-12)
    world.clock.sleep_s(1.0)
    t1 = world.next_sequence_start_s(world.clock.now_s())
    np.testing.assert_allclose(world.expected_pattern_volts(t1), v_new, rtol=1e-12)
    assert math.isclose(world.sample_per_pattern(t1).samples_v[1], v_new[1], rel_tol=1e-12)


def test_weights_of_several_quick_changes() -> None:
    mon = Monitor(MonitorConfig(response_time_s=0.01))
    img = np.zeros((2, 2, 3), dtype=np.uint8)
    mon.show(img, 0.0)
    mon.show(img + 100, 0.01)
    mon.show(img + 200, 0.015)
    t = np.array([-1.0, 0.005, 0.012, 0.02, 10.0])
    weights = dict((id(s), w) for s, w in mon.weights_at(t))
    total = sum(weights.values())
    np.testing.assert_allclose(total, 1.0)
    last = weights[id(mon.history[-1])]
    np.testing.assert_allclose(last, [0, 0, 0, 1 - math.exp(-0.5), 1.0], atol=1e-12)
    first = weights[id(mon.history[0])]
    # at 12 ms: change 1 is 1.2 tau old, change 2 is 0.2 tau old -> f_2 − f_1
    assert first[2] == pytest.approx(math.exp(-0.2) - math.exp(-1.2), rel=1e-12)
    assert first[0] == 0 and first[1] == pytest.approx(1 - math.exp(-0.5), rel=1e-12)

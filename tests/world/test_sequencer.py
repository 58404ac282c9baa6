"""DMD timing, trigger edges and injected faults."""

from __future__ import annotations

import numpy as np
import pytest

from lsi_rig.core.errors import DeviceError
from tests.world.conftest import QUIET, make_world, run_pass


def test_edges_of_a_clean_pass() -> None:
    world = make_world(dmd={"trig_out_1_min_low_us": 8.0})
    masks = np.ones((5, 8, 8), dtype=bool)
    world.clock.sleep_s(0.1)
    t0 = run_pass(world, masks, exposure_us=300, period_us=300)
    assert t0 == pytest.approx(0.1)
    e = world.trigger_edges(t0, t0 + 5 * 300e-6)
    np.testing.assert_allclose(e.trig1_rising_s - t0, np.arange(5) * 300e-6, atol=1e-15)
    np.testing.assert_allclose(e.trig1_falling_s - t0, np.arange(5) * 300e-6 + 292e-6, atol=1e-15)
    np.testing.assert_allclose(e.trig2_rising_s, [t0])
    two = world.trigger_edges(t0, t0 + 10 * 300e-6)
    assert two.trig1_rising_s.size == 10 and two.trig2_rising_s.size == 2
    assert world.trigger_edge_count(t0, t0 + 1.0) == 3334  # ceil(1 s / 300 µs)
    assert (
        world.trigger_edge_count(t0, t0 + 1.0)
        == world.trigger_edges(t0, t0 + 1.0).trig1_rising_s.size
    )


def test_dark_gap_keeps_falling_edge_at_exposure_end() -> None:
    world = make_world()
    t0 = run_pass(world, np.ones((3, 8, 8), dtype=bool), exposure_us=250, period_us=500)
    e = world.trigger_edges(t0, t0 + 1.5e-3)
    np.testing.assert_allclose(e.trig1_falling_s - t0, [250e-6, 750e-6, 1250e-6], atol=1e-15)


def test_stop_truncates_and_next_start_is_none() -> None:
    world = make_world()
    t0 = run_pass(world, np.ones((4, 8, 8), dtype=bool))
    world.clock.advance_to(t0 + 2.5 * 250e-6)
    world.stop_sequence()
    assert not world.sequence_running
    assert world.next_sequence_start_s(world.clock.now_s()) is None
    e = world.trigger_edges(t0, t0 + 1.0)
    assert e.trig1_rising_s.size == 3 and e.trig1_falling_s.size == 2
    sp = world.sample_per_pattern(t0)
    assert sp.edges_seen == 2 and np.isnan(sp.samples_v[2:]).all()


def test_next_sequence_start_and_sequence_period_padding() -> None:
    world = make_world()
    world.load_patterns(
        np.ones((4, 8, 8), dtype=bool),
        level="mask",
        exposure_us=250,
        period_us=250,
        sequence_period_us=2000,
    )
    start = world.start_sequence()
    assert world.next_sequence_start_s(start) == start
    assert world.next_sequence_start_s(start + 1e-6) == pytest.approx(start + 2e-3)
    with pytest.raises(DeviceError, match="shorter"):
        world.load_patterns(
            np.ones((4, 8, 8), dtype=bool),
            level="mask",
            exposure_us=250,
            period_us=250,
            sequence_period_us=900,
        )


def test_start_without_patterns_is_refused() -> None:
    with pytest.raises(DeviceError, match="no sequence"):
        make_world().start_sequence()


def test_missing_and_extra_edges_are_shared_by_all_readers() -> None:
    world = make_world(noise=QUIET, faults={"missing_edge_rate": 0.05, "extra_edge_rate": 0.05})
    world.show_scene(np.full((16, 16, 3), 100, dtype=np.uint8))
    n = 200
    t0 = run_pass(world, np.ones((n, 8, 8), dtype=bool))
    faults = world.pass_faults(t0)
    assert faults is not None and faults.missing.size > 0 and faults.extra.size > 0
    glitched = np.setdiff1d(faults.extra, faults.missing).size
    t1 = world.next_sequence_start_s(t0 + 1e-9)
    assert t1 is not None
    e = world.trigger_edges(t0, t1)
    assert e.trig1_rising_s.size == n - faults.missing.size + glitched
    assert e.trig1_falling_s.size == n - faults.missing.size + glitched
    again = world.trigger_edges(t0, t1)
    np.testing.assert_array_equal(e.trig1_rising_s, again.trig1_rising_s)
    assert twin_world_edges(t0, n) == e.trig1_rising_s.size
    sp = world.sample_per_pattern(t0, n)
    assert sp.edges_seen == e.trig1_falling_s.size
    assert world.trigger_edge_count(t0, t1) == e.trig1_rising_s.size
    # a later pass draws its own faults
    other = world.pass_faults(t1)
    assert other is not None
    assert not np.array_equal(other.missing, faults.missing)


def twin_world_edges(t0: float, n: int) -> int:
    """A second world with the same seed sees the same edges for the same pass."""
    twin = make_world(noise=QUIET, faults={"missing_edge_rate": 0.05, "extra_edge_rate": 0.05})
    twin.clock.advance_to(t0)
    twin.load_patterns(np.ones((n, 8, 8), dtype=bool), level="mask", exposure_us=250, period_us=250)
    twin.start_sequence()
    t1 = twin.next_sequence_start_s(t0 + 1e-9)
    assert t1 is not None
    return twin.trigger_edges(t0, t1).trig1_rising_s.size


def test_dropped_frame_repeats_previous_frame() -> None:
    world = make_world(noise=QUIET, faults={"dropped_frame_rate": 1.0})
    world.show_scene(np.random.default_rng(3).integers(0, 256, (32, 32, 3), dtype=np.uint8))
    world.clock.sleep_s(1.0)
    masks = np.random.default_rng(4).integers(0, 2, (72, 8, 8)).astype(bool)
    t0 = run_pass(world, masks)
    faults = world.pass_faults(t0)
    assert faults is not None and faults.dropped_frame in (1, 2)
    f = faults.dropped_frame
    sp = world.sample_per_pattern(t0)
    expected = world.expected_pattern_volts()
    assert sp.timing_anomaly and sp.edges_seen == 72
    np.testing.assert_allclose(sp.samples_v[: 24 * f], expected[: 24 * f], rtol=1e-9)
    np.testing.assert_allclose(sp.samples_v[24 * f :], expected[24 * (f - 1) : 72 - 24], rtol=1e-9)


def test_pass_lookup_across_runs() -> None:
    world = make_world(noise=QUIET)
    world.show_scene(np.full((16, 16, 3), 200, dtype=np.uint8))
    masks = np.ones((4, 8, 8), dtype=bool)
    t0 = run_pass(world, masks)
    world.clock.advance_to(t0 + 0.0105)
    world.stop_sequence()
    world.clock.sleep_s(0.01)
    t_restart = world.start_sequence()
    sp = world.sample_per_pattern(t0 + 0.0106)  # between the runs: the new run's first pass
    assert sp.edges_seen == 4 and not np.isnan(sp.samples_v).any()
    assert world.pass_faults(t0 + 0.0106) is not None
    assert world.next_sequence_start_s(t_restart) == t_restart
    assert world.trigger_edge_count(t0, t_restart + 1e-3) == 42 + 4


def test_a_stop_scheduled_for_later_ends_the_edges_then() -> None:
    """A fault that will happen (the DLPC350 emulator's video unlock at a chosen time)."""
    world = make_world()
    t0 = run_pass(world, np.ones((4, 8, 8), dtype=bool))  # 1 ms passes
    world.stop_sequence(at_s=t0 + 2.5e-3)
    assert world.sequence_running  # still showing patterns until then
    assert world.next_sequence_start_s(t0 + 1.2e-3) == pytest.approx(t0 + 2e-3)
    assert world.next_sequence_start_s(t0 + 2.2e-3) is None  # pass 3 would start after the stop
    assert world.trigger_edges(t0, t0 + 1.0).trig1_rising_s.size == 10  # 2.5 passes of 4
    world.clock.advance_to(t0 + 2.6e-3)
    assert not world.sequence_running
    world.stop_sequence(at_s=t0 + 5.0)  # a stopped run stays stopped where it was
    assert world.trigger_edges(t0, t0 + 1.0).trig1_rising_s.size == 10

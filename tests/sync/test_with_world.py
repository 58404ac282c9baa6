"""The emulated controller counts exactly the real World's TRIG_OUT_1 edges, faults included."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from lsi_rig.sync.emulator import start_pty_emulator
from lsi_rig.sync.serial_backend import SerialSync
from lsi_rig.world import World, WorldConfig
from lsi_rig.world.config import FaultsConfig

N_PATTERNS = 24
PERIOD_US = 400.0


@pytest.fixture
def world() -> World:
    faults = FaultsConfig(missing_edge_rate=0.05, extra_edge_rate=0.05)
    world = World(WorldConfig(seed=7, faults=faults))
    bits = np.random.default_rng(1).integers(0, 2, (N_PATTERNS, 32, 32)).astype(bool)
    world.load_patterns(bits, level="mask", exposure_us=200.0, period_us=PERIOD_US)
    return world


@pytest.fixture
def sync(world: World) -> Iterator[SerialSync]:
    with start_pty_emulator(world) as emu, SerialSync(emu.port, timeout_s=1.0) as dev:
        yield dev


def rising(world: World, t0_s: float, t1_s: float) -> int:
    return len(world.trigger_edges(t0_s, t1_s).trig1_rising_s)


def test_edge_count_equals_the_worlds_edges(world: World, sync: SerialSync) -> None:
    world.clock.sleep_s(0.01)
    assert sync.edge_count() == 0  # nothing runs yet
    t_start = world.start_sequence()
    sync.reset_edge_count()
    t_reset = world.clock.now_s()
    assert t_reset == t_start
    seq_s = N_PATTERNS * PERIOD_US * 1e-6
    for n_passes in (1, 3, 10, 40):
        world.clock.advance_to(t_start + n_passes * seq_s - 1e-7)  # just before pass n starts
        expected = rising(world, t_reset, world.clock.now_s())
        assert sync.edge_count() == expected
        assert sync.status().edge_count == expected
    nominal = 40 * N_PATTERNS
    assert expected != nominal  # the injected missing/extra edges are visible
    assert abs(expected - nominal) < 0.2 * nominal
    world.stop_sequence()
    world.clock.sleep_s(1.0)
    assert sync.edge_count() == rising(world, t_reset, world.clock.now_s()) == expected


def test_reset_between_passes_counts_one_pass(world: World, sync: SerialSync) -> None:
    t_start = world.start_sequence()
    seq_s = N_PATTERNS * PERIOD_US * 1e-6
    counts = []
    for k in range(20):
        world.clock.advance_to(t_start + k * seq_s)
        sync.reset_edge_count()
        world.clock.advance_to(t_start + (k + 1) * seq_s)
        counts.append(sync.edge_count())
        assert counts[-1] == rising(world, t_start + k * seq_s, t_start + (k + 1) * seq_s)
    assert N_PATTERNS in counts
    assert any(c != N_PATTERNS for c in counts)

"""The pass-gated edge counter (protocol 1.1: ``GATE``/``GATE?``): armed before a pass, opened by
TRIG_OUT_2, closed after the window, latched however late it is read — in the emulator, the
serial backend, the simulated controller and the reference firmware."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import numpy as np
import pytest

from lsi_rig.core.errors import DeviceError
from lsi_rig.sync.emulator import SyncDeviceModel, start_pty_emulator
from lsi_rig.sync.serial_backend import SerialSync
from lsi_rig.sync.sim import SimSync
from lsi_rig.sync.wire import (
    COINCIDENT_US,
    Command,
    ErrorCode,
    GateState,
    Identity,
    Reply,
    Request,
    SyncCommandError,
    parse_gate,
)
from lsi_rig.world import World, WorldConfig
from lsi_rig.world.config import FaultsConfig
from tests.sync.test_emulator import exchange
from tests.sync.world_stub import StubWorld

from .test_firmware import HostFirmware, firmware, firmware_binary  # noqa: F401

TIMEOUT_S = 0.5


def run(model: SyncDeviceModel, command: Command, *args: int) -> Reply:
    return model.handle(Request(command, args, 1))


def gate(model: SyncDeviceModel) -> tuple[GateState, int]:
    reply = run(model, Command.GATE_QUERY)
    assert reply.ok
    return parse_gate(reply.payload)


class TestEmulatorModel:
    def test_states_and_latched_count(self) -> None:
        # 10 patterns of 1 ms per pass, passes at 0, 10, 20 ms ...; pattern 3 has no edge
        world = StubWorld(n_patterns=10, period_s=1e-3, missing=(3,))
        model = SyncDeviceModel(world, Identity("x", (1, 1)))
        assert gate(model) == (GateState.IDLE, 0)
        world.clock.advance_to(12.5e-3)  # mid-pass: the gate waits for the next pass start
        assert run(model, Command.GATE, 9_800).ok
        assert gate(model) == (GateState.ARMED, 0)
        world.clock.advance_to(20e-3)  # the pass start: its first edge coincides
        assert gate(model) == (GateState.COUNTING, 1)
        world.clock.advance_to(25.5e-3)  # patterns 0..5 started, 3 missing
        assert gate(model) == (GateState.COUNTING, 5)
        world.clock.advance_to(29.8e-3)
        assert gate(model) == (GateState.DONE, 9)
        world.clock.advance_to(95e-3)  # read much later: the sequencer ran on, count latched
        assert gate(model) == (GateState.DONE, 9)
        assert run(model, Command.GATE, 9_800).ok  # re-arming starts over at the next pass
        assert gate(model) == (GateState.ARMED, 0)

    def test_arming_at_a_pass_start_opens_on_that_pass(self) -> None:
        world = StubWorld(n_patterns=10, period_s=1e-3)
        model = SyncDeviceModel(world, Identity("x", (1, 1)))
        world.clock.advance_to(10e-3)
        assert run(model, Command.GATE, 9_800).ok
        world.clock.advance_to(30e-3)
        assert gate(model) == (GateState.DONE, 10)

    @pytest.mark.parametrize(
        ("args", "code"),
        [((0,), ErrorCode.OUT_OF_RANGE), ((60_000_001,), ErrorCode.OUT_OF_RANGE)],
    )
    def test_window_limits(self, args: tuple[int, ...], code: ErrorCode) -> None:
        model = SyncDeviceModel(StubWorld(), Identity("x", (1, 1)))
        reply = run(model, Command.GATE, *args)
        assert not reply.ok and reply.error_code == code
        assert "window_us must be 1..60000000" in reply.payload


GATE_SCRIPT = b"@1 GATE\n@2 GATE 0\n@3 GATE?\n@4 GATE 100000\n@5 GATE?\n@6 gate? 1\n"
GATE_REPLIES = [
    b"@1 ERR 2 GATE takes 1 arguments",
    b"@2 ERR 3 window_us must be 1..60000000",
    b"@3 OK state=0 edges=0",
    b"@4 OK",
    b"@5 OK state=1 edges=0",
    b"@6 ERR 2 GATE? takes 0 arguments",
]


def test_emulator_and_firmware_answer_gate_requests_alike(firmware: HostFirmware) -> None:  # noqa: F811
    with start_pty_emulator(StubWorld(start_s=100.0)) as emu:
        fd = os.open(emu.port, os.O_RDWR | os.O_NOCTTY)
        try:
            assert exchange(fd, GATE_SCRIPT, len(GATE_REPLIES)) == GATE_REPLIES
        finally:
            os.close(fd)
    fd = os.open(firmware.port, os.O_RDWR | os.O_NOCTTY)
    try:
        exchange(fd, b"", 1)  # boot banner
        assert exchange(fd, GATE_SCRIPT, len(GATE_REPLIES)) == GATE_REPLIES
    finally:
        os.close(fd)


def test_firmware_gate_counts_one_pass_in_real_time(firmware: HostFirmware) -> None:  # noqa: F811
    with SerialSync(firmware.port, timeout_s=1.0) as dev:
        assert dev.has_edge_gate
        dev.arm_edge_gate(300_000)  # 300 ms window
        firmware.edges(3)  # TRIG_OUT_1 edges of the previous pass: not counted
        assert dev.edge_gate().state == "armed"
        os.write(firmware.edge_w, b"et")  # the pass start: TRIG_OUT_1 just before TRIG_OUT_2
        firmware.edges(4)
        counting = dev.edge_gate()
        assert (counting.state, counting.edges) == ("counting", 5)
        time.sleep(0.35)
        firmware.edges(6)  # the next pass, after the window closed
        done = dev.edge_gate()
        assert (done.state, done.edges) == ("done", 5)
        time.sleep(0.05)
        assert dev.edge_gate() == done  # latched
        dev.arm_edge_gate(300_000)
        os.write(firmware.edge_w, b"te")  # TRIG_OUT_2 first this time: still one edge
        assert dev.edge_gate().edges == 1
        assert dev.edge_count() == 3 + 1 + 4 + 6 + 1  # the free-running counter is unchanged


class TestSerialBackend:
    @pytest.fixture
    def world(self) -> World:
        faults = FaultsConfig(missing_edge_rate=0.05, extra_edge_rate=0.05)
        world = World(WorldConfig(seed=7, faults=faults))
        bits = np.random.default_rng(1).integers(0, 2, (24, 32, 32)).astype(bool)
        world.load_patterns(bits, level="mask", exposure_us=200.0, period_us=400.0)
        return world

    @pytest.fixture
    def sync(self, world: World) -> Iterator[SerialSync]:
        with start_pty_emulator(world) as emu, SerialSync(emu.port, timeout_s=TIMEOUT_S) as dev:
            yield dev

    def test_gate_equals_the_worlds_edges_of_each_pass(
        self, world: World, sync: SerialSync
    ) -> None:
        t_start = world.start_sequence()
        seq_s = 24 * 400e-6
        counts = []
        for k in range(0, 60, 2):  # every other pass: arm before it, read in the next
            world.clock.advance_to(t_start + k * seq_s - 150e-6)  # just before pass k
            sync.arm_edge_gate(23 * 400 + 0.8 * 400)
            world.clock.advance_to(t_start + (k + 1) * seq_s + 3e-3)  # read late: next pass runs
            got = sync.edge_gate()
            t0 = t_start + k * seq_s
            expected = len(world.trigger_edges(t0 - 1e-6, t0 + seq_s - 50e-6).trig1_rising_s)
            assert got.done and got.edges == expected, k
            counts.append(got.edges)
        assert min(counts) < 24 < max(counts)  # injected faults are visible per pass

    def test_gate_arm_is_not_resent_but_the_query_is(self, world: World) -> None:
        with start_pty_emulator(world) as emu, SerialSync(emu.port, timeout_s=0.2) as dev:
            emu.inject("silence", command="GATE")
            with pytest.raises(DeviceError, match="did not answer GATE"):
                dev.arm_edge_gate(1000)
            emu.inject("silence", command="GATE?")
            assert dev.edge_gate().state == "armed"
            names = [line.split(" ", 1)[1].split()[0] for line in emu.received]
            assert names.count("GATE") == 1 and names.count("GATE?") == 2

    def test_window_checked_on_the_host(self, sync: SerialSync) -> None:
        with pytest.raises(SyncCommandError, match="window_us must be") as err:
            sync.arm_edge_gate(1e9)
        assert err.value.code == ErrorCode.OUT_OF_RANGE

    def test_protocol_1_0_device_has_no_gate(self) -> None:
        with (
            start_pty_emulator(StubWorld(), protocol_version=(1, 0)) as emu,
            SerialSync(emu.port, timeout_s=TIMEOUT_S) as dev,
        ):
            assert not dev.has_edge_gate
            with pytest.raises(DeviceError, match=r"protocol 1\.0 and has no GATE"):
                dev.arm_edge_gate(1000)


class TestSimSync:
    def test_gate_latches_the_pass_the_detector_samples(self) -> None:
        world = World(WorldConfig(seed=3, faults=FaultsConfig(missing_edge_rate=0.1)))
        bits = np.random.default_rng(1).integers(0, 2, (20, 16, 16)).astype(bool)
        world.load_patterns(bits, level="mask", exposure_us=250.0, period_us=250.0)
        sync = SimSync(world)
        assert sync.edge_gate().state == "idle"
        t_start = world.start_sequence()
        world.clock.sleep_s(1.2e-3)  # mid-pass 0
        sync.arm_edge_gate(19 * 250 + 200)
        assert sync.edge_gate().state == "armed"
        t1 = world.next_sequence_start_s(world.clock.now_s())
        assert t1 is not None and t1 == pytest.approx(t_start + 20 * 250e-6)
        world.clock.advance_to(t1 + 10 * 250e-6)
        assert sync.edge_gate().state == "counting"
        world.clock.advance_to(t1 + 1.0)  # long after: latched
        got = sync.edge_gate()
        faults = world.pass_faults(t1)
        assert faults is not None
        assert got.done and got.edges == 20 - faults.missing.size
        assert COINCIDENT_US * 1e-6 < 250e-6  # the tolerance never reaches the previous pattern

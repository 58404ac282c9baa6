"""Device side of the protocol: the emulator's replies to raw bytes, its state machine, close."""

from __future__ import annotations

import errno
import os
import select
import time
import tty
from collections.abc import Iterator

import pytest

from lsi_rig.sync.emulator import PtyEmulator, SyncDeviceModel, start_pty_emulator
from lsi_rig.sync.wire import UINT32_MODULUS, Command, ErrorCode, Identity, Reply, Request
from tests.sync.world_stub import StubWorld


@pytest.fixture
def raw_port(emulator: PtyEmulator) -> Iterator[int]:
    """The pty slave opened without pyserial, like a terminal program would."""
    fd = os.open(emulator.port, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    yield fd
    os.close(fd)


def exchange(fd: int, data: bytes, n_lines: int, timeout_s: float = 2.0) -> list[bytes]:
    os.write(fd, data)
    out = b""
    deadline = time.monotonic() + timeout_s
    while out.count(b"\n") < n_lines:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        out += os.read(fd, 4096)
    return out.splitlines()


RAW_SCRIPT = (
    b"*idn?\r\n"  # a terminal sending CRLF and lower case, without a tag
    b"@7 STATUS?\r"
    b"@8 jump\n"
    b"@9 ARM 1 2\n"
    b"@10 ARM 5 50 10\n"
    b"@11 FIRE\n"
    b"@x FIRE\n" + b"A" * 100 + b"\n"
    b"@12 ARM 1 99999999999 10\n"
    b"@13 ARM 1 4294967296 10\n"
    b"@14 ARM 0 1000 10\n"
    b"@15 ARM 2 1000 991\n"
    b"@16 ARM 2 1000 990\n"
    b"@17   EDGES:RESET \t\n"
    b"@18 EDGES?\n"
    b"\x01\n"
)
RAW_REPLIES = [
    b"OK LSISYNC,emulator-1.1.0,1.1",
    b"@7 OK armed=0 firing=0 remaining=0 edges=0",
    b"@8 ERR 1 unknown command JUMP",
    b"@9 ERR 2 ARM takes 3 arguments",
    b"@10 ERR 3 period_us must be 100..60000000",
    b"@11 ERR 6 ARM first",
    b"ERR 2 bad tag (use @0..@65535)",
    b"ERR 4 line too long",
    b"@12 ERR 2 arguments are unsigned decimal integers",
    b"@13 ERR 3 argument above 4294967295",
    b"@14 ERR 3 n must be 1..1000000000",
    b"@15 ERR 3 width_us must be >= 10 and <= period_us - 10",
    b"@16 OK",
    b"@17 OK",
    b"@18 OK 0",
    b"ERR 1 non-ASCII bytes in request",
]
"""Requests a person might type, and the exact replies; the firmware must give the same."""


def test_raw_requests_and_error_codes(raw_port: int) -> None:
    assert exchange(raw_port, RAW_SCRIPT, len(RAW_REPLIES)) == RAW_REPLIES


def test_emulator_close_is_quick_with_a_reply_pending(emulator: PtyEmulator, raw_port: int) -> None:
    emulator.inject("slow", delay_s=30.0)
    os.write(raw_port, b"@1 STATUS?\n")
    deadline = time.monotonic() + 5.0
    while not emulator.received and time.monotonic() < deadline:
        time.sleep(0.01)
    assert emulator.received == ["@1 STATUS?"]  # the thread now waits 30 s to reply
    assert emulator.running
    emulator.close()  # joins for at most 2 s: the stop event must cut the wait short
    assert not emulator.running
    emulator.close()  # idempotent


def test_disconnect_hangs_up_the_port(emulator: PtyEmulator, raw_port: int) -> None:
    emulator.inject("disconnect")
    os.write(raw_port, b"@1 STATUS?\n")
    ready, _, _ = select.select([raw_port], [], [], 2.0)
    assert ready  # a hung-up tty is readable and reads EIO (or EOF), like a pulled cable
    try:
        data = os.read(raw_port, 10)
    except OSError as exc:
        assert exc.errno == errno.EIO
    else:
        assert data == b""
    deadline = time.monotonic() + 5.0
    while emulator.running and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not emulator.running  # the serving thread ended with the port


def run(model: SyncDeviceModel, command: Command, *args: int) -> Reply:
    return model.handle(Request(command, args, 1))


def test_model_pulse_train_timing() -> None:
    world = StubWorld()
    model = SyncDeviceModel(world, Identity("x", (1, 0)))
    assert run(model, Command.ARM, 3, 1000, 400).ok
    world.clock.sleep_s(5.0)  # time passes while armed: nothing fires
    assert run(model, Command.STATUS).payload.startswith("armed=1 firing=0 remaining=3")
    assert run(model, Command.FIRE).ok
    expected = [(0.0, "firing=1 remaining=2"), (500e-6, "firing=1 remaining=2")]
    expected += [(600e-6, "firing=1 remaining=1"), (1000e-6, "firing=1 remaining=0")]
    expected += [(250e-6, "firing=1 remaining=0"), (100e-6, "firing=0 remaining=0")]
    for dt_s, text in expected:
        world.clock.sleep_s(dt_s)
        assert text in run(model, Command.STATUS).payload
    assert run(model, Command.FIRE).error_code == ErrorCode.NOT_ARMED


def test_model_edge_counter_is_incremental_and_wraps() -> None:
    world = StubWorld(missing=(0, 5))
    model = SyncDeviceModel(world, Identity("x", (1, 0)))
    total = 0
    for step_s in (0.0004, 0.0123, 0.0, 0.1, 0.00001, 0.05):
        world.clock.sleep_s(step_s)
        total = len(world.trigger_edges(0.0, world.clock.now_s()).trig1_rising_s)
        assert run(model, Command.EDGES).payload == str(total)
    assert total == 130  # 163 ms: patterns 0..162, minus 33 with index % 10 in (0, 5)
    model._edges = UINT32_MODULUS - 2  # counter about to wrap, as a uint32 in the firmware
    world.clock.sleep_s(0.003)
    assert run(model, Command.EDGES).payload == "0"  # edges at 163, 164, 166 ms; 165 missing
    assert run(model, Command.EDGES_RESET).ok
    world.clock.sleep_s(0.0021)
    assert run(model, Command.EDGES).payload == "2"


def test_start_pty_emulator_gives_a_tty_path() -> None:
    with start_pty_emulator(StubWorld()) as emu:
        assert emu.port.startswith("/dev/")
        assert os.path.exists(emu.port)
        fd = os.open(emu.port, os.O_RDWR | os.O_NOCTTY)
        try:
            assert os.isatty(fd)
        finally:
            os.close(fd)

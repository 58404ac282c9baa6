"""The reference firmware agrees with the Python codec.

1. Its tables (commands, argument counts, error codes, limits, versions) are parsed from the
   .ino source and compared with ``lsi_rig.sync.wire``.
2. It is compiled for the host with g++ and a tiny Arduino stand-in (tests/sync/firmware_host)
   and then answers the same raw request script as the emulator, byte for byte, and is driven
   by the real pyserial backend over a pty: edges in, pulse train out.
No AVR toolchain is involved; this checks the firmware's logic, not its timing on a board.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import tty
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lsi_rig.sync import wire
from lsi_rig.sync.serial_backend import SerialSync
from tests.sync.test_emulator import RAW_REPLIES, RAW_SCRIPT, exchange

ROOT = Path(__file__).resolve().parents[2]
INO = ROOT / "firmware" / "lsi_sync" / "lsi_sync.ino"
HOST = Path(__file__).resolve().parent / "firmware_host"
SOURCE = INO.read_text()
PULSE_PIN = int(re.search(r"PIN_PULSE_OUT = (\d+);", SOURCE).group(1))  # type: ignore[union-attr]


def test_command_table_matches_the_codec() -> None:
    table = re.findall(r'^\s*\{"([^"]+)", (\d+), cmd\w+\},\s*$', SOURCE, re.MULTILINE)
    assert {name: int(n) for name, n in table} == {
        c.value: n for c, n in wire.ARGUMENT_COUNT.items()
    }
    assert len(table) == len(wire.Command)


def test_error_codes_limits_and_versions_match_the_codec() -> None:
    codes = dict(re.findall(r"const uint8_t ERR_(\w+) = (\d+);", SOURCE))
    assert {k: int(v) for k, v in codes.items()} == {e.name: int(e) for e in wire.ErrorCode}
    limits = dict(re.findall(r"const uint32_t (\w+) = (\d+)UL;", SOURCE))
    for name in (
        "MAX_REQUEST_BYTES",
        "MIN_PULSES",
        "MAX_PULSES",
        "MIN_PERIOD_US",
        "MAX_PERIOD_US",
        "MIN_WIDTH_US",
        "MIN_GAP_US",
        "TAG_MODULUS",
    ):
        assert int(limits[name]) == getattr(wire, name), name
    proto = re.search(r'#define PROTOCOL_VERSION "(\d+)\.(\d+)"', SOURCE)
    assert proto is not None
    assert (int(proto.group(1)), int(proto.group(2))) == wire.PROTOCOL_VERSION
    assert re.search(rf'#define DEVICE_NAME "{wire.DEVICE_NAME}"', SOURCE)

    def keys_of(function: str) -> tuple[str, ...]:
        body = SOURCE[SOURCE.index(f"void {function}(") :]
        body = body[: body.index("\n}\n")]
        return tuple(re.findall(r'Serial\.print\("(?:OK )?\s*(\w+)="\);', body))

    assert keys_of("cmdStatus") == wire.STATUS_KEYS
    assert keys_of("cmdGateQuery") == wire.GATE_KEYS
    for name in ("MIN_GATE_US", "MAX_GATE_US", "COINCIDENT_US"):
        assert int(limits[name]) == getattr(wire, name), name
    states = dict(re.findall(r"const uint8_t GATE_(\w+) = (\d+);", SOURCE))
    assert {k: int(v) for k, v in states.items()} == {s.name: int(s) for s in wire.GateState}


@pytest.fixture(scope="module")
def firmware_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("g++") is None:
        pytest.skip("g++ not installed: cannot build the firmware for the host")
    out = tmp_path_factory.mktemp("fw") / "lsi_sync_host"
    cmd = ["g++", "-std=c++17", "-Wall", "-Wextra", "-Werror", "-O1", f"-I{HOST}"]
    cmd += ["-x", "c++", str(INO), "-x", "none", str(HOST / "host_main.cpp"), "-o", str(out)]
    subprocess.run(cmd, check=True, timeout=120, capture_output=True)
    return out


@dataclass
class HostFirmware:
    port: str
    edge_w: int
    pin_log: Path

    def edges(self, n: int) -> None:
        os.write(self.edge_w, b"e" * n)

    def pin_events(self, pin: int) -> list[tuple[int, int]]:
        rows = [line.split() for line in self.pin_log.read_text().splitlines()]
        return [(int(v), int(t)) for p, v, t in rows if int(p) == pin]


@pytest.fixture
def firmware(firmware_binary: Path, tmp_path: Path) -> Iterator[HostFirmware]:
    master, slave = os.openpty()
    tty.setraw(slave)
    edge_r, edge_w = os.pipe()
    os.set_blocking(edge_r, False)
    os.set_blocking(master, False)
    env = dict(os.environ, LSISYNC_EDGE_FD=str(edge_r), LSISYNC_PIN_LOG=str(tmp_path / "pins"))
    proc = subprocess.Popen(
        [str(firmware_binary)], stdin=master, stdout=master, pass_fds=(edge_r,), env=env
    )
    try:
        yield HostFirmware(os.ttyname(slave), edge_w, tmp_path / "pins")
    finally:
        proc.kill()
        proc.wait(timeout=10)
        for fd in (master, slave, edge_r, edge_w):
            os.close(fd)


def test_firmware_answers_like_the_emulator(firmware: HostFirmware) -> None:
    fd = os.open(firmware.port, os.O_RDWR | os.O_NOCTTY)  # already raw; setraw would flush
    try:
        banner = exchange(fd, b"", 1)
        assert banner == [b"# LSISYNC 1.1.0 ready, protocol 1.1"]
        replies = exchange(fd, RAW_SCRIPT, len(RAW_REPLIES))
    finally:
        os.close(fd)
    expected = [b"OK LSISYNC,1.1.0,1.1", *RAW_REPLIES[1:]]
    assert replies == expected


def test_backend_drives_the_firmware(firmware: HostFirmware) -> None:
    with SerialSync(firmware.port, timeout_s=1.0) as dev:
        assert dev.identify() == "LSISYNC,1.1.0,1.1"
        firmware.edges(7)
        assert dev.edge_count() == 7
        dev.reset_edge_count()
        firmware.edges(3)
        assert dev.status().edge_count == 3
        dev.arm(5, 1000, 200)
        assert dev.status().pulses_remaining == 5
        dev.fire()
        deadline = time.monotonic() + 5.0
        while dev.status().firing and time.monotonic() < deadline:
            time.sleep(0.002)
        st = dev.status()
        assert (st.armed, st.firing, st.pulses_remaining) == (False, False, 0)
        events = firmware.pin_events(PULSE_PIN)
        rises = [t for v, t in events if v == 1]
        assert len(rises) == 5
        assert events[-1][0] == 0  # the line ends low
        # edges are scheduled from the first one: never early, whatever the loop latency
        assert all(t - rises[0] >= k * 1000 for k, t in enumerate(rises))
        dev.arm(1000, 1000, 200)
        dev.fire()
        dev.abort()
        assert dev.status().firing is False
        assert firmware.pin_events(PULSE_PIN)[-1][0] == 0

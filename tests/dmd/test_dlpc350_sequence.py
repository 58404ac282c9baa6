"""Byte-level check of the DLPC350 set-up: the emulator's USB log against TI's rules.

The expected (command, payload) list is built here from hardware.md §1.3/§1.6/§1.10 and the raw
OUT transfers are parsed by a decoder written in this file, not by the package's own framing.
"""

from __future__ import annotations

import math
import struct

import pytest

from lsi_rig.dmd.dlpc350.backend import Dlpc350Dmd
from lsi_rig.dmd.dlpc350.emulator import Dlpc350Emulator

from .conftest import random_sequence

READ, WRITE = "R", "W"
pytestmark = pytest.mark.timeout(120)


def parse_out_reports(reports: list[bytes]) -> list[tuple[str, int, bytes, int]]:
    """(R/W, command, payload, flags) per message from raw 64-byte OUT reports."""
    out = []
    i = 0
    while i < len(reports):
        first = reports[i]
        assert len(first) == 64
        flags, _seq, length = first[0], first[1], first[2] | first[3] << 8
        raw = first[4:]
        i += 1
        while len(raw) < length:
            raw += reports[i]
            i += 1
        command = raw[0] | raw[1] << 8  # CMD3 first, then CMD2
        out.append((READ if flags & 0x80 else WRITE, command, bytes(raw[2:length]), flags))
    return out


def expected_upload(n: int, vsync_hz: float = 60.0) -> list[tuple[str, int, bytes]]:
    per_frame = min(24, n)
    exposure = math.floor(1e6 / vsync_hz / per_frame)
    entries = n if n <= 128 else 24
    trig2 = n if n <= 128 else 24
    lut = b""
    for i in range(entries):
        slot = i % per_frame
        first = slot == 0
        word = (1 if first else 3) | slot << 2 | 1 << 8 | 7 << 12 | (1 << 18 if first else 0)
        lut += word.to_bytes(3, "little")

    def checked(command: int, payload: bytes) -> list[tuple[str, int, bytes]]:
        return [(WRITE, command, payload), (READ, command, b"")]  # every setting read back

    board = [
        (0x1A00, b"\x08"),  # input source: parallel port, 24-bit
        (0x1A02, b"\x00"),  # RGB 4:4:4
        (0x1A03, b"\x00"),  # port 1 clock A
        (0x1A37, b"\x00"),  # data channels ABC = ABC (A green, B red, C blue)
        (0x1008, b"\x00"),  # no long-axis flip
        (0x1009, b"\x00"),  # no short-axis flip
        (0x100A, b"\x00"),  # buffer not frozen
        (0x1A30, b"\x00"),  # data not inverted
        (0x1A05, b"\x00"),  # LED PWM normal polarity
        (0x1A07, b"\x08"),  # LEDs under sequencer control
        (0x0B01, b"\x00\x00\x00"),  # LED currents (config default 0)
    ]
    return [
        (READ, 0x0200, b""),  # power mode: not in standby
        (WRITE, 0x1A24, b"\x00"),
        (READ, 0x1A24, b""),
        *[step for command, payload in board for step in checked(command, payload)],
        (READ, 0x071C, b""),
        *checked(0x1A1B, b"\x01"),
        *checked(0x1A22, b"\x00"),
        *checked(0x1A23, b"\x00"),
        *checked(0x1A29, struct.pack("<II", exposure, exposure)),
        *checked(0x1A31, bytes([entries - 1, 1, trig2 - 1, 0])),
        (WRITE, 0x1A33, b"\x02"),
        (WRITE, 0x1A32, b"\x00"),
        (WRITE, 0x1A34, lut),
        (WRITE, 0x1A33, b"\x00"),
        *checked(0x1A1D, bytes([0, 0xBB, 0xBB])),
        *checked(0x1A1E, bytes([0, 0xBB])),
        (WRITE, 0x1A1A, b"\x00"),
        (READ, 0x1A1A, b""),  # emulator reports "running" once (bit 7)
        (READ, 0x1A1A, b""),
    ]


@pytest.mark.parametrize("n", [4, 24, 64, 128, 256, 512])
def test_upload_command_sequence(n: int, dmd: Dlpc350Dmd, emulator: Dlpc350Emulator) -> None:
    emulator.usb_backend.clear_log()
    timing = dmd.load_sequence(random_sequence(n, (16, 16), seed=n))
    outs = [t.data for t in emulator.usb_backend.transfers if t.direction == "out"]
    got = parse_out_reports(outs)
    assert [(d, c, p) for d, c, p, _ in got] == expected_upload(n)
    assert all(f == (0xC0 if d == READ else 0x40) for d, _, _, f in got)
    assert timing.exposure_us == timing.period_us == (694.0 if n >= 24 else 4166.0)
    assert timing.frames_per_sequence == math.ceil(n / 24)
    assert timing.sequence_period_us == pytest.approx(timing.frames_per_sequence * 1e6 / 60)
    # one IN report (ACK or data) per message, none with the NACK bit
    ins = [t.data for t in emulator.usb_backend.transfers if t.direction == "in"]
    assert len(ins) == len(got) and not any(r[0] & 0x20 for r in ins)
    emulator.usb_backend.clear_log()
    dmd.start()
    started = parse_out_reports(
        [t.data for t in emulator.usb_backend.transfers if t.direction == "out"]
    )
    assert [(d, c, p) for d, c, p, _ in started] == [(WRITE, 0x1A24, b"\x02"), (READ, 0x1A24, b"")]
    assert dmd.status().running


def test_raw_reports(dmd: Dlpc350Dmd, emulator: Dlpc350Emulator) -> None:
    emulator.usb_backend.clear_log()
    dmd.load_sequence(random_sequence(128, (16, 16)))
    emulator.usb_backend.clear_log()
    dmd.status()
    first = emulator.usb_backend.transfers[0]
    assert (first.direction, first.endpoint) == ("out", 0x01)
    assert first.data == bytes.fromhex("C0 00 02 00 0A 1A") + bytes(58)  # hardware status
    outs = [t.data for t in emulator.usb_backend.transfers if t.direction == "out"]
    assert bytes.fromhex("C0 00 02 00 0C 1A") + bytes(58) in outs  # main status
    ins = [t for t in emulator.usb_backend.transfers if t.direction == "in"]
    assert all(t.endpoint == 0x81 and len(t.data) == 64 for t in ins)
    # main status reply: flags, seq 0, length 1, data = 0 (stopped, not parked)
    assert ins[1].data[:5] == bytes([0xC0, 0, 1, 0, 0])


def test_lut_message_reports(dmd: Dlpc350Dmd, emulator: Dlpc350Emulator) -> None:
    emulator.usb_backend.clear_log()
    dmd.load_sequence(random_sequence(128, (16, 16)))
    outs = [t.data for t in emulator.usb_backend.transfers if t.direction == "out"]
    start = next(i for i, r in enumerate(outs) if r[4:6] == b"\x34\x1a")
    first = outs[start]
    assert first[0] == 0x40 and first[2:4] == (2 + 384).to_bytes(2, "little")
    lut = next(p for _, c, p in expected_upload(128) if c == 0x1A34)
    assert first[6:] == lut[:58]
    for j in range(1, 7):  # 390-byte message = 7 reports; continuation = raw bytes
        assert (
            outs[start + j][: len(lut[58 + 64 * (j - 1) : 58 + 64 * j])]
            == lut[58 + 64 * (j - 1) : 58 + 64 * j]
        )
    assert outs[start + 7][4:6] == b"\x33\x1a"  # next message: close the mailbox
    ins = [t for t in emulator.usb_backend.transfers if t.direction == "in"]
    assert len(ins) == len(parse_out_reports(outs))  # ONE ACK for the 7-report message


def test_write_sequence_numbers_increment(dmd: Dlpc350Dmd, emulator: Dlpc350Emulator) -> None:
    emulator.usb_backend.clear_log()
    dmd.load_sequence(random_sequence(24, (16, 16)))
    seqs = [m.sequence for m in emulator.usb_backend.messages if not m.is_read]
    assert seqs == [(seqs[0] + i) & 0xFF for i in range(len(seqs))]
    assert all(m.sequence == 0 for m in emulator.usb_backend.messages if m.is_read)

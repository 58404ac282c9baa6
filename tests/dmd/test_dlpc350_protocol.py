"""DLPC350 wire format, LUT words and status decoding, bit by bit (hardware.md §1.6–1.10)."""

from __future__ import annotations

import struct

import pytest

from lsi_rig.dmd.dlpc350 import commands as c
from lsi_rig.dmd.dlpc350.hid import (
    MessageAssembler,
    decode_reply,
    encode_message,
    encode_reply,
    reports_needed,
)
from lsi_rig.dmd.dlpc350.lut import LutEntry, TriggerType, decode_lut, encode_lut, video_lut
from lsi_rig.dmd.dlpc350.status import (
    HardwareStatus,
    MainStatus,
    ValidationResult,
    Version,
    VideoStatus,
    decode_firmware_tag,
)


def test_main_status_read_bytes() -> None:
    (report,) = encode_message(0xC0, 0, 0x1A0C)
    assert report[:6] == bytes([0xC0, 0x00, 0x02, 0x00, 0x0C, 0x1A])
    assert report[6:] == bytes(58)
    assert len(report) == 64


def test_write_exposure_period_bytes() -> None:
    (report,) = encode_message(0x40, 5, 0x1A29, c.exposure_period(694, 694))
    assert report[:14] == bytes.fromhex("40 05 0A 00 29 1A B6 02 00 00 B6 02 00 00")


def test_long_message_is_split_into_reports() -> None:
    payload = bytes(range(256)) + bytes(range(128))  # 384 bytes = a 128-entry LUT
    reports = encode_message(0x40, 9, 0x1A34, payload)
    assert len(reports) == reports_needed(384) == 7  # 4+2+384 = 390 bytes
    assert reports[0][:6] == bytes([0x40, 9, 0x82, 0x01, 0x34, 0x1A])  # length 386
    assert reports[0][6:] == payload[:58]
    assert reports[1] == payload[58:122]  # continuation: 64 raw bytes, no header
    assert reports[6][: 384 - 58 - 5 * 64] == payload[58 + 5 * 64 :]
    assert all(len(r) == 64 for r in reports)
    assembler = MessageAssembler()
    got = [assembler.feed(r) for r in reports]
    assert got[:-1] == [None] * 6
    assert got[-1] is not None
    assert (got[-1].command, got[-1].payload, got[-1].sequence) == (0x1A34, payload, 9)


def test_message_limit() -> None:
    encode_message(0x40, 0, 0x1A34, bytes(506))
    with pytest.raises(ValueError, match="512"):
        encode_message(0x40, 0, 0x1A34, bytes(507))


def test_reply_nack_and_data() -> None:
    reply = decode_reply(encode_reply(0xC0, 0, b"\x03"))
    assert (reply.nack, reply.data) == (False, b"\x03")
    nack = decode_reply(encode_reply(0x60, 7))
    assert nack.nack and nack.sequence == 7 and nack.data == b""


def test_lut_word_fields() -> None:
    first = LutEntry(TriggerType.EXTERNAL_POSITIVE, 0, 1, 7, buffer_swap=True)
    assert first.word() == 0x1 | 0 << 2 | 1 << 8 | 7 << 12 | 1 << 18 == 0x047101
    other = LutEntry(TriggerType.NO_TRIGGER, 23, 1, 7)
    assert other.word() == 3 | 23 << 2 | 1 << 8 | 7 << 12
    assert other.to_bytes() == (3 | 23 << 2 | 1 << 8 | 7 << 12).to_bytes(3, "little")
    every = LutEntry(TriggerType.EXTERNAL_NEGATIVE, 5, 8, 2, True, True, True, True)
    assert every.word() == 2 | 5 << 2 | 8 << 8 | 2 << 12 | 1 << 16 | 1 << 17 | 1 << 18 | 1 << 19
    for entry in (first, other, every):
        assert LutEntry.from_word(entry.word()) == entry
    assert decode_lut(encode_lut([first, other, every])) == [first, other, every]


def test_video_lut_frames() -> None:
    lut = video_lut(64, 24, led_select=7)
    assert [e.pattern_number for e in lut] == [i % 24 for i in range(64)]
    assert [i for i, e in enumerate(lut) if e.buffer_swap] == [0, 24, 48]
    assert [i for i, e in enumerate(lut) if e.trigger == TriggerType.EXTERNAL_POSITIVE] == [
        0,
        24,
        48,
    ]
    assert all(e.trigger == TriggerType.NO_TRIGGER for i, e in enumerate(lut) if i % 24)
    assert all(e.bit_depth == 1 and e.led_select == 7 and not e.insert_black for e in lut)


@pytest.mark.parametrize(
    ("bit", "label"),
    [
        (1, "incompatible"),
        (2, "reset controller"),
        (3, "forced buffer swap"),
        (6, "sequence abort"),
        (7, "sequence error"),
    ],
)
def test_hardware_status_error_bits(bit: int, label: str) -> None:
    status = HardwareStatus(0x01 | 1 << bit)
    assert status.init_done
    assert len(status.errors) == 1 and label in status.errors[0]


def test_hardware_status_init_and_spare_bits() -> None:
    assert HardwareStatus(0x01).errors == ()
    assert HardwareStatus(0x00).errors == ("initialisation not complete",)
    assert HardwareStatus(0x01 | 0x10 | 0x20).errors == ()  # bits 4, 5: undefined


def test_main_status_bits() -> None:
    assert MainStatus(0x01).parked and not MainStatus(0x01).running
    assert MainStatus(0x02).running
    assert MainStatus(0x04).buffer_frozen
    assert MainStatus(0x08).gamma_enabled
    assert MainStatus(0x0F).labels() == (
        "DMD parked",
        "sequencer running",
        "video buffer frozen",
        "gamma correction enabled [U]",
    )


def test_validation_bits() -> None:
    assert ValidationResult(0x80).busy and not ValidationResult(0x80).ok
    assert ValidationResult(0x00).ok
    assert ValidationResult(0x01).errors == ("exposure or frame period invalid / out of range",)
    assert ValidationResult(0x02).errors == ("invalid pattern number in the LUT",)
    assert len(ValidationResult(0x03).errors) == 2
    for bit, word in ((2, "TRIG_OUT_1"), (3, "black vector missing"), (4, "230")):
        result = ValidationResult(1 << bit)
        assert result.ok and result.errors == ()
        assert len(result.warnings) == 1 and word in result.warnings[0]


def test_version_video_and_tag() -> None:
    data = struct.pack("<IIII", 0x04010002, 0x04000000, 0x01020003, 0x0A0B0C0D)
    assert Version.decode(data) == Version("4.1.2", "4.0.0", "1.2.3", "10.11.3085")
    raw = bytearray(28)
    raw[0] = 0x02
    struct.pack_into("<H", raw, 14, 5994)
    video = VideoStatus(bytes(raw))
    assert video.locked and video.vertical_hz == pytest.approx(59.94)
    raw[0] = 0x03
    assert not VideoStatus(bytes(raw)).locked
    assert decode_firmware_tag(b"LCR4500 v4\0junk") == "LCR4500 v4"


def test_command_payload_encoders() -> None:
    assert c.pattern_config(64, True, 64) == bytes([63, 1, 63, 0])
    assert c.trig_out_1() == bytes([0, 0xBB, 0xBB])
    assert c.trig_out_2() == bytes([0, 0xBB])
    assert c.delay_code_to_us(0xBB) == 0.0
    assert c.delay_code_to_us(0x00) == pytest.approx(-20.05, abs=0.01)
    assert c.command_name(0x1A31) == "PATTERN_CONFIG (0x1A31)"
    with pytest.raises(ValueError):
        c.pattern_config(129, True, 1)

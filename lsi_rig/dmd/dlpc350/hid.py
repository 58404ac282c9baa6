"""DLPC350 USB HID message framing (hardware.md §1.10), shared by the driver and the emulator.

A message is a 4-byte header (flags, sequence, length LE), the command as CMD3 CMD2 (the u16 code
little-endian) and the payload; ``length`` counts command + payload. It travels in 64-byte
reports: the first carries the header, the command and up to 58 payload bytes, continuation
reports carry the next 64 message bytes raw. Reports are zero-padded. Replies (read data or the
ACK of a write) come back as one report: flags (bit 5 = NACK), sequence, data length, data.

No report ID byte: hidapi prepends one, raw pyusb interrupt transfers do not.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

REPORT_BYTES = 64
HEADER_BYTES = 4
MAX_MESSAGE_BYTES = 512  # header + command + payload (TI's HID_MESSAGE_MAX_SIZE)
MAX_PAYLOAD_BYTES = MAX_MESSAGE_BYTES - HEADER_BYTES - 2

FLAG_READ = 0x80  # bit 7: read (1) / write (0)
FLAG_REPLY = 0x40  # bit 6: host wants a reply (read data or ACK)
FLAG_NACK = 0x20  # bit 5: set by the device when the command failed
FLAGS_READ = FLAG_READ | FLAG_REPLY  # 0xC0
FLAGS_WRITE_ACK = FLAG_REPLY  # 0x40


@dataclass(frozen=True)
class Message:
    """One host → device message, as decoded from its reports."""

    flags: int
    sequence: int
    command: int
    payload: bytes

    @property
    def is_read(self) -> bool:
        return bool(self.flags & FLAG_READ)

    @property
    def wants_reply(self) -> bool:
        return bool(self.flags & FLAG_REPLY)


@dataclass(frozen=True)
class Reply:
    """One device → host reply report."""

    flags: int
    sequence: int
    data: bytes

    @property
    def nack(self) -> bool:
        return bool(self.flags & FLAG_NACK)


def encode_message(flags: int, sequence: int, command: int, payload: bytes = b"") -> list[bytes]:
    """Split a message into 64-byte reports (first: header + command + 58 bytes)."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ValueError(
            f"DLPC350 message 0x{command:04X}: payload of {len(payload)} bytes exceeds "
            f"{MAX_PAYLOAD_BYTES} (512-byte message limit)"
        )
    body = struct.pack("<H", command) + bytes(payload)
    message = struct.pack("<BBH", flags & 0xFF, sequence & 0xFF, len(body)) + body
    reports = [message[:REPORT_BYTES]]
    for start in range(REPORT_BYTES, len(message), REPORT_BYTES):
        reports.append(message[start : start + REPORT_BYTES])
    return [r.ljust(REPORT_BYTES, b"\0") for r in reports]


def reports_needed(payload_bytes: int) -> int:
    """Number of reports for a message with ``payload_bytes`` payload."""
    total = HEADER_BYTES + 2 + payload_bytes
    return -(-total // REPORT_BYTES)


def encode_reply(flags: int, sequence: int, data: bytes = b"") -> bytes:
    """A device reply report (data must fit one report)."""
    if len(data) > REPORT_BYTES - HEADER_BYTES:
        raise ValueError(f"reply data of {len(data)} bytes does not fit one report")
    head = struct.pack("<BBH", flags & 0xFF, sequence & 0xFF, len(data))
    return (head + bytes(data)).ljust(REPORT_BYTES, b"\0")


def decode_reply(report: bytes) -> Reply:
    """Parse a reply report; the data length is clipped to the report."""
    if len(report) < HEADER_BYTES:
        raise ValueError(f"reply of {len(report)} bytes is shorter than the 4-byte header")
    flags, sequence, length = struct.unpack_from("<BBH", report)
    data = bytes(report[HEADER_BYTES : HEADER_BYTES + min(length, len(report) - HEADER_BYTES)])
    return Reply(flags=flags, sequence=sequence, data=data)


class MessageAssembler:
    """Reassemble messages from OUT reports (device side; also used by traffic decoders)."""

    def __init__(self) -> None:
        self._buffer = b""
        self._expected = 0

    @property
    def in_progress(self) -> bool:
        return self._expected > 0

    def feed(self, report: bytes) -> Message | None:
        """Add one report; return the message once its last report arrived."""
        if not self._expected:
            if len(report) < HEADER_BYTES + 2:
                raise ValueError(f"first report of {len(report)} bytes is too short")
            _, _, length = struct.unpack_from("<BBH", report)
            if length < 2 or HEADER_BYTES + length > MAX_MESSAGE_BYTES:
                raise ValueError(f"invalid message length {length}")
            self._expected = HEADER_BYTES + length
            self._buffer = b""
        self._buffer += bytes(report)
        if len(self._buffer) < self._expected:
            return None
        raw = self._buffer[: self._expected]
        self._buffer, self._expected = b"", 0
        flags, sequence, _length, command = struct.unpack_from("<BBHH", raw)
        return Message(flags=flags, sequence=sequence, command=command, payload=raw[6:])

"""Command-level request/reply over HID reports: writes with ACK, reads with reply checks.

Every write asks for an ACK (flags 0x40) and checks its NACK bit; every read (flags 0xC0) is
followed by one HID read whose NACK bit and data length are checked. Like TI's API the sequence
byte increments for writes and is 0 for reads; a reply whose sequence does not match is a stale
reply from an earlier timeout; it is logged (whether the firmware echoes it is [U]).
"""

from __future__ import annotations

import logging
from typing import Protocol

from lsi_rig.core.errors import DeviceError
from lsi_rig.dmd.dlpc350.commands import command_name
from lsi_rig.dmd.dlpc350.hid import FLAGS_READ, FLAGS_WRITE_ACK, decode_reply, encode_message

log = logging.getLogger(__name__)


class ReportTransport(Protocol):
    def write_report(self, report: bytes) -> None: ...

    def read_report(self) -> bytes: ...

    def close(self) -> None: ...


class Dlpc350Link:
    """Send DLPC350 commands and return checked replies."""

    def __init__(self, transport: ReportTransport) -> None:
        self.transport = transport
        self._sequence = 0

    def _next_sequence(self) -> int:
        self._sequence = (self._sequence + 1) & 0xFF
        return self._sequence

    def write(self, command: int, payload: bytes = b"") -> None:
        """Write with ACK; NACK raises :class:`DeviceError` naming the command."""
        sequence = self._next_sequence()
        for report in encode_message(FLAGS_WRITE_ACK, sequence, command, payload):
            self.transport.write_report(report)
        reply = decode_reply(self.transport.read_report())
        if reply.nack:
            raise DeviceError(
                f"DLPC350 refused {command_name(command)} (NACK, payload {payload[:16].hex()}"
                f"{'…' if len(payload) > 16 else ''}); the sequencer may still be running or "
                "the value is out of range"
            )
        if reply.sequence != sequence:  # [U] whether the firmware echoes it: log only
            log.warning(
                "DLPC350 ACK for %s carries sequence %d, expected %d",
                command_name(command),
                reply.sequence,
                sequence,
            )
        log.debug("DLPC350 write %s %s", command_name(command), payload[:16].hex())

    def read(self, command: int, payload: bytes = b"") -> bytes:
        """Read command; returns the reply data (NACK or empty data raise)."""
        for report in encode_message(FLAGS_READ, 0, command, payload):
            self.transport.write_report(report)
        reply = decode_reply(self.transport.read_report())
        if reply.nack or not reply.data:
            raise DeviceError(
                f"DLPC350 read {command_name(command)} failed "
                f"({'NACK' if reply.nack else 'empty reply'})"
            )
        return reply.data

    def close(self) -> None:
        self.transport.close()

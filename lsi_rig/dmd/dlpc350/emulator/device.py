"""The emulated DLPC350 controller: register state, command handling, LUT validation.

It receives decoded host messages (:class:`~lsi_rig.dmd.dlpc350.hid.Message`) and returns the
reply report, or None when the host asked for no reply. Behaviour follows hardware.md §1: writes
of pattern settings while the sequencer runs are refused (NACK), Start only takes effect after a
validation without error bits, and validation checks the LUT the way §1.8 describes.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Callable
from dataclasses import dataclass, field

from lsi_rig.dmd.dlpc350.commands import Command, Mailbox, SequencerState
from lsi_rig.dmd.dlpc350.hid import FLAG_NACK, Message, encode_reply
from lsi_rig.dmd.dlpc350.lut import LUT_CAPACITY, LutEntry, TriggerType, decode_lut
from lsi_rig.dmd.timing import MIN_DARK_GAP_US, timing_problems

log = logging.getLogger(__name__)

#: Write payload sizes (hardware.md §1.11); MAILBOX_DATA is variable.
WRITE_SIZES: dict[int, int] = {
    Command.LUT_VALIDATE: 1,
    Command.DISPLAY_MODE: 1,
    Command.TRIG_OUT_1: 3,
    Command.TRIG_OUT_2: 2,
    Command.PATTERN_SOURCE: 1,
    Command.TRIGGER_MODE: 1,
    Command.PATTERN_START_STOP: 1,
    Command.EXPOSURE_PERIOD: 8,
    Command.INVERT_DATA: 1,
    Command.PATTERN_CONFIG: 4,
    Command.MAILBOX_ADDRESS: 1,
    Command.MAILBOX_CONTROL: 1,
}
#: Settings that must not change while the sequencer runs.
LOCKED_WHILE_RUNNING = {
    Command.DISPLAY_MODE,
    Command.PATTERN_SOURCE,
    Command.TRIGGER_MODE,
    Command.EXPOSURE_PERIOD,
    Command.PATTERN_CONFIG,
    Command.MAILBOX_ADDRESS,
    Command.MAILBOX_CONTROL,
    Command.MAILBOX_DATA,
    Command.LUT_VALIDATE,
    Command.INVERT_DATA,
}


def version_word(major: int, minor: int, patch: int) -> int:
    return major << 24 | minor << 16 | patch


@dataclass
class Faults:
    """Fault injection, set by tests through the emulator handle."""

    nack_commands: set[int] = field(default_factory=set)
    silent: bool = False  # accept reports, never answer: host reads time out
    disconnected: bool = False
    validation_busy_polls: int = 1  # reads of 0x1A1A that still report "running"
    ignore_state_commands: bool = False  # Stop/Start never take effect
    video_locked: bool | None = None  # None: locked while the video sink shows frames


@dataclass
class Registers:
    display_mode: int = 0
    pattern_source: int = 0
    trigger_mode: int = 0
    exposure_us: int = 0
    period_us: int = 0
    config: bytes = b"\0\0\0\0"
    invert_data: int = 0
    mailbox: int = 0
    mailbox_address: int = 0
    lut: list[int] = field(default_factory=lambda: [0] * LUT_CAPACITY)
    trig_out_1: bytes = b"\0\xbb\xbb"
    trig_out_2: bytes = b"\0\xbb"
    sequencer: int = SequencerState.STOP
    validation: int = 0
    validated: bool = False

    @property
    def n_entries(self) -> int:
        return self.config[0] + 1

    def lut_entries(self) -> list[LutEntry]:
        return [LutEntry.from_word(w) for w in self.lut[: self.n_entries]]


def validate_lut(regs: Registers, vsync_hz: float | None) -> int:
    """Validation result bits of hardware.md §1.8 for the programmed sequence."""
    entries = regs.lut_entries()
    depth = max((e.bit_depth for e in entries), default=1)
    bits = 0
    if not 1 <= depth <= 8 or timing_problems(  # the 230 µs gap rule is bit 4, a warning
        regs.exposure_us, regs.period_us, bit_depth=depth, min_dark_gap_us=0.0
    ):
        bits |= 1
    if regs.trigger_mode == 0 and vsync_hz:  # VSYNC: the patterns of a frame must fit it
        per_frame = max(
            (len(run) for run in _frames(entries)),
            default=0,
        )
        if per_frame * regs.period_us > 1e6 / vsync_hz:
            bits |= 1
    for e in entries:
        if not 1 <= e.bit_depth <= 8 or e.pattern_number > 24 // max(e.bit_depth, 1) - 1:
            bits |= 2
    for i, e in enumerate(entries):
        if e.trig_out_prev and (e.insert_black or i == 0):
            bits |= 4
        external = e.trigger in (TriggerType.EXTERNAL_POSITIVE, TriggerType.EXTERNAL_NEGATIVE)
        if external and regs.exposure_us < regs.period_us and not entries[i - 1].insert_black:
            bits |= 8
    if 0 < regs.period_us - regs.exposure_us < MIN_DARK_GAP_US:
        bits |= 16
    return bits


def _frames(entries: list[LutEntry]) -> list[list[LutEntry]]:
    """Split the LUT at buffer swaps (each run is shown from one video frame)."""
    runs: list[list[LutEntry]] = []
    for e in entries:
        if e.buffer_swap or not runs:
            runs.append([])
        runs[-1].append(e)
    return runs


class Dlpc350Controller:
    """Command handling; ``on_start``/``on_stop`` tell the projection layer about the sequencer."""

    def __init__(
        self,
        *,
        video_hz: Callable[[], float | None],
        on_start: Callable[[Registers], None] | None = None,
        on_stop: Callable[[], None] | None = None,
    ) -> None:
        self.regs = Registers()
        self.faults = Faults()
        self.video_hz = video_hz
        self.on_start = on_start
        self.on_stop = on_stop
        self.hardware_status = 0x01  # init done
        self.system_status = 0x01
        self.version_words = (
            version_word(4, 1, 0),
            version_word(4, 0, 0),
            version_word(1, 0, 0),
            version_word(1, 0, 0),
        )
        self.firmware_tag = b"LSI-RIG EMULATED DLPC350"
        self._busy_polls_left = 0

    # -- helpers --------------------------------------------------------------------------
    def video_locked(self) -> bool:
        if self.faults.video_locked is not None:
            return self.faults.video_locked
        return self.video_hz() is not None

    def _main_status(self) -> int:
        running = self.regs.sequencer == SequencerState.START
        return int(running) << 1

    def _video_status(self) -> bytes:
        hz = self.video_hz()
        data = bytearray(28)
        data[0] = 2 if self.video_locked() else 0
        struct.pack_into("<H", data, 14, round((hz or 0.0) * 100))
        return bytes(data)

    # -- dispatch -------------------------------------------------------------------------
    def handle(self, msg: Message) -> bytes | None:
        """Apply one message; return the reply report (None: no reply requested)."""
        ok = msg.command not in self.faults.nack_commands
        data = b""
        if ok:
            try:
                data = self._read(msg) if msg.is_read else self._write(msg)
            except _Refused as exc:
                log.info("emulated DLPC350 NACK 0x%04X: %s", msg.command, exc)
                ok = False
        if not msg.wants_reply:
            return None
        flags = msg.flags | (0 if ok else FLAG_NACK)
        return encode_reply(flags, msg.sequence, data if ok else b"")

    def _read(self, msg: Message) -> bytes:
        r = self.regs
        code = msg.command
        if code == Command.PATTERN_START_STOP:
            return bytes([r.sequencer])
        if code == Command.LUT_VALIDATE:
            if self._busy_polls_left > 0:
                self._busy_polls_left -= 1
                return bytes([0x80 | r.validation])
            return bytes([r.validation])
        simple: dict[int, Callable[[], bytes]] = {
            Command.HARDWARE_STATUS: lambda: bytes([self.hardware_status]),
            Command.SYSTEM_STATUS: lambda: bytes([self.system_status]),
            Command.MAIN_STATUS: lambda: bytes([self._main_status()]),
            Command.VERSION: lambda: struct.pack("<IIII", *self.version_words),
            Command.FIRMWARE_TAG: lambda: self.firmware_tag,
            Command.VIDEO_STATUS: self._video_status,
            Command.DISPLAY_MODE: lambda: bytes([r.display_mode]),
            Command.PATTERN_SOURCE: lambda: bytes([r.pattern_source]),
            Command.TRIGGER_MODE: lambda: bytes([r.trigger_mode]),
            Command.EXPOSURE_PERIOD: lambda: struct.pack("<II", r.exposure_us, r.period_us),
            Command.PATTERN_CONFIG: lambda: r.config,
            Command.TRIG_OUT_1: lambda: r.trig_out_1,
            Command.TRIG_OUT_2: lambda: r.trig_out_2,
        }
        if code not in simple:
            raise _Refused(f"read of unknown command 0x{code:04X}")
        return simple[code]()

    def _write(self, msg: Message) -> bytes:
        r, code, p = self.regs, msg.command, msg.payload
        size = WRITE_SIZES.get(code)
        if code != Command.MAILBOX_DATA and (size is None or len(p) != size):
            raise _Refused(f"write 0x{code:04X} with {len(p)} bytes")
        if code in LOCKED_WHILE_RUNNING and r.sequencer != SequencerState.STOP:
            raise _Refused("pattern settings change while the sequencer is not stopped")
        if code in LOCKED_WHILE_RUNNING and code != Command.LUT_VALIDATE:
            r.validated = False
        if code == Command.PATTERN_START_STOP:
            self._set_state(p[0])
        elif code == Command.DISPLAY_MODE:
            if p[0] > 1:
                raise _Refused(f"display mode {p[0]}")
            if p[0] != r.display_mode:
                r.lut = [0] * LUT_CAPACITY  # mode switches clear the LUT (E2E 866216)
            r.display_mode = p[0]
        elif code == Command.PATTERN_SOURCE:
            if p[0] not in (0, 3):
                raise _Refused(f"pattern source {p[0]}")
            r.pattern_source = p[0]
        elif code == Command.TRIGGER_MODE:
            if p[0] > 4:
                raise _Refused(f"trigger mode {p[0]}")
            r.trigger_mode = p[0]
        elif code == Command.EXPOSURE_PERIOD:
            r.exposure_us, r.period_us = struct.unpack("<II", p)
        elif code == Command.PATTERN_CONFIG:
            if p[0] >= LUT_CAPACITY:
                raise _Refused(f"{p[0] + 1} LUT entries")
            r.config = bytes(p)
        elif code == Command.INVERT_DATA:
            r.invert_data = p[0]
        elif code == Command.MAILBOX_CONTROL:
            if p[0] > 3:
                raise _Refused(f"mailbox {p[0]}")
            r.mailbox = p[0]
        elif code == Command.MAILBOX_ADDRESS:
            r.mailbox_address = p[0]
        elif code == Command.MAILBOX_DATA:
            self._mailbox_data(p)
        elif code == Command.TRIG_OUT_1:
            r.trig_out_1 = bytes(p)
        elif code == Command.TRIG_OUT_2:
            r.trig_out_2 = bytes(p)
        elif code == Command.LUT_VALIDATE:
            r.validation = validate_lut(r, self.video_hz())
            r.validated = True
            self._busy_polls_left = self.faults.validation_busy_polls
        return b""

    def _mailbox_data(self, payload: bytes) -> None:
        r = self.regs
        if r.mailbox != Mailbox.PATTERN_LUT:
            raise _Refused(f"mailbox data with mailbox {r.mailbox} (only the pattern LUT)")
        if not payload or len(payload) % 3:
            raise _Refused(f"pattern LUT data of {len(payload)} bytes")
        entries = decode_lut(payload)
        if r.mailbox_address + len(entries) > LUT_CAPACITY:
            raise _Refused(f"LUT overflow at address {r.mailbox_address}")
        for e in entries:
            r.lut[r.mailbox_address] = e.word()
            r.mailbox_address += 1

    def _set_state(self, state: int) -> None:
        r = self.regs
        if state > 2:
            raise _Refused(f"sequencer state {state}")
        if self.faults.ignore_state_commands:
            return
        if state == SequencerState.START:
            if not (r.validated and r.validation & 0x3 == 0 and r.display_mode == 1):
                log.info("emulated DLPC350: Start ignored (sequence not validated)")
                return
            if r.pattern_source == 0 and not self.video_locked():
                log.info("emulated DLPC350: Start ignored (no video signal)")
                return
            was = r.sequencer
            r.sequencer = state
            if was != SequencerState.START and self.on_start is not None:
                self.on_start(r)
            return
        if r.sequencer == SequencerState.START and self.on_stop is not None:
            self.on_stop()
        r.sequencer = state


class _Refused(Exception):
    """Internal: the command is answered with a NACK."""

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
from enum import StrEnum

from lsi_rig.dmd.dlpc350.commands import Command, Mailbox, SequencerState
from lsi_rig.dmd.dlpc350.hid import FLAG_NACK, Message, encode_reply
from lsi_rig.dmd.dlpc350.lut import LUT_CAPACITY, LutEntry, TriggerType, decode_lut
from lsi_rig.dmd.timing import MIN_DARK_GAP_US, timing_problems

log = logging.getLogger(__name__)

#: Write payload sizes (hardware.md §1.11); MAILBOX_DATA is variable.
WRITE_SIZES: dict[int, int] = {
    Command.POWER_MODE: 1,
    Command.SOURCE_SELECT: 1,
    Command.PIXEL_FORMAT: 1,
    Command.PORT_CLOCK: 1,
    Command.DATA_CHANNEL_SWAP: 1,
    Command.FLIP_LONG_AXIS: 1,
    Command.FLIP_SHORT_AXIS: 1,
    Command.BUFFER_FREEZE: 1,
    Command.LED_PWM_INVERT: 1,
    Command.LED_ENABLE: 1,
    Command.LED_CURRENT: 3,
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


class DmdFault(StrEnum):
    """Faults a test can schedule at a chosen world time (``Dlpc350Emulator.inject``)."""

    DISCONNECT = "disconnect"  # the board leaves the bus: every transfer fails with ENODEV
    SILENCE = "silence"  # the controller stops answering: every read times out
    VIDEO_UNLOCK = "video_unlock"  # HDMI lock lost: the DMD stops showing patterns


@dataclass
class Faults:
    """Fault injection, set by tests through the emulator handle."""

    nack_commands: set[int] = field(default_factory=set)
    #: registers whose writes are acknowledged but not taken: reads return this value
    sticky: dict[int, bytes] = field(default_factory=dict)
    silent: bool = False  # accept reports, never answer: host reads time out
    disconnected: bool = False
    validation_busy_polls: int = 1  # reads of 0x1A1A that still report "running"
    ignore_state_commands: bool = False  # Stop/Start never take effect
    video_locked: bool | None = None  # None: locked while the video sink shows frames


@dataclass
class Registers:
    power_mode: int = 0  # 0 normal, 1 standby
    source_select: int = 0x08  # parallel port, 24-bit
    pixel_format: int = 0
    port_clock: int = 0
    channel_swap: int = 0
    flip_long: int = 0
    flip_short: int = 0
    buffer_freeze: int = 0
    led_pwm_invert: int = 0
    led_enable: int = 0x08  # sequencer-controlled
    led_current: bytes = bytes([104, 135, 130])
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

    @classmethod
    def foreign(cls) -> Registers:
        """A board left by another program: in standby, showing a test pattern in video mode
        with YCrCb, another clock, channels swapped CBA, both flips, a frozen buffer, inverted
        data, inverted LED PWM under manual control, inverted and delayed trigger outputs."""
        return cls(
            power_mode=1,
            source_select=0x01 | 0 << 3,
            pixel_format=1,
            port_clock=1,
            channel_swap=5,
            flip_long=1,
            flip_short=1,
            buffer_freeze=1,
            led_pwm_invert=1,
            led_enable=0x07,
            led_current=bytes([255, 255, 255]),
            display_mode=0,
            trigger_mode=1,
            invert_data=1,
            trig_out_1=b"\x01\x00\xd5",
            trig_out_2=b"\x01\x10",
            sequencer=SequencerState.START,
        )

    @property
    def video_path_ok(self) -> bool:
        """The HDMI receiver's parallel RGB reaches the controller (source, width, format,
        clock as the LightCrafter's HDMI input needs them)."""
        return (
            self.power_mode == 0
            and self.source_select == 0x08
            and self.pixel_format == 0
            and self.port_clock == 0
        )

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
        video_size: Callable[[], tuple[int, int] | None] | None = None,
        now_s: Callable[[], float] | None = None,
        registers: Registers | None = None,
    ) -> None:
        self.regs = registers or Registers()
        self.faults = Faults()
        self.video_size = video_size or (lambda: None)
        self.now_s = now_s
        self.scheduled: list[tuple[float, DmdFault]] = []
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
    def schedule(self, kind: DmdFault, at_s: float) -> None:
        self.scheduled.append((at_s, DmdFault(kind)))

    def apply_due(self) -> None:
        """Apply scheduled faults whose time (on the world clock) has come."""
        if not self.scheduled:
            return
        now = self.now_s() if self.now_s is not None else float("inf")
        due = [(t, k) for t, k in self.scheduled if t <= now]
        for item in due:
            self.scheduled.remove(item)
            kind = item[1]
            log.info("emulated DLPC350: injected %s at %.6f s", kind.value, item[0])
            if kind is DmdFault.DISCONNECT:
                self.faults.disconnected = True
            elif kind is DmdFault.SILENCE:
                self.faults.silent = True
            else:
                self.faults.video_locked = False

    def video_locked(self) -> bool:
        if self.faults.video_locked is not None:
            return self.faults.video_locked
        return self.video_hz() is not None and self.regs.video_path_ok

    def _main_status(self) -> int:
        running = self.regs.sequencer == SequencerState.START
        return int(running) << 1

    def _video_status(self) -> bytes:
        hz = self.video_hz()
        data = bytearray(28)
        locked = self.video_locked()
        data[0] = 2 if locked else 0
        struct.pack_into("<H", data, 14, round((hz or 0.0) * 100))
        size = self.video_size() if locked else None
        if size is not None:
            struct.pack_into("<HH", data, 20, size[0], size[1])
        return bytes(data)

    # -- dispatch -------------------------------------------------------------------------
    def handle(self, msg: Message) -> bytes | None:
        """Apply one message; return the reply report (None: no reply requested)."""
        self.apply_due()
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
        if code in self.faults.sticky:
            return self.faults.sticky[code]
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
            Command.INVERT_DATA: lambda: bytes([r.invert_data]),
            Command.POWER_MODE: lambda: bytes([r.power_mode]),
            Command.SOURCE_SELECT: lambda: bytes([r.source_select]),
            Command.PIXEL_FORMAT: lambda: bytes([r.pixel_format]),
            Command.PORT_CLOCK: lambda: bytes([r.port_clock]),
            Command.DATA_CHANNEL_SWAP: lambda: bytes([r.channel_swap]),
            Command.FLIP_LONG_AXIS: lambda: bytes([r.flip_long]),
            Command.FLIP_SHORT_AXIS: lambda: bytes([r.flip_short]),
            Command.BUFFER_FREEZE: lambda: bytes([r.buffer_freeze]),
            Command.LED_PWM_INVERT: lambda: bytes([r.led_pwm_invert]),
            Command.LED_ENABLE: lambda: bytes([r.led_enable]),
            Command.LED_CURRENT: lambda: r.led_current,
        }
        if code not in simple:
            raise _Refused(f"read of unknown command 0x{code:04X}")
        return simple[code]()

    def _write(self, msg: Message) -> bytes:
        r, code, p = self.regs, msg.command, msg.payload
        size = WRITE_SIZES.get(code)
        if code != Command.MAILBOX_DATA and (size is None or len(p) != size):
            raise _Refused(f"write 0x{code:04X} with {len(p)} bytes")
        if r.power_mode != 0 and code != Command.POWER_MODE:
            raise _Refused("the board is in standby")
        if code in LOCKED_WHILE_RUNNING and r.sequencer != SequencerState.STOP:
            raise _Refused("pattern settings change while the sequencer is not stopped")
        if code in self.faults.sticky:
            return b""  # acknowledged, not taken
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
        else:
            self._write_board(code, p)
        return b""

    def _write_board(self, code: int, p: bytes) -> None:
        """Power, input-port, flip, freeze and LED settings (TI API value ranges)."""
        r = self.regs
        value = p[0]
        limits: dict[int, int] = {
            Command.POWER_MODE: 1,
            Command.PIXEL_FORMAT: 2,
            Command.PORT_CLOCK: 2,
            Command.FLIP_LONG_AXIS: 1,
            Command.FLIP_SHORT_AXIS: 1,
            Command.BUFFER_FREEZE: 1,
            Command.LED_PWM_INVERT: 1,
            Command.LED_ENABLE: 0x0F,
        }
        if code in limits and value > limits[code]:
            raise _Refused(f"value {value} for 0x{code:04X}")
        if code == Command.SOURCE_SELECT and (value & 7 > 3 or value >> 3 > 5):
            raise _Refused(f"input source byte 0x{value:02X}")
        if code == Command.DATA_CHANNEL_SWAP and value & 0x7F > 5:
            raise _Refused(f"channel swap byte 0x{value:02X}")
        fields: dict[int, str] = {
            Command.POWER_MODE: "power_mode",
            Command.SOURCE_SELECT: "source_select",
            Command.PIXEL_FORMAT: "pixel_format",
            Command.PORT_CLOCK: "port_clock",
            Command.DATA_CHANNEL_SWAP: "channel_swap",
            Command.FLIP_LONG_AXIS: "flip_long",
            Command.FLIP_SHORT_AXIS: "flip_short",
            Command.BUFFER_FREEZE: "buffer_freeze",
            Command.LED_PWM_INVERT: "led_pwm_invert",
            Command.LED_ENABLE: "led_enable",
        }
        if code == Command.LED_CURRENT:
            r.led_current = bytes(p)
        elif code in fields:
            setattr(r, fields[code], value)
        else:  # pragma: no cover - every size-checked command is handled above
            raise _Refused(f"write 0x{code:04X}")

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

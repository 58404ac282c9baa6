"""The DLPC350 command layer: TI's set-up order for video-port pattern mode (hardware.md §1.3).

Every pattern setting is changed with the sequencer stopped, then validated, then started, and
each state change is confirmed by reading it back (TI's GUI: 100 ms sleep, ≤ 5 retries) rather
than sending Start twice as pycrafter4500 does. Nothing is taken on trust from whatever state the
board was left in: the power mode, every input-port, flip, freeze, invert and LED setting
(:mod:`lsi_rig.dmd.dlpc350.board`), the mode, timing, configuration and trigger settings are
written and read back, and the locked video is checked for 912×1140 at the configured rate.
"""

from __future__ import annotations

import logging

from lsi_rig.core.clock import Clock, WallClock
from lsi_rig.core.errors import DeviceError, DeviceTimeoutError
from lsi_rig.dmd.dlpc350 import commands as c
from lsi_rig.dmd.dlpc350.board import BoardSettings, video_problems
from lsi_rig.dmd.dlpc350.commands import Command, command_name
from lsi_rig.dmd.dlpc350.link import Dlpc350Link
from lsi_rig.dmd.dlpc350.lut import encode_lut
from lsi_rig.dmd.dlpc350.plan import VideoPlan
from lsi_rig.dmd.dlpc350.status import (
    HardwareStatus,
    MainStatus,
    ValidationResult,
    Version,
    VideoStatus,
    decode_firmware_tag,
)

log = logging.getLogger(__name__)

STATE_SETTLE_S = 0.1  # TI GUI: sleep before reading Stop/Start back
VIDEO_POLL_S = 0.1
VALIDATE_FIRST_POLL_S = 0.1  # TI-SDK: 100 ms, then every 10 ms
VALIDATE_POLL_S = 0.01
VALIDATE_MAX_POLLS = 200
STANDBY_EXIT_S = 5.0  # TI GUI waits 2 s, slstudio 5 s (hardware.md §1.12)
STANDBY_POLL_S = 0.25


class Dlpc350Driver:
    """High-level DLPC350 operations on a :class:`Dlpc350Link`."""

    def __init__(
        self, link: Dlpc350Link, *, clock: Clock | None = None, state_retries: int = 5
    ) -> None:
        self.link = link
        self.clock = clock or WallClock()
        self.state_retries = state_retries

    # -- sequencer state ------------------------------------------------------------------
    def _set_state(self, state: c.SequencerState) -> None:
        for attempt in range(1, self.state_retries + 1):
            self.link.write(Command.PATTERN_START_STOP, c.u8(state))
            self.clock.sleep_s(STATE_SETTLE_S)
            now = self.link.read(Command.PATTERN_START_STOP)[0]
            if now == state:
                return
            log.info("DLPC350 sequencer reads %d after %s (attempt %d)", now, state.name, attempt)
        raise DeviceError(
            f"DLPC350 sequencer did not reach {state.name} after {self.state_retries} attempts "
            f"(reads {now}); check the video signal and the LUT, or power-cycle the board"
        )

    def stop(self) -> None:
        self._set_state(c.SequencerState.STOP)

    def start(self) -> None:
        self._set_state(c.SequencerState.START)

    # -- reads ---------------------------------------------------------------------------
    def hardware_status(self) -> HardwareStatus:
        return HardwareStatus(self.link.read(Command.HARDWARE_STATUS)[0])

    def main_status(self) -> MainStatus:
        return MainStatus(self.link.read(Command.MAIN_STATUS)[0])

    def version(self) -> Version:
        return Version.decode(self.link.read(Command.VERSION))

    def firmware_tag(self) -> str:
        return decode_firmware_tag(self.link.read(Command.FIRMWARE_TAG))

    def video_status(self) -> VideoStatus:
        return VideoStatus(self.link.read(Command.VIDEO_STATUS))

    def set_checked(self, command: Command, payload: bytes, meaning: str = "") -> None:
        """Write a setting and read it back; a board that keeps another value is an error."""
        self.link.write(command, payload)
        got = self.link.read(command)[: len(payload)]
        if got != payload:
            what = f" ({meaning})" if meaning else ""
            raise DeviceError(
                f"DLPC350 did not take {command_name(command)}{what}: wrote {payload.hex()}, "
                f"reads back {got.hex()}; check the board's firmware or power-cycle it"
            )

    def ensure_powered(self) -> None:
        """Leave standby (another program may have put the board there) and wait for it."""
        if not self.link.read(Command.POWER_MODE)[0] & 0x03:
            return
        log.info("DLPC350 is in standby; switching it to normal mode")
        self.link.write(Command.POWER_MODE, c.u8(0))
        deadline = self.clock.now_s() + STANDBY_EXIT_S
        while self.link.read(Command.POWER_MODE)[0] & 0x03:
            if self.clock.now_s() >= deadline:
                raise DeviceTimeoutError(
                    f"DLPC350 still in standby {STANDBY_EXIT_S:g} s after the power-mode command; "
                    "power-cycle the board"
                )
            self.clock.sleep_s(STANDBY_POLL_S)

    def configure_board(self, board: BoardSettings) -> None:
        """Input port, data-channel mapping, flips, freeze, invert and LEDs, each read back."""
        for command, payload, meaning in board.writes():
            self.set_checked(command, payload, meaning)

    def wait_video_locked(self, timeout_s: float, expect_hz: float | None = None) -> VideoStatus:
        """Poll 0x071C until the HDMI receiver locks; the source must exist before pattern mode.

        With ``expect_hz``, the locked signal must be 912×1140 at that rate (when the board
        reports them): the exposure is computed from the configured rate."""
        deadline = self.clock.now_s() + timeout_s
        while True:
            status = self.video_status()
            if status.locked:
                size = status.active_size or (None, None)
                problems = (
                    video_problems(size[0], size[1], status.vertical_hz, expect_hz)
                    if expect_hz
                    else []
                )
                if problems:
                    raise DeviceError("DLPC350 video input: " + "; ".join(problems))
                return status
            if self.clock.now_s() >= deadline:
                raise DeviceTimeoutError(
                    f"DLPC350: no video signal locked on the HDMI input within {timeout_s:g} s "
                    f"(status byte 0x{status.raw[0]:02X}); check that the DMD window is on the "
                    "LightCrafter's screen at 912×1140 and the HDMI cable is connected"
                )
            self.clock.sleep_s(VIDEO_POLL_S)

    def validate(self) -> ValidationResult:
        """Start LUT validation and poll until done; errors raise, warnings are logged."""
        self.link.write(Command.LUT_VALIDATE, b"\0")
        self.clock.sleep_s(VALIDATE_FIRST_POLL_S)
        for _ in range(VALIDATE_MAX_POLLS):
            result = ValidationResult(self.link.read(Command.LUT_VALIDATE)[0])
            if not result.busy:
                break
            self.clock.sleep_s(VALIDATE_POLL_S)
        else:
            raise DeviceTimeoutError(
                f"DLPC350 LUT validation still running after {VALIDATE_MAX_POLLS} polls"
            )
        for warning in result.warnings:
            log.warning("DLPC350 LUT validation warning: %s", warning)
        if result.errors:
            raise DeviceError(
                f"DLPC350 refused the pattern sequence (validation 0x{result.raw:02X}): "
                + "; ".join(result.errors)
            )
        return result

    # -- set-up --------------------------------------------------------------------------
    def program_video_sequence(
        self,
        plan: VideoPlan,
        *,
        video_lock_timeout_s: float,
        board: BoardSettings | None = None,
    ) -> None:
        """Power, stop, board settings, video lock, pattern mode from the video port on VSYNC,
        timing, LUT, triggers, validate — every setting read back.

        Does not start: :meth:`start` does, after the host shows the frames.
        """
        self.ensure_powered()
        self.stop()
        self.configure_board(board or BoardSettings())
        self.wait_video_locked(video_lock_timeout_s, expect_hz=plan.vsync_hz)
        checked = self.set_checked
        checked(Command.DISPLAY_MODE, c.u8(c.DisplayMode.PATTERN), "pattern mode")
        checked(Command.PATTERN_SOURCE, c.u8(c.PatternSource.VIDEO_PORT), "video port")
        checked(Command.TRIGGER_MODE, c.u8(c.TriggerMode.VSYNC), "VSYNC trigger")
        checked(Command.EXPOSURE_PERIOD, c.exposure_period(plan.exposure_us, plan.period_us))
        checked(
            Command.PATTERN_CONFIG,
            c.pattern_config(len(plan.lut), plan.repeat, plan.patterns_per_trig_out_2),
        )
        self.link.write(Command.MAILBOX_CONTROL, c.u8(c.Mailbox.PATTERN_LUT))
        self.link.write(Command.MAILBOX_ADDRESS, c.u8(0))
        self.link.write(Command.MAILBOX_DATA, encode_lut(list(plan.lut)))
        self.link.write(Command.MAILBOX_CONTROL, c.u8(c.Mailbox.CLOSED))
        checked(Command.TRIG_OUT_1, c.trig_out_1(), "TRIG_OUT_1 not inverted, no delays")
        checked(Command.TRIG_OUT_2, c.trig_out_2(), "TRIG_OUT_2 not inverted, no delay")
        self.validate()

    def close(self) -> None:
        self.link.close()

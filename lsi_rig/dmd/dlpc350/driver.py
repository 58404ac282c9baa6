"""The DLPC350 command layer: TI's set-up order for video-port pattern mode (hardware.md §1.3).

Every pattern setting is changed with the sequencer stopped, then validated, then started, and
each state change is confirmed by reading it back (TI's GUI: 100 ms sleep, ≤ 5 retries) rather
than sending Start twice as pycrafter4500 does.
"""

from __future__ import annotations

import logging

from lsi_rig.core.clock import Clock, WallClock
from lsi_rig.core.errors import DeviceError, DeviceTimeoutError
from lsi_rig.dmd.dlpc350 import commands as c
from lsi_rig.dmd.dlpc350.commands import Command
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

    def wait_video_locked(self, timeout_s: float) -> VideoStatus:
        """Poll 0x071C until the HDMI receiver locks; the source must exist before pattern mode."""
        deadline = self.clock.now_s() + timeout_s
        while True:
            status = self.video_status()
            if status.locked:
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
    def program_video_sequence(self, plan: VideoPlan, *, video_lock_timeout_s: float) -> None:
        """Stop, pattern mode from the video port on VSYNC, timing, LUT, triggers, validate.

        Does not start: :meth:`start` does, after the host shows the frames.
        """
        self.wait_video_locked(video_lock_timeout_s)
        self.stop()
        self.link.write(Command.DISPLAY_MODE, c.u8(c.DisplayMode.PATTERN))
        self.link.write(Command.PATTERN_SOURCE, c.u8(c.PatternSource.VIDEO_PORT))
        self.link.write(Command.TRIGGER_MODE, c.u8(c.TriggerMode.VSYNC))
        self.link.write(
            Command.EXPOSURE_PERIOD, c.exposure_period(plan.exposure_us, plan.period_us)
        )
        self.link.write(
            Command.PATTERN_CONFIG,
            c.pattern_config(len(plan.lut), plan.repeat, plan.patterns_per_trig_out_2),
        )
        self.link.write(Command.MAILBOX_CONTROL, c.u8(c.Mailbox.PATTERN_LUT))
        self.link.write(Command.MAILBOX_ADDRESS, c.u8(0))
        self.link.write(Command.MAILBOX_DATA, encode_lut(list(plan.lut)))
        self.link.write(Command.MAILBOX_CONTROL, c.u8(c.Mailbox.CLOSED))
        self.link.write(Command.TRIG_OUT_1, c.trig_out_1())
        self.link.write(Command.TRIG_OUT_2, c.trig_out_2())
        self.validate()

    def close(self) -> None:
        self.link.close()

"""The DLP4500 / DLPC350 DMD backend (the :class:`~lsi_rig.dmd.protocol.Dmd` contract).

``load_sequence`` packs the patterns into 912×1140 frames, shows them on the DMD's video input,
programs the controller over USB (stop, mode, timing, LUT, triggers, validate); ``start``
starts the sequencer with read-back. In video mode the exposure is set by the frame rate, not by
the sequence: the returned :class:`SequenceTiming` says what the DMD will really do.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from lsi_rig.core.backend_context import BackendContext
from lsi_rig.core.clock import Clock
from lsi_rig.core.errors import ConfigError, DeviceError
from lsi_rig.core.timing import SequenceTiming
from lsi_rig.dmd.config import Dlpc350Config
from lsi_rig.dmd.dlpc350.board import BoardSettings
from lsi_rig.dmd.dlpc350.commands import ChannelSwap
from lsi_rig.dmd.dlpc350.driver import Dlpc350Driver
from lsi_rig.dmd.dlpc350.link import Dlpc350Link
from lsi_rig.dmd.dlpc350.packing import pack_frames, place_masks
from lsi_rig.dmd.dlpc350.plan import VideoPlan, plan_video_sequence
from lsi_rig.dmd.dlpc350.usb_transport import UsbHidTransport, resolve_usb_backend
from lsi_rig.dmd.dlpc350.video import TeeVideoOutput, VideoOutput
from lsi_rig.dmd.protocol import DmdStatus
from lsi_rig.dmd.sequence import PatternSequence

log = logging.getLogger(__name__)

BITPLANE_ORDER = "pattern numbers 0-7 = G0-G7, 8-15 = R0-R7, 16-23 = B0-B7"


class Dlpc350Dmd:
    """A LightCrafter 4500 in video-port pattern mode."""

    def __init__(
        self, cfg: Dlpc350Config, driver: Dlpc350Driver, video: VideoOutput, clock: Clock
    ) -> None:
        self.cfg = cfg
        self.driver = driver
        self.video = video
        self.clock = clock
        self.plan: VideoPlan | None = None
        self.board = BoardSettings(
            data_channel_swap=ChannelSwap[cfg.data_channel_swap], led_current=cfg.led_current
        )
        self._placement: dict[str, Any] = {}
        self._firmware: dict[str, str] = {}
        try:
            version = driver.version()
            self._firmware = {
                "application": version.application,
                "api": version.api,
                "firmware_tag": driver.firmware_tag(),
            }
        except DeviceError as exc:  # informative only; the set-up commands will fail loudly
            log.warning("DLPC350: could not read the firmware version: %s", exc)

    def describe(self) -> dict[str, Any]:
        return {
            "model": "DLP LightCrafter 4500 (DLPC350 + DLP4500)",
            "mode": "video-port pattern mode, VSYNC-triggered, 1-bit",
            "vsync_hz": self.cfg.vsync_hz,
            "mirrors": "912 columns x 1140 rows, diamond",
            "bitplane_order": BITPLANE_ORDER,
            "firmware": dict(self._firmware),
            "placement": dict(self._placement),
            "strategy": self.plan.strategy if self.plan else None,
            "video_output": self.video.describe(),
            "led_select": self.cfg.led_select,
            "board_settings": {
                meaning: payload.hex() for _, payload, meaning in self.board.writes()
            },
        }

    def load_sequence(self, sequence: PatternSequence) -> SequenceTiming:
        plan = plan_video_sequence(sequence.n_patterns, self.cfg.vsync_hz, self.cfg.led_select)
        if abs(sequence.exposure_us - plan.exposure_us) > 1:
            log.info(
                "DLPC350 video mode: exposure is %d µs (VSYNC %.3g Hz / %d patterns per frame), "
                "not the requested %.1f µs",
                plan.exposure_us,
                plan.vsync_hz,
                plan.patterns_per_frame,
                sequence.exposure_us,
            )
        placement = place_masks(
            sequence.masks.shape,
            block_size=self.cfg.block_size,
            offset=self.cfg.placement_offset,
            rotation_deg=self.cfg.rotation_deg,
            scale=self.cfg.scale,
        )
        self._placement = {
            "mask_shape": list(placement.mask_shape),
            "block_size": placement.block_size,
            "col0": placement.col0,
            "row0": placement.row0,
            "rotation_deg": placement.rotation_deg,
            "scale": placement.scale,
        }
        frames = pack_frames(sequence.bits(), placement, plan.patterns_per_frame)
        self.video.show(frames, plan.vsync_hz)
        self.driver.program_video_sequence(
            plan, video_lock_timeout_s=self.cfg.video_lock_timeout_s, board=self.board
        )
        self.plan = plan
        notes = [f"exposure = period = 1/{plan.vsync_hz:g} Hz / {plan.patterns_per_frame}"]
        if plan.strategy == "frame_stream":
            notes.append(
                f"frame_stream: TRIG_OUT_2 every frame; the last frame adds "
                f"{plan.displayed_patterns - plan.n_patterns} all-off patterns"
            )
        return SequenceTiming(
            n_patterns=sequence.n_patterns,
            exposure_us=float(plan.exposure_us),
            period_us=float(plan.period_us),
            sequence_period_us=plan.sequence_period_us,
            patterns_per_frame=plan.patterns_per_frame,
            frames_per_sequence=plan.n_frames,
            notes=tuple(notes),
            edges_per_pass=plan.displayed_patterns,
        )

    def start(self) -> None:
        if self.plan is None:
            raise DeviceError("DLPC350: start() before load_sequence()")
        self.driver.start()

    def stop(self) -> None:
        self.driver.stop()

    def status(self) -> DmdStatus:
        hw = self.driver.hardware_status()
        main = self.driver.main_status()
        video = self.driver.video_status()
        errors = list(hw.errors)
        if not video.locked:
            errors.append(
                "HDMI video signal not locked (the DMD shows no patterns): check the DMD "
                "screen's cable and mode"
            )
        return DmdStatus(
            running=main.running,
            healthy=not errors,
            video_locked=video.locked,
            errors=tuple(errors),
            device="DLPC350 (LightCrafter 4500)",
            raw={
                "hardware_status": hw.raw,
                "main_status": main.raw,
                "main_status_bits": list(main.labels()),
                "video_hz": video.vertical_hz,
            },
        )

    def close(self) -> None:
        try:
            with contextlib.suppress(DeviceError):
                self.driver.stop()
        finally:
            try:
                self.video.close()
            finally:
                self.driver.close()


def _video_output(cfg: Dlpc350Config, ctx: BackendContext) -> VideoOutput:
    """The emulator's video sink, a window on ``screen``, or both: a window on an emulated
    board also feeds the emulator's HDMI input, which then sees what the window shows."""
    sink = ctx.endpoints.get("dlpc350_video_sink")
    use_sink = cfg.video_output == "emulator" or (
        cfg.video_output == "auto" and cfg.usb_backend == "emulator"
    )
    if use_sink:
        if sink is None:
            raise ConfigError(
                "devices.dmd: the DLPC350 video output is the emulator's, but no emulator "
                "video sink is running (enable emulators.dlpc350_usb)"
            )
        return sink  # type: ignore[no-any-return]
    from lsi_rig.dmd.dlpc350.qt_window import QtVideoWindow

    window = QtVideoWindow(cfg.screen)
    if cfg.usb_backend == "emulator" and sink is not None:
        return TeeVideoOutput(window, sink)
    return window


def create(cfg: Dlpc350Config, ctx: BackendContext) -> Dlpc350Dmd:
    """Backend factory (registry ``("dmd", "dlpc350")``)."""
    backend = resolve_usb_backend(cfg.usb_backend, ctx.endpoints)
    transport = UsbHidTransport(backend, timeout_ms=cfg.usb_timeout_ms)
    driver = Dlpc350Driver(Dlpc350Link(transport), clock=ctx.clock, state_retries=cfg.stop_retries)
    try:
        return Dlpc350Dmd(cfg, driver, _video_output(cfg, ctx), ctx.clock)
    except BaseException:
        driver.close()
        raise

"""Configuration of DMD backends (selected by ``backend`` in the rig file)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from lsi_rig.core.strict import StrictModel


class SimDmdConfig(StrictModel):
    """Simulated DLP4500 driven by the world; timing follows the requested pattern exposure."""

    backend: Literal["sim"] = "sim"
    enforce_dlpc350_limits: bool = Field(
        True, description="refuse exposures the DLPC350 would refuse (235 µs, 230 µs gap rule)"
    )


class Dlpc350Config(StrictModel):
    """Real LightCrafter 4500 in video-port pattern mode (USB for control, HDMI for frames).

    Masks are packed 24 to a 912×1140 RGB888 video frame (docs/dlpc350.md); the exposure per
    pattern follows from ``vsync_hz``: VSYNC period / patterns per frame.
    """

    backend: Literal["dlpc350"] = "dlpc350"
    vsync_hz: float = Field(60.0, gt=0, le=120)
    usb_backend: str | None = Field(
        None,
        description=(
            "pyusb backend as 'module:attribute' (an IBackend instance or a zero-argument "
            "factory); 'emulator': the running DLPC350 emulator; None: libusb found by pyusb"
        ),
    )
    usb_timeout_ms: int = Field(2000, ge=100)
    screen: int | str | None = Field(
        None, description="screen index or name for the HDMI output window; None: primary screen"
    )
    video_output: Literal["auto", "window", "emulator"] = Field(
        "auto",
        description="'window': full-screen Qt window on 'screen'; 'emulator': the emulator's "
        "video sink; 'auto': the sink when usb_backend is 'emulator', else the window",
    )
    long_sequence_strategy: Literal["frame_stream"] = Field(
        "frame_stream",
        description="sequences longer than one 128-entry LUT: a 24-entry LUT repeating while "
        "the host streams the frames (docs/dlpc350.md)",
    )
    led_select: int = Field(7, ge=0, le=7, description="LED bits R=1, G=2, B=4 in the LUT")
    block_size: int | None = Field(
        None, ge=1, description="mirror columns per mask pixel (k; rows = 2k). None: largest fit"
    )
    placement_offset: tuple[int, int] = Field(
        (0, 0), description="(columns, rows) shift of the mask area from the centred position"
    )
    rotation_deg: float = Field(0.0, description="mask rotation on the DMD (calibration)")
    scale: float = Field(1.0, gt=0, description="mask magnification on the DMD (calibration)")
    video_lock_timeout_s: float = Field(2.0, gt=0, description="wait for HDMI lock (0x071C)")
    stop_retries: int = Field(5, ge=1, description="Stop/Start read-back attempts (TI GUI: 5)")


DmdConfig = SimDmdConfig | Dlpc350Config

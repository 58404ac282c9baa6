"""Configuration of DMD backends (selected by ``backend`` in the rig file)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, field_validator

from lsi_rig.core.plugins import (
    HOW_TO_REGISTER,
    USB_BACKENDS_GROUP,
    check_plugin_name,
    is_registered,
    plugin_names,
)
from lsi_rig.core.strict import StrictModel

#: A screen by index (0-63) or by its Qt name.
ScreenChoice = (
    Annotated[int, Field(ge=0, le=63)] | Annotated[str, Field(min_length=1, max_length=200)]
)


class _DmdModel(StrictModel):
    """Numbers are finite and inside the documented ranges."""

    model_config = ConfigDict(allow_inf_nan=False)


class SimDmdConfig(_DmdModel):
    """Simulated DLP4500 driven by the world; timing follows the requested pattern exposure."""

    backend: Literal["sim"] = "sim"
    enforce_dlpc350_limits: bool = Field(
        True, description="refuse exposures the DLPC350 would refuse (235 µs, 230 µs gap rule)"
    )


class Dlpc350Config(_DmdModel):
    """Real LightCrafter 4500 in video-port pattern mode (USB for control, HDMI for frames).

    Masks are packed 24 to a 912×1140 RGB888 video frame (docs/dlpc350.md); the exposure per
    pattern follows from ``vsync_hz``: VSYNC period / patterns per frame.
    """

    backend: Literal["dlpc350"] = "dlpc350"
    vsync_hz: float = Field(
        60.0, ge=10, le=120, description="DMD screen frame rate, 10-120 Hz (HDMI receiver)"
    )
    usb_backend: str | None = Field(
        None,
        max_length=200,
        description=(
            "pyusb backend: the name of a plug-in registered in the 'lsi_rig.usb_backends' "
            "entry-point group, 'emulator' (the running DLPC350 emulator), or None (libusb "
            "found by pyusb). A 'module:attribute' string is refused: rig files import no code"
        ),
    )
    usb_timeout_ms: int = Field(2000, ge=100, le=60_000, description="100 ms - 60 s")
    screen: ScreenChoice | None = Field(
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
    led_current: tuple[
        Annotated[int, Field(ge=0, le=255)],
        Annotated[int, Field(ge=0, le=255)],
        Annotated[int, Field(ge=0, le=255)],
    ] = Field(
        (0, 0, 0),
        description="R, G, B LED PWM duty 0-255 (0x0B01, normal polarity), set and read back "
        "every sequence; 0: the projection LEDs stay dark (the DMD modulates the scene light)",
    )
    data_channel_swap: Literal["ABC", "CAB", "BCA", "ACB", "BAC", "CBA"] = Field(
        "ABC",
        description="input data-channel mapping (0x1A37), set and read back every sequence; "
        "ABC: host green/red/blue frame channels are bit planes 0-7/8-15/16-23 [U]",
    )
    block_size: int | None = Field(
        None,
        ge=1,
        le=570,
        description="mirror columns per mask pixel (k; rows = 2k; 1-570). None: largest fit",
    )
    placement_offset: tuple[
        Annotated[int, Field(ge=-912, le=912)], Annotated[int, Field(ge=-1140, le=1140)]
    ] = Field(
        (0, 0), description="(columns, rows) shift of the mask area from the centred position"
    )
    rotation_deg: float = Field(
        0.0, ge=-360, le=360, description="mask rotation on the DMD (calibration, ±360°)"
    )
    scale: float = Field(
        1.0, ge=0.01, le=100, description="mask magnification on the DMD (calibration, 0.01-100)"
    )
    video_lock_timeout_s: float = Field(
        2.0, gt=0, le=60, description="wait for HDMI lock (0x071C), up to 60 s"
    )
    stop_retries: int = Field(
        5, ge=1, le=20, description="Stop/Start read-back attempts (TI GUI: 5; 1-20)"
    )

    @field_validator("usb_backend")
    @classmethod
    def _registered_backend(cls, value: str | None) -> str | None:
        """A plug-in *name* only: checked against installed packages' metadata, imported later
        (and only when the rig is built)."""
        if value is None or value == "emulator":
            return value
        check_plugin_name(value, group=USB_BACKENDS_GROUP)
        if not is_registered(USB_BACKENDS_GROUP, value):
            plugins = ", ".join(plugin_names(USB_BACKENDS_GROUP)) or "none installed"
            raise ValueError(
                f"no pyusb backend plug-in named '{value}' (installed: {plugins}); "
                + HOW_TO_REGISTER.format(group=USB_BACKENDS_GROUP)
            )
        return value


DmdConfig = SimDmdConfig | Dlpc350Config

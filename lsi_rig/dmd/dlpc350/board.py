"""Board state the DLPC350 driver sets explicitly and reads back (never takes on trust).

A LightCrafter keeps whatever the last program left in it: TI's GUI, a colleague's script, a
flash default. Any of these would corrupt data silently — a swapped input data channel puts
every mask on the wrong bit plane, a flip mirrors it, a frozen buffer repeats one frame, an
inverted data path shows complements — so before each sequence the driver writes every setting
the video-port pattern mode depends on and reads each one back (TI API, hardware.md §1.11).

``[U]`` marks values chosen for the LightCrafter 4500 EVM's HDMI input that are not verified on
hardware: the HDMI receiver drives the parallel port (24-bit RGB, port-1 clock A), and host
green/red/blue reach data channels A/B/C with no swap (bit planes G0-7, R0-7, B0-7). Check once
on the bench with a one-plane test frame.
"""

from __future__ import annotations

from dataclasses import dataclass

from lsi_rig.dmd.dlpc350 import commands as c
from lsi_rig.dmd.dlpc350.commands import ChannelSwap, Command

#: Resolution the host must send so that one video pixel is one mirror (hardware.md §1.1).
VIDEO_COLUMNS = 912
VIDEO_ROWS = 1140
#: Measured VSYNC may differ from the configured rate by this fraction (the exposure is
#: computed from the configured rate).
VSYNC_TOLERANCE = 0.01


@dataclass(frozen=True)
class BoardSettings:
    """Values the driver writes and reads back before every sequence."""

    data_channel_swap: ChannelSwap = ChannelSwap.ABC
    led_current: tuple[int, int, int] = (0, 0, 0)

    def writes(self) -> list[tuple[Command, bytes, str]]:
        """(command, payload, what it means) in the order they are applied."""
        seq_leds = c.LED_SEQUENCER_CONTROL
        return [
            (
                Command.SOURCE_SELECT,
                c.input_source(c.InputSource.PARALLEL, c.PortWidth.BITS_24),
                "input source: parallel port, 24-bit (HDMI receiver) [U]",
            ),
            (Command.PIXEL_FORMAT, c.u8(c.PixelFormat.RGB_444), "pixel format RGB 4:4:4"),
            (Command.PORT_CLOCK, c.u8(0), "parallel port 1, clock A [U]"),
            (
                Command.DATA_CHANNEL_SWAP,
                c.data_channel_swap(self.data_channel_swap),
                f"data channels {self.data_channel_swap.name} (A = green, B = red, C = blue)",
            ),
            (Command.FLIP_LONG_AXIS, c.u8(0), "no long-axis flip"),
            (Command.FLIP_SHORT_AXIS, c.u8(0), "no short-axis flip"),
            (Command.BUFFER_FREEZE, c.u8(0), "video buffer not frozen"),
            (Command.INVERT_DATA, c.u8(0), "data not inverted (bit 1 = mirror on)"),
            (Command.LED_PWM_INVERT, c.u8(0), "LED PWM normal polarity"),
            (Command.LED_ENABLE, c.u8(seq_leds), "LEDs controlled by the sequencer (LUT)"),
            (Command.LED_CURRENT, c.led_current(*self.led_current), "LED currents"),
        ]


def video_problems(
    columns: int | None, rows: int | None, vsync_hz: float | None, expect_hz: float
) -> list[str]:
    """What is wrong with the locked video signal (empty: it is what the plan assumes)."""
    problems = []
    if columns and rows and (columns, rows) != (VIDEO_COLUMNS, VIDEO_ROWS):
        problems.append(
            f"the DMD screen sends {columns}x{rows}; set a {VIDEO_COLUMNS}x{VIDEO_ROWS} mode "
            "so that pixels map 1:1 to mirrors"
        )
    if vsync_hz and abs(vsync_hz - expect_hz) > VSYNC_TOLERANCE * expect_hz:
        problems.append(
            f"the DMD screen runs at {vsync_hz:.2f} Hz but devices.dmd.vsync_hz is "
            f"{expect_hz:g}; set the screen mode's refresh rate or the config to match"
        )
    return problems

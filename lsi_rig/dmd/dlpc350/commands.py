"""DLPC350 command codes and payload encoders (hardware.md §1.5–§1.11).

Codes are written ``0x<CMD2><CMD3>`` as in TI's API; on the wire they go as CMD3, CMD2 (the u16
little-endian). Every encoder returns the exact payload bytes TI's API sends.
"""

from __future__ import annotations

import struct
from enum import IntEnum


class Command(IntEnum):
    """Commands used by lsi-rig (subset of TI's command list)."""

    POWER_MODE = 0x0200
    VERSION = 0x0205
    VIDEO_STATUS = 0x071C
    LED_CURRENT = 0x0B01
    FLIP_LONG_AXIS = 0x1008
    FLIP_SHORT_AXIS = 0x1009
    BUFFER_FREEZE = 0x100A
    SOURCE_SELECT = 0x1A00
    PIXEL_FORMAT = 0x1A02
    PORT_CLOCK = 0x1A03
    LED_PWM_INVERT = 0x1A05
    LED_ENABLE = 0x1A07
    HARDWARE_STATUS = 0x1A0A
    SYSTEM_STATUS = 0x1A0B
    MAIN_STATUS = 0x1A0C
    LUT_VALIDATE = 0x1A1A
    DISPLAY_MODE = 0x1A1B
    TRIG_OUT_1 = 0x1A1D
    TRIG_OUT_2 = 0x1A1E
    PATTERN_SOURCE = 0x1A22
    TRIGGER_MODE = 0x1A23
    PATTERN_START_STOP = 0x1A24
    EXPOSURE_PERIOD = 0x1A29
    INVERT_DATA = 0x1A30
    PATTERN_CONFIG = 0x1A31
    MAILBOX_ADDRESS = 0x1A32
    MAILBOX_CONTROL = 0x1A33
    MAILBOX_DATA = 0x1A34
    DATA_CHANNEL_SWAP = 0x1A37
    FIRMWARE_TAG = 0x1AFF


def command_name(code: int) -> str:
    """``'PATTERN_CONFIG (0x1A31)'`` for error messages; unknown codes as hex."""
    try:
        return f"{Command(code).name} (0x{code:04X})"
    except ValueError:
        return f"0x{code:04X}"


class InputSource(IntEnum):
    """0x1A00 bits 2:0 (TI API ``SetInputSource``)."""

    PARALLEL = 0  # the HDMI receiver's 24-bit RGB on the parallel port
    TEST_PATTERN = 1
    FLASH = 2
    FPD_LINK = 3


class PortWidth(IntEnum):
    """0x1A00 bits 5:3: parallel-port bit depth."""

    BITS_30 = 0
    BITS_24 = 1
    BITS_20 = 2
    BITS_16 = 3
    BITS_10 = 4
    BITS_8 = 5


class PixelFormat(IntEnum):
    RGB_444 = 0
    YCRCB_444 = 1
    YCRCB_422 = 2


class ChannelSwap(IntEnum):
    """0x1A37 bits 2:0: which input sub-channel feeds A/B/C (A = green planes 0-7, B = red
    8-15, C = blue 16-23)."""

    ABC = 0  # no swap
    CAB = 1
    BCA = 2
    ACB = 3
    BAC = 4
    CBA = 5


#: LED enable (0x1A07) bit 3: the sequencer (the LUT's LED select) drives the LEDs.
LED_SEQUENCER_CONTROL = 0x08


class DisplayMode(IntEnum):
    VIDEO = 0
    PATTERN = 1


class PatternSource(IntEnum):
    VIDEO_PORT = 0
    FLASH = 3


class TriggerMode(IntEnum):
    VSYNC = 0
    INTERNAL_OR_EXTERNAL = 1


class SequencerState(IntEnum):
    STOP = 0
    PAUSE = 1
    START = 2


class Mailbox(IntEnum):
    CLOSED = 0
    IMAGE_LUT = 1
    PATTERN_LUT = 2
    VAR_EXP_LUT = 3


#: Output delay code for TRIG_OUT_1/2: 107.2 ns per step, 0xBB = 0 µs (hardware.md §1.7).
TRIGGER_DELAY_ZERO = 0xBB
TRIGGER_DELAY_STEP_NS = 107.2


def u8(value: int) -> bytes:
    return bytes([value & 0xFF])


def input_source(source: InputSource, width: PortWidth) -> bytes:
    """0x1A00: source in bits 2:0, parallel-port width in bits 5:3."""
    return bytes([int(source) | int(width) << 3])


def data_channel_swap(swap: ChannelSwap, *, fpd_link: bool = False) -> bytes:
    """0x1A37: port in bit 7 (0 = parallel, 1 = FPD-link), swap in bits 2:0."""
    return bytes([int(fpd_link) << 7 | int(swap)])


def led_current(red: int, green: int, blue: int) -> bytes:
    """0x0B01: PWM duty per LED, 0-255 (normal PWM polarity: 255 = full current)."""
    for value in (red, green, blue):
        if not 0 <= value <= 255:
            raise ValueError(f"LED current {value} outside 0-255")
    return bytes([red, green, blue])


def exposure_period(exposure_us: int, period_us: int) -> bytes:
    """0x1A29: exposure µs then frame period µs, each u32 LE."""
    return struct.pack("<II", exposure_us, period_us)


def pattern_config(n_lut_entries: int, repeat: bool, patterns_per_trig_out_2: int) -> bytes:
    """0x1A31: entries − 1, repeat flag, patterns per TRIG_OUT_2 − 1, images − 1 (0: video)."""
    if not 1 <= n_lut_entries <= 128:
        raise ValueError(f"LUT entries {n_lut_entries} outside 1–128")
    if not 1 <= patterns_per_trig_out_2 <= 256:
        raise ValueError(f"patterns per TRIG_OUT_2 {patterns_per_trig_out_2} outside 1–256")
    return bytes([n_lut_entries - 1, int(repeat), patterns_per_trig_out_2 - 1, 0])


def trig_out_1(
    invert: bool = False, rising: int = TRIGGER_DELAY_ZERO, falling: int = 0xBB
) -> bytes:
    """0x1A1D: invert, rising-edge delay code, falling-edge delay code."""
    return bytes([int(invert), rising, falling])


def trig_out_2(invert: bool = False, rising: int = TRIGGER_DELAY_ZERO) -> bytes:
    """0x1A1E: invert, rising-edge delay code (no falling-edge control)."""
    return bytes([int(invert), rising])


def delay_code_to_us(code: int) -> float:
    """Trigger output delay in µs for a delay code (0xBB = 0)."""
    return (code - TRIGGER_DELAY_ZERO) * TRIGGER_DELAY_STEP_NS / 1000.0

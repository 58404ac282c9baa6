"""DLPC350 command codes and payload encoders (hardware.md §1.5–§1.11).

Codes are written ``0x<CMD2><CMD3>`` as in TI's API; on the wire they go as CMD3, CMD2 (the u16
little-endian). Every encoder returns the exact payload bytes TI's API sends.
"""

from __future__ import annotations

import struct
from enum import IntEnum


class Command(IntEnum):
    """Commands used by lsi-rig (subset of TI's command list)."""

    VERSION = 0x0205
    VIDEO_STATUS = 0x071C
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
    FIRMWARE_TAG = 0x1AFF


def command_name(code: int) -> str:
    """``'PATTERN_CONFIG (0x1A31)'`` for error messages; unknown codes as hex."""
    try:
        return f"{Command(code).name} (0x{code:04X})"
    except ValueError:
        return f"0x{code:04X}"


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

"""Decoding of DLPC350 status, validation, version and video-signal reads (hardware.md §1.8–1.9).

Bits marked [U] in the reference are decoded with that caveat in their label, so a log reader
knows which meanings are unverified on the DLPC350.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

HARDWARE_STATUS_BITS: dict[int, str] = {
    0: "initialisation complete",
    1: "incompatible controller/DMD or firmware [U]",
    2: "DMD reset controller error (overlapping bias/reset)",
    3: "forced buffer swap error",
    6: "sequence abort",
    7: "sequence error",
}
HARDWARE_ERROR_BITS = (1, 2, 3, 6, 7)

MAIN_STATUS_BITS: dict[int, str] = {
    0: "DMD parked",
    1: "sequencer running",
    2: "video buffer frozen",
    3: "gamma correction enabled [U]",
}

#: Validation result bits (0x1A1A read, bit 7 = still running); bits 0–1 block Start.
VALIDATION_ERROR_BITS: dict[int, str] = {
    0: "exposure or frame period invalid / out of range",
    1: "invalid pattern number in the LUT",
}
VALIDATION_WARNING_BITS: dict[int, str] = {
    2: "continuous TRIG_OUT_1 requested or it overlaps a black vector",
    3: "black vector missing before an externally triggered vector",
    4: "frame period − exposure < 230 µs",
}
VALIDATION_BUSY = 0x80


@dataclass(frozen=True)
class HardwareStatus:
    raw: int

    @property
    def init_done(self) -> bool:
        return bool(self.raw & 1)

    @property
    def errors(self) -> tuple[str, ...]:
        out = [HARDWARE_STATUS_BITS[b] for b in HARDWARE_ERROR_BITS if self.raw >> b & 1]
        if not self.init_done:
            out.insert(0, "initialisation not complete")
        return tuple(out)


@dataclass(frozen=True)
class MainStatus:
    raw: int

    @property
    def parked(self) -> bool:
        return bool(self.raw & 1)

    @property
    def running(self) -> bool:
        return bool(self.raw & 2)

    @property
    def buffer_frozen(self) -> bool:
        return bool(self.raw & 4)

    @property
    def gamma_enabled(self) -> bool:
        return bool(self.raw & 8)

    def labels(self) -> tuple[str, ...]:
        return tuple(label for b, label in MAIN_STATUS_BITS.items() if self.raw >> b & 1)


@dataclass(frozen=True)
class ValidationResult:
    raw: int

    @property
    def busy(self) -> bool:
        return bool(self.raw & VALIDATION_BUSY)

    @property
    def errors(self) -> tuple[str, ...]:
        return tuple(t for b, t in VALIDATION_ERROR_BITS.items() if self.raw >> b & 1)

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(t for b, t in VALIDATION_WARNING_BITS.items() if self.raw >> b & 1)

    @property
    def ok(self) -> bool:
        return not self.busy and not self.errors


def decode_version_word(word: int) -> str:
    """u32 with bits 31:24 major, 23:16 minor, 15:0 patch → ``'major.minor.patch'``."""
    return f"{word >> 24 & 0xFF}.{word >> 16 & 0xFF}.{word & 0xFFFF}"


@dataclass(frozen=True)
class Version:
    application: str
    api: str
    software_config: str
    sequence_config: str

    @classmethod
    def decode(cls, data: bytes) -> Version:
        if len(data) < 16:
            raise ValueError(f"version reply has {len(data)} bytes, expected 16")
        words = struct.unpack_from("<IIII", data)
        return cls(*(decode_version_word(w) for w in words))


@dataclass(frozen=True)
class VideoStatus:
    """0x071C: locked when data[0] & 3 == 2; vertical frequency u16 at data[14..15] in 0.01 Hz."""

    raw: bytes

    @property
    def locked(self) -> bool:
        return len(self.raw) > 0 and self.raw[0] & 3 == 2

    @property
    def vertical_hz(self) -> float | None:
        if len(self.raw) < 16:
            return None
        return struct.unpack_from("<H", self.raw, 14)[0] / 100.0

    @property
    def active_size(self) -> tuple[int, int] | None:
        """(active pixels per line, active lines per frame): data[20..23] (TI API)."""
        if len(self.raw) < 24:
            return None
        columns, rows = struct.unpack_from("<HH", self.raw, 20)
        return int(columns), int(rows)


def decode_firmware_tag(data: bytes) -> str:
    return data.split(b"\0", 1)[0].decode("ascii", errors="replace")

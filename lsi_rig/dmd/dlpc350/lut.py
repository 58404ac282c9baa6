"""Pattern LUT entries: the 24-bit word of hardware.md §1.6, sent as 3 bytes LE.

In video-port pattern mode the LUT says which bit plane of the current video frame is shown in
which slot; the first entry of each frame waits for VSYNC (trigger type 1) and swaps to the newly
received frame buffer, the others follow on (trigger type 3).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

PLANES_PER_FRAME = 24
LUT_CAPACITY = 128  # entries in normal (not variable-exposure) mode


class TriggerType(IntEnum):
    INTERNAL = 0
    EXTERNAL_POSITIVE = 1  # VSYNC in video mode
    EXTERNAL_NEGATIVE = 2
    NO_TRIGGER = 3  # continue from the previous pattern


@dataclass(frozen=True)
class LutEntry:
    """One pattern slot of the sequencer."""

    trigger: TriggerType
    pattern_number: int
    bit_depth: int = 1
    led_select: int = 7
    invert: bool = False
    insert_black: bool = False
    buffer_swap: bool = False
    trig_out_prev: bool = False

    def word(self) -> int:
        """The 24-bit LUT word (bits 1:0 trigger, 7:2 pattern, 11:8 depth, 14:12 LEDs, …)."""
        if not 0 <= self.pattern_number <= 63:
            raise ValueError(f"pattern number {self.pattern_number} does not fit 6 bits")
        if not 0 <= self.bit_depth <= 15 or not 0 <= self.led_select <= 7:
            raise ValueError(f"bit depth {self.bit_depth} / LEDs {self.led_select} out of range")
        return (
            int(self.trigger)
            | self.pattern_number << 2
            | self.bit_depth << 8
            | self.led_select << 12
            | int(self.invert) << 16
            | int(self.insert_black) << 17
            | int(self.buffer_swap) << 18
            | int(self.trig_out_prev) << 19
        )

    def to_bytes(self) -> bytes:
        return self.word().to_bytes(3, "little")

    @classmethod
    def from_word(cls, word: int) -> LutEntry:
        return cls(
            trigger=TriggerType(word & 0x3),
            pattern_number=(word >> 2) & 0x3F,
            bit_depth=(word >> 8) & 0xF,
            led_select=(word >> 12) & 0x7,
            invert=bool(word >> 16 & 1),
            insert_black=bool(word >> 17 & 1),
            buffer_swap=bool(word >> 18 & 1),
            trig_out_prev=bool(word >> 19 & 1),
        )


def encode_lut(entries: list[LutEntry]) -> bytes:
    """All entries back to back (the payload of one 0x1A34 mailbox message)."""
    return b"".join(e.to_bytes() for e in entries)


def decode_lut(payload: bytes) -> list[LutEntry]:
    if len(payload) % 3:
        raise ValueError(f"LUT payload of {len(payload)} bytes is not a multiple of 3")
    return [
        LutEntry.from_word(int.from_bytes(payload[i : i + 3], "little"))
        for i in range(0, len(payload), 3)
    ]


def video_lut(n_patterns: int, patterns_per_frame: int, led_select: int = 7) -> list[LutEntry]:
    """1-bit LUT for ``n_patterns`` slots: pattern numbers 0, 1, … within each frame, the first
    slot of each frame VSYNC-triggered with a buffer swap."""
    if not 1 <= patterns_per_frame <= PLANES_PER_FRAME:
        raise ValueError(f"patterns per frame {patterns_per_frame} outside 1–24")
    entries = []
    for i in range(n_patterns):
        slot = i % patterns_per_frame
        first = slot == 0
        entries.append(
            LutEntry(
                trigger=TriggerType.EXTERNAL_POSITIVE if first else TriggerType.NO_TRIGGER,
                pattern_number=slot,
                bit_depth=1,
                led_select=led_select,
                buffer_swap=first,
            )
        )
    return entries

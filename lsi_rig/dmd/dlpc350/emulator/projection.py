"""What the emulated DMD shows, handed to the World: video frames decoded through the LUT and
through the board's input-path settings (data-channel swap, flips, frozen buffer, inverted data,
LED enables), so a board left in a foreign state shows foreign patterns.

At Start the sequencer state (LUT, exposure, period) and the frames on the video port define one
pass of mirror patterns: each LUT entry with a buffer swap moves to the next received frame, each
entry shows one bit plane (pattern number) of the current frame. A LUT of S swaps over a host loop
of F frames repeats after lcm(S, F) frames, which is one pass. The patterns go to the World at
mirror level (packed, 1 bit per mirror), so the World computes the signals from exactly what the
device would show, not from the masks the host meant.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np

from lsi_rig.core.errors import DeviceError
from lsi_rig.dmd.dlpc350.emulator.device import Registers
from lsi_rig.dmd.dlpc350.lut import LutEntry
from lsi_rig.dmd.dlpc350.packing import PLANE_CHANNEL_BIT
from lsi_rig.dmd.dlpc350.video import MemoryVideoSink

log = logging.getLogger(__name__)


#: Input sub-channel feeding data channels (A, B, C) for each 0x1A37 swap code; the HDMI wiring
#: puts host green on A, red on B, blue on C [U], so with no swap A (planes 0-7) is green.
SWAP_SOURCES: dict[int, str] = {0: "ABC", 1: "CAB", 2: "BCA", 3: "ACB", 4: "BAC", 5: "CBA"}
_HOST_CHANNEL = {"A": 1, "B": 0, "C": 2}  # frame channel index (R, G, B) of each sub-channel


def _plane_source(pattern_number: int, swap: int) -> tuple[int, int]:
    """(host frame channel, bit) a 1-bit pattern number reads under a channel swap."""
    group, bit = divmod(pattern_number, 8)  # 0: channel A, 1: B, 2: C
    return _HOST_CHANNEL[SWAP_SOURCES[swap][group]], bit


def decode_pass(
    frames: np.ndarray,
    entries: list[LutEntry],
    *,
    invert_data: bool = False,
    regs: Registers | None = None,
) -> tuple[np.ndarray, int]:
    """Packed mirror patterns uint8 [P, 1140, 114] of one pass, and the pass length in frames.

    ``regs`` applies the board's input path: data-channel swap, long/short-axis flips (rows /
    columns reversed [U]), a frozen buffer (every swap shows the first frame) and manual LED
    enables (the LUT's LED select is then ignored)."""
    swap = (regs.channel_swap & 7) if regs is not None else 0
    frozen = bool(regs is not None and regs.buffer_freeze)
    manual_leds = regs is not None and not regs.led_enable & 0x08
    n_frames = frames.shape[0]
    swaps = sum(e.buffer_swap for e in entries)
    if swaps == 0:
        pass_frames, repeats = 1, 1
    else:
        pass_frames = math.lcm(swaps, n_frames)
        repeats = pass_frames // swaps
    rows, cols = frames.shape[1], frames.shape[2]
    packed = np.empty((repeats * len(entries), rows, (cols + 7) // 8), dtype=np.uint8)
    frame_index = -1 if swaps else 0
    i = 0
    for _ in range(repeats):
        for e in entries:
            if e.bit_depth != 1:
                raise DeviceError(f"DLPC350 emulator: only 1-bit patterns (got {e.bit_depth})")
            if e.buffer_swap and not frozen:
                frame_index += 1
            channel, bit = (
                PLANE_CHANNEL_BIT[e.pattern_number]
                if swap == 0
                else _plane_source(e.pattern_number, swap)
            )
            plane = (frames[max(frame_index, 0) % n_frames, :, :, channel] >> bit) & 1
            on = plane.astype(bool) ^ (e.invert ^ invert_data)
            if regs is not None and regs.flip_long:
                on = on[::-1, :]
            if regs is not None and regs.flip_short:
                on = on[:, ::-1]
            leds = (regs.led_enable & 7) if manual_leds and regs is not None else e.led_select
            if leds == 0:
                on = np.zeros_like(on)  # no illumination: the pattern sends no light
            packed[i] = np.packbits(on, axis=-1)
            i += 1
    return packed, pass_frames


def patterns_per_frame(entries: list[LutEntry]) -> int:
    """Patterns the sequencer shows from one video frame: the longest run of LUT entries
    between buffer swaps (the last frame of a sequence may show fewer)."""
    runs: list[int] = []
    for e in entries:
        if e.buffer_swap or not runs:
            runs.append(0)
        runs[-1] += 1
    return max(runs, default=1)


class WorldProjection:
    """Start/Stop of the emulated sequencer → ``world.load_patterns`` / ``start_sequence``."""

    def __init__(self, world: Any | None, sink: MemoryVideoSink) -> None:
        self.world = world
        self.sink = sink
        self.last_pass: np.ndarray | None = None  # packed patterns of the last Start (tests)

    def on_start(self, regs: Registers) -> None:
        frames, hz = self.sink.snapshot()
        if frames is None or hz is None:
            log.warning("emulated DLPC350 started without video frames")
            return
        packed, pass_frames = decode_pass(
            frames, regs.lut_entries(), invert_data=bool(regs.invert_data), regs=regs
        )
        self.last_pass = packed
        if self.world is None:
            return
        self.world.load_patterns(
            packed,
            level="mirror",
            exposure_us=float(regs.exposure_us),
            period_us=float(regs.period_us),
            sequence_period_us=pass_frames * 1e6 / hz,
            frame_period_us=1e6 / hz,
            patterns_per_frame=patterns_per_frame(regs.lut_entries()),
        )
        self.world.start_sequence()

    def on_stop(self) -> None:
        if self.world is not None and self.world.sequence_running:
            self.world.stop_sequence()

    def video_lost_at(self, at_s: float) -> None:
        """The HDMI lock is lost at ``at_s`` (world time): the DMD stops showing patterns."""
        if self.world is not None and self.world.sequence_running:
            self.world.stop_sequence(at_s=at_s)

"""How a sequence of n one-bit patterns runs in video-port pattern mode (docs/dlpc350.md).

In video mode each VSYNC brings a new 24-bit-plane frame; the sequencer shows the frame's
planes one after another, so exposure = period = VSYNC period / patterns per frame (integer µs,
rounded down so the patterns fit the frame). Two strategies:

* ``lut`` (n ≤ 128, the normal-mode LUT capacity): one LUT of n entries spanning
  ceil(n/24) frames, each frame's first entry VSYNC-triggered with a buffer swap. TRIG_OUT_2
  fires once per pass (patterns per TRIG_OUT_2 = n) and TRIG_OUT_1 once per pattern.
* ``frame_stream`` (n > 128): a 24-entry LUT (one frame) repeating while the host streams
  ceil(n/24) frames. The last frame's unused planes are all-off patterns that the DMD still
  shows (with TRIG_OUT_1 pulses), and TRIG_OUT_2 fires every frame; the pass start is the
  host's first frame (see the docs for how the detector finds it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from lsi_rig.core.errors import ConfigError
from lsi_rig.dmd.dlpc350.lut import LUT_CAPACITY, PLANES_PER_FRAME, LutEntry, video_lut
from lsi_rig.dmd.timing import timing_problems

MIN_PATTERNS = 1
MAX_PATTERNS = 512 * 2 + 64  # 512 masks with complements and references


@dataclass(frozen=True)
class VideoPlan:
    n_patterns: int
    patterns_per_frame: int
    n_frames: int
    vsync_hz: float
    exposure_us: int
    period_us: int
    strategy: Literal["lut", "frame_stream"]
    lut: tuple[LutEntry, ...]
    patterns_per_trig_out_2: int

    @property
    def frame_period_us(self) -> float:
        return 1e6 / self.vsync_hz

    @property
    def sequence_period_us(self) -> float:
        """TRIG_OUT_2-to-TRIG_OUT_2 time of one pass: whole video frames."""
        return self.n_frames * self.frame_period_us

    @property
    def displayed_patterns(self) -> int:
        """Patterns (TRIG_OUT_1 pulses) the DMD shows per pass, padding included."""
        if self.strategy == "lut":
            return self.n_patterns
        return self.n_frames * self.patterns_per_frame

    @property
    def repeat(self) -> bool:
        return True


def plan_video_sequence(n_patterns: int, vsync_hz: float, led_select: int = 7) -> VideoPlan:
    """Frames, timing and LUT for ``n_patterns`` one-bit patterns at ``vsync_hz``."""
    if not MIN_PATTERNS <= n_patterns <= MAX_PATTERNS:
        raise ConfigError(
            f"DLPC350: {n_patterns} patterns per sequence is outside {MIN_PATTERNS}–{MAX_PATTERNS}"
        )
    per_frame = min(PLANES_PER_FRAME, n_patterns)
    n_frames = math.ceil(n_patterns / per_frame)
    exposure = math.floor(1e6 / vsync_hz / per_frame)
    problems = timing_problems(exposure, exposure)
    if problems:
        raise ConfigError(
            f"devices.dmd.vsync_hz={vsync_hz:g} with {per_frame} patterns per frame gives "
            f"{exposure} µs per pattern: " + "; ".join(problems)
        )
    if n_patterns <= LUT_CAPACITY:
        strategy: Literal["lut", "frame_stream"] = "lut"
        lut = video_lut(n_patterns, per_frame, led_select)
        per_trig2 = n_patterns
    else:
        strategy = "frame_stream"
        lut = video_lut(per_frame, per_frame, led_select)
        per_trig2 = per_frame
    return VideoPlan(
        n_patterns=n_patterns,
        patterns_per_frame=per_frame,
        n_frames=n_frames,
        vsync_hz=float(vsync_hz),
        exposure_us=exposure,
        period_us=exposure,
        strategy=strategy,
        lut=tuple(lut),
        patterns_per_trig_out_2=per_trig2,
    )

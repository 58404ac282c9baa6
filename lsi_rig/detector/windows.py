"""Cut an oversampled DAQ trace into per-pattern windows using the recorded TRIG_OUT_1.

Strategy 2 of shared/reference/hardware.md §4.1: the photodiode and TRIG_OUT_1 are sampled
together at a fixed rate; each high interval of TRIG_OUT_1 is one pattern's exposure. The first
``settle_guard_fraction`` of every window is dropped (the photodiode is still settling from the
previous pattern) and the rest is averaged. A sample counts as high above ``threshold_v``.
The trace is assumed to start low or at a rising edge (the DAQ start trigger); a window still
open at the end of the trace is incomplete and ignored. Pure numpy: the simulated and the
NI-DAQmx detector backends share it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Windows:
    """Per-pattern results of :func:`segment_trace`.

    ``samples_v`` has length ``n_patterns`` (NaN where no window was found); ``start``/``stop``
    are sample indices of every complete window found (stop exclusive), ``used_samples`` the
    samples averaged in each. ``rising_edges``/``falling_edges`` count edges in the trace.
    """

    samples_v: np.ndarray
    start: np.ndarray
    stop: np.ndarray
    used_samples: np.ndarray
    rising_edges: int
    falling_edges: int

    @property
    def n_windows(self) -> int:
        return int(self.start.size)

    @property
    def missing_edges(self) -> bool:
        return self.n_windows < self.samples_v.size

    @property
    def extra_edges(self) -> bool:
        return self.n_windows > self.samples_v.size


def find_windows(trigger_v: np.ndarray, threshold_v: float = 1.65) -> tuple[np.ndarray, np.ndarray]:
    """(start, stop) sample indices of complete high intervals of a logic trace."""
    high = np.asarray(trigger_v) > threshold_v
    padded = np.concatenate([[False], high])
    change = np.diff(padded.astype(np.int8))
    rising = np.flatnonzero(change == 1)
    falling = np.flatnonzero(change == -1)
    rising = rising[: falling.size] if rising.size > falling.size else rising
    return rising, falling


def segment_trace(
    signal_v: np.ndarray,
    trigger_v: np.ndarray,
    n_patterns: int,
    *,
    settle_guard_fraction: float = 0.25,
    threshold_v: float = 1.65,
) -> Windows:
    """Average ``signal_v`` over each TRIG_OUT_1 high window after dropping its first
    ``ceil(guard·length)`` samples (at least one sample is always kept)."""
    signal = np.asarray(signal_v, dtype=np.float64)
    trigger = np.asarray(trigger_v, dtype=np.float64)
    if signal.shape != trigger.shape or signal.ndim != 1:
        raise ValueError(
            f"signal and trigger traces must be 1-D and equally long, got {signal.shape} "
            f"and {trigger.shape}"
        )
    if not 0 <= settle_guard_fraction < 1:
        raise ValueError(f"settle_guard_fraction must be in [0, 1), got {settle_guard_fraction}")
    start, stop = find_windows(trigger, threshold_v)
    length = stop - start
    guard = np.minimum(
        np.array([math.ceil(settle_guard_fraction * n) for n in length.tolist()], dtype=np.int64),
        np.maximum(length - 1, 0),
    )
    first = start + guard
    used = stop - first
    if first.size:  # stop < len(signal) always: a complete window ends with a low sample
        sums = np.add.reduceat(signal, np.stack([first, stop], axis=1).ravel())[::2]
    else:
        sums = np.zeros(0)
    means = sums / used
    samples = np.full(n_patterns, np.nan)
    m = min(n_patterns, means.size)
    samples[:m] = means[:m]
    high = trigger > threshold_v
    rising_edges = int(
        np.count_nonzero(high[1:] & ~high[:-1]) + (1 if high.size and high[0] else 0)
    )
    falling_edges = int(np.count_nonzero(~high[1:] & high[:-1]))
    return Windows(samples, start, stop, used, rising_edges, falling_edges)

"""DMD pattern timing: passes, TRIG_OUT_1/TRIG_OUT_2 edges and injected faults.

A run starts at ``t_start`` and repeats passes every ``sequence_period``; pattern i of the pass
starting at t0 starts at ``t0 + i·period``. TRIG_OUT_1 rises at each pattern start and falls at
exposure end (never later than ``period − trig_out_1_min_low_us``, so consecutive pulses stay
distinguishable); TRIG_OUT_2 rises at each pass start and stays high for the first exposure.

Faults are decided per pass by a Generator seeded from (seed, run, pass), so every reader of the
world (sim detector, DAQ double, sync emulator) sees identical edges for the same pass:
a *missing* edge drops one pattern's TRIG_OUT_1 pulse; an *extra* edge splits a pulse with a
short low glitch (one extra falling and rising edge); a *dropped frame* makes the video source
repeat frame f−1 in place of frame f, shifting the later frames of the pass by one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from lsi_rig.core.timing import pattern_start_offsets_s
from lsi_rig.world.config import FaultsConfig

_GLITCH_AT = 0.5  # an extra edge splits the pulse here (fraction of the exposure) ...
_GLITCH_LEN = 0.1  # ... for this fraction of the exposure


@dataclass(frozen=True)
class TriggerEdges:
    """Edge times (s) inside a queried interval, sorted."""

    trig1_rising_s: np.ndarray
    trig1_falling_s: np.ndarray
    trig2_rising_s: np.ndarray


@dataclass(frozen=True)
class PassFaults:
    """What went wrong in one pass: ``order`` maps displayed slot -> pattern index."""

    missing: np.ndarray  # pattern indices without a TRIG_OUT_1 pulse
    extra: np.ndarray  # pattern indices whose pulse has a glitch
    dropped_frame: int | None  # frame index repeated-over, None if none
    order: np.ndarray

    @property
    def any(self) -> bool:
        return bool(self.missing.size or self.extra.size or self.dropped_frame is not None)


@dataclass(frozen=True)
class Run:
    """One start..stop of the sequencer with fixed timing."""

    index: int
    t_start_s: float
    n_patterns: int
    exposure_s: float
    period_s: float
    sequence_period_s: float
    trig_high_s: float
    patterns_per_frame: int
    seed: int
    faults: FaultsConfig
    t_stop_s: float = math.inf
    frame_period_s: float | None = None

    @cached_property
    def offsets_s(self) -> np.ndarray:
        """Start of each pattern from its pass start (frame-aligned in video-port mode)."""
        return pattern_start_offsets_s(
            self.n_patterns, self.period_s, self.patterns_per_frame, self.frame_period_s
        )

    def pass_start(self, k: int) -> float:
        return self.t_start_s + k * self.sequence_period_s

    def passes_overlapping(self, t0: float, t1: float) -> range:
        """Passes whose time span [start, start + sequence_period) meets [t0, t1)."""
        end = min(t1, self.t_stop_s)
        if end <= self.t_start_s:
            return range(0)
        first = max(0, math.floor((t0 - self.t_start_s) / self.sequence_period_s))
        last = math.ceil((end - self.t_start_s) / self.sequence_period_s)
        return range(first, max(first, last))

    def faults_for(self, k: int) -> PassFaults:
        return _faults(
            self.seed,
            self.index,
            k,
            self.n_patterns,
            self.patterns_per_frame,
            self.faults.missing_edge_rate,
            self.faults.extra_edge_rate,
            self.faults.dropped_frame_rate,
        )

    def pass_edges(self, k: int) -> tuple[np.ndarray, np.ndarray, float]:
        """(rising, falling, trig2) absolute times of pass k, faults applied, cut at stop."""
        t0 = self.pass_start(k)
        starts = t0 + self.offsets_s
        f = self.faults_for(k)
        keep = np.ones(self.n_patterns, dtype=bool)
        keep[f.missing] = False
        rising = [starts[keep]]
        falling = [starts[keep] + self.trig_high_s]
        glitch = np.setdiff1d(f.extra, f.missing)
        if glitch.size:
            g0 = starts[glitch] + _GLITCH_AT * self.trig_high_s
            falling.append(g0)
            rising.append(g0 + _GLITCH_LEN * self.trig_high_s)
        r = np.sort(np.concatenate(rising))
        fa = np.sort(np.concatenate(falling))
        return r[r < self.t_stop_s], fa[fa < self.t_stop_s], t0


@lru_cache(maxsize=256)
def _faults(
    seed: int,
    run: int,
    k: int,
    n: int,
    per_frame: int,
    p_missing: float,
    p_extra: float,
    p_drop: float,
) -> PassFaults:
    order = np.arange(n)
    empty = np.zeros(0, dtype=np.int64)
    if p_missing == 0 and p_extra == 0 and p_drop == 0:
        return PassFaults(empty, empty, None, order)
    rng = np.random.default_rng([seed, 0x5E9, run, k])
    missing = np.flatnonzero(rng.random(n) < p_missing)
    extra = np.flatnonzero(rng.random(n) < p_extra)
    dropped = None
    n_frames = math.ceil(n / per_frame)
    if n_frames > 1 and rng.random() < p_drop:
        dropped = int(rng.integers(1, n_frames))
        shifted = np.arange(n)
        tail = shifted[dropped * per_frame :] - per_frame
        order = np.concatenate([shifted[: dropped * per_frame], tail])
    for arr in (missing, extra, order):
        arr.setflags(write=False)
    return PassFaults(missing, extra, dropped, order)


def edges_between(runs: list[Run], t0: float, t1: float) -> TriggerEdges:
    """All edges of all runs in [t0, t1)."""
    rising, falling, trig2 = [], [], []
    for run in runs:
        for k in run.passes_overlapping(t0, t1):
            r, f, s = run.pass_edges(k)
            rising.append(r[(r >= t0) & (r < t1)])
            falling.append(f[(f >= t0) & (f < t1)])
            if t0 <= s < t1 and s < run.t_stop_s:
                trig2.append(np.array([s]))
    cat = lambda xs: np.sort(np.concatenate(xs)) if xs else np.zeros(0)  # noqa: E731
    return TriggerEdges(cat(rising), cat(falling), cat(trig2))


def rising_count_between(runs: list[Run], t0: float, t1: float) -> int:
    """Number of TRIG_OUT_1 rising edges in [t0, t1) (fast when a run has no faults)."""
    total = 0
    for run in runs:
        faulty = run.faults.missing_edge_rate or run.faults.extra_edge_rate
        passes = run.passes_overlapping(t0, t1)
        if faulty or len(passes) <= 2:
            for k in passes:
                r = run.pass_edges(k)[0]
                total += int(np.count_nonzero((r >= t0) & (r < t1)))
            continue
        for k in (passes[0], passes[-1]):
            r = run.pass_edges(k)[0]
            total += int(np.count_nonzero((r >= t0) & (r < t1)))
        total += (len(passes) - 2) * run.n_patterns
    return total

"""A stand-in for ``lsi_rig.world.World`` with only what the sync emulator reads.

A DMD sequence of ``n_patterns`` patterns every ``period_s`` repeating from ``start_s``;
``missing`` lists pattern indices whose TRIG_OUT_1 rising edge is suppressed in every pass, so
tests can check that the emulator reports the world's edges, not the nominal pattern count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lsi_rig.core.clock import SimClock


@dataclass(frozen=True)
class StubEdges:
    trig1_rising_s: np.ndarray
    trig1_falling_s: np.ndarray
    trig2_rising_s: np.ndarray


class StubWorld:
    def __init__(
        self,
        *,
        period_s: float = 1e-3,
        exposure_s: float = 0.5e-3,
        n_patterns: int = 10,
        start_s: float = 0.0,
        missing: tuple[int, ...] = (),
    ) -> None:
        self.clock = SimClock()
        self.period_s = period_s
        self.exposure_s = exposure_s
        self.n_patterns = n_patterns
        self.start_s = start_s
        self.missing = missing
        self.calls: list[tuple[float, float]] = []

    def _rising(self, t0_s: float, t1_s: float) -> np.ndarray:
        i0 = max(0, int(np.ceil((t0_s - self.start_s) / self.period_s)))
        i1 = max(0, int(np.ceil((t1_s - self.start_s) / self.period_s)))
        idx = np.arange(i0, i1)
        idx = idx[~np.isin(idx % self.n_patterns, self.missing)]
        return self.start_s + idx * self.period_s

    def trigger_edges(self, t0_s: float, t1_s: float) -> StubEdges:
        """Edges in [t0_s, t1_s) (passes run back to back)."""
        self.calls.append((t0_s, t1_s))
        rising = self._rising(t0_s, t1_s)
        falling = self._rising(t0_s - self.exposure_s, t1_s - self.exposure_s) + self.exposure_s
        starts = rising[np.isclose((rising - self.start_s) / self.period_s % self.n_patterns, 0)]
        return StubEdges(rising, falling, starts)

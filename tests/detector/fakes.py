"""A tiny deterministic stand-in for the World: exact pattern timing, known voltages.

Used to test the DAQ double's timing/fault mechanics in isolation; the acceptance tests use the
real :class:`lsi_rig.world.World`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

from lsi_rig.core.clock import SimClock


@dataclass
class FakeEdges:
    trig1_rising_s: np.ndarray
    trig1_falling_s: np.ndarray
    trig2_rising_s: np.ndarray


class FakeWorld:
    """P patterns of ``period_s`` (exposure ``exposure_s``) repeating from ``t_run`` when running.

    Pattern i of every pass reads ``volts[i]``; the trace is a step function of the same.
    """

    def __init__(self, volts, *, period_s=1e-3, exposure_s=1e-3, t_run=None):
        self.clock = SimClock()
        self.config = SimpleNamespace(daq=SimpleNamespace(max_sample_rate_hz=250e3))
        self.volts = np.asarray(volts, dtype=np.float64)
        self.period_s = period_s
        self.exposure_s = exposure_s
        self.t_run = t_run
        self.detector = None

    @property
    def seq_s(self) -> float:
        return self.volts.size * self.period_s

    def set_detector(self, *, gain_db, range_v):
        self.detector = (gain_db, range_v)

    def next_sequence_start_s(self, after_s):
        if self.t_run is None:
            return None
        k = max(0, math.ceil((after_s - self.t_run) / self.seq_s - 1e-12))
        return self.t_run + k * self.seq_s

    def trigger_edges(self, t0, t1):
        if self.t_run is None:
            e = np.empty(0)
            return FakeEdges(e, e, e)
        p = self.volts.size
        k0 = max(0, math.floor((t0 - self.t_run) / self.period_s) - 1)
        k1 = max(0, math.ceil((t1 - self.t_run) / self.period_s) + 1)
        k = np.arange(k0, k1)
        rise = self.t_run + k * self.period_s
        fall = rise + self.exposure_s
        t2 = rise[k % p == 0]

        def sel(a):
            return a[(a >= t0) & (a < t1)]

        return FakeEdges(sel(rise), sel(fall), sel(t2))

    def sample_per_pattern(self, t_start_s, n_patterns=None):
        n = self.volts.size if n_patterns is None else n_patterns
        reps = np.resize(self.volts, n)
        return SimpleNamespace(samples_v=reps.copy(), edges_seen=n)

    def sample_trace(self, t_start_s, duration_s, rate_hz, channels=("photodiode", "trig_out_1")):
        n = round(duration_s * rate_hz)
        t = t_start_s + np.arange(n) / rate_hz
        phase = (t - self.t_run) / self.period_s
        idx = np.floor(phase + 1e-9).astype(int) % self.volts.size
        within = (phase - np.floor(phase + 1e-9)) * self.period_s
        out = []
        for ch in channels:
            if ch == "photodiode":
                out.append(self.volts[idx])
            elif ch == "trig_out_1":
                out.append(np.where(within < self.exposure_s - 1e-12, 3.3, 0.0))
            else:
                out.append(np.where((idx == 0) & (within < 1e-5), 3.3, 0.0))
        return np.array(out)

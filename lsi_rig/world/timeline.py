"""What the photodiode and the DAQ see over time: per-pattern levels, blends and sampling.

Optical power of displayed slot s while the pattern is on:
``leak·E_tot + (1 − leak)·on[order[s]] + ambient``; while all mirrors are off (dark gaps, frame
padding, sequencer stopped): ``leak·E_tot + ambient``. ``on`` and ``E_tot`` are evaluated per
scene and blended with the monitor's response weights at each pattern's TRIG_OUT_1 falling edge.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from lsi_rig.core.errors import DeviceError
from lsi_rig.world import response
from lsi_rig.world.geometry import MirrorArea
from lsi_rig.world.patterns import LoadedPatterns
from lsi_rig.world.records import SampledPass
from lsi_rig.world.sequencer import Run, edges_between

if TYPE_CHECKING:
    from lsi_rig.world.world import World

TRIGGER_HIGH_V = 3.3
_TOL_S = 1e-9


class Timeline:
    """Time-dependent signals of a :class:`World` (called with the world's lock held)."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.run_patterns: dict[int, LoadedPatterns] = {}

    # --- power levels ------------------------------------------------------------------------
    def _powers(
        self, loaded: LoadedPatterns | None, pattern_index: np.ndarray, times_s: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(power with the pattern on, power with all mirrors off) at each time, W."""
        w = self.world
        optics = w.physics.optics
        on = np.zeros(times_s.shape)
        total = np.zeros(times_s.shape)
        area = loaded.area if loaded is not None else MirrorArea.of(w.mask_geometry((256, 256)))
        for scene, weight in w.monitor.weights_at(times_s):
            if scene is None:
                continue
            if loaded is not None:
                on += weight * w.on_power_w(scene, loaded)[pattern_index]
            total += weight * w.mirror_power_w(scene, area)[1]
        dark = optics.off_state_leak * total + optics.ambient_w
        return dark + (1 - optics.off_state_leak) * on, dark

    def pattern_volts(self, loaded: LoadedPatterns, t_start_s: float | None) -> np.ndarray:
        w = self.world
        idx = np.arange(loaded.n)
        if t_start_s is None:
            scene = w.scene
            if scene is None:
                times = np.full(loaded.n, w.clock.now_s())
            else:  # settled on the current scene
                times = np.full(loaded.n, math.inf)
        else:
            run = w.current_run
            if run is not None:
                offsets, high = run.offsets_s, run.trig_high_s
            else:  # loaded but never started: sample at the nominal exposure end
                exposure, period, _ = w.timing_s  # type: ignore[misc]
                offsets, high = idx * period, exposure
            times = t_start_s + offsets + high
        return w.photodiode.volts(self._powers(loaded, idx, times)[0])

    # --- segments ----------------------------------------------------------------------------
    def _segments(self, t_a: float, t_b: float) -> tuple[np.ndarray, np.ndarray]:
        """Boundaries and settled output levels (V) covering [t_a − settle, t_b]."""
        w = self.world
        pd = w.photodiode
        run = next((r for r in reversed(w._runs) if r.t_start_s <= t_b), None)
        loaded = self.run_patterns.get(run.index) if run is not None else None
        t_pre = t_a - response.settle_time_s(pd.tau_s) - _TOL_S
        if run is None or loaded is None or run.t_stop_s <= t_pre:
            _, dark = self._powers(loaded, np.zeros(1, dtype=int), np.array([t_a]))
            return np.array([t_pre]), pd.volts(dark)
        k0 = max(0, math.floor((t_pre - run.t_start_s) / run.sequence_period_s))
        k1 = max(k0, math.floor((t_b - run.t_start_s) / run.sequence_period_s))
        period = run.period_s
        ks = np.arange(k0, k1 + 1)
        t0 = run.t_start_s + ks * run.sequence_period_s  # [K]
        starts = t0[:, None] + run.offsets_s[None, :]  # [K, P]
        order = np.stack([run.faults_for(int(k)).order for k in ks])
        on_v, dark_v = (pd.volts(p) for p in self._powers(loaded, order, starts + run.trig_high_s))
        busy = float(run.offsets_s[-1]) + period
        pad = run.sequence_period_s - busy
        bounds = [starts, starts + run.exposure_s]
        levels = [on_v, dark_v]
        if pad > 0:
            bounds.append(t0[:, None] + busy)
            levels.append(dark_v[:, -1:])
        b = np.stack([np.broadcast_to(x, starts.shape) for x in bounds], axis=-1)
        lv = np.stack([np.broadcast_to(x, starts.shape) for x in levels], axis=-1)
        if pad > 0:  # the padding entry is only real after the last pattern of each pass
            b, lv = b.copy(), lv.copy()
            b[:, :-1, 2] = b[:, :-1, 1]
        b, lv = b.reshape(-1), lv.reshape(-1)
        lead = [run.t_start_s - 1.0] if k0 == 0 else []
        b = np.concatenate([lead, b])
        lv = np.concatenate([dark_v[0, :1] if k0 == 0 else [], lv])
        if math.isfinite(run.t_stop_s):
            cut = b < run.t_stop_s
            b = np.concatenate([b[cut], [run.t_stop_s]])
            lv = np.concatenate([lv[cut], dark_v[-1, -1:]])
        return b, lv

    def clean_output_v(self, times_s: np.ndarray) -> np.ndarray:
        if times_s.size == 0:
            return np.zeros(0)
        b, lv = self._segments(float(times_s.min()), float(times_s.max()))
        return response.evaluate(b, lv, times_s, self.world.photodiode.tau_s)

    # --- passes and sampling -----------------------------------------------------------------
    def find_pass(self, t_s: float) -> tuple[Run, int] | None:
        """The first pass (of any run) starting at or after ``t_s`` (within 1 ns)."""
        for run in self.world._runs:
            k = max(0, math.ceil((t_s - run.t_start_s) / run.sequence_period_s - 1e-9))
            if run.pass_start(k) < run.t_stop_s:
                return run, k
        return None

    def sample_per_pattern(
        self, t_start_s: float, n_patterns: int | None, rng: np.random.Generator
    ) -> SampledPass:
        w = self.world
        found = self.find_pass(t_start_s)
        if found is None:
            n = int(n_patterns or (w.patterns.n if w.patterns else 0))
            return SampledPass(np.full(n, np.nan), 0, False, False)
        run, k = found
        n = int(n_patterns or run.n_patterns)
        falling: list[np.ndarray] = []
        got, kk = 0, k
        edges_seen = 0
        while got < n and run.pass_start(kk) < run.t_stop_s and kk <= k + n + 2:
            f = run.pass_edges(kk)[1]
            if kk == k:
                edges_seen = int(f.size)
            falling.append(f)
            got += f.size
            kk += 1
        times = np.concatenate(falling)[:n] if falling else np.zeros(0)
        clean = self.clean_output_v(times)
        noisy = w.photodiode.add_noise(clean, rng)
        values, saturated, near = w.photodiode.digitise(noisy)
        samples = np.full(n, np.nan)
        samples[: values.size] = values
        anomaly = run.faults_for(k).dropped_frame is not None
        settled = w.monitor.settled_at(times)
        return SampledPass(samples, edges_seen, saturated, near, anomaly, settled)

    def sample_trace(
        self,
        t_start_s: float,
        duration_s: float,
        rate_hz: float,
        channels: tuple[str, ...],
        rng: np.random.Generator,
    ) -> np.ndarray:
        w = self.world
        if rate_hz <= 0 or duration_s < 0:
            raise DeviceError(f"sample_trace: bad rate {rate_hz} Hz or duration {duration_s} s")
        n = round(duration_s * rate_hz)
        times = t_start_s + np.arange(n) / rate_hz
        out = np.zeros((len(channels), n))
        for c, name in enumerate(channels):
            if name == "photodiode":
                noisy = w.photodiode.add_noise(self.clean_output_v(times), rng, 1.0 / rate_hz)
                out[c] = w.photodiode.digitise(noisy)[0]
            elif name in ("trig_out_1", "trig_out_2"):
                logic = self._trigger_level(name, times)
                out[c] = w.photodiode.digitise(logic * TRIGGER_HIGH_V)[0] if n else logic
            else:
                raise DeviceError(
                    f"sample_trace: unknown channel {name!r} (photodiode, trig_out_1, trig_out_2)"
                )
        return out

    def _trigger_level(self, name: str, times: np.ndarray) -> np.ndarray:
        """0/1 logic level of a trigger output at each time."""
        if times.size == 0:
            return np.zeros(0)
        runs = self.world._runs
        lookback = max((r.sequence_period_s for r in runs), default=0.0) + _TOL_S
        edges = edges_between(runs, float(times[0]) - lookback, float(times[-1]) + _TOL_S)
        if name == "trig_out_1":
            rising, falling = edges.trig1_rising_s, edges.trig1_falling_s
        else:
            rising = edges.trig2_rising_s
            highs = {r.index: r.trig_high_s for r in runs}
            run_of = [next(r for r in reversed(runs) if r.t_start_s <= t + _TOL_S) for t in rising]
            falling = np.array([t + highs[r.index] for t, r in zip(rising, run_of, strict=True)])
            falling = np.array([min(f, r.t_stop_s) for f, r in zip(falling, run_of, strict=True)])
        t_ev = np.concatenate([falling, rising])
        kind = np.concatenate([np.zeros(falling.size), np.ones(rising.size)])
        order = np.lexsort((kind, t_ev))  # at equal times the falling edge comes first
        t_ev, kind = t_ev[order], kind[order]
        idx = np.searchsorted(t_ev, times, side="right") - 1
        return np.where(idx >= 0, kind[np.clip(idx, 0, None)], 0.0)

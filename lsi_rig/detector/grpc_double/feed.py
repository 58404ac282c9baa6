"""World feeding: what a started DAQ task acquires, computed from the shared simulated World.

The double asks the World the same questions the simulated detector asks, so emulated and
simulated rigs measure the same vectors:

* start trigger on TRIG_OUT_2 (rising) → ``world.next_sequence_start_s(t_arm)``;
* sample clock = TRIG_OUT_1 falling edge (one sample per pattern) →
  ``world.sample_per_pattern(t0, n)``, sample times = the falling edges;
* internal sample clock (oversampled) → ``world.sample_trace(t0, S/rate, rate, signals)``.

Every sample carries the simulated time at which the DAQ takes it, so reads can honour their
timeout in simulated time without ever sleeping.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from lsi_rig.detector.grpc_double.model import (
    EDGE_FALLING,
    EDGE_RISING,
    Acquisition,
    TaskState,
    Wiring,
)

log = logging.getLogger(__name__)

#: How far ahead the double looks for trigger edges (simulated seconds).
MAX_HORIZON_S = 64.0
#: How far back it looks for the start of the pass an edge belongs to.
LOOKBACK_S = 4.0


def _edges(world: Any, signal: str, edge_raw: int, t0: float, t1: float) -> np.ndarray:
    edges = world.trigger_edges(t0, t1)
    if signal == "trig_out_2":
        # TRIG_OUT_2 is a short pulse at each pass start; only its rising edge is modelled.
        return np.asarray(edges.trig2_rising_s, dtype=np.float64)
    if signal == "trig_out_1":
        arr = edges.trig1_falling_s if edge_raw == EDGE_FALLING else edges.trig1_rising_s
        return np.asarray(arr, dtype=np.float64)
    return np.empty(0)


def edges_after(
    world: Any, signal: str, edge_raw: int, t_from: float, count: int, *, strict: bool = False
) -> np.ndarray:
    """The first ``count`` edges at (unless ``strict``) or after ``t_from`` (fewer if the DMD
    stops or never runs)."""
    span = 0.25
    while True:
        found = _edges(world, signal, edge_raw, t_from, t_from + span)
        if strict:
            found = found[found > t_from]
        if found.size >= count or span >= MAX_HORIZON_S:
            return found[:count]
        span *= 4


def start_time(world: Any, task: TaskState, wiring: Wiring) -> float | None:
    """When the task's start trigger fires (None: never, within the horizon)."""
    if task.start_trigger_source is None:
        return task.t_arm_s
    signal = wiring.terminal_signal(task.start_trigger_source)
    if signal is None:
        return None
    if signal == "trig_out_2" and task.start_trigger_edge_raw == EDGE_RISING:
        return world.next_sequence_start_s(task.t_arm_s)  # type: ignore[no-any-return]
    found = edges_after(world, signal, task.start_trigger_edge_raw, task.t_arm_s, 1)
    return float(found[0]) if found.size else None


def _is_internal_clock(source: str) -> bool:
    return source.strip() == "" or "onboardclock" in source.lower()


def _clip(task: TaskState, data: np.ndarray) -> np.ndarray:
    lo = np.array([c.min_v for c in task.channels])[:, None]
    hi = np.array([c.max_v for c in task.channels])[:, None]
    return np.clip(data, lo, hi)


def _oversampled(world: Any, task: TaskState, t0: float) -> Acquisition:
    n = task.samps_per_chan
    signals = [c.signal for c in task.channels]
    wired = [s for s in signals if s is not None]
    trace = np.zeros((len(signals), n))
    if wired:
        got = np.asarray(world.sample_trace(t0, n / task.rate_hz, task.rate_hz, tuple(wired)))
        m = min(n, got.shape[1])
        rows = iter(got[:, :m])
        for i, s in enumerate(signals):
            if s is not None:
                trace[i, :m] = next(rows)
        if m < n:
            log.warning("world.sample_trace returned %d samples, %d requested", m, n)
    times = t0 + np.arange(n) / task.rate_hz
    return Acquisition(times_s=times, data_v=_clip(task, trace))


def _pass_starts(world: Any, t_lo: float, t_hi: float) -> np.ndarray:
    return np.asarray(world.trigger_edges(t_lo, t_hi).trig2_rising_s, dtype=np.float64)


def _per_edge(world: Any, task: TaskState, wiring: Wiring, t0: float, started_on_pass: bool):
    """One sample per TRIG_OUT_1 edge after ``t0``: (times, photodiode volts)."""
    signal = wiring.terminal_signal(task.clock_source)
    n = task.samps_per_chan
    if signal != "trig_out_1":
        return np.empty(0), np.empty(0)  # no clock reaches the terminal: nothing is sampled
    if task.clock_edge_raw != EDGE_FALLING:
        raise NotImplementedError(
            "the DAQ double samples TRIG_OUT_1 on its falling edge only (end of exposure)"
        )
    # Strictly after the start: with exposure == period the previous pass's last falling edge
    # coincides with the TRIG_OUT_2 edge and precedes it in the trigger logic.
    times = edges_after(world, "trig_out_1", EDGE_FALLING, t0, n, strict=True)
    if started_on_pass:
        sampled = np.asarray(world.sample_per_pattern(t0, n).samples_v, dtype=np.float64)
        if sampled.size >= times.size:
            return times, sampled[: times.size]
    # General case: each edge takes the value of its pattern in the pass it belongs to.
    starts = _pass_starts(world, t0 - LOOKBACK_S, (times[-1] if times.size else t0) + 1e-9)
    values = np.full(times.size, np.nan)
    cache: dict[float, np.ndarray] = {}
    for j, te in enumerate(times):
        k = int(np.searchsorted(starts, te, side="left")) - 1  # a pass owns edges after it
        if k < 0:
            continue
        ps = float(starts[k])
        if ps not in cache:
            cache[ps] = np.asarray(world.sample_per_pattern(ps).samples_v, dtype=np.float64)
        before = _edges(world, "trig_out_1", EDGE_FALLING, ps, float(te))
        idx = int(np.count_nonzero(before > ps))
        if idx < cache[ps].size:
            values[j] = cache[ps][idx]
    return times, values


def plan_acquisition(world: Any, task: TaskState, wiring: Wiring) -> Acquisition:
    """All samples the task will ever acquire (empty when the trigger never comes)."""
    t0 = start_time(world, task, wiring)
    n_chan = len(task.channels)
    if t0 is None:
        return Acquisition(times_s=np.empty(0), data_v=np.empty((n_chan, 0)))
    if _is_internal_clock(task.clock_source):
        return _oversampled(world, task, t0)
    started_on_pass = task.start_trigger_source is not None and (
        wiring.terminal_signal(task.start_trigger_source) == "trig_out_2"
    )
    times, photodiode = _per_edge(world, task, wiring, t0, started_on_pass)
    data = np.zeros((n_chan, times.size))
    for i, c in enumerate(task.channels):
        if c.signal == "photodiode":
            data[i] = photodiode
        # trigger lines read low at the falling edge; unwired inputs read 0 V
    return Acquisition(times_s=times, data_v=_clip(task, data))

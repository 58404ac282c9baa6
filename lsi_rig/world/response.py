"""Exact first-order response of the photodiode to a piecewise-constant light level.

The DMD makes the optical power piecewise constant (one level per exposure, the dark level in
gaps and while stopped), so the single-pole output is known in closed form at any time:
``y(b_{j+1}) = L_j + (y(b_j) − L_j)·exp(−(b_{j+1} − b_j)/τ)`` at segment boundaries and
``y(t) = L_j + (y(b_j) − L_j)·exp(−(t − b_j)/τ)`` inside. Queries take the left limit, so a
sample exactly at a falling TRIG_OUT_1 edge sees the exposure that just ended.
"""

from __future__ import annotations

import math

import numpy as np

_EARLY_S = 1e-12


def evaluate(
    boundaries_s: np.ndarray,
    levels_v: np.ndarray,
    times_s: np.ndarray,
    tau_s: float,
    initial_v: float | None = None,
) -> np.ndarray:
    """Output at ``times_s`` for level ``levels_v[j]`` on ``[boundaries_s[j], boundaries_s[j+1])``
    (the last level lasts forever; times before the first boundary see ``levels_v[0]``).
    ``initial_v`` is the output at the first boundary (default: settled at ``levels_v[0]``)."""
    b = np.asarray(boundaries_s, dtype=np.float64)
    levels = np.asarray(levels_v, dtype=np.float64)
    times = np.asarray(times_s, dtype=np.float64)
    keep = np.ones(b.size, dtype=bool)
    keep[:-1] = b[1:] > b[:-1]  # zero-length segments carry no light
    b, levels = b[keep], levels[keep]
    # the segment is located 1 ps early so that a sample computed at a boundary by a different
    # float expression still sees the segment that just ended; y itself is continuous
    j = np.clip(np.searchsorted(b, times - _EARLY_S, side="left") - 1, 0, b.size - 1)
    if tau_s == 0:
        return levels[j]
    y_b = np.empty(b.size)
    y = levels[0] if initial_v is None else float(initial_v)
    decay = np.exp(-np.diff(b) / tau_s).tolist()
    lv = levels.tolist()
    y_b[0] = y
    for i, a in enumerate(decay):
        y = lv[i] + (y - lv[i]) * a
        y_b[i + 1] = y
    dt = np.maximum(times - b[j], 0.0)
    return levels[j] + (y_b[j] - levels[j]) * np.exp(-dt / tau_s)


def settle_time_s(tau_s: float, fraction: float = 1e-12) -> float:
    """Time after which a step has settled to ``fraction`` of its size."""
    return 0.0 if tau_s == 0 else -math.log(fraction) * tau_s

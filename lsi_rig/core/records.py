"""The :class:`MeasurementRecord`: one measurement vector and everything needed to trust it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lsi_rig.core.flags import RecordFlags


@dataclass(frozen=True, eq=False)
class MeasurementRecord:
    """One vector of one scene.

    ``samples_v``: every pattern's value in display order (masks, complements, references),
    averaged over ``n_averaged`` passes, volts at the DAQ input — the raw truth.
    ``raw_v``: the mask patterns' values in mask order ``[n]``.
    ``vector_v``: offset-corrected vector ``[n]``: raw minus the dark reference interpolated in
    time (or positive minus complement for differential sets); equals ``raw_v`` without
    references. ``dark_v``/``bright_v``: the reference samples ``[k]`` (empty without refs).
    Times are UTC nanoseconds since the Unix epoch.
    """

    scene_index: int
    repeat_index: int
    t_start_ns: int
    t_end_ns: int
    samples_v: np.ndarray
    raw_v: np.ndarray
    vector_v: np.ndarray
    dark_v: np.ndarray
    bright_v: np.ndarray
    exposure_us: float
    period_us: float
    gain_db: float
    range_v: float
    n_averaged: int
    flags: RecordFlags = RecordFlags.NONE
    trace_v: np.ndarray | None = None
    calibrated_v: np.ndarray | None = None

    @property
    def n(self) -> int:
        return int(self.raw_v.shape[0])

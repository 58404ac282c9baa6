"""Plain records the world hands to the devices that read it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SampledPass:
    """One DAQ sample per TRIG_OUT_1 falling edge of one pass (per-pattern acquisition).

    ``samples_v`` has the requested length; samples the DAQ could not take (the sequence stopped)
    are NaN. ``edges_seen`` counts falling edges inside the pass. ``timing_anomaly`` is set
    when the pass had a dropped video frame (its patterns shifted by one frame).
    ``scene_settled`` is False when an earlier scene (or the dark monitor) still contributed to
    a sample: the monitor had not finished changing.
    """

    samples_v: np.ndarray
    edges_seen: int
    saturated: bool
    near_saturation: bool
    timing_anomaly: bool = False
    scene_settled: bool = True

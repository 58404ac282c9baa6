"""Knobs of the calibration steps (defaults suit a bench; tests shrink them)."""

from __future__ import annotations

from dataclasses import dataclass

from lsi_rig.scenes.scene import Scene

#: PDA100A2 gain settings (dB) and common NI DAQ input ranges (±V).
PDA100A2_GAINS_DB: tuple[int, ...] = (0, 10, 20, 30, 40, 50, 60, 70)
DAQ_RANGES_V: tuple[float, ...] = (10.0, 5.0, 2.0, 1.0, 0.5, 0.2)


@dataclass(frozen=True)
class CalibrationSettings:
    """``response_images`` None: the documented procedural set of ``response_count`` images."""

    # dark
    dark_repeats: int = 4
    dark_second_gain: bool = True
    # gain
    gains_db: tuple[int, ...] = PDA100A2_GAINS_DB
    ranges_v: tuple[float, ...] = DAQ_RANGES_V
    headroom_fraction: float = 0.8
    max_settling_residual: float = 1e-3
    # monitor
    monitor_levels: int = 10
    monitor_max_residual: float = 0.02
    # registration
    walsh_order: int = 32
    registration_averages: int = 4
    max_fit_residual_px: float = 0.25  # per target mask pixel (256² masks: grid pixels)
    max_registration_error_px: float = 0.5  # per target mask pixel
    min_coverage: float = 0.999
    max_flatness_error: float = 0.02
    # response
    response_images: list[Scene] | None = None
    response_count: int = 10
    response_averages: int = 1
    min_r2: float = 0.999
    # check
    check_duration_s: float = 120.0
    check_interval_s: float = 10.0
    check_repeats: int = 8

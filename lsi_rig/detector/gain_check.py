"""PDA100A2 gain knob checks: is the amplifier fast enough, is the signal close to the rails?

The PDA100A2 trades bandwidth for transimpedance gain: at 0 dB it follows 11 MHz, at 70 dB only
a few kHz. A first-order amplifier settles to 0.1 % in 1.1/BW (τ = 1/(2π·BW), 0.1 % after
ln(1000)·τ ≈ 6.9·τ = 1.1/BW). The rig samples once per DMD pattern, so the amplifier must settle
within the first quarter of the exposure (hardware.md §3):

    allowed  ⇔  1.1 / BW(gain) ≤ 0.25 · t_exp     (equivalently BW ≥ 4.4 / t_exp)

The signal saturates at the photodiode's output maximum (10 V Hi-Z) or at the DAQ input range,
whichever is lower; above 90 % of that limit the operator should lower the gain.

Pure functions, shared by the simulated and the NI-DAQmx detectors. The bandwidth table comes
from the rig's ``world.photodiode`` section when present, else from the defaults in
:mod:`lsi_rig.world.config`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from lsi_rig.core.flags import RecordFlags
from lsi_rig.detector.pda100a2 import PDA100A2_BANDWIDTH_HZ

log = logging.getLogger(__name__)

#: 0.1 % settling of a single-pole amplifier, in units of 1/BW (ln(1000)/(2π) ≈ 1.0994).
SETTLE_BW_PRODUCT = 1.1
#: Fraction of the exposure the amplifier may spend settling.
SETTLE_FRACTION_OF_EXPOSURE = 0.25
#: Above this fraction of the usable output range a sample is "near saturation".
NEAR_SATURATION_FRACTION = 0.9
#: At or above this fraction of the limit a sample counts as clipped (the limit itself is
#: rarely reproduced exactly after DAQ quantisation and offset).
SATURATION_FRACTION = 0.999
#: PDA100A2 output maximum into a high-impedance load, volts.
DEFAULT_OUTPUT_MAX_V = 10.0


@dataclass(frozen=True)
class BandwidthCheck:
    """Verdict of the settling rule for one gain and exposure."""

    gain_db: int
    bandwidth_hz: float
    exposure_us: float
    settle_us: float  # 1.1 / BW
    allowed_settle_us: float  # 0.25 · t_exp
    slow: bool
    message: str

    @property
    def min_exposure_us(self) -> float:
        """Shortest exposure this gain allows (settle_us / 0.25)."""
        return self.settle_us / SETTLE_FRACTION_OF_EXPOSURE


def settle_time_s(bandwidth_hz: float) -> float:
    """0.1 % settling time of a first-order amplifier with -3 dB bandwidth ``bandwidth_hz``."""
    if bandwidth_hz <= 0:
        raise ValueError(f"bandwidth must be positive, got {bandwidth_hz} Hz")
    return SETTLE_BW_PRODUCT / bandwidth_hz


def bandwidth_table(rig_world: Any | None) -> dict[int, float]:
    """The gain → bandwidth table: the rig's ``world.photodiode.bandwidth_hz`` or the defaults."""
    photodiode = getattr(rig_world, "photodiode", None)
    table = getattr(photodiode, "bandwidth_hz", None)
    return dict(table) if table else dict(PDA100A2_BANDWIDTH_HZ)


def output_max_v(rig_world: Any | None) -> float:
    """The PDA100A2 output maximum: the rig's world config value or 10 V (Hi-Z load)."""
    photodiode = getattr(rig_world, "photodiode", None)
    value = getattr(photodiode, "output_max_v", None)
    return float(value) if value else DEFAULT_OUTPUT_MAX_V


def check_bandwidth(
    gain_db: int, exposure_us: float, bandwidth_hz: Mapping[int, float] | None = None
) -> BandwidthCheck:
    """Apply the settling rule 1.1/BW(gain) ≤ 0.25·t_exp. Unknown gains raise ValueError."""
    table = dict(bandwidth_hz) if bandwidth_hz is not None else dict(PDA100A2_BANDWIDTH_HZ)
    if gain_db not in table:
        raise ValueError(
            f"PDA100A2 gain {gain_db} dB is not a knob setting; valid: {sorted(table)} dB"
        )
    bw = float(table[gain_db])
    settle_us = settle_time_s(bw) * 1e6
    allowed_us = SETTLE_FRACTION_OF_EXPOSURE * exposure_us
    slow = settle_us > allowed_us
    if slow:
        faster = [g for g in sorted(table) if settle_time_s(table[g]) * 1e6 <= allowed_us]
        hint = f"use gain ≤ {max(faster)} dB" if faster else "no gain setting is fast enough"
        message = (
            f"PDA100A2 at {gain_db} dB (bandwidth {bw:.4g} Hz) settles to 0.1 % in "
            f"{settle_us:.1f} µs, more than 25 % of the {exposure_us:g} µs exposure "
            f"({allowed_us:.1f} µs): samples will lag the pattern; {hint} or lengthen the "
            f"exposure to ≥ {settle_us / SETTLE_FRACTION_OF_EXPOSURE:.0f} µs"
        )
    else:
        message = (
            f"PDA100A2 at {gain_db} dB settles in {settle_us:.1f} µs ≤ {allowed_us:.1f} µs "
            f"(25 % of {exposure_us:g} µs)"
        )
    return BandwidthCheck(gain_db, bw, exposure_us, settle_us, allowed_us, slow, message)


def saturation_limit_v(output_max: float, range_v: float) -> float:
    """The lowest rail: photodiode output maximum or DAQ range (±range_v)."""
    return min(output_max, range_v)


def saturation_flags(
    samples_v: np.ndarray, *, output_max: float, range_v: float
) -> tuple[RecordFlags, str | None]:
    """SATURATED / NEAR_SATURATION for a vector of samples (NaN ignored), with a message."""
    finite = np.asarray(samples_v, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return RecordFlags.NONE, None
    limit = saturation_limit_v(output_max, range_v)
    peak = float(np.max(np.abs(finite)))
    which = "DAQ range" if range_v < output_max else "PDA100A2 output maximum"
    if peak >= SATURATION_FRACTION * limit:
        return RecordFlags.SATURATED | RecordFlags.NEAR_SATURATION, (
            f"signal reached {peak:.3f} V, the {which} ({limit:g} V): lower the PDA100A2 gain"
        )
    if peak > NEAR_SATURATION_FRACTION * limit:
        return RecordFlags.NEAR_SATURATION, (
            f"signal {peak:.3f} V is above 90 % of the {which} ({limit:g} V): "
            "consider a lower PDA100A2 gain"
        )
    return RecordFlags.NONE, None


def warn_once(cache: set[str], message: str) -> None:
    """``logging.warning`` a message the first time it occurs (per detector)."""
    if message not in cache:
        cache.add(message)
        log.warning(message)

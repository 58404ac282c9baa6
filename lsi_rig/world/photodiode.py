"""Thorlabs PDA100A2 (switchable-gain transimpedance photodiode) read by a DAQ input.

Signal: ``I = R·P_opt``; ``V = I·G(gain) + V_dark``; a single pole of bandwidth BW(gain)
(τ = 1/(2π·BW)) filters the output; the amplifier clips at ``output_max_v`` and the DAQ at
±``range_v``. Noise (std, volts at the output): shot ``G·sqrt(2·q·I·B_n)`` with the first-order
noise bandwidth ``B_n = (π/2)·BW``; amplifier ``noise_v_rms[gain]``; DAQ input noise; then
quantisation to ``2·range_v / 2**bits`` steps (uniform rounding, variance Δ²/12). Shot and
amplifier noise are band-limited by the same pole, so samples closer than τ are correlated
(an AR(1) sequence with ρ = exp(−Δt/τ)); DAQ noise and quantisation are white.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.signal import lfilter

from lsi_rig.core.errors import ConfigError
from lsi_rig.world.config import WorldConfig

ELEMENTARY_CHARGE_C = 1.602176634e-19


class DetectorSettingError(ConfigError, ValueError):
    """A gain or range the simulated PDA100A2/DAQ does not have."""


class Photodiode:
    """PDA100A2 + DAQ input; ``gain_db``/``range_v`` are the operator's knobs."""

    def __init__(self, config: WorldConfig) -> None:
        self.pd = config.photodiode
        self.daq = config.daq
        self.noise = config.noise
        self.clips = not config.ideal
        self.gain_db = (
            40 if 40 in self.pd.transimpedance_v_per_a else min(self.pd.transimpedance_v_per_a)
        )
        self.range_v = 10.0

    def set(self, *, gain_db: int, range_v: float) -> None:
        if gain_db not in self.pd.transimpedance_v_per_a:
            valid = ", ".join(str(g) for g in sorted(self.pd.transimpedance_v_per_a))
            raise DetectorSettingError(
                f"PDA100A2 gain {gain_db} dB is not a setting of the knob (valid: {valid} dB)"
            )
        if not range_v > 0:
            raise DetectorSettingError(f"DAQ range ±{range_v} V must be positive")
        self.gain_db = int(gain_db)
        self.range_v = float(range_v)

    # --- static characteristics ------------------------------------------------------------
    @property
    def transimpedance_v_per_a(self) -> float:
        g = self.pd.transimpedance_v_per_a[self.gain_db]
        return g / 2 if self.pd.load == "50_ohm" else g

    @property
    def output_max_v(self) -> float:
        return self.pd.output_max_v / 2 if self.pd.load == "50_ohm" else self.pd.output_max_v

    @property
    def bandwidth_hz(self) -> float:
        return self.pd.bandwidth_hz[self.gain_db]

    @property
    def tau_s(self) -> float:
        return 0.0 if math.isinf(self.bandwidth_hz) else 1.0 / (2 * math.pi * self.bandwidth_hz)

    @property
    def usable_max_v(self) -> float:
        """Where clipping starts: the lower of the amplifier limit and the DAQ range."""
        return min(self.output_max_v, self.range_v)

    @property
    def quantum_v(self) -> float:
        return 2 * self.range_v / 2**self.daq.resolution_bits

    def volts(self, power_w: np.ndarray) -> np.ndarray:
        """Settled, noiseless output for an optical power (W)."""
        g = self.transimpedance_v_per_a
        return self.pd.responsivity_a_per_w * np.asarray(power_w) * g + self.pd.dark_offset_v

    # --- noise -------------------------------------------------------------------------------
    def _band_limited_var(self, volts: np.ndarray) -> np.ndarray:
        """Variance of shot + amplifier noise (the part filtered by the amplifier pole)."""
        var = np.zeros(np.shape(volts))
        g = self.transimpedance_v_per_a
        if self.noise.shot and not math.isinf(self.bandwidth_hz):
            current = np.clip((np.asarray(volts) - self.pd.dark_offset_v) / g, 0.0, None)
            var = var + g**2 * 2 * ELEMENTARY_CHARGE_C * current * (math.pi / 2) * self.bandwidth_hz
        if self.noise.amplifier:
            var = var + self.pd.noise_v_rms[self.gain_db] ** 2
        return var

    def _white_var(self) -> float:
        var = self.daq.input_noise_v_rms**2 if self.noise.daq else 0.0
        if self.noise.quantisation:
            var += self.quantum_v**2 / 12
        return var

    def rho(self, dt_s: float | None) -> float:
        """Correlation of band-limited noise between samples ``dt_s`` apart."""
        if dt_s is None or self.tau_s == 0:
            return 0.0
        return math.exp(-dt_s / self.tau_s)

    def predicted_std(
        self, volts: np.ndarray, window_samples: int = 1, dt_s: float | None = None
    ) -> np.ndarray:
        """Std of one sample (``window_samples=1``) or of the mean of n consecutive samples."""
        n = max(1, int(window_samples))
        rho = self.rho(dt_s)
        if n == 1 or rho == 0:
            factor = 1.0 / n
        else:  # variance of the mean of n AR(1) samples, relative to the single-sample variance
            factor = ((1 + rho) / (1 - rho) - 2 * rho * (1 - rho**n) / (n * (1 - rho) ** 2)) / n
        return np.sqrt(self._band_limited_var(volts) * factor + self._white_var() / n)

    def add_noise(
        self, volts: np.ndarray, rng: np.random.Generator, dt_s: float | None = None
    ) -> np.ndarray:
        """Noisy output (before clipping) for clean ``volts`` [..., S] sampled ``dt_s`` apart
        along the last axis (``None``: independent samples)."""
        volts = np.asarray(volts, dtype=np.float64)
        std = np.sqrt(self._band_limited_var(volts))
        out = volts.copy()
        if np.any(std > 0):
            w = rng.standard_normal(volts.shape)
            rho = self.rho(dt_s)
            if rho > 0:  # stationary AR(1): e_n = ρ e_{n-1} + sqrt(1-ρ²) w_n, e_0 = w_0
                scale = math.sqrt(1 - rho * rho)
                zi = np.expand_dims(rho * w[..., 0], -1)
                w = np.concatenate(
                    [w[..., :1], lfilter([scale], [1, -rho], w[..., 1:], axis=-1, zi=zi)[0]],
                    axis=-1,
                )
            out += std * w
        white = self.daq.input_noise_v_rms if self.noise.daq else 0.0
        if white > 0:
            out += white * rng.standard_normal(volts.shape)
        return out

    # --- clipping and conversion -------------------------------------------------------------
    def digitise(self, volts: np.ndarray) -> tuple[np.ndarray, bool, bool]:
        """Amplifier saturation, DAQ range, quantisation. Returns (codes as volts, saturated,
        near_saturation) where the flags refer to the values before clipping. An ideal world
        neither clips nor quantises."""
        if not self.clips:
            return np.asarray(volts, dtype=np.float64), False, False
        limit = self.usable_max_v
        saturated = bool(np.any(volts >= limit) or np.any(volts <= -self.range_v))
        near = bool(np.any(volts > 0.9 * limit))
        out = np.minimum(volts, self.output_max_v)
        out = np.clip(out, -self.range_v, self.range_v)
        if self.noise.quantisation:
            q = self.quantum_v
            out = np.clip(np.round(out / q) * q, -self.range_v, self.range_v - q)
        return out, saturated, near

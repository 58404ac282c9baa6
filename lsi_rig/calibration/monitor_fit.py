"""Monitor response from grey ramps: black level, gamma and balance of each colour channel.

The detector sees ``Σ_c w_c · L_c(v_c)`` with ``L_c(v) = b + (1 − b)·(v/255)^γ_c``. Showing one
channel at a time (the others at 0) and subtracting the all-black frame gives
``D_c(v) = A_c·(v/255)^γ_c`` with ``A_c = K·w_c·(1 − b)``, a two-parameter fit per channel; the
black frame itself is ``K·b·Σ w_c``, so ``b = D_black / (D_black + Σ_c A_c)``.

The linearisation makes every channel contribute light proportional to its linear value with
the same full scale, the dimmest channel's ``A_min``: the LUT row of channel c is
``(v/255)^γ_c · A_c / A_min`` (1.0 = that common full scale), inverted with dithering in
:mod:`lsi_rig.calibration.render`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

CHANNELS = ("red", "green", "blue")


def ramp_levels(count: int = 18) -> list[int]:
    """8-bit codes of the ramp: 0 … 255 in ``count`` steps."""
    return sorted({int(x) for x in np.rint(np.linspace(0, 255, count))})


@dataclass(frozen=True)
class ChannelFit:
    gamma: float
    amplitude_v: float  # A_c: full-code light above black (volts, all mirrors on)
    residual_rms_v: float
    max_relative_residual: float  # |residual| / A_c, worst level


@dataclass(frozen=True)
class MonitorFit:
    channels: tuple[ChannelFit, ChannelFit, ChannelFit]
    black_v: float  # D_black: the black frame through all mask-area mirrors (volts)
    black_level: float  # b (fraction of peak)

    @property
    def gamma(self) -> float:
        return float(np.mean([c.gamma for c in self.channels]))

    @property
    def balance(self) -> tuple[float, float, float]:
        """Relative channel weights A_c / max A (1 = brightest channel)."""
        amps = np.array([c.amplitude_v for c in self.channels])
        r, g, b = (amps / amps.max()).tolist()
        return r, g, b

    def lut(self) -> np.ndarray:
        """[3, 256] linear light of each code, 1.0 = the dimmest channel's full scale."""
        codes = np.arange(256, dtype=np.float64) / 255.0
        a_min = min(c.amplitude_v for c in self.channels)
        return np.stack([codes**c.gamma * (c.amplitude_v / a_min) for c in self.channels])


def fit_channel(levels: np.ndarray, above_black_v: np.ndarray) -> ChannelFit:
    """Fit ``A·(v/255)^γ`` to one channel's ramp (black subtracted)."""
    x = np.asarray(levels, dtype=np.float64) / 255.0
    y = np.asarray(above_black_v, dtype=np.float64)
    top = float(y[np.argmax(x)])
    if not top > 0:
        raise ValueError("the ramp gives no light above black")
    keep = x > 0

    def residual(p: np.ndarray) -> np.ndarray:
        return p[0] * x[keep] ** p[1] - y[keep]

    fit = least_squares(
        residual, x0=[top, 2.2], bounds=([0.0, 0.3], [np.inf, 6.0]), x_scale=[top, 1.0]
    )
    amplitude, gamma = (float(v) for v in fit.x)
    res = amplitude * x**gamma - y
    return ChannelFit(
        gamma=gamma,
        amplitude_v=amplitude,
        residual_rms_v=float(np.sqrt(np.mean(res**2))),
        max_relative_residual=float(np.max(np.abs(res)) / amplitude),
    )


def fit_monitor(levels: np.ndarray, ramps_v: np.ndarray, black_v: float) -> MonitorFit:
    """``ramps_v`` [3, L]: light of each channel ramp (others at 0), black NOT subtracted."""
    ramps = np.asarray(ramps_v, dtype=np.float64)
    fits = tuple(fit_channel(levels, ramps[c] - black_v) for c in range(3))
    total = sum(f.amplitude_v for f in fits)
    black_level = float(black_v / (black_v + total)) if black_v + total > 0 else 0.0
    return MonitorFit(fits, float(black_v), black_level)  # type: ignore[arg-type]

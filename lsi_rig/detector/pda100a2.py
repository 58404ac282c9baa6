"""Thorlabs PDA100A2 datasheet facts (shared/reference/hardware.md §3), per gain setting in dB.

Values marked [U] are unverified third-party numbers. They are the defaults of the simulated
photodiode (``world.photodiode``) and of the gain/bandwidth checks on a real rig, so a lab can
override them with its own measurements in the rig file.
"""

from __future__ import annotations

#: PDA100A2 transimpedance gain into a high-impedance load, V/A, per gain setting [U].
PDA100A2_TRANSIMPEDANCE_HIZ_V_PER_A: dict[int, float] = {
    0: 1.51e3,
    10: 4.75e3,
    20: 1.5e4,
    30: 4.75e4,
    40: 1.51e5,
    50: 4.75e5,
    60: 1.5e6,
    70: 4.75e6,
}
#: Same into 50 Ω (half the Hi-Z value) [U].
PDA100A2_TRANSIMPEDANCE_50OHM_V_PER_A: dict[int, float] = {
    0: 0.75e3,
    10: 2.38e3,
    20: 0.75e4,
    30: 2.38e4,
    40: 0.75e5,
    50: 2.38e5,
    60: 0.75e6,
    70: 2.38e6,
}
#: -3 dB bandwidth per gain, Hz [U, from memory: 11 MHz at 0 dB down to kHz at 70 dB].
PDA100A2_BANDWIDTH_HZ: dict[int, float] = {
    0: 11e6,
    10: 5e6,
    20: 1e6,
    30: 260e3,
    40: 150e3,
    50: 45e3,
    60: 11e3,
    70: 2e3,
}
#: Output RMS noise per gain, V [U: ~0.3–1 mV, rising with gain].
PDA100A2_NOISE_V_RMS: dict[int, float] = {
    0: 0.30e-3,
    10: 0.30e-3,
    20: 0.35e-3,
    30: 0.40e-3,
    40: 0.50e-3,
    50: 0.65e-3,
    60: 0.80e-3,
    70: 1.0e-3,
}

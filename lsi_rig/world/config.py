"""Physical parameters of the simulated world shared by all simulated and emulated devices.

Values marked [U] are unverified third-party numbers (see shared/reference/hardware.md §3); they
live here, in configuration, so a lab can replace them with its own measurements.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from lsi_rig.core.strict import StrictModel
from lsi_rig.detector.pda100a2 import (
    PDA100A2_BANDWIDTH_HZ,
    PDA100A2_NOISE_V_RMS,
    PDA100A2_TRANSIMPEDANCE_HIZ_V_PER_A,
)


class MonitorConfig(StrictModel):
    """Scene monitor: 8-bit value v -> radiance black + (1 - black) * (v/255)**gamma, times peak."""

    gamma: float = Field(2.2, gt=0)
    black_level: float = Field(0.002, ge=0, lt=1, description="radiance at v=0 / peak")
    peak_radiance: float = Field(1.0, gt=0, description="relative; scales optical power")
    response_time_s: float = Field(
        0.005, ge=0, description="1/e time constant of the panel after an image change"
    )
    settle_time_s: float = Field(
        0.05, ge=0, description="time the engine waits after an image change"
    )
    colour_weights: tuple[float, float, float] = Field(
        (1.0, 1.0, 1.0), description="detector response to the R, G, B primaries (relative)"
    )


class OpticsConfig(StrictModel):
    """Scene -> DMD registration and imperfections.

    By default the scene image exactly fills the mask area on the DMD (scale 1, no rotation, no
    offset). ``scale`` multiplies that magnification; ``rotation_deg`` and ``offset_um`` misalign.
    """

    scale: float = Field(1.0, gt=0)
    rotation_deg: float = 0.0
    offset_um: tuple[float, float] = (0.0, 0.0)
    blur_sigma_um: float = Field(0.0, ge=0, description="Gaussian PSF sigma on the DMD plane")
    vignetting: float = Field(0.0, ge=0, lt=1, description="relative fall-off at the corners")
    ambient_w: float = Field(0.0, ge=0, description="ambient power on the detector, all on")
    off_state_leak: float = Field(0.0, ge=0, lt=1, description="light from 'off' mirrors")
    white_power_w: float = Field(
        50e-6, gt=0, description="power at the detector: white scene, all mask mirrors on"
    )
    diamond_geometry: bool = Field(True, description="odd mirror rows shifted half a column")
    supersample: int = Field(
        4, ge=1, le=16, description="samples per mirror axis when the registration is rotated"
    )


class DmdArrayConfig(StrictModel):
    """DLP4500 diamond array and DLPC350 pattern timing limits."""

    columns: int = 912
    rows: int = 1140
    column_pitch_um: float = 10.8
    row_pitch_um: float = 5.4
    block_size: int | None = Field(
        None, ge=1, description="mirror columns per mask pixel (k); rows = 2k. None: largest fit"
    )
    placement_offset: tuple[int, int] = Field(
        (0, 0), description="(columns, rows) shift of the mask area from the centred position"
    )
    min_exposure_us: float = 235.0
    min_dark_gap_us: float = 230.0
    trig_out_1_min_low_us: float = Field(
        10.0,
        ge=0,
        description=(
            "shortest low time of TRIG_OUT_1 between patterns; when period - exposure is shorter,"
            " the pulse falls this long before the next pattern starts [U]"
        ),
    )
    patterns_per_frame: int = Field(
        24, ge=1, description="1-bit patterns per video frame (a dropped frame repeats this many)"
    )


class PhotodiodeConfig(StrictModel):
    """Thorlabs PDA100A2 (switchable-gain amplified Si photodiode)."""

    responsivity_a_per_w: float = Field(0.30, gt=0, description="at the monitor's light [U]")
    load: Literal["hi_z", "50_ohm"] = "hi_z"
    transimpedance_v_per_a: dict[int, float] = Field(
        default_factory=lambda: dict(PDA100A2_TRANSIMPEDANCE_HIZ_V_PER_A)
    )
    bandwidth_hz: dict[int, float] = Field(default_factory=lambda: dict(PDA100A2_BANDWIDTH_HZ))
    noise_v_rms: dict[int, float] = Field(default_factory=lambda: dict(PDA100A2_NOISE_V_RMS))
    output_max_v: float = Field(10.0, gt=0, description="output saturation (Hi-Z)")
    dark_offset_v: float = Field(0.003, description="output with no light")

    @model_validator(mode="after")
    def _tables_cover_gains(self) -> PhotodiodeConfig:
        gains = set(self.transimpedance_v_per_a)
        for name in ("bandwidth_hz", "noise_v_rms"):
            missing = gains - set(getattr(self, name))
            if missing:
                raise ValueError(f"{name} lacks gain settings {sorted(missing)} (dB)")
        return self


class DaqConfig(StrictModel):
    """The analogue input of the DAQ as the world sees it."""

    resolution_bits: int = Field(16, ge=8, le=24)
    input_noise_v_rms: float = Field(1e-4, ge=0)
    max_sample_rate_hz: float = Field(250e3, gt=0)


class NoiseConfig(StrictModel):
    """Switches for every random process (all on by default)."""

    shot: bool = True
    amplifier: bool = True
    daq: bool = True
    quantisation: bool = True


class FaultsConfig(StrictModel):
    """Injected timing faults, to exercise edge accounting and flags (all off by default)."""

    missing_edge_rate: float = Field(0.0, ge=0, le=1, description="per TRIG_OUT_1 pulse")
    extra_edge_rate: float = Field(0.0, ge=0, le=1, description="per TRIG_OUT_1 pulse")
    dropped_frame_rate: float = Field(0.0, ge=0, le=1, description="per sequence pass")


class WorldConfig(StrictModel):
    """Everything physical the simulations share. ``seed`` makes every run reproducible."""

    seed: int = 1234
    monitor: MonitorConfig = MonitorConfig()
    optics: OpticsConfig = OpticsConfig()
    dmd: DmdArrayConfig = DmdArrayConfig()
    photodiode: PhotodiodeConfig = PhotodiodeConfig()
    daq: DaqConfig = DaqConfig()
    noise: NoiseConfig = NoiseConfig()
    faults: FaultsConfig = FaultsConfig()
    ideal: bool = Field(
        False,
        description=(
            "switch every imperfection and noise source off: gamma 1, no black level, no blur/"
            "vignetting/ambient/leak, square (non-diamond) mirror grid, infinite bandwidth, no "
            "saturation, offset, noise or quantisation"
        ),
    )

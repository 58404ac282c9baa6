"""Physical parameters of the simulated world shared by all simulated and emulated devices.

Values marked [U] are unverified third-party numbers (see shared/reference/hardware.md §3); they
live here, in configuration, so a lab can replace them with its own measurements.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from lsi_rig.core.strict import StrictModel
from lsi_rig.detector.pda100a2 import (
    PDA100A2_BANDWIDTH_HZ,
    PDA100A2_NOISE_V_RMS,
    PDA100A2_TRANSIMPEDANCE_HIZ_V_PER_A,
)


class PhysicalModel(StrictModel):
    """Every number must be finite and inside the physical range its field states.

    The bounds are generous for a lab but keep any rig file from implying absurd memory or time
    (a 2-billion-column mirror array, a blur kernel wider than the array, a negative seed)."""

    model_config = ConfigDict(allow_inf_nan=False)


#: Relative detector weight of one monitor primary.
ColourWeight = Annotated[float, Field(ge=0, le=10)]
#: A PDA100A2 gain knob setting (dB) as a table key.
GainDb = Annotated[int, Field(ge=0, le=100)]
#: Most gain settings a table may list (the PDA100A2 has 8).
MAX_GAIN_SETTINGS = 16


class MonitorConfig(PhysicalModel):
    """Scene monitor: 8-bit value v -> radiance black + (1 - black) * (v/255)**gamma, times peak."""

    gamma: float = Field(2.2, ge=0.1, le=10, description="display gamma (0.1-10)")
    black_level: float = Field(0.002, ge=0, lt=1, description="radiance at v=0 / peak")
    peak_radiance: float = Field(
        1.0, gt=0, le=1000, description="relative (up to 1000); scales optical power"
    )
    response_time_s: float = Field(
        0.002,
        ge=0,
        le=10,
        description="1/e time constant of the panel after a change (0-10 s); a change is "
        "complete (exactly) after 23τ, so keep settle_time_s ≥ 23 × response_time_s",
    )
    settle_time_s: float = Field(
        0.05, ge=0, le=600, description="time the engine waits after an image change (0-600 s)"
    )
    colour_weights: tuple[ColourWeight, ColourWeight, ColourWeight] = Field(
        (1.0, 1.0, 1.0), description="detector response to the R, G, B primaries (0-10 each)"
    )


class OpticsConfig(PhysicalModel):
    """Scene -> DMD registration and imperfections.

    By default the scene image exactly fills the mask area on the DMD (scale 1, no rotation, no
    offset). ``scale`` multiplies that magnification; ``rotation_deg`` and ``offset_um`` misalign.
    """

    scale: float = Field(1.0, ge=0.01, le=100, description="magnification factor (0.01-100)")
    rotation_deg: float = Field(0.0, ge=-360, le=360, description="-360 to 360 degrees")
    offset_um: tuple[
        Annotated[float, Field(ge=-20_000, le=20_000)],
        Annotated[float, Field(ge=-20_000, le=20_000)],
    ] = Field((0.0, 0.0), description="(x, y) shift on the DMD plane, within ±20 mm")
    blur_sigma_um: float = Field(
        0.0, ge=0, le=100, description="Gaussian PSF sigma on the DMD plane (0-100 µm)"
    )
    vignetting: float = Field(0.0, ge=0, lt=1, description="relative fall-off at the corners")
    ambient_w: float = Field(
        0.0, ge=0, le=0.01, description="ambient power on the detector, all on (0-10 mW)"
    )
    off_state_leak: float = Field(0.0, ge=0, lt=1, description="light from 'off' mirrors")
    white_power_w: float = Field(
        50e-6,
        gt=0,
        le=0.1,
        description="power at the detector: white scene, all mask mirrors on (up to 100 mW)",
    )
    diamond_geometry: bool = Field(True, description="odd mirror rows shifted half a column")
    supersample: int = Field(
        4, ge=1, le=16, description="samples per mirror axis when the registration is rotated"
    )


#: Largest mirror array the world simulates per axis (DLP9000: 2560 × 1600).
MAX_MIRRORS_PER_AXIS = 2560


class DmdArrayConfig(PhysicalModel):
    """DLP4500 diamond array and DLPC350 pattern timing limits."""

    columns: int = Field(912, ge=16, le=MAX_MIRRORS_PER_AXIS, description="16-2560 mirrors")
    rows: int = Field(1140, ge=16, le=MAX_MIRRORS_PER_AXIS, description="16-2560 mirrors")
    column_pitch_um: float = Field(10.8, ge=1, le=100, description="1-100 µm")
    row_pitch_um: float = Field(5.4, ge=0.5, le=100, description="0.5-100 µm")
    block_size: int | None = Field(
        None,
        ge=1,
        le=MAX_MIRRORS_PER_AXIS,
        description="mirror columns per mask pixel (k); rows = 2k. None: largest fit",
    )
    placement_offset: tuple[
        Annotated[int, Field(ge=-MAX_MIRRORS_PER_AXIS, le=MAX_MIRRORS_PER_AXIS)],
        Annotated[int, Field(ge=-MAX_MIRRORS_PER_AXIS, le=MAX_MIRRORS_PER_AXIS)],
    ] = Field(
        (0, 0), description="(columns, rows) shift of the mask area from the centred position"
    )
    min_exposure_us: float = Field(235.0, ge=1, le=1e6, description="1 µs - 1 s")
    min_dark_gap_us: float = Field(230.0, ge=0, le=1e6, description="0 - 1 s")
    trig_out_1_min_low_us: float = Field(
        10.0,
        ge=0,
        le=1000,
        description=(
            "shortest low time of TRIG_OUT_1 between patterns; when period - exposure is shorter,"
            " the pulse falls this long before the next pattern starts [U]"
        ),
    )
    patterns_per_frame: int = Field(
        24,
        ge=1,
        le=24,
        description="1-bit patterns per video frame (1-24; a dropped frame repeats this many) "
        "when the DMD driver does not say (the DLPC350 emulator does)",
    )


class PhotodiodeConfig(PhysicalModel):
    """Thorlabs PDA100A2 (switchable-gain amplified Si photodiode)."""

    responsivity_a_per_w: float = Field(
        0.30, gt=0, le=2, description="at the monitor's light, up to 2 A/W [U]"
    )
    load: Literal["hi_z", "50_ohm"] = "hi_z"
    transimpedance_v_per_a: dict[GainDb, Annotated[float, Field(gt=0, le=1e10)]] = Field(
        default_factory=lambda: dict(PDA100A2_TRANSIMPEDANCE_HIZ_V_PER_A),
        description="V/A per gain setting (dB 0-100; at most 16 settings; up to 1e10 V/A)",
    )
    bandwidth_hz: dict[GainDb, Annotated[float, Field(gt=0, le=1e9)]] = Field(
        default_factory=lambda: dict(PDA100A2_BANDWIDTH_HZ),
        description="-3 dB bandwidth per gain setting (up to 1 GHz)",
    )
    noise_v_rms: dict[GainDb, Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=lambda: dict(PDA100A2_NOISE_V_RMS),
        description="output noise per gain setting (0-1 V rms)",
    )
    output_max_v: float = Field(10.0, gt=0, le=100, description="output saturation (Hi-Z)")
    dark_offset_v: float = Field(
        0.003, ge=-1, le=1, description="output with no light (within ±1 V)"
    )

    @field_validator("transimpedance_v_per_a", "bandwidth_hz", "noise_v_rms")
    @classmethod
    def _few_settings(cls, table: dict[int, float]) -> dict[int, float]:
        if not 1 <= len(table) <= MAX_GAIN_SETTINGS:
            raise ValueError(f"lists {len(table)} gain settings; give 1-{MAX_GAIN_SETTINGS}")
        return table

    @model_validator(mode="after")
    def _tables_cover_gains(self) -> PhotodiodeConfig:
        gains = set(self.transimpedance_v_per_a)
        for name in ("bandwidth_hz", "noise_v_rms"):
            missing = gains - set(getattr(self, name))
            if missing:
                raise ValueError(f"{name} lacks gain settings {sorted(missing)} (dB)")
        return self


#: Fastest simulated DAQ (an oversampled pass of 1088 patterns at 120 Hz VSYNC is then
#: 10 M samples per channel, ~160 MB for two channels in float64).
MAX_DAQ_RATE_HZ = 1e7


class DaqConfig(PhysicalModel):
    """The analogue input of the DAQ as the world sees it."""

    resolution_bits: int = Field(16, ge=8, le=24)
    input_noise_v_rms: float = Field(1e-4, ge=0, le=1, description="0-1 V rms")
    max_sample_rate_hz: float = Field(250e3, gt=0, le=MAX_DAQ_RATE_HZ, description="up to 10 MS/s")


class NoiseConfig(PhysicalModel):
    """Switches for every random process (all on by default)."""

    shot: bool = True
    amplifier: bool = True
    daq: bool = True
    quantisation: bool = True


class FaultsConfig(PhysicalModel):
    """Injected timing faults, to exercise edge accounting and flags (all off by default)."""

    missing_edge_rate: float = Field(0.0, ge=0, le=1, description="per TRIG_OUT_1 pulse")
    extra_edge_rate: float = Field(0.0, ge=0, le=1, description="per TRIG_OUT_1 pulse")
    dropped_frame_rate: float = Field(0.0, ge=0, le=1, description="per sequence pass")


class WorldConfig(PhysicalModel):
    """Everything physical the simulations share. ``seed`` makes every run reproducible."""

    seed: int = Field(1234, ge=0, lt=2**63, description="0 to 2^63 - 1")
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

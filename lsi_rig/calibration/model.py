"""What a calibration file says: provenance, one typed result per step, the array index.

``calibration.yaml`` (``CalibrationContent``) is plain YAML, read back with ``safe_load`` and
validated (unknown keys rejected), so a calibration is data, never code. Arrays live beside it in
``arrays.npz`` (loaded with ``allow_pickle=False``). The layout is in docs/calibration.md.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from lsi_rig.core.strict import StrictModel

FORMAT = "lsi-rig/calibration/v1"

StepName = Literal["dark", "gain", "monitor", "registration", "response", "check"]
STEP_ORDER: tuple[StepName, ...] = ("dark", "gain", "monitor", "registration", "response", "check")
#: Steps whose results a later step builds on; re-running a step drops its dependents.
DEPENDS_ON: dict[str, tuple[str, ...]] = {
    "registration": ("monitor",),
    "response": ("monitor", "registration"),
    "check": ("monitor", "registration", "response"),
}


def dependents(step: str) -> set[str]:
    """Every step that (transitively) builds on ``step``."""
    out: set[str] = set()
    frontier = {step}
    while frontier:
        frontier = {s for s, deps in DEPENDS_ON.items() if frontier & set(deps)} - out
        out |= frontier
    return out


class MaskInfo(StrictModel):
    name: str
    source: str
    sha256: str
    n: int
    shape: tuple[int, int]


class Provenance(StrictModel):
    """Where and with what a calibration was made (checked before it is applied)."""

    rig_name: str
    rig_sha256: str = Field(description="sha256 of the resolved rig YAML")
    physical_sha256: dict[str, str] = Field(
        description="per rig section that changes what is measured (gain/range excluded)"
    )
    devices: dict[str, object]
    masks: MaskInfo
    gain_db: float
    range_v: float
    exposure_us: float
    software: dict[str, str]
    command: str = ""


class StepResult(StrictModel):
    """Common to every step: a verdict in plain language and the figure that shows why."""

    ok: bool
    summary: str
    created_utc: str
    figure: str | None = None
    warnings: list[str] = Field(default_factory=list)


class DarkResult(StepResult):
    step: Literal["dark"] = "dark"
    dark_v: float = Field(description="mirrors off, monitor black: offset + ambient + leak")
    black_through_mirrors_v: float = Field(description="mirrors on − off, monitor black")
    noise_v: float = Field(description="rms of the dark samples")
    white_off_v: float = Field(description="mirrors off, monitor white")
    off_state_leak: float = Field(description="light of off mirrors relative to the on light")
    detector_offset_v: float | None = None
    ambient_v: float | None = Field(None, description="ambient light at the rig's gain")
    second_gain_db: int | None = None


class GainSetting(StrictModel):
    gain_db: int
    range_v: float
    bright_v: float = Field(description="white scene, all mask-area mirrors on (the brightest)")
    dark_v: float
    noise_v: float
    snr: float
    settling_residual: float = Field(description="fraction of the previous pattern left")
    bandwidth_hz: float | None = None
    settles: bool
    headroom: bool
    saturated: bool


class GainResult(StepResult):
    step: Literal["gain"] = "gain"
    headroom_fraction: float
    exposure_us: float
    settings: list[GainSetting]
    recommended_gain_db: int | None
    recommended_range_v: float | None
    configured_ok: bool


class MonitorResult(StepResult):
    step: Literal["monitor"] = "monitor"
    levels: list[int]
    gamma: tuple[float, float, float]
    amplitude_v: tuple[float, float, float]
    balance: tuple[float, float, float]
    black_level: float
    black_v: float
    residual_rms_v: tuple[float, float, float]
    max_relative_residual: float


class RegistrationResult(StepResult):
    step: Literal["registration"] = "registration"
    walsh_order: int
    affine: list[list[float]] = Field(description="[[a, b, tx], [c, d, ty]]: scene → mask area")
    scale: float
    rotation_deg: float
    shift_px: tuple[float, float]
    dots: int
    fit_residual_rms_px: float
    verify_error_max_px: float = Field(
        description="re-imaged with the new drawing: worst distance over the mask area between "
        "the affine through the found dots and their nominal places (grid px)"
    )
    verify_error_rms_px: float = Field(description="rms distance of the single re-imaged dots")
    coverage_before: float
    coverage_after: float
    flat_ref: float
    flat_residual_rms: float
    flatness_after: float


class ResponseResult(StepResult):
    step: Literal["response"] = "response"
    images: list[tuple[str, str]] = Field(description="(scene id, content sha256)")
    r2_pooled: float
    r2_structure: float = Field(
        description="R² with each image's mean over the masks removed: the mask-to-mask "
        "structure alone (noise-limited for masks of equal fill)"
    )
    r2_per_mask_min: float
    relative_rms: float
    r2_threshold: float
    gain_mean_v: float
    gain_spread: float
    offset_mean_v: float


class CheckResult(StepResult):
    step: Literal["check"] = "check"
    duration_s: float
    drift_relative: float
    drift_threshold: float
    snr_median: float
    snr_min: float
    repeats: int
    r2_test_scene: float | None = None
    scale_test_scene: float | None = None


class StepResults(StrictModel):
    dark: DarkResult | None = None
    gain: GainResult | None = None
    monitor: MonitorResult | None = None
    registration: RegistrationResult | None = None
    response: ResponseResult | None = None
    check: CheckResult | None = None


class ArrayInfo(StrictModel):
    dtype: str
    shape: tuple[int, ...]


class CalibrationContent(StrictModel):
    """``calibration.yaml``. ``status``: ``ok`` (complete, fits good: may be made current),
    ``partial`` (no response step yet), ``failed`` (a step's fit was rejected)."""

    format: Literal["lsi-rig/calibration/v1"] = "lsi-rig/calibration/v1"
    created_utc: str
    status: Literal["ok", "partial", "failed"]
    message: str
    provenance: Provenance
    steps: StepResults
    arrays: dict[str, ArrayInfo] = Field(default_factory=dict)
    content_sha256: str = ""

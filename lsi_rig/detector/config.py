"""Configuration of detector (photodiode + DAQ) backends."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from lsi_rig.core.strict import StrictModel
from lsi_rig.detector.protocol import AcquisitionMode


class DetectorCommon(StrictModel):
    """Settings every detector backend records with each vector."""

    gain_db: int = Field(40, description="PDA100A2 gain knob as set by the operator (0-70 dB)")
    range_v: float = Field(10.0, gt=0, description="DAQ input range ±range_v")
    mode: AcquisitionMode = AcquisitionMode.PER_PATTERN
    sample_rate_hz: float = Field(200e3, gt=0, description="oversampled mode sample rate")
    settle_guard_fraction: float = Field(
        0.25, ge=0, lt=1, description="oversampled: fraction of each exposure dropped at its start"
    )


class SimDetectorConfig(DetectorCommon):
    backend: Literal["sim"] = "sim"


class NidaqmxGrpcConfig(StrictModel):
    address: str = Field(..., description="host:port of an NI gRPC Device Server")
    session_name: str = ""
    api_key: str | None = None


class NidaqmxConfig(DetectorCommon):
    """PDA100A2 read through an NI DAQ with nidaqmx (local driver or NI gRPC Device Server)."""

    backend: Literal["nidaqmx"] = "nidaqmx"
    device: str = "Dev1"
    ai_channel: str = "ai0"
    trigger_ai_channel: str | None = Field(
        "ai1", description="oversampled mode: TRIG_OUT_1 recorded on this AI channel"
    )
    sample_clock_terminal: str = Field("PFI0", description="TRIG_OUT_1 wired here")
    start_trigger_terminal: str = Field("PFI1", description="TRIG_OUT_2 wired here")
    terminal_config: Literal["default", "rse", "nrse", "diff", "pseudo_diff"] = "rse"
    grpc: NidaqmxGrpcConfig | None = Field(
        None, description='NI gRPC Device Server; address "emulator" = the rig\'s DAQ double'
    )
    use_start_trigger: bool = Field(
        True,
        description="per-pattern mode: start on TRIG_OUT_2 so sample 0 is pattern 0 of a pass "
        "(False: the first TRIG_OUT_1 edge after arming; the DMD must start after arm)",
    )
    read_chunk_s: float = Field(
        0.02, gt=0, description="acquisition time per read call; a failed read loses < one chunk"
    )

    @field_validator("gain_db")
    @classmethod
    def _gain_is_a_knob_setting(cls, value: int) -> int:
        if value not in range(0, 71, 10):
            raise ValueError(f"PDA100A2 gain {value} dB is not a knob setting (0, 10, ..., 70)")
        return value


DetectorConfig = SimDetectorConfig | NidaqmxConfig

"""Configuration of detector (photodiode + DAQ) backends."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, field_validator

from lsi_rig.core.strict import StrictModel
from lsi_rig.detector.protocol import AcquisitionMode

#: Fastest sample rate any supported DAQ offers per channel (NI X Series: 2 MS/s; margin).
MAX_SAMPLE_RATE_HZ = 1e7
#: Most samples per channel one oversampled pass may take (2**24: 84 s at 200 kS/s, 128 MB for
#: two float64 channels); a longer trace is refused before anything is allocated.
MAX_TRACE_SAMPLES = 1 << 24
#: A DAQmx device, channel or terminal name.
DaqName = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_/.\-]+$")]


class _DetectorModel(StrictModel):
    """Numbers are finite and inside the documented ranges."""

    model_config = ConfigDict(allow_inf_nan=False)


class DetectorCommon(_DetectorModel):
    """Settings every detector backend records with each vector."""

    gain_db: int = Field(
        40, ge=0, le=100, description="PDA100A2 gain knob as set by the operator (0-70 dB)"
    )
    range_v: float = Field(10.0, gt=0, le=100, description="DAQ input range ±range_v (≤ 100 V)")
    mode: AcquisitionMode = AcquisitionMode.PER_PATTERN
    sample_rate_hz: float = Field(
        200e3, gt=0, le=MAX_SAMPLE_RATE_HZ, description="oversampled mode sample rate (≤ 10 MS/s)"
    )
    settle_guard_fraction: float = Field(
        0.25, ge=0, lt=1, description="oversampled: fraction of each exposure dropped at its start"
    )


class SimDetectorConfig(DetectorCommon):
    backend: Literal["sim"] = "sim"


class NidaqmxGrpcConfig(_DetectorModel):
    address: str = Field(
        ..., min_length=1, max_length=300, description="host:port of an NI gRPC Device Server"
    )
    session_name: str = Field("", max_length=200)
    api_key: str | None = Field(None, max_length=200)
    call_timeout_s: float = Field(
        10.0,
        ge=0.1,
        le=600,
        description="deadline of every RPC beyond a read's own timeout (0.1-600 s): a server "
        "that stops answering raises DeviceTimeoutError instead of hanging",
    )


class NidaqmxConfig(DetectorCommon):
    """PDA100A2 read through an NI DAQ with nidaqmx (local driver or NI gRPC Device Server)."""

    backend: Literal["nidaqmx"] = "nidaqmx"
    device: DaqName = "Dev1"
    ai_channel: DaqName = "ai0"
    trigger_ai_channel: DaqName | None = Field(
        "ai1", description="oversampled mode: TRIG_OUT_1 recorded on this AI channel"
    )
    sample_clock_terminal: DaqName = Field("PFI0", description="TRIG_OUT_1 wired here")
    start_trigger_terminal: DaqName = Field("PFI1", description="TRIG_OUT_2 wired here")
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
        0.02,
        ge=0.001,
        le=10,
        description="acquisition time per read call (1 ms - 10 s); a failed read loses < one chunk",
    )

    @field_validator("gain_db")
    @classmethod
    def _gain_is_a_knob_setting(cls, value: int) -> int:
        if value not in range(0, 71, 10):
            raise ValueError(f"PDA100A2 gain {value} dB is not a knob setting (0, 10, ..., 70)")
        return value


DetectorConfig = SimDetectorConfig | NidaqmxConfig

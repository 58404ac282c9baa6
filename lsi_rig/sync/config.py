"""Configuration of the sync controller backends."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from lsi_rig.core.strict import StrictModel


class _SyncModel(StrictModel):
    """Numbers are finite and inside the documented ranges."""

    model_config = ConfigDict(allow_inf_nan=False)


class NoSyncConfig(_SyncModel):
    """No sync controller: edge accounting comes from the DAQ trace when available."""

    backend: Literal["none"] = "none"


class SimSyncConfig(_SyncModel):
    backend: Literal["sim"] = "sim"


class SerialSyncConfig(_SyncModel):
    """Microcontroller trigger controller on a serial port (protocol in docs/sync-protocol.md)."""

    backend: Literal["serial"] = "serial"
    port: str = Field(
        ...,
        min_length=1,
        max_length=300,
        description="e.g. /dev/ttyACM0, COM5, a pyserial URL (socket://host:port), or "
        "'emulator' for the pty emulator started with the rig",
    )
    baudrate: int = Field(115200, ge=300, le=12_000_000, description="300 - 12 000 000 baud")
    timeout_s: float = Field(
        1.0, ge=0.01, le=60, description="reply deadline per request attempt (10 ms - 60 s)"
    )
    query_retries: int = Field(
        2, ge=0, le=10, description="re-sends of *IDN?/STATUS?/EDGES? after a timeout or garble"
    )
    open_settle_s: float = Field(
        0.0,
        ge=0,
        le=10,
        description="wait after opening the port: Uno-class boards reset on open and boot in "
        "~1.5 s (use 2.0); native-USB boards need 0",
    )


SyncConfig = NoSyncConfig | SimSyncConfig | SerialSyncConfig

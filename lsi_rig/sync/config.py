"""Configuration of the sync controller backends."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from lsi_rig.core.strict import StrictModel


class NoSyncConfig(StrictModel):
    """No sync controller: edge accounting comes from the DAQ trace when available."""

    backend: Literal["none"] = "none"


class SimSyncConfig(StrictModel):
    backend: Literal["sim"] = "sim"


class SerialSyncConfig(StrictModel):
    """Microcontroller trigger controller on a serial port (protocol in docs/sync-protocol.md)."""

    backend: Literal["serial"] = "serial"
    port: str = Field(
        ...,
        description="e.g. /dev/ttyACM0, COM5, a pyserial URL (socket://host:port), or "
        "'emulator' for the pty emulator started with the rig",
    )
    baudrate: int = Field(115200, gt=0)
    timeout_s: float = Field(1.0, gt=0, description="reply deadline per request attempt")
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

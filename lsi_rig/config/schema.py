"""The rig configuration: one YAML file per rig, validated on load.

Backends are chosen here (``devices.<kind>.backend``), never by branches in the engine.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from lsi_rig.core.strict import StrictModel
from lsi_rig.detector.config import NidaqmxConfig, SimDetectorConfig
from lsi_rig.display.config import SimDisplayConfig, WindowDisplayConfig
from lsi_rig.dmd.config import Dlpc350Config, SimDmdConfig
from lsi_rig.sync.config import NoSyncConfig, SerialSyncConfig, SimSyncConfig
from lsi_rig.world.config import WorldConfig

DmdChoice = Annotated[SimDmdConfig | Dlpc350Config, Field(discriminator="backend")]
DetectorChoice = Annotated[SimDetectorConfig | NidaqmxConfig, Field(discriminator="backend")]
SyncChoice = Annotated[
    NoSyncConfig | SimSyncConfig | SerialSyncConfig, Field(discriminator="backend")
]
DisplayChoice = Annotated[SimDisplayConfig | WindowDisplayConfig, Field(discriminator="backend")]


class DevicesConfig(StrictModel):
    display: DisplayChoice = SimDisplayConfig()
    dmd: DmdChoice = SimDmdConfig()
    detector: DetectorChoice = SimDetectorConfig()
    sync: SyncChoice = NoSyncConfig()


class AcquisitionConfig(StrictModel):
    """How each vector is measured (defaults for ``lsi-rig capture``)."""

    exposure_us: float = Field(250.0, gt=0, description="per pattern")
    period_us: float | None = Field(None, gt=0, description="per pattern; None = exposure")
    reference_every: int | None = Field(
        32, ge=1, description="interleave [dark, bright] references every K masks; null: none"
    )
    averages: int = Field(1, ge=1, description="sequence passes averaged into one record")
    repeats: int = Field(1, ge=1, description="records per scene")
    settle_s: float | None = Field(None, ge=0, description="None: the display's settle time")
    keep_trace: bool = False
    drift_threshold: float = Field(0.02, gt=0, description="relative bright-reference change")
    read_timeout_s: float = Field(2.0, gt=0, description="extra time allowed per sequence read")


class PathsConfig(StrictModel):
    calibration_dir: str = "calibration"
    sessions_dir: str = "sessions"


class EmulatorsConfig(StrictModel):
    """Protocol-level emulators started with the rig, fed by its world (``--rig emulated``).

    Device settings whose value is ``"emulator"`` (the pyusb backend, the gRPC address, the
    serial port) are then filled in with the running emulator's endpoint.
    """

    dlpc350_usb: bool = False
    daq_grpc: bool = False
    sync_pty: bool = False


class RigConfig(StrictModel):
    """A whole rig: devices, the simulated world they share (if any) and defaults."""

    name: str
    description: str = ""
    world: WorldConfig | None = None
    devices: DevicesConfig = DevicesConfig()
    acquisition: AcquisitionConfig = AcquisitionConfig()
    paths: PathsConfig = PathsConfig()
    emulators: EmulatorsConfig | None = None

    @model_validator(mode="after")
    def _world_for_simulated_devices(self) -> RigConfig:
        simulated = [
            kind
            for kind in ("display", "dmd", "detector", "sync")
            if getattr(self.devices, kind).backend == "sim"
        ]
        if (simulated or self.emulators is not None) and self.world is None:
            raise ValueError(
                "simulated devices or emulators need a 'world' section (the simulated physics)"
            )
        return self

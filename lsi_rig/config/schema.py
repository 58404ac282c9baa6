"""The rig configuration: one YAML file per rig, validated on load.

Backends are chosen here (``devices.<kind>.backend``), never by branches in the engine.
"""

from __future__ import annotations

from pydantic import ConfigDict, Field, model_validator

from lsi_rig.config.plugin_devices import DetectorChoice, DisplayChoice, DmdChoice, SyncChoice
from lsi_rig.core.strict import StrictModel
from lsi_rig.detector.config import SimDetectorConfig
from lsi_rig.display.config import SimDisplayConfig
from lsi_rig.dmd.config import SimDmdConfig
from lsi_rig.sync.config import NoSyncConfig
from lsi_rig.world.config import WorldConfig

#: Longest pattern exposure or period a rig file may ask for (1 s; the DLPC350 itself accepts
#: up to 200 s, which would make one 512-mask pass last a day).
MAX_PATTERN_US = 1e6
#: Most passes averaged into one record, and most records per scene.
MAX_AVERAGES = 10_000
MAX_REPEATS = 100_000


class _RigModel(StrictModel):
    """Numbers are finite and inside the documented ranges."""

    model_config = ConfigDict(allow_inf_nan=False)


class DevicesConfig(_RigModel):
    display: DisplayChoice = SimDisplayConfig()
    dmd: DmdChoice = SimDmdConfig()
    detector: DetectorChoice = SimDetectorConfig()
    sync: SyncChoice = NoSyncConfig()


class AcquisitionConfig(_RigModel):
    """How each vector is measured (defaults for ``lsi-rig capture``)."""

    exposure_us: float = Field(
        250.0, ge=1, le=MAX_PATTERN_US, description="per pattern, 1 µs - 1 s"
    )
    period_us: float | None = Field(
        None, ge=1, le=MAX_PATTERN_US, description="per pattern, 1 µs - 1 s; None = exposure"
    )
    reference_every: int | None = Field(
        32,
        ge=1,
        le=4096,
        description="interleave [dark, bright] references every K masks (1-4096); null: none",
    )
    averages: int = Field(
        1, ge=1, le=MAX_AVERAGES, description="sequence passes averaged into one record (≤ 10⁴)"
    )
    repeats: int = Field(1, ge=1, le=MAX_REPEATS, description="records per scene (≤ 10⁵)")
    settle_s: float | None = Field(
        None, ge=0, le=600, description="0-600 s; None: the display's settle time"
    )
    keep_trace: bool = False
    drift_threshold: float = Field(
        0.02, gt=0, le=10, description="relative bright-reference change (≤ 10)"
    )
    read_timeout_s: float = Field(
        2.0, gt=0, le=600, description="extra time allowed per sequence read (≤ 600 s)"
    )


class PathsConfig(_RigModel):
    calibration_dir: str = Field("calibration", min_length=1, max_length=4096)
    sessions_dir: str = Field("sessions", min_length=1, max_length=4096)


class EmulatorsConfig(_RigModel):
    """Protocol-level emulators started with the rig, fed by its world (``--rig emulated``).

    Device settings whose value is ``"emulator"`` (the pyusb backend, the gRPC address, the
    serial port) are then filled in with the running emulator's endpoint.
    """

    dlpc350_usb: bool = False
    daq_grpc: bool = False
    sync_pty: bool = False


class RigConfig(_RigModel):
    """A whole rig: devices, the simulated world they share (if any) and defaults."""

    name: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=10_000)
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

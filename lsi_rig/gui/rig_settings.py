"""The settings an operator may change in the app, validated exactly like the rig YAML.

A change builds a new rig configuration through the same pydantic models (and the same
one-line error messages) as ``lsi-rig capture --rig FILE``; detector settings live in the
device section, so changing them reconnects the rig.
"""

from __future__ import annotations

from dataclasses import dataclass

from lsi_rig.config.load import parse_rig
from lsi_rig.config.schema import RigConfig
from lsi_rig.detector.config import NidaqmxConfig, SimDetectorConfig

GAIN_STEPS_DB = tuple(range(0, 71, 10))
RANGE_STEPS_V = (0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
MODES = ("per_pattern", "oversampled")


@dataclass(frozen=True)
class SafeSettings:
    """``detector`` is False for a plug-in detector: its settings are its own (not editable
    here), and gain/range/mode are then ignored."""

    exposure_us: float
    gain_db: int
    range_v: float
    reference_every: int | None
    averages: int
    mode: str
    keep_trace: bool
    detector: bool = True

    @classmethod
    def of(cls, config: RigConfig) -> SafeSettings:
        acq, det = config.acquisition, config.devices.detector
        if isinstance(det, SimDetectorConfig | NidaqmxConfig):
            gain_db, range_v, mode, known = (
                int(det.gain_db),
                float(det.range_v),
                str(det.mode),
                True,
            )
        else:
            gain_db, range_v, mode, known = GAIN_STEPS_DB[0], RANGE_STEPS_V[-1], MODES[0], False
        return cls(
            exposure_us=acq.exposure_us,
            gain_db=gain_db,
            range_v=range_v,
            reference_every=acq.reference_every,
            averages=acq.averages,
            mode=mode,
            keep_trace=acq.keep_trace,
            detector=known,
        )


def with_settings(config: RigConfig, settings: SafeSettings) -> RigConfig:
    """``config`` with ``settings`` applied; raises ConfigError naming the key."""
    data = config.model_dump(mode="json")
    data["acquisition"].update(
        exposure_us=settings.exposure_us,
        reference_every=settings.reference_every,
        averages=settings.averages,
        keep_trace=settings.keep_trace,
    )
    if isinstance(config.devices.detector, SimDetectorConfig | NidaqmxConfig):
        data["devices"]["detector"].update(
            gain_db=settings.gain_db, range_v=settings.range_v, mode=settings.mode
        )
    return parse_rig(data, f"rig {config.name} (settings in the app)")


def needs_reconnect(old: RigConfig, new: RigConfig) -> bool:
    """Device settings are read when a device is built: a change needs a reconnect."""
    return old.devices != new.devices or old.world != new.world

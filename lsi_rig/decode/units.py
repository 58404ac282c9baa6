"""Vectors on the scale a model was trained on: the official simulation's Σ_c mask · image_c.

Three cases, decided here for the decode service, the app and ``lsi-rig evaluate`` alike:

* a calibrated capture stores ``calibrated_v``, already on that scale (any rig);
* a simulated rig without a calibration: its world knows its own scale exactly — on an ideal
  world ``V = ideal_scale_v · Σ mask · image01`` (``docs/simulation.md``) — so the
  offset-corrected volts divided by ``ideal_scale_v`` at the record's gain are in simulation
  units (the monitor's gamma and the optics' imperfections remain: that is what calibration
  removes);
* a real rig without a calibration: volts as measured (what the official ``real_*.pt``
  checkpoints were fine-tuned on).
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache

import numpy as np
import yaml
from pydantic import ValidationError

from lsi_rig.core.records import MeasurementRecord
from lsi_rig.world.config import WorldConfig


class VectorUnits(StrEnum):
    CALIBRATED = "calibrated"
    WORLD_SCALED = "world_scaled"  # offset-corrected volts / the sim world's ideal scale
    VOLTS = "offset_corrected"


@lru_cache(maxsize=32)
def _units_per_volt(world_json: str, gain_db: int) -> float:
    from lsi_rig.world import World

    sim = World(WorldConfig.model_validate_json(world_json))
    sim.set_detector(gain_db=gain_db, range_v=sim.photodiode.range_v)
    return 1.0 / sim.ideal_scale_v((256, 256))


def world_units_per_volt(world: WorldConfig, gain_db: float) -> float:
    """Simulation units per offset-corrected volt of a simulated rig at ``gain_db``."""
    return _units_per_volt(world.model_dump_json(), round(gain_db))


def world_of(rig_config_yaml: str) -> WorldConfig | None:
    """The simulated world of a stored rig configuration (None: a real rig, or unreadable)."""
    try:
        data = yaml.safe_load(rig_config_yaml)
    except yaml.YAMLError:
        return None
    world = data.get("world") if isinstance(data, dict) else None
    if not isinstance(world, dict):
        return None
    try:
        return WorldConfig.model_validate(world)
    except ValidationError:
        return None


def record_input(
    record: MeasurementRecord, world: WorldConfig | None
) -> tuple[np.ndarray, VectorUnits]:
    """What to give a decoder for one record (see the module docstring)."""
    if record.calibrated_v is not None:
        return np.asarray(record.calibrated_v, dtype=np.float32), VectorUnits.CALIBRATED
    if world is not None:
        factor = world_units_per_volt(world, record.gain_db)
        return (record.vector_v * factor).astype(np.float32), VectorUnits.WORLD_SCALED
    return np.asarray(record.vector_v, dtype=np.float32), VectorUnits.VOLTS


def scale_stored(
    vectors_v: np.ndarray, gains_db: np.ndarray, world: WorldConfig | None
) -> tuple[np.ndarray, VectorUnits]:
    """Offset-corrected volts [N, n] of a session (with each record's gain) in model units."""
    if world is None:
        return np.asarray(vectors_v, dtype=np.float32), VectorUnits.VOLTS
    factors = np.array([world_units_per_volt(world, g) for g in np.asarray(gains_db).tolist()])
    return (vectors_v * factors[:, None]).astype(np.float32), VectorUnits.WORLD_SCALED

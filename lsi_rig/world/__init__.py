"""The simulated physical world: monitor, optics, DMD sequencer, photodiode and DAQ.

Every simulated device and protocol emulator reads one :class:`World` (see docs/simulation.md).
"""

from __future__ import annotations

from lsi_rig.world.config import WorldConfig
from lsi_rig.world.geometry import MaskGeometry, MirrorArea
from lsi_rig.world.photodiode import DetectorSettingError
from lsi_rig.world.records import SampledPass
from lsi_rig.world.sequencer import PassFaults, TriggerEdges
from lsi_rig.world.world import World

__all__ = [
    "DetectorSettingError",
    "MaskGeometry",
    "MirrorArea",
    "PassFaults",
    "SampledPass",
    "TriggerEdges",
    "World",
    "WorldConfig",
]

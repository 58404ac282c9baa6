"""Acquisition engine: plans, the devices it needs, and the loop that turns one into records."""

from __future__ import annotations

from lsi_rig.engine.devices import RigDevices
from lsi_rig.engine.engine import AcquisitionEngine, Progress, RecordSink, RunSummary
from lsi_rig.engine.plan import CapturePlan

__all__ = [
    "AcquisitionEngine",
    "CapturePlan",
    "Progress",
    "RecordSink",
    "RigDevices",
    "RunSummary",
]

"""Acquisition engine: plans, records and the loop that turns one into the other (Qt-free)."""

from lsi_rig.engine.engine import AcquisitionEngine, Progress, RecordSink, RunSummary
from lsi_rig.engine.plan import CapturePlan
from lsi_rig.engine.records import MeasurementRecord

__all__ = [
    "AcquisitionEngine",
    "CapturePlan",
    "MeasurementRecord",
    "Progress",
    "RecordSink",
    "RunSummary",
]

"""Acquisition engine: plans, records and the loop that turns one into the other (Qt-free).

Exports resolve lazily so that light clients (the storage layer, a crash-test child) can import
``lsi_rig.engine.records`` without loading the rig, the world and their dependencies.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lsi_rig.engine.engine import AcquisitionEngine, Progress, RecordSink, RunSummary
    from lsi_rig.engine.plan import CapturePlan
    from lsi_rig.engine.records import MeasurementRecord

_EXPORTS = {
    "AcquisitionEngine": "lsi_rig.engine.engine",
    "Progress": "lsi_rig.engine.engine",
    "RecordSink": "lsi_rig.engine.engine",
    "RunSummary": "lsi_rig.engine.engine",
    "CapturePlan": "lsi_rig.engine.plan",
    "MeasurementRecord": "lsi_rig.engine.records",
}

__all__ = [
    "AcquisitionEngine",
    "CapturePlan",
    "MeasurementRecord",
    "Progress",
    "RecordSink",
    "RunSummary",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'lsi_rig.engine' has no attribute {name!r}")

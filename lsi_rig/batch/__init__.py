"""Batch capture of image sets (CelebA-HQ test sets): a manifest, ground truth beside the
vectors, resume, and a QA report — built on :class:`lsi_rig.jobs.CaptureJob` (Qt-free).

Names are imported on first use, so ``lsi-rig --help`` does not pay for the rig and h5py.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lsi_rig.batch.celeba import AttributeTable, read_celeba_attributes
    from lsi_rig.batch.ground_truth import BatchInfo, batch_info
    from lsi_rig.batch.job import (
        BatchJob,
        BatchRequest,
        BatchResult,
        BatchSettings,
        ReportWritten,
        ScenesChecked,
    )
    from lsi_rig.batch.manifest import (
        Manifest,
        ManifestEntry,
        batch_scenes,
        manifest_from_images,
        read_list_file,
        read_manifest_csv,
        select,
    )
    from lsi_rig.batch.order import ScanOrder
    from lsi_rig.batch.report import QaReport, build_report, write_report

_WHERE = {
    "AttributeTable": "celeba",
    "read_celeba_attributes": "celeba",
    "BatchInfo": "ground_truth",
    "batch_info": "ground_truth",
    "BatchJob": "job",
    "batch_scenes": "manifest",
    "BatchRequest": "job",
    "BatchResult": "job",
    "BatchSettings": "job",
    "ReportWritten": "job",
    "ScenesChecked": "job",
    "Manifest": "manifest",
    "ManifestEntry": "manifest",
    "manifest_from_images": "manifest",
    "read_list_file": "manifest",
    "read_manifest_csv": "manifest",
    "select": "manifest",
    "ScanOrder": "order",
    "QaReport": "report",
    "build_report": "report",
    "write_report": "report",
}

__all__ = [
    "AttributeTable",
    "BatchInfo",
    "BatchJob",
    "BatchRequest",
    "BatchResult",
    "BatchSettings",
    "Manifest",
    "ManifestEntry",
    "QaReport",
    "ReportWritten",
    "ScanOrder",
    "ScenesChecked",
    "batch_info",
    "batch_scenes",
    "build_report",
    "manifest_from_images",
    "read_celeba_attributes",
    "read_list_file",
    "read_manifest_csv",
    "select",
    "write_report",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)

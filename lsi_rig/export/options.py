"""What an export is asked for (kept free of numpy and h5py so the CLI starts fast)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ExportFormat(StrEnum):
    LATENT_IMAGING = "latent-imaging"  # the official inference and fine-tuning layouts
    NPZ = "npz"  # one vectors.npz
    CSV = "csv"  # one vectors.csv


class RepeatMode(StrEnum):
    MEAN = "mean"  # one vector per scene: the mean of its usable records, named by its id
    ALL = "all"  # one vector per record, named <id>_r<repeat>


class VectorChoice(StrEnum):
    CALIBRATED = "calibrated"  # calibrated when present, else offset-corrected volts
    RAW = "raw"  # offset-corrected volts (``vector_v``), even when calibrated ones exist


@dataclass(frozen=True)
class ExportOptions:
    format: ExportFormat = ExportFormat.LATENT_IMAGING
    repeats: RepeatMode = RepeatMode.MEAN
    include_flagged: bool = False
    vectors: VectorChoice = VectorChoice.CALIBRATED
    batch_size: int = 8  # the fine-tuning batch size the split sizes are checked against
    default_split: str = "test"  # for scenes the session gives no split (non-batch sessions)

"""Which numbers an export writes: calibrated vectors when the session has them, else volts.

The official checkpoints expect vectors on the simulated scale Σ_c ⟨image_c ∈ [0, 1], mask⟩,
so a session captured with a calibration exports its calibrated vectors. Without one the export
falls back to the offset-corrected vectors in volts — usable for fine-tuning from scratch or
with a fitted scale, not directly with a simulation checkpoint — and says so in its manifest.
This module is the one place that knows how a session stores calibrated vectors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from lsi_rig.export.options import VectorChoice

if TYPE_CHECKING:
    from lsi_rig.storage import SessionReader


@dataclass(frozen=True, eq=False)
class ExportValues:
    vectors: np.ndarray  # float32 [N, n], record order
    kind: str  # "calibrated" | "offset_corrected_volts"
    note: str


CALIBRATED_NOTE = "calibrated to the official simulation's scale by the session's calibration"
VOLTS_NOTE = (
    "offset-corrected photodiode volts (raw minus the interpolated dark reference), "
    "NOT on the official simulation's scale"
)
FALLBACK_NOTE = (
    "the session has no calibrated vectors (captured without a calibration), so these are "
    + VOLTS_NOTE
    + "; calibrate the rig and capture again to use simulation checkpoints as they are"
)


def session_values(
    reader: SessionReader, choice: VectorChoice = VectorChoice.CALIBRATED
) -> ExportValues:
    """The vectors to export from an open session reader (every committed record)."""
    choice = VectorChoice(choice)
    if choice is VectorChoice.CALIBRATED and reader.has_calibrated:
        vectors = np.asarray(reader.vectors("calibrated"), dtype=np.float32)
        return ExportValues(vectors, "calibrated", CALIBRATED_NOTE)
    vectors = np.asarray(reader.vectors("offset_corrected"), dtype=np.float32)
    note = FALLBACK_NOTE if choice is VectorChoice.CALIBRATED else VOLTS_NOTE
    return ExportValues(vectors, "offset_corrected_volts", note)

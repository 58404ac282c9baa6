"""Measurements out of and into sessions: the official LSI layouts (inference and fine-tuning),
one-file npz and csv exports, a torch Dataset over an export, and the import of official
``datasets/real`` folders (Qt-free; ``docs/export.md``).

Names are imported on first use, so ``lsi-rig --help`` does not pay for h5py and numpy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lsi_rig.export.export import ExportResult, export_session
    from lsi_rig.export.importer import (
        ImportResult,
        import_measurements,
        is_unknown_mask_set,
        unknown_mask_set,
    )
    from lsi_rig.export.options import ExportFormat, ExportOptions, RepeatMode, VectorChoice
    from lsi_rig.export.values import session_values

_WHERE = {
    "ExportFormat": "options",
    "ExportOptions": "options",
    "RepeatMode": "options",
    "VectorChoice": "options",
    "ExportResult": "export",
    "export_session": "export",
    "ImportResult": "importer",
    "import_measurements": "importer",
    "is_unknown_mask_set": "importer",
    "unknown_mask_set": "importer",
    "session_values": "values",
}

__all__ = [
    "ExportFormat",
    "ExportOptions",
    "ExportResult",
    "ImportResult",
    "RepeatMode",
    "VectorChoice",
    "export_session",
    "import_measurements",
    "is_unknown_mask_set",
    "session_values",
    "unknown_mask_set",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)

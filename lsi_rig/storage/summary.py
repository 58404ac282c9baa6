"""The overview of a session that ``lsi-rig inspect`` prints (JSON-able)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from lsi_rig.core.flags import RecordFlags
from lsi_rig.storage import layout as L
from lsi_rig.storage.opening import plain

if TYPE_CHECKING:
    from lsi_rig.storage.reader import SessionReader


def summarize(reader: SessionReader) -> dict[str, Any]:
    """Status, rig, masks, sequence, scenes, devices, calibration, flags, log size; plus
    ``needs_recovery`` (what to run) when the writer died with the file open."""
    f = reader._file
    m = f[L.MASKS].attrs
    seq = reader.sequence_table()
    table = reader.records_table()
    flags = table["flags"]
    counts = {fl.name: int(np.count_nonzero(flags & int(fl))) for fl in RecordFlags if fl.value}
    trace = f[L.RECORDS].get(L.TRACE)
    cal = reader.calibration()
    out = {
        "path": str(reader.path),
        **{k: v for k, v in reader.attrs.items() if not k.startswith("writer_")},
        "masks": {k: plain(m[k]) for k in ("name", "source", "n", "height", "width")}
        | {"complementary": bool(m["complementary"]), "sha256": plain(m["sha256"])},
        "sequence": {
            "n_patterns": int(seq["kinds"].shape[0]),
            "exposure_us": float(seq["exposure_us"][0]) if seq["kinds"].size else None,
            "period_us": float(seq["period_us"][0]) if seq["kinds"].size else None,
        },
        "scenes": {
            "count": reader.shape.n_scenes,
            "measured": len(set(table["scene_index"][table["scene_index"] >= 0].tolist())),
        },
        "devices": sorted(reader.devices),
        "calibration": "none"
        if cal is None
        else {"sha256": cal.sha256, "source": cal.source, "created_utc": cal.created_utc},
        "calibrated_vectors": reader.has_calibrated,
        "trace_shape": list(trace.shape[1:]) if trace is not None else None,
        "flag_counts": {k: v for k, v in counts.items() if v},
        "log_lines": len(reader.log_lines()),
    }
    if reader.needs_recovery:
        out["needs_recovery"] = f"writer died; run `lsi-rig recover {reader.path}`"
    return out

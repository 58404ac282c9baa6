"""``/calibration``: the calibration snapshot a session was captured with.

Layout (``docs/session-format.md``): group attrs ``status`` ("none" or "snapshot"), and with a
snapshot ``format`` (``lsi-rig/calibration/v1``), ``sha256``, ``rig_name``, ``created_utc``,
``source``; a text dataset ``content_yaml`` and one dataset per array under ``arrays/``.
Files written before this layout hold a free-form mapping instead (no ``format`` attribute);
they read as a snapshot of that mapping with ``source="legacy mapping"``.
"""

from __future__ import annotations

import json
from typing import Any

import h5py
import numpy as np

from lsi_rig.core.calibration import CalibrationSnapshot
from lsi_rig.core.errors import SessionError
from lsi_rig.storage import layout as L
from lsi_rig.storage.values import check_name, read_mapping, read_text, write_text

FORMAT = "lsi-rig/calibration/v1"


def check_snapshot(snapshot: CalibrationSnapshot) -> None:
    """Refuse a snapshot that cannot be stored faithfully (before any file exists)."""
    if not isinstance(snapshot, CalibrationSnapshot):
        raise SessionError(
            f"session metadata calibration: expected a CalibrationSnapshot, got "
            f"{type(snapshot).__name__}; build one with CalibrationSnapshot.create(...)"
        )
    for name, array in snapshot.arrays.items():
        check_name(name, "calibration arrays")
        if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
            raise SessionError(
                f"session metadata calibration array {name!r}: must be a numeric numpy array"
            )
    if snapshot.content_sha256() != snapshot.sha256:
        raise SessionError(
            "session metadata calibration: its sha256 does not match its content; build it "
            "with CalibrationSnapshot.create(...)"
        )


def write_calibration(f: h5py.File, snapshot: CalibrationSnapshot | None) -> None:
    g = f.create_group(L.CALIBRATION)
    if snapshot is None:
        g.attrs["status"] = "none"
        return
    g.attrs.update(
        {
            "status": "snapshot",
            "format": FORMAT,
            "sha256": snapshot.sha256,
            "rig_name": snapshot.rig_name,
            "created_utc": snapshot.created_utc,
            "source": snapshot.source,
        }
    )
    write_text(g, "content_yaml", snapshot.content_yaml)
    arrays = g.create_group("arrays")
    for name, array in snapshot.arrays.items():
        arrays.create_dataset(name, data=array)


def _attr(g: h5py.Group, name: str) -> str:
    value = g.attrs.get(name, "")
    return value.decode() if isinstance(value, bytes) else str(value)


def read_calibration(f: h5py.File, rig_name: str) -> CalibrationSnapshot | None:
    """The stored snapshot (None for "none"); raises KeyError/ValueError/OSError on damage."""
    g = f[L.CALIBRATION]
    if not isinstance(g, h5py.Group):
        raise ValueError("/calibration is not a group")
    status = _attr(g, "status")
    if status == "none":
        return None
    if status != "snapshot":
        raise ValueError(f"/calibration status {status!r}")
    if _attr(g, "format") != FORMAT:  # legacy: a free-form mapping of values
        values: dict[str, Any] = read_mapping(g)
        arrays = {k: v for k, v in values.items() if isinstance(v, np.ndarray)}
        rest = {k: v for k, v in values.items() if k not in arrays}
        return CalibrationSnapshot.create(
            rig_name=rig_name,
            content_yaml=json.dumps(rest, sort_keys=True),
            arrays=arrays,
            source="legacy mapping",
            created_utc="",
        )
    arrays_group = g["arrays"]
    arrays = {name: arrays_group[name][()] for name in arrays_group}
    return CalibrationSnapshot(
        rig_name=_attr(g, "rig_name"),
        created_utc=_attr(g, "created_utc"),
        sha256=_attr(g, "sha256"),
        content_yaml=read_text(g["content_yaml"]),
        arrays=arrays,
        source=_attr(g, "source"),
    )

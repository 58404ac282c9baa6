"""Turning records (or bulk arrays) into validated, contiguous per-dataset row blocks.

Every record dataset is written from one block ``[m, *row_shape]`` of exactly the stored dtype,
so the HDF5 write is a plain copy. Shape errors name the field and the expected width, which
comes from the session's pattern sequence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from lsi_rig.core.errors import SessionError
from lsi_rig.core.records import MeasurementRecord
from lsi_rig.storage import layout as L
from lsi_rig.storage.metadata import RecordShape

TABLE_FIELDS = L.RECORD_DTYPE.names or ()
ARRAY_FIELDS = (*L.VECTOR_DATASETS, L.TRACE, L.CALIBRATED)
ALL_FIELDS = frozenset((*TABLE_FIELDS, *ARRAY_FIELDS, *L.DERIVED_VECTORS))
_NO_CALIBRATION = (
    "the session stores a calibration, so every record needs calibrated_v "
    "(the vector through that calibration, [n] float32)"
)


def _table_row(r: MeasurementRecord) -> tuple[Any, ...]:
    """A record's per-record scalars in ``RECORD_DTYPE`` field order."""
    return (
        r.scene_index,
        r.repeat_index,
        r.t_start_ns,
        r.t_end_ns,
        r.exposure_us,
        r.period_us,
        r.gain_db,
        r.range_v,
        r.n_averaged,
        int(r.flags),
    )


class ColumnBuilder:
    """Validates per-record data against the session's shapes and packs it into row blocks."""

    def __init__(self, shape: RecordShape, n_scenes: int, exposure_us: float, period_us: float):
        self.shape = shape
        self.n_scenes = n_scenes
        self.defaults: dict[str, Any] = {
            "scene_index": -1,
            "repeat_index": 0,
            "t_start_ns": 0,
            "t_end_ns": 0,
            "exposure_us": exposure_us,
            "period_us": period_us,
            "gain_db": np.nan,
            "range_v": np.nan,
            "n_averaged": 1,
            "flags": 0,
        }

    def _row_shape(self, name: str) -> tuple[int, ...]:
        if name == L.TRACE:
            assert self.shape.trace_shape is not None
            return self.shape.trace_shape
        return (self.shape.width(name),)

    def _block(self, name: str, value: Any, m: int) -> np.ndarray:
        row_shape = self._row_shape(name)
        block = np.asarray(value, dtype=L.VECTOR_DTYPE)
        if block.shape != (m, *row_shape):
            raise SessionError(
                f"record field {name}: expected shape {(m, *row_shape)} "
                f"(from the session's pattern sequence), got {block.shape}"
            )
        return np.ascontiguousarray(block)

    def _check_scenes(self, scene_index: np.ndarray) -> None:
        bad = (scene_index < -1) | (scene_index >= self.n_scenes)
        if bad.any():
            value = int(scene_index[np.flatnonzero(bad)[0]])
            raise SessionError(
                f"record field scene_index={value}: the session has {self.n_scenes} scenes "
                "(valid: 0..n-1, or -1 for no scene); list every scene in SessionMetadata.scenes"
            )

    def from_record(self, r: MeasurementRecord) -> dict[str, np.ndarray]:
        """Row blocks ``[1, ...]`` for one record: the per-record hot path (no copies when the
        vectors already are contiguous float32)."""
        if not -1 <= r.scene_index < self.n_scenes:
            self._check_scenes(np.array([r.scene_index]))
        table = np.empty(1, dtype=L.RECORD_DTYPE)
        table[0] = _table_row(r)
        blocks: dict[str, np.ndarray] = {"table": table}
        for name in L.VECTOR_DATASETS:
            row = np.asarray(getattr(r, name), dtype=L.VECTOR_DTYPE)
            if row.shape != (self.shape.width(name),):
                raise SessionError(
                    f"record field {name}: expected {self.shape.width(name)} values "
                    f"(from the session's pattern sequence), got shape {row.shape}"
                )
            blocks[name] = np.ascontiguousarray(row).reshape(1, -1)
        for name in L.DERIVED_VECTORS:  # views of samples_v: check the width, store nothing
            width = np.shape(getattr(r, name))
            if width != (self.shape.width(name),):
                raise SessionError(
                    f"record field {name}: expected {self.shape.width(name)} values "
                    f"(from the session's pattern sequence), got shape {width}"
                )
        if self.shape.trace_shape is not None:
            trace = r.trace_v if r.trace_v is not None else np.full(self.shape.trace_shape, np.nan)
            blocks[L.TRACE] = self._block(L.TRACE, np.asarray(trace)[None], 1)
        if self.shape.calibrated:
            if r.calibrated_v is None:
                raise SessionError(f"record of scene {r.scene_index}: {_NO_CALIBRATION}")
            blocks[L.CALIBRATED] = self._block(L.CALIBRATED, np.asarray(r.calibrated_v)[None], 1)
        return blocks

    def from_records(self, records: Sequence[MeasurementRecord]) -> dict[str, np.ndarray]:
        """Row blocks for a list of records (``m >= 1``)."""
        m = len(records)
        table = np.array([_table_row(r) for r in records], dtype=L.RECORD_DTYPE)
        self._check_scenes(table["scene_index"])
        blocks: dict[str, np.ndarray] = {"table": table}
        for name in (*L.VECTOR_DATASETS, *L.DERIVED_VECTORS):
            width = self.shape.width(name)
            try:
                block = np.stack([getattr(r, name) for r in records]).astype(
                    L.VECTOR_DTYPE, copy=False
                )
            except ValueError:  # ragged: name the first bad record
                block = np.empty(0, dtype=L.VECTOR_DTYPE)
            if block.shape != (m, width):
                shapes = [np.shape(getattr(r, name)) for r in records]
                bad = next((s for s in shapes if s != (width,)), shapes[0])
                raise SessionError(
                    f"record field {name}: expected {width} values "
                    f"(from the session's pattern sequence), got shape {bad}"
                )
            if name in L.VECTOR_DATASETS:
                blocks[name] = np.ascontiguousarray(block)
        if self.shape.trace_shape is not None:
            traces = [
                np.full(self.shape.trace_shape, np.nan) if r.trace_v is None else r.trace_v
                for r in records
            ]
            blocks[L.TRACE] = self._block(L.TRACE, np.stack(traces), m)
        if self.shape.calibrated:
            missing = [i for i, r in enumerate(records) if r.calibrated_v is None]
            if missing:
                raise SessionError(f"record {missing[0]} of {m}: {_NO_CALIBRATION}")
            cal = [np.asarray(r.calibrated_v) for r in records]
            cal_shapes = {c.shape for c in cal}
            if cal_shapes != {(self.shape.n,)}:
                bad = next(s for s in cal_shapes if s != (self.shape.n,))
                raise SessionError(
                    f"record field {L.CALIBRATED}: expected {self.shape.n} values, got shape {bad}"
                )
            blocks[L.CALIBRATED] = self._block(L.CALIBRATED, np.stack(cal), m)
        return blocks

    def from_arrays(self, columns: dict[str, Any]) -> dict[str, np.ndarray]:
        """Row blocks from bulk columns; missing fields take documented defaults."""
        unknown = set(columns) - ALL_FIELDS
        if unknown:
            raise SessionError(
                f"append_arrays: unknown column(s) {sorted(unknown)}; known: {sorted(ALL_FIELDS)}"
            )
        if "raw_v" not in columns and "vector_v" not in columns:
            raise SessionError("append_arrays: give raw_v or vector_v (or both)")
        if L.TRACE in columns and self.shape.trace_shape is None:
            raise SessionError("append_arrays: trace_v given but the session has no trace_shape")
        if (L.CALIBRATED in columns) != self.shape.calibrated:
            raise SessionError(
                f"append_arrays: {_NO_CALIBRATION}"
                if self.shape.calibrated
                else "append_arrays: calibrated_v given but the session has no calibration"
            )
        cols = dict(columns)
        cols.setdefault("raw_v", cols.get("vector_v"))
        cols.setdefault("vector_v", cols["raw_v"])
        m = int(np.shape(cols["raw_v"])[0]) if np.ndim(cols["raw_v"]) == 2 else -1
        if m < 0:
            raise SessionError(
                f"append_arrays: raw_v/vector_v must be 2-D [records, {self.shape.n}], "
                f"got shape {np.shape(cols['raw_v'])}"
            )
        derived = {n: self._block(n, cols[n], m) for n in L.DERIVED_VECTORS if n in columns}
        table = np.empty(m, dtype=L.RECORD_DTYPE)
        for name in TABLE_FIELDS:
            value = np.asarray(cols.get(name, self.defaults[name]))
            if value.ndim not in (0, 1) or (value.ndim == 1 and value.shape[0] != m):
                raise SessionError(
                    f"append_arrays: column {name} must be a scalar or have {m} values, "
                    f"got shape {value.shape}"
                )
            table[name] = value
        self._check_scenes(table["scene_index"])
        blocks: dict[str, np.ndarray] = {"table": table}
        names = list(L.VECTOR_DATASETS)
        names += [L.TRACE] if self.shape.trace_shape is not None else []
        names += [L.CALIBRATED] if self.shape.calibrated else []
        for name in names:
            if name in cols:
                blocks[name] = self._block(name, cols[name], m)
            else:
                blocks[name] = np.full((m, *self._row_shape(name)), np.nan, L.VECTOR_DTYPE)
        if "samples_v" not in cols:  # imported vectors: place what was given in display order
            positions = self.shape.positions
            assert positions is not None
            for name, block in derived.items():
                blocks["samples_v"][:, positions.field(name)] = block
        return blocks

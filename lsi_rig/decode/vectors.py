"""Measurement vectors to decode, from the official ``.npz`` files or from our session files.

Each vector keeps where it came from (file, index, scene id, which stored vector, record flags)
because the decoded outputs are only useful next to the exposure series that produced them. The
official files hold one vector under the key ``array`` (1-D, length n); we also accept a stack
[B, n]. A session also says which masks were shown (:class:`SessionVectors`), so the decode
service can refuse a model trained with other masks.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lsi_rig.core.errors import SessionError
from lsi_rig.decode.units import scale_stored, world_of

if TYPE_CHECKING:
    from lsi_rig.storage import SessionReader

NPZ_KEY = "array"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class MeasurementVector:
    """One measurement vector (float32 [n]) and its provenance."""

    values: np.ndarray
    stem: str  # output file stem, unique within one decode run
    source: str  # file it came from
    index: int  # row in that file (0 for a 1-D .npz), the record index for sessions
    scene_id: str | None = None
    kind: str = "npz"  # "offset_corrected" | "calibrated" (sessions), "npz", "array"
    flags: int = 0  # the record's RecordFlags bits (sessions)


@dataclass(frozen=True)
class SessionVectors:
    """The vectors chosen from one session, with what the decoder must agree with."""

    path: Path
    vectors: list[MeasurementVector]
    n_records: int  # committed records in the file (the selection may be fewer)
    width: int  # values per vector
    kind: str
    mask_sha256: str
    mask_name: str
    complementary: bool


def session_vector_kind(reader: SessionReader) -> str:
    """Which stored vectors to decode: the calibrated ones (on the official simulation's scale)
    when the session has them, else the offset-corrected volts."""
    return "calibrated" if reader.has_calibrated else "offset_corrected"


def safe_stem(text: str) -> str:
    """File-system-safe version of a scene id or file stem."""
    return _UNSAFE.sub("_", text).strip("_") or "vector"


def read_npz_vectors(path: str | Path) -> list[MeasurementVector]:
    """Read an official-format ``.npz`` (key ``array``: [n] or [B, n]); no pickles allowed."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            if NPZ_KEY not in data.files:
                raise SessionError(
                    f"{path}: no '{NPZ_KEY}' entry (has {data.files}); official measurement "
                    f"files store the vector under '{NPZ_KEY}'"
                )
            array = np.asarray(data[NPZ_KEY])
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise SessionError(f"cannot read measurement file {path}: {exc}") from exc
    if array.ndim not in (1, 2) or array.size == 0 or not np.issubdtype(array.dtype, np.number):
        raise SessionError(
            f"{path}: '{NPZ_KEY}' has shape {array.shape} and dtype {array.dtype}; expected a "
            "numeric [n] or [B, n] array"
        )
    rows = array[None] if array.ndim == 1 else array
    stem = safe_stem(path.stem)
    return [
        MeasurementVector(
            values=np.asarray(row, dtype=np.float32),
            stem=stem if array.ndim == 1 else f"{stem}_{i:04d}",
            source=str(path),
            index=i,
        )
        for i, row in enumerate(rows)
    ]


def parse_records(text: str | None) -> slice | None:
    """``"A:B"``, ``"A:"``, ``":B"`` or ``"K"`` (0-based record indices, B exclusive) → slice."""
    if text is None or not text.strip():
        return None
    parts = text.strip().split(":")
    try:
        if len(parts) == 1:
            k = int(parts[0])
            return slice(k, k + 1 if k != -1 else None)
        if len(parts) == 2:
            a, b = (int(p) if p.strip() else None for p in parts)
            return slice(a, b)
    except ValueError:
        pass
    raise SessionError(f"--records {text!r}: give START:STOP, START:, :STOP or one index")


def read_session(path: str | Path, *, records: slice | None = None) -> SessionVectors:
    """The stored vectors of a session's records (all, or the ``records`` slice of them),
    with scene ids, flags and the mask set's content hash."""
    from lsi_rig.storage import open_session

    path = Path(path)
    with open_session(path) as reader:
        kind = session_vector_kind(reader)
        vectors = np.asarray(reader.vectors(kind=kind), dtype=np.float32)
        table = reader.records_table()
        if kind != "calibrated":  # a simulated rig knows its scale (lsi_rig.decode.units)
            vectors, units = scale_stored(
                vectors, table["gain_db"], world_of(reader.rig_config_yaml)
            )
            kind = str(units)
        scene_ids = list(reader.scene_ids())
        flags = np.asarray(table["flags"]).astype(np.int64).tolist()
        masks = reader.masks()
    n = len(scene_ids)
    if vectors.ndim != 2 or vectors.shape[0] != n or len(flags) != n:
        raise SessionError(
            f"{path}: {vectors.shape} vectors but {n} scene ids; the file is "
            "inconsistent (interrupted capture?)"
        )
    if n == 0:
        raise SessionError(f"{path} holds no committed records; nothing to decode")
    chosen = range(n)[records] if records is not None else range(n)
    if not chosen:
        raise SessionError(
            f"{path}: records {records.start}:{records.stop} select none of its {n} records"
            if records is not None
            else f"{path}: no records"
        )
    session = safe_stem(path.stem)
    items = [
        MeasurementVector(
            values=vectors[i],
            stem=f"{session}_{i:05d}_{safe_stem(scene_ids[i])}",
            source=str(path),
            index=i,
            scene_id=scene_ids[i],
            kind=kind,
            flags=int(flags[i]),
        )
        for i in chosen
    ]
    return SessionVectors(
        path=path,
        vectors=items,
        n_records=n,
        width=int(vectors.shape[1]),
        kind=kind,
        mask_sha256=masks.sha256,
        mask_name=masks.name,
        complementary=masks.complementary,
    )


def read_session_vectors(path: str | Path) -> list[MeasurementVector]:
    """Every record's vector of a session file (see :func:`read_session`)."""
    return read_session(path).vectors


def array_vectors(arrays: np.ndarray, *, source: str = "array") -> list[MeasurementVector]:
    """Vectors from an in-memory [n] or [B, n] array (notebooks, the GUI)."""
    array = np.asarray(arrays)
    if array.ndim not in (1, 2) or array.size == 0 or not np.issubdtype(array.dtype, np.number):
        raise SessionError(
            f"{source}: vectors of shape {array.shape} and dtype {array.dtype}; expected a "
            "numeric [n] or [B, n] array"
        )
    rows = array[None] if array.ndim == 1 else array
    stem = safe_stem(source)
    return [
        MeasurementVector(
            np.asarray(row, dtype=np.float32), f"{stem}_{i:04d}", source, i, kind="array"
        )
        for i, row in enumerate(rows)
    ]


def unique_stems(vectors: Iterable[MeasurementVector]) -> list[MeasurementVector]:
    """Suffix repeated stems (same file name in two folders) so no output overwrites another."""
    seen: dict[str, int] = {}
    out: list[MeasurementVector] = []
    for v in vectors:
        count = seen.get(v.stem, 0)
        seen[v.stem] = count + 1
        if count:
            v = replace(v, stem=f"{v.stem}_{count + 1}")
        out.append(v)
    return out

"""Measurement vectors to decode, from the official ``.npz`` files or from our session files.

Each vector keeps where it came from (file, index, scene id) because the decoded outputs are
only useful next to the exposure series that produced them. The official files hold one vector
under the key ``array`` (1-D, length n); we also accept a stack [B, n].
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lsi_rig.core.errors import SessionError

NPZ_KEY = "array"
SESSION_VECTOR_KIND = "offset_corrected"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class MeasurementVector:
    """One measurement vector (float32 [n]) and its provenance."""

    values: np.ndarray
    stem: str  # output file stem, unique within one decode run
    source: str  # file it came from
    index: int  # row in that file (0 for a 1-D .npz)
    scene_id: str | None = None


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


def read_session_vectors(path: str | Path) -> list[MeasurementVector]:
    """Offset-corrected vectors of every record in a session file, with their scene ids."""
    from lsi_rig.storage import open_session

    path = Path(path)
    with open_session(path) as reader:
        vectors = np.asarray(reader.vectors(kind=SESSION_VECTOR_KIND), dtype=np.float32)
        scene_ids = list(reader.scene_ids())
    if vectors.ndim != 2 or len(scene_ids) != vectors.shape[0]:
        raise SessionError(
            f"{path}: {vectors.shape} vectors but {len(scene_ids)} scene ids; the file is "
            "inconsistent (interrupted capture?)"
        )
    session = safe_stem(path.stem)
    return [
        MeasurementVector(
            values=row,
            stem=f"{session}_{i:05d}_{safe_stem(scene)}",
            source=str(path),
            index=i,
            scene_id=scene,
        )
        for i, (row, scene) in enumerate(zip(vectors, scene_ids, strict=True))
    ]


def unique_stems(vectors: Iterable[MeasurementVector]) -> list[MeasurementVector]:
    """Suffix repeated stems (same file name in two folders) so no output overwrites another."""
    seen: dict[str, int] = {}
    out: list[MeasurementVector] = []
    for v in vectors:
        count = seen.get(v.stem, 0)
        seen[v.stem] = count + 1
        if count:
            v = MeasurementVector(v.values, f"{v.stem}_{count + 1}", v.source, v.index, v.scene_id)
        out.append(v)
    return out

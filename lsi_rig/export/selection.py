"""Which records an export keeps, and under which file stem.

Flagged records (saturation, missing trigger edges, drift …) are left out unless asked for, and
listed; records with non-finite values (a partial read) are always left out. Repeats of a scene
are averaged into one vector named by the scene id — the original file stem, which the official
code matches attributes by — or kept as ``<id>_r<repeat>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lsi_rig.core.flags import RecordFlags
from lsi_rig.export.options import RepeatMode


@dataclass(frozen=True, eq=False)
class ExportItem:
    """One exported vector: ``records`` are the session rows it was made of."""

    stem: str
    scene_index: int  # -1: a record without a scene
    scene_id: str
    split: str
    records: tuple[int, ...]
    repeat: int | None  # None: the mean of ``records``
    vector: np.ndarray  # float32 [n]


@dataclass
class Selection:
    items: list[ExportItem]
    flagged: list[dict[str, Any]] = field(default_factory=list)
    non_finite: list[dict[str, Any]] = field(default_factory=list)
    scenes_without_records: list[str] = field(default_factory=list)


def _describe(i: int, table: np.ndarray, scene_ids: Sequence[str]) -> dict[str, Any]:
    s = int(table["scene_index"][i])
    return {
        "record": i,
        "scene_id": scene_ids[s] if s >= 0 else "",
        "repeat": int(table["repeat_index"][i]),
        "flags": RecordFlags(int(table["flags"][i])).names(),
    }


def select_records(
    vectors: np.ndarray,
    table: np.ndarray,
    scene_ids: Sequence[str],
    *,
    splits: Sequence[str] | None,
    default_split: str,
    include_flagged: bool = False,
    repeats: RepeatMode = RepeatMode.MEAN,
) -> Selection:
    """Items in scene order (then repeat order) from ``vectors`` [N, n] and the record table."""
    repeats = RepeatMode(repeats)
    selection = Selection(items=[])
    usable: dict[int, list[int]] = {}
    for i in range(table.shape[0]):
        if table["flags"][i] and not include_flagged:
            selection.flagged.append(_describe(i, table, scene_ids))
        elif not np.isfinite(vectors[i]).all():
            selection.non_finite.append(_describe(i, table, scene_ids))
        else:
            usable.setdefault(int(table["scene_index"][i]), []).append(i)
    seen = set(usable)
    selection.scenes_without_records = [sid for s, sid in enumerate(scene_ids) if s not in seen]

    def split_of(s: int) -> str:
        return splits[s] if splits is not None and s >= 0 else default_split

    for s in sorted(usable, key=lambda k: (k < 0, k)):
        rows = usable[s]
        if s < 0:  # records without a scene: one item each, named by the record
            for i in rows:
                stem = f"record_{i:06d}"
                item = ExportItem(stem, -1, "", default_split, (i,), None, vectors[i])
                selection.items.append(item)
            continue
        scene_id = scene_ids[s]
        if repeats is RepeatMode.MEAN:
            mean = np.asarray(np.mean(vectors[rows], axis=0, dtype=np.float64), dtype=np.float32)
            selection.items.append(
                ExportItem(scene_id, s, scene_id, split_of(s), tuple(rows), None, mean)
            )
            continue
        counts: dict[int, int] = {}
        for i in sorted(rows, key=lambda k: (int(table["repeat_index"][k]), k)):
            repeat = int(table["repeat_index"][i])
            counts[repeat] = counts.get(repeat, 0) + 1
            suffix = f"_{counts[repeat]}" if counts[repeat] > 1 else ""  # a forced re-measure
            stem = f"{scene_id}_r{repeat}{suffix}"
            selection.items.append(
                ExportItem(stem, s, scene_id, split_of(s), (i,), repeat, vectors[i].copy())
            )
    return selection

"""``export_session``: a session's vectors in a format other tools read (``docs/export.md``).

Everything is checked before anything is written (stems, images, the pairing rule), the export
is assembled in a hidden sibling folder and renamed into place at the end, so a failed export
leaves nothing behind and a finished one holds only the files of its format plus one manifest
(``lsi-rig-export.json``, in the export's root, outside the data folders).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lsi_rig import __version__
from lsi_rig.batch.ground_truth import batch_info
from lsi_rig.core.errors import SessionError
from lsi_rig.export.images import check_images
from lsi_rig.export.options import ExportFormat, ExportOptions, RepeatMode, VectorChoice
from lsi_rig.export.selection import ExportItem, Selection, select_records
from lsi_rig.export.stems import check_stems
from lsi_rig.export.values import session_values
from lsi_rig.export.writers import write_csv, write_latent_imaging, write_npz

log = logging.getLogger(__name__)

MANIFEST_NAME = "lsi-rig-export.json"
MANIFEST_FORMAT = "lsi-rig export"
MANIFEST_VERSION = 1


@dataclass(frozen=True)
class ExportResult:
    out: Path
    manifest: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


def _check_out(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise SessionError(
            f"export folder {out} exists and is not empty; choose a new folder (an export's "
            "folders must hold only its own files)"
        )
    parent = out.parent
    if not parent.is_dir():
        raise SessionError(f"export folder {out}: {parent} does not exist (create it first)")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise SessionError(f"export folder {out}: {parent} is not writable")


def export_session(session: str | Path, out: str | Path, options: ExportOptions) -> ExportResult:
    """Export ``session`` into the new folder ``out`` (see module docstring)."""
    from lsi_rig.storage import open_session

    session, out = Path(session).expanduser(), Path(out).expanduser().absolute()
    fmt = ExportFormat(options.format)
    if options.default_split not in ("train", "test"):
        raise SessionError(f"split {options.default_split!r}: use train or test")
    if options.batch_size < 1:
        raise SessionError(f"batch size {options.batch_size}: must be at least 1")
    _check_out(out)
    with open_session(session) as reader:
        values = session_values(reader, options.vectors)
        table = reader.records_table()
        scenes = reader.scenes()
        extra = reader.extra
        attrs = reader.attrs
        masks = reader.summary()["masks"]
    n = int(values.vectors.shape[1])
    info = batch_info(extra)
    selection = select_records(
        values.vectors,
        table,
        [s.scene_id for s in scenes],
        splits=info.splits if info is not None else None,
        default_split=options.default_split,
        include_flagged=options.include_flagged,
        repeats=options.repeats,
    )
    warnings: list[str] = []
    missing: list[dict[str, Any]] = []
    items = selection.items
    images = fmt is ExportFormat.LATENT_IMAGING
    if images:
        needed = sorted({i.scene_index for i in items if i.scene_index >= 0})
        problems = check_images(scenes, needed)
        missing = [
            {"scene_id": scenes[s].scene_id, "reason": reason} for s, reason in problems.items()
        ]
        missing += [{"scene_id": i.stem, "reason": "no scene"} for i in items if i.scene_index < 0]
        items = [i for i in items if i.scene_index >= 0 and i.scene_index not in problems]
        if missing:
            warnings.append(
                f"{len(missing)} scene(s) left out: their images are not readable as captured "
                f"(e.g. {missing[0]['scene_id']}: {missing[0]['reason']})"
            )
    check_stems([i.stem for i in items], images=images)
    names, labels = _attributes(info, items)
    if not items:
        raise SessionError(
            f"export of {session}: no vector to export ({len(selection.flagged)} flagged, "
            f"{len(missing)} without image, {len(selection.non_finite)} non-finite); see "
            "--include-flagged, or check that the images are still where they were captured"
        )
    warnings += _warnings(values.kind, values.note, selection, items, options, attrs, fmt)
    attribute_file = None
    if labels is not None and images:
        if (labels == 0).all(axis=1).any():
            warnings.append(
                "datasets/list_attr_celeba.txt not written: some exported scenes have no labels"
            )
        else:
            attribute_file = "datasets/list_attr_celeba.txt"
    manifest = _manifest(session, attrs, masks, n, values, options, selection, items, missing)
    manifest["attributes"] = {"names": list(names), "file": attribute_file}
    if labels is not None:
        for entry, row in zip(manifest["items"], labels, strict=True):
            entry["attributes"] = [int(v) for v in row]
    manifest["warnings"] = warnings
    _write(out, fmt, items, scenes, n, names, labels, manifest)
    for warning in warnings:
        log.info("export %s: %s", out.name, warning)
    return ExportResult(out, manifest, warnings)


def _attributes(info: Any, items: list[ExportItem]) -> tuple[tuple[str, ...], np.ndarray | None]:
    if info is None or info.attributes is None or not info.attribute_names:
        return (), None
    rows = np.zeros((len(items), len(info.attribute_names)), dtype=np.int8)
    for k, item in enumerate(items):
        if 0 <= item.scene_index < info.attributes.shape[0]:
            rows[k] = info.attributes[item.scene_index]
    return info.attribute_names, rows


def _warnings(
    kind: str,
    note: str,
    selection: Selection,
    items: list[ExportItem],
    options: ExportOptions,
    attrs: dict[str, Any],
    fmt: ExportFormat,
) -> list[str]:
    out = []
    if kind != "calibrated" and options.vectors is VectorChoice.CALIBRATED:
        out.append(f"values: {note}")
    if attrs.get("status") != "complete":
        out.append(f"the session is {attrs.get('status')}: it may lack records (resume it first)")
    if selection.flagged:
        out.append(f"{len(selection.flagged)} flagged record(s) left out (see --include-flagged)")
    if selection.non_finite:
        out.append(f"{len(selection.non_finite)} record(s) with non-finite values left out")
    if fmt is ExportFormat.LATENT_IMAGING:
        for split in ("train", "test"):
            count = sum(1 for i in items if i.split == split)
            if count < options.batch_size:
                out.append(
                    f"the {split} split holds {count} file(s), fewer than a training batch of "
                    f"{options.batch_size}: the official loader drops incomplete batches "
                    "(drop_last), so it would yield nothing from this split"
                )
    return out


def _manifest(
    session: Path,
    attrs: dict[str, Any],
    masks: dict[str, Any],
    n: int,
    values: Any,
    options: ExportOptions,
    selection: Selection,
    items: list[ExportItem],
    missing: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "format": MANIFEST_FORMAT,
        "format_version": MANIFEST_VERSION,
        "layout": ExportFormat(options.format).value,
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "software_version": __version__,
        "session": {
            "path": str(session.absolute()),
            "uuid": attrs.get("session_uuid"),
            "status": attrs.get("status"),
            "rig": attrs.get("rig_name"),
            "masks": {k: masks[k] for k in ("name", "source", "n", "sha256")},
        },
        "n": n,
        "npz_key": "array",
        "dtype": "float32",
        "values": values.kind,
        "values_note": values.note,
        "repeats": RepeatMode(options.repeats).value,
        "include_flagged": options.include_flagged,
        "batch_size_checked": options.batch_size,
        "counts": {
            "exported": len(items),
            "train": sum(1 for i in items if i.split == "train"),
            "test": sum(1 for i in items if i.split == "test"),
            "records_used": sum(len(i.records) for i in items),
        },
        "items": [
            {
                "stem": i.stem,
                "scene_id": i.scene_id,
                "split": i.split,
                "repeat": i.repeat,
                "records": list(i.records),
            }
            for i in items
        ],
        "excluded": {
            "flagged": selection.flagged,
            "non_finite": selection.non_finite,
            "missing_images": missing,
        },
        "scenes_without_records": selection.scenes_without_records,
    }


def _write(
    out: Path,
    fmt: ExportFormat,
    items: list[ExportItem],
    scenes: list[Any],
    n: int,
    names: tuple[str, ...],
    labels: np.ndarray | None,
    manifest: dict[str, Any],
) -> None:
    tmp = out.with_name(f".{out.name}.partial-{uuid.uuid4().hex[:8]}")
    tmp.mkdir()
    try:
        if fmt is ExportFormat.LATENT_IMAGING:
            write_latent_imaging(
                tmp,
                items,
                scenes,
                n,
                attribute_names=names if manifest["attributes"]["file"] else (),
                attributes=labels,
            )
        elif fmt is ExportFormat.NPZ:
            write_npz(tmp / "vectors.npz", items, n, attribute_names=names, attributes=labels)
        else:
            write_csv(tmp / "vectors.csv", items, n, attribute_names=names, attributes=labels)
        text = json.dumps(manifest, indent=1, default=str)
        (tmp / MANIFEST_NAME).write_text(text + "\n", encoding="utf-8")
        if out.exists():
            out.rmdir()  # empty (checked up front)
        os.replace(tmp, out)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise SessionError(f"export to {out}: cannot write ({exc.strerror or exc})") from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise

"""``import_measurements``: official ``datasets/real/<n>/*.npz`` folders become a session.

So the official real measurements (and our own exports) can be inspected, decoded and reported
on with the same tools as a capture. The session has no rig: ``rig_name`` is ``imported``, the
provenance (``/config/extra/provenance``) says where the files came from, record times and
device settings are unknown (0 / NaN), and the pattern timing is NaN. The masks are unknown too
unless given (``--masks``, e.g. the checkpoint the vectors were measured with): the session then
stores a placeholder mask set named ``unknown`` (n masks of 1×1 pixel, all off, metadata
``unknown = "true"``) — the one convention readers use to tell "no mask set" apart.
Ground-truth images beside the measurements (``datasets/images/<stem>.jpg``) become the scene
table; an lsi-rig export manifest beside them restores scene ids, repeats, splits and labels.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lsi_rig.batch.ground_truth import KEY_ATTR_NAMES, KEY_ATTRIBUTES, KEY_SPLIT
from lsi_rig.core.errors import SceneError, SessionError
from lsi_rig.masks.maskset import MaskSet
from lsi_rig.scenes.scene import SceneInfo

log = logging.getLogger(__name__)

UNKNOWN_MASKS_NAME = "unknown"
UNKNOWN_KEY = "unknown"
MAX_FILES = 1_000_000
MANIFEST_NAME = "lsi-rig-export.json"


def unknown_mask_set(n: int) -> MaskSet:
    """Placeholder for vectors whose masks are not known (see module docstring)."""
    return MaskSet(
        np.zeros((n, 1, 1), dtype=bool),
        UNKNOWN_MASKS_NAME,
        "imported: mask set unknown",
        metadata={UNKNOWN_KEY: "true", "note": "vectors imported without their mask set"},
    )


def is_unknown_mask_set(masks: MaskSet) -> bool:
    return masks.metadata.get(UNKNOWN_KEY) == "true"


@dataclass(frozen=True)
class ImportResult:
    path: Path
    n: int
    records: int
    scenes: int
    images: int
    source: Path


def measurement_folders(source: Path) -> dict[int, Path]:
    """``{n: folder}`` of the ``<n>/*.npz`` folders under ``source`` (an export or repository
    root, its ``datasets``, ``datasets/real``, or one ``<n>`` folder itself)."""
    for base in (source / "datasets" / "real", source / "real", source):
        if not base.is_dir():
            continue
        found = {
            int(child.name): child
            for child in base.iterdir()
            if child.is_dir() and child.name.isdigit() and any(child.glob("*.npz"))
        }
        if found:
            return found
    if source.is_dir() and any(source.glob("*.npz")):
        return {-1: source}  # a folder of measurements named otherwise: n from the files
    return {}


def _images_folder(folder: Path, source: Path) -> Path | None:
    for candidate in (
        folder.parent.parent / "images",
        source / "datasets" / "images",
        source / "images",
    ):
        if candidate.is_dir():
            return candidate
    return None


def _export_manifest(folder: Path, source: Path) -> dict[str, Any] | None:
    for candidate in (folder.parents[2] if len(folder.parents) > 2 else source, source):
        path = candidate / MANIFEST_NAME
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                log.warning("ignoring %s: %s", path, exc)
                return None
            return data if isinstance(data, dict) and data.get("items") else None
    return None


def _read_vectors(files: list[Path], n: int) -> np.ndarray:
    from lsi_rig.decode.vectors import read_npz_vectors

    rows = []
    for path in files:
        vectors = read_npz_vectors(path)
        if len(vectors) != 1:
            raise SessionError(
                f"{path}: holds {len(vectors)} vectors; official measurement files hold one "
                "1-D array under 'array'"
            )
        values = vectors[0].values
        if values.shape != (n,):
            raise SessionError(
                f"{path}: vector of length {values.shape[0]}, expected {n} like the others "
                "(one folder per measurement count)"
            )
        if not np.isfinite(values).all():
            raise SessionError(f"{path}: holds non-finite values (NaN or inf)")
        rows.append(values)
    return np.stack(rows).astype(np.float32)


def _scene(stem: str, images: Path | None) -> SceneInfo:
    from lsi_rig.scenes.loading import load_scene_file

    if images is not None:
        path = images / f"{stem}.jpg"
        if path.is_file():
            try:
                scene = load_scene_file(path, size=None)
            except SceneError as exc:
                log.warning("ground truth %s unreadable, imported without it: %s", path, exc)
            else:
                return SceneInfo(stem, str(path.resolve()), scene.sha256, *scene.image.shape[:2])
    return SceneInfo(stem, "", "", 0, 0)


def import_measurements(
    source: str | Path,
    out: str | Path,
    *,
    n: int | None = None,
    masks: MaskSet | None = None,
    overwrite: bool = False,
    command: str = "",
) -> ImportResult:
    """Create the session ``out`` from the measurement files under ``source``."""
    from lsi_rig.core.paths import check_output_path
    from lsi_rig.dmd.sequence import PatternSequence
    from lsi_rig.storage import RunStatus, SessionMetadata, SessionWriter

    source, out = Path(source).expanduser(), Path(out).expanduser()
    if not source.is_dir():
        raise SessionError(f"import {source}: not a folder; give the folder holding datasets/real")
    check_output_path(out, overwrite=overwrite)
    folders = measurement_folders(source)
    if not folders:
        raise SessionError(
            f"import {source}: no measurement files found (expected datasets/real/<n>/*.npz, "
            "real/<n>/*.npz or <n>/*.npz)"
        )
    if -1 in folders:  # one folder of measurements, not named by its n
        folder = folders[-1]
    elif n is None and len(folders) > 1:
        raise SessionError(
            f"import {source}: measurements for n = {', '.join(map(str, sorted(folders)))}; "
            "one session holds one vector length: choose one with --n"
        )
    elif n is not None and n not in folders:
        raise SessionError(
            f"import {source}: no {n}/ folder (found n = {', '.join(map(str, sorted(folders)))})"
        )
    else:
        folder = folders[n] if n is not None else next(iter(folders.values()))
    files = sorted(folder.glob("*.npz"))  # as the official notebook lists them (no hidden files)
    if len(files) > MAX_FILES:
        raise SessionError(f"import {folder}: more than {MAX_FILES} files; split the import")
    length = n if n is not None else _length_of(files[0])
    vectors = _read_vectors(files, length)
    if masks is not None and masks.n != length:
        raise SessionError(
            f"--masks {masks.name}: {masks.n} masks, but the vectors hold {length} values"
        )
    mask_set = masks if masks is not None else unknown_mask_set(length)
    stems = [f.stem for f in files]
    exported = _export_manifest(folder, source)
    keys = _keys(stems, exported)
    scene_ids = list(dict.fromkeys(scene_id for scene_id, _ in keys))
    images = _images_folder(folder, source)
    image_stem: dict[str, str] = {}
    for stem, (scene_id, _) in zip(stems, keys, strict=True):
        image_stem.setdefault(scene_id, stem)
    scenes = []
    for scene_id in scene_ids:
        found = _scene(image_stem[scene_id], images)
        scenes.append(SceneInfo(scene_id, found.path, found.sha256, found.height, found.width))
    sequence = PatternSequence.build(mask_set, exposure_us=float("nan"), reference_every=None)
    metadata = SessionMetadata(
        rig_name="imported",
        rig_config_yaml=f"# imported by lsi-rig import from {source.absolute()}: no rig\n",
        devices={},
        masks=mask_set,
        sequence=sequence,
        scenes=scenes,
        command=command,
        extra=_extra(source, folder, files, exported, scene_ids, keys),
    )
    index = {sid: i for i, sid in enumerate(scene_ids)}
    with SessionWriter(out, metadata, overwrite=overwrite) as writer:
        writer.append_arrays(
            raw_v=vectors,
            vector_v=vectors,
            scene_index=np.array([index[s] for s, _ in keys], dtype=np.int32),
            repeat_index=np.array([r for _, r in keys], dtype=np.int32),
        )
        writer.log("INFO", f"imported {len(files)} measurement file(s) from {folder}")
        writer.close(RunStatus.COMPLETE)
    return ImportResult(
        out.absolute(), length, len(files), len(scenes), sum(1 for s in scenes if s.path), source
    )


def _length_of(path: Path) -> int:
    from lsi_rig.decode.vectors import read_npz_vectors

    return int(read_npz_vectors(path)[0].values.shape[0])


def _keys(stems: list[str], exported: dict[str, Any] | None) -> list[tuple[str, int]]:
    """(scene id, repeat) of each file: from an lsi-rig export manifest when one names the
    stem, else the stem itself, repeat 0."""
    by_stem = {}
    if exported:
        for item in exported.get("items", []):
            if isinstance(item, dict) and "stem" in item:
                by_stem[str(item["stem"])] = item
    out = []
    for stem in stems:
        item = by_stem.get(stem)
        if item is None or not item.get("scene_id"):
            out.append((stem, 0))
        else:
            repeat = item.get("repeat")
            out.append((str(item["scene_id"]), int(repeat) if repeat is not None else 0))
    return out


def _extra(
    source: Path,
    folder: Path,
    files: list[Path],
    exported: dict[str, Any] | None,
    scene_ids: list[str],
    keys: list[tuple[str, int]],
) -> dict[str, Any]:
    provenance: dict[str, Any] = {
        "kind": "imported",
        "source": str(source.absolute()),
        "folder": str(folder.absolute()),
        "files": len(files),
        "layout": "latent-imaging datasets/real/<n>/<stem>.npz (key 'array')",
        "values": "as stored in the files; lsi-rig applied no offset correction or calibration",
    }
    extra: dict[str, Any] = {
        "provenance": provenance,
        "imported_files": [f.name for f in files],
    }
    if exported:
        provenance["export_manifest"] = {
            k: exported.get(k) for k in ("values", "values_note", "repeats", "session")
        }
        items = {str(i.get("stem")): i for i in exported.get("items", []) if isinstance(i, dict)}
        by_scene: dict[str, dict[str, Any]] = {}
        for file, (scene_id, _) in zip(files, keys, strict=True):
            by_scene.setdefault(scene_id, items.get(file.stem, {}))
        splits = [str(by_scene[s].get("split", "test")) for s in scene_ids]
        extra[KEY_SPLIT] = splits
        names = (exported.get("attributes") or {}).get("names") or []
        if names and all("attributes" in by_scene[s] for s in scene_ids):
            extra[KEY_ATTR_NAMES] = list(names)
            extra[KEY_ATTRIBUTES] = np.array(
                [by_scene[s]["attributes"] for s in scene_ids], dtype=np.int8
            )
    return extra

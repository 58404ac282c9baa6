"""The batch manifest: which images to show, under which scene id, in which split.

A manifest is a CSV with the columns ``id,path,split`` (any order, any case) plus optional label
columns; ``path`` is relative to the CSV's folder. ``--images DIR`` builds the same thing from a
folder (id = file stem). A list file then picks a subset — the 2,000 CelebA-HQ test images out
of 30,000 — by id or file name. Ids become file stems of exported measurements, and the official
LSI code matches CelebA attributes by stem, so ids are kept exactly and must be usable as file
names.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsi_rig.core.errors import SceneError

REQUIRED_COLUMNS = ("id", "path", "split")
SPLITS = ("train", "test")
MAX_ENTRIES = 2_000_000  # CelebA has 202,599 images; anything far beyond is a wrong file
MAX_ID_CHARS = 200


@dataclass(frozen=True)
class ManifestEntry:
    """One scene of a batch. ``row`` is its 0-based data row in the manifest it came from."""

    scene_id: str
    path: Path
    split: str
    row: int
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Manifest:
    """Scenes in manifest order; ``source`` names the CSV or folder they came from."""

    entries: tuple[ManifestEntry, ...]
    label_names: tuple[str, ...]
    source: str

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def ids(self) -> list[str]:
        return [e.scene_id for e in self.entries]

    def split_counts(self) -> dict[str, int]:
        counts = {s: 0 for s in SPLITS}
        for entry in self.entries:
            counts[entry.split] += 1
        return counts


def id_problem(scene_id: str) -> str | None:
    """Why ``scene_id`` cannot be a file stem (None when it can)."""
    if not scene_id:
        return "is empty"
    if scene_id != scene_id.strip():
        return "starts or ends with white space"
    if scene_id.startswith("."):
        return "starts with '.' (hidden files break the official loaders' sorted pairing)"
    if any(c in scene_id for c in "/\\\0") or any(ord(c) < 32 for c in scene_id):
        return "contains a path separator or a control character"
    if len(scene_id) > MAX_ID_CHARS:
        return f"is longer than {MAX_ID_CHARS} characters"
    return None


def _check_unique(entries: Sequence[ManifestEntry], where: str) -> None:
    seen: dict[str, int] = {}
    for entry in entries:
        key = entry.scene_id.casefold()  # case-insensitive file systems would merge them
        if key in seen:
            raise SceneError(
                f"{where}: id {entry.scene_id!r} (row {entry.row + 1}) repeats row "
                f"{seen[key] + 1} (ids must be unique, also ignoring case: they become file names)"
            )
        seen[key] = entry.row


def read_manifest_csv(path: str | Path) -> Manifest:
    """Read and check a manifest CSV (one clear error naming the file, line and column)."""
    path = Path(path).expanduser()
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(_rows(csv.reader(handle, strict=True), path))
    except FileNotFoundError:
        raise SceneError(f"manifest {path}: not found; check the path") from None
    except IsADirectoryError:
        raise SceneError(f"manifest {path}: is a folder; give the CSV file (or --images)") from None
    except UnicodeDecodeError as exc:
        raise SceneError(
            f"manifest {path}: not UTF-8 text ({exc.reason}); save it as UTF-8 CSV"
        ) from None
    except csv.Error as exc:
        raise SceneError(f"manifest {path}: malformed CSV ({exc})") from None
    except OSError as exc:
        raise SceneError(f"manifest {path}: cannot read ({exc.strerror or exc})") from None
    if not rows:
        raise SceneError(f"manifest {path}: empty; expected a header line id,path,split")
    (_, header), body = rows[0], rows[1:]
    names = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise SceneError(
            f"manifest {path}: missing column {missing[0]!r} (header: {','.join(header)}); "
            "the first line must name the columns id,path,split (plus optional labels)"
        )
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate is not None:
        raise SceneError(f"manifest {path}: column {duplicate!r} appears twice in the header")
    where = {c: names.index(c) for c in REQUIRED_COLUMNS}
    label_names = tuple(header[i].strip() for i, n in enumerate(names) if n not in where)
    label_index = [i for i, n in enumerate(names) if n not in where]
    entries: list[ManifestEntry] = []
    for line, values in body:
        if len(values) != len(names):
            raise SceneError(
                f"manifest {path} line {line}: {len(values)} fields, the header has {len(names)}"
            )
        scene_id = values[where["id"]]
        problem = id_problem(scene_id)
        if problem:
            raise SceneError(f"manifest {path} line {line}: id {scene_id!r} {problem}")
        split = values[where["split"]].strip().lower()
        if split not in SPLITS:
            raise SceneError(
                f"manifest {path} line {line}: split {values[where['split']]!r}; "
                f"use one of {', '.join(SPLITS)}"
            )
        raw_path = values[where["path"]].strip()
        if not raw_path:
            raise SceneError(f"manifest {path} line {line}: empty path for id {scene_id!r}")
        image = Path(raw_path).expanduser()
        image = image if image.is_absolute() else path.parent / image
        labels = {label_names[k]: values[i].strip() for k, i in enumerate(label_index)}
        entries.append(ManifestEntry(scene_id, image, split, len(entries), labels))
    if not entries:
        raise SceneError(f"manifest {path}: no scenes (only a header line)")
    _check_unique(entries, f"manifest {path}")
    return Manifest(tuple(entries), label_names, str(path))


def _rows(reader: Any, path: Path) -> list[tuple[int, list[str]]]:
    out: list[tuple[int, list[str]]] = []
    for values in reader:
        if not values or all(not v.strip() for v in values):
            continue  # blank line
        if len(out) > MAX_ENTRIES:
            raise SceneError(
                f"manifest {path}: more than {MAX_ENTRIES} rows; split the batch into several"
            )
        out.append((reader.line_num, values))
    return out


def manifest_from_images(inputs: Sequence[str | Path], *, split: str = "test") -> Manifest:
    """A manifest of image files and folders (natural name order; id = file stem)."""
    from lsi_rig.scenes.loading import iter_scene_paths

    if split not in SPLITS:
        raise SceneError(f"split {split!r}: use one of {', '.join(SPLITS)}")
    entries = []
    for row, path in enumerate(iter_scene_paths(list(inputs))):
        problem = id_problem(path.stem)
        if problem:
            raise SceneError(f"{path}: its stem {path.stem!r} {problem}; rename the file")
        entries.append(ManifestEntry(path.stem, path, split, row))
    _check_unique(entries, "images")
    return Manifest(tuple(entries), (), ", ".join(str(p) for p in inputs))


def read_list_file(path: str | Path) -> list[str]:
    """Entries of a list file: one id or file name per line; blank lines and ``#`` comments
    are ignored."""
    path = Path(path).expanduser()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SceneError(f"split list {path}: not found; check the path") from None
    except UnicodeDecodeError as exc:
        raise SceneError(f"split list {path}: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise SceneError(f"split list {path}: cannot read ({exc.strerror or exc})") from None
    items = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    items = [item for item in items if item]
    if not items:
        raise SceneError(f"split list {path}: no entries; give one id or file name per line")
    return items


def select(manifest: Manifest, items: Sequence[str], *, where: str) -> Manifest:
    """The entries named by ``items`` (ids, file names or paths, matched by id first, then by
    file stem), in manifest order. Every item must match: a list that names images the
    manifest lacks is the wrong list."""
    by_id = {e.scene_id: e for e in manifest.entries}
    picked: set[str] = set()
    unknown: list[str] = []
    for item in items:
        if item in by_id:
            picked.add(item)
            continue
        stem = Path(item.replace("\\", "/")).stem
        if stem in by_id:
            picked.add(stem)
        else:
            unknown.append(item)
    if unknown:
        more = f" and {len(unknown) - 1} more" if len(unknown) > 1 else ""
        raise SceneError(
            f"{where}: {unknown[0]!r}{more} not in {manifest.source} "
            f"({len(manifest)} scenes); use the list that belongs to this manifest"
        )
    entries = tuple(e for e in manifest.entries if e.scene_id in picked)
    return Manifest(entries, manifest.label_names, manifest.source)


def batch_scenes(
    *,
    manifest: str | Path | None = None,
    images: Sequence[str | Path] | None = None,
    split_list: str | Path | None = None,
    split: str = "test",
) -> Manifest:
    """The scenes of a batch as the operator names them — a manifest CSV or image files and
    folders, optionally narrowed by a list file — the same way for ``lsi-rig batch`` and the
    app's batch page."""
    if (manifest is None) == (not images):
        raise SceneError("give either a manifest (FILE.csv) or image files and folders")
    scenes = (
        read_manifest_csv(manifest)
        if manifest is not None
        else manifest_from_images(list(images or []), split=split)
    )
    if split_list is not None:
        scenes = select(scenes, read_list_file(split_list), where=f"split list {split_list}")
    return scenes

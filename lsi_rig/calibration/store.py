"""Calibration folders on disk: ``<root>/<rig name>/<UTC time>/`` and the ``current`` pointer.

A folder holds ``calibration.yaml`` (:class:`~lsi_rig.calibration.model.CalibrationContent`),
``arrays.npz`` and one PNG figure per step. It is written under a hidden ``.partial`` name and
renamed when complete, so a crash never leaves a half calibration that looks whole; ``current``
is a one-line text file naming the folder in force (portable: no symlinks), replaced atomically.
The content hash covers the YAML (without the hash itself) and every array's name, dtype, shape
and bytes, so an edited or truncated calibration is refused when loaded.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import yaml
from pydantic import ValidationError

from lsi_rig.calibration.errors import CalibrationError
from lsi_rig.calibration.model import ArrayInfo, CalibrationContent
from lsi_rig.config.load import format_validation_error
from lsi_rig.config.schema import RigConfig

CONTENT_FILE = "calibration.yaml"
ARRAYS_FILE = "arrays.npz"
CURRENT_FILE = "current"
_FOLDER_RE = re.compile(r"^\d{8}T\d{6}(\.\d{6})?Z(-\d+)?$")


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def folder_name(created_utc: str) -> str:
    """``2026-12-01T11:37:45.123456Z`` → ``20261201T113745Z`` (sortable, portable)."""
    stamp = datetime.fromisoformat(created_utc.replace("Z", "+00:00"))
    return stamp.strftime("%Y%m%dT%H%M%SZ")


def rig_folder(rig_config: RigConfig, root: Path | None = None) -> Path:
    """``<root>/<rig name>``; root defaults to the rig's ``paths.calibration_dir``."""
    base = Path(root) if root is not None else Path(rig_config.paths.calibration_dir)
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", rig_config.name) or "rig"
    return base.expanduser() / safe


def content_hash(content: CalibrationContent, arrays: dict[str, np.ndarray]) -> str:
    data = content.model_copy(update={"content_sha256": ""}).model_dump(mode="json")
    digest = hashlib.sha256(b"lsi-rig/calibration/v1\0")
    digest.update(yaml.safe_dump(data, sort_keys=True).encode("utf-8"))
    for name in sorted(arrays):
        arr = np.ascontiguousarray(arrays[name])
        digest.update(f"\0{name}\0{arr.dtype.str}\0{arr.shape}\0".encode())
        digest.update(arr.tobytes())
    return digest.hexdigest()


def seal(content: CalibrationContent, arrays: dict[str, np.ndarray]) -> CalibrationContent:
    """The content with its array index and content hash filled in."""
    index = {k: ArrayInfo(dtype=v.dtype.str, shape=tuple(v.shape)) for k, v in arrays.items()}
    indexed = content.model_copy(update={"arrays": index, "content_sha256": ""})
    return indexed.model_copy(update={"content_sha256": content_hash(indexed, arrays)})


def dump_content(content: CalibrationContent) -> str:
    return yaml.safe_dump(content.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


@dataclass(frozen=True, eq=False)
class StoredCalibration:
    folder: Path
    content: CalibrationContent
    arrays: dict[str, np.ndarray]
    yaml_text: str


def write_calibration(
    rig_dir: Path,
    content: CalibrationContent,
    arrays: dict[str, np.ndarray],
    figures: dict[str, bytes],
    *,
    make_current: bool,
) -> StoredCalibration:
    """Write a new calibration folder (atomically) and, if asked, make it current."""
    sealed = seal(content, arrays)
    rig_dir.mkdir(parents=True, exist_ok=True)
    name = folder_name(sealed.created_utc)
    final = rig_dir / name
    k = 1
    while final.exists():
        k += 1
        final = rig_dir / f"{name}-{k}"
    partial = rig_dir / f".{final.name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        text = dump_content(sealed)
        (partial / CONTENT_FILE).write_text(text, encoding="utf-8")
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)  # type: ignore[arg-type]
        (partial / ARRAYS_FILE).write_bytes(buffer.getvalue())
        for file_name, png in figures.items():
            (partial / file_name).write_bytes(png)
        os.replace(partial, final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if make_current:
        set_current(rig_dir, final)
    return StoredCalibration(final, sealed, dict(arrays), text)


def set_current(rig_dir: Path, folder: Path) -> None:
    tmp = rig_dir / f".{CURRENT_FILE}.tmp"
    tmp.write_text(folder.name + "\n", encoding="utf-8")
    os.replace(tmp, rig_dir / CURRENT_FILE)


def current_folder(rig_dir: Path) -> Path | None:
    """The folder ``current`` names (None: no calibration in force)."""
    pointer = rig_dir / CURRENT_FILE
    if not pointer.is_file():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    folder = rig_dir / name
    if not _FOLDER_RE.match(name) or not folder.is_dir():
        raise CalibrationError(
            f"{pointer}: names {name!r}, which is not a calibration folder there "
            "(run lsi-rig calibrate all, or pass --calibration none)"
        )
    return folder


def list_calibrations(rig_dir: Path) -> list[Path]:
    """Calibration folders of a rig, oldest first."""
    if not rig_dir.is_dir():
        return []
    return sorted(p for p in rig_dir.iterdir() if p.is_dir() and _FOLDER_RE.match(p.name))


def read_calibration(path: Path) -> StoredCalibration:
    """Load and verify a calibration folder (or its calibration.yaml)."""
    folder = Path(path).expanduser()
    if folder.name == CONTENT_FILE:
        folder = folder.parent
    content_path = folder / CONTENT_FILE
    if not content_path.is_file():
        raise CalibrationError(
            f"calibration {folder}: no {CONTENT_FILE} there (not a calibration folder)"
        )
    try:
        text = content_path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CalibrationError(f"calibration {content_path}: unreadable ({exc})") from None
    if not isinstance(data, dict):
        raise CalibrationError(f"calibration {content_path}: not a calibration file")
    try:
        content = CalibrationContent.model_validate(data)
    except ValidationError as exc:
        first = format_validation_error(str(content_path), exc).splitlines()[0]
        raise CalibrationError(first) from None
    arrays: dict[str, np.ndarray] = {}
    arrays_path = folder / ARRAYS_FILE
    try:
        with np.load(arrays_path, allow_pickle=False) as npz:
            arrays = {k: np.asarray(npz[k]) for k in npz.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
        raise CalibrationError(f"calibration {arrays_path}: unreadable ({exc})") from None
    if content_hash(content, arrays) != content.content_sha256:
        raise CalibrationError(
            f"calibration {folder}: content hash does not match (edited or damaged files); "
            "re-run lsi-rig calibrate"
        )
    return StoredCalibration(folder, content, arrays, text)

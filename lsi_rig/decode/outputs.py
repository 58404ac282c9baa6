"""The files of a decode run: per-vector PNGs and JSON, one attributes CSV, nothing partial.

Names follow the official notebooks (``<stem>_rec.png``, ``_seg.png``, ``_land.png``) so results
can be compared side by side with the paper's; pixels come from ``lsi_rig.models.outputs``.
:class:`OutputFolder` creates the folder only when the first file is written (after every check
passed), writes each file under a temporary name and renames it into place, and on
:meth:`~OutputFolder.abort` removes every file and folder this run created, never one that was
there before.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from PIL import Image

from lsi_rig.core.errors import SessionError
from lsi_rig.core.labels import ATTRIBUTE_NAMES
from lsi_rig.decode.service import DecodedVector
from lsi_rig.models.outputs import landmark_overlay, segmentation_image, segmentation_overlay

CSV_NAME = "attributes.csv"


def check_output_dir(path: Path) -> None:
    """Refuse an ``--out`` that is a file or sits under an unwritable folder, creating nothing."""
    if path.exists() and not path.is_dir():
        raise SessionError(f"--out {path} is a file, not a folder; give a folder for the outputs")
    probe = path
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and (not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK)):
        raise SessionError(f"cannot create outputs in {path}: {probe} is not a writable folder")


class OutputFolder:
    """Where one decode run writes; see the module docstring for what is left on failure."""

    def __init__(self, path: Path, *, run_info: dict[str, Any] | None = None) -> None:
        self.path = Path(path)
        self.run_info = dict(run_info or {})
        self.created: list[Path] = []  # files this run created, in order
        self._created_dirs: list[Path] = []  # outermost first
        self.rows: list[dict[str, Any]] = []
        self.n_vectors = 0

    def _ensure_dir(self) -> None:
        if self.path.is_dir():
            return
        missing = []
        probe = self.path
        while not probe.exists():
            missing.append(probe)
            probe = probe.parent
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SessionError(f"cannot create output folder {self.path}: {exc}") from exc
        self._created_dirs = list(reversed(missing))

    def _write(self, name: str, produce: Callable[[BinaryIO], object]) -> Path:
        """Write ``name`` atomically (temporary file, then rename); records it if new."""
        self._ensure_dir()
        target = self.path / name
        existed = target.exists()
        temp = self.path / f".{name}.partial-{os.getpid()}"
        try:
            with temp.open("wb") as fh:
                produce(fh)
            os.replace(temp, target)
        except BaseException as exc:  # Ctrl-C too: never leave a temporary file behind
            temp.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise SessionError(f"cannot write {target}: {exc}") from exc
            raise
        if not existed:
            self.created.append(target)
        return target

    def _png(self, name: str, image: Image.Image) -> Path:
        return self._write(name, lambda fh: image.save(fh, format="PNG"))

    def write(self, decoded: DecodedVector) -> list[Path]:
        """Every file available for one decoded vector; returns the paths written.

        All or nothing: if writing fails (or is interrupted) part way, the files this call
        created are removed again, so a vector is either complete or absent.
        """
        start = len(self.created)
        try:
            return self._write_vector(decoded)
        except BaseException:
            for path in self.created[start:]:
                path.unlink(missing_ok=True)
            del self.created[start:]
            raise

    def _write_vector(self, decoded: DecodedVector) -> list[Path]:
        item, result, prov = decoded.vector, decoded.result, decoded.provenance
        stem = item.stem
        image = None if result.image is None or "image" not in prov.tasks else result.image[0]
        seg = None if result.segmentation is None else result.segmentation[0]
        land = None if result.landmarks_px is None else result.landmarks_px[0]
        probs = (
            None if result.attribute_probabilities is None else result.attribute_probabilities[0]
        )
        written: list[Path] = []
        if image is not None:
            written.append(self._png(f"{stem}_rec.png", Image.fromarray(image)))
        if seg is not None:
            written.append(self._png(f"{stem}_seg.png", segmentation_image(seg)))
            if image is not None:
                written.append(
                    self._png(f"{stem}_seg_overlay.png", segmentation_overlay(image, seg))
                )
        if land is not None and image is not None:
            written.append(self._png(f"{stem}_land.png", landmark_overlay(image, land)))
        record: dict[str, Any] = {
            "stem": stem,
            "source": item.source,
            "vector_index": item.index,
            "scene_id": item.scene_id,
            "vector_kind": prov.vector_kind,
            "record_flags": list(prov.record_flags),
            "model": prov.model,
            "model_mask_sha256": prov.model_mask_sha256,
            "n_measurements": prov.n_measurements,
            **self.run_info,
            "tasks": list(prov.tasks),
            "forced": prov.forced,
            "timings_s": result.timings_s,
        }
        if probs is not None:
            record["attributes"] = {
                name: float(p) for name, p in zip(ATTRIBUTE_NAMES, probs, strict=True)
            }
        if land is not None:
            record["landmarks_px"] = [[float(x), float(y)] for x, y in land]
        text = json.dumps(record, indent=2) + "\n"
        written.append(self._write(f"{stem}.json", lambda fh: fh.write(text.encode())))
        if probs is not None:
            row = {"stem": stem, "source": item.source, "vector_index": item.index}
            self.rows.append({**row, **record["attributes"]})
        self.n_vectors += 1
        return written

    def finish(self) -> Path | None:
        """Write ``attributes.csv`` (one row per vector with attributes); returns its path."""
        if not self.rows:
            return None
        fields = ["stem", "source", "vector_index", *ATTRIBUTE_NAMES]

        def produce(fh: BinaryIO) -> None:
            text = io.StringIO(newline="")
            writer = csv.DictWriter(text, fieldnames=fields, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(self.rows)
            fh.write(text.getvalue().encode("utf-8"))

        return self._write(CSV_NAME, produce)

    def abort(self) -> None:
        """Remove what this run created (files, then folders it made if left empty)."""
        for path in reversed(self.created):
            path.unlink(missing_ok=True)
        self.created.clear()
        for folder in reversed(self._created_dirs):
            try:
                folder.rmdir()
            except OSError:  # not empty (someone else wrote there) or already gone: keep it
                break
        self._created_dirs.clear()

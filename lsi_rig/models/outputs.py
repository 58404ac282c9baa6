"""Files written for each decoded vector: PNGs, a JSON record, and one CSV across vectors.

Names follow the official notebooks (``<stem>_rec.png``, ``_seg.png``, ``_land.png``) so results
can be compared side by side with the paper's. The parsing map is an indexed PNG (mode 'P',
pixel value = class index 0..18) so the exact class map survives and any viewer shows colours.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from lsi_rig.core.errors import SessionError
from lsi_rig.models.labels import ATTRIBUTE_NAMES, SEGMENTATION_PALETTE

OVERLAY_ALPHA = 0.5
LANDMARK_RADIUS_PX = 2
LANDMARK_COLOUR = (0, 255, 0)


def _palette_bytes() -> list[int]:
    flat = [v for rgb in SEGMENTATION_PALETTE for v in rgb]
    return flat + [0] * (768 - len(flat))


def segmentation_image(class_map: np.ndarray) -> Image.Image:
    """[H, W] uint8 class indices -> palette image whose pixel values are the indices."""
    image = Image.fromarray(np.ascontiguousarray(class_map, dtype=np.uint8))  # mode "L"
    image.putpalette(_palette_bytes())  # turns "L" into "P" keeping the pixel values
    return image


def segmentation_overlay(rgb: np.ndarray, class_map: np.ndarray) -> Image.Image:
    """Blend class colours over the reconstruction; background (class 0) is left untouched."""
    colours = np.asarray(SEGMENTATION_PALETTE, dtype=np.float32)[class_map]
    blended = (1 - OVERLAY_ALPHA) * rgb.astype(np.float32) + OVERLAY_ALPHA * colours
    out = np.where((class_map > 0)[..., None], blended, rgb.astype(np.float32))
    return Image.fromarray(out.round().clip(0, 255).astype(np.uint8))


def landmark_overlay(rgb: np.ndarray, landmarks_px: np.ndarray) -> Image.Image:
    """Draw the 68 points (x = column, y = row, pixels) on a copy of the reconstruction."""
    image = Image.fromarray(np.ascontiguousarray(rgb))
    draw = ImageDraw.Draw(image)
    r = LANDMARK_RADIUS_PX
    for x, y in landmarks_px.tolist():
        draw.ellipse((x - r, y - r, x + r, y + r), outline=LANDMARK_COLOUR, fill=LANDMARK_COLOUR)
    return image


def _save(image: Image.Image, path: Path) -> Path:
    try:
        image.save(path, format="PNG")
    except OSError as exc:
        raise SessionError(f"cannot write {path}: {exc}") from exc
    return path


def write_vector_outputs(
    out_dir: Path,
    stem: str,
    *,
    image: np.ndarray | None,
    segmentation: np.ndarray | None,
    landmarks_px: np.ndarray | None,
    attribute_probabilities: np.ndarray | None,
    record: dict[str, Any],
) -> list[Path]:
    """Write every file available for one vector; returns the paths written.

    ``record`` carries provenance (source file, vector index, ...) and is extended with the
    attribute probabilities by name and the landmark coordinates before going to JSON.
    """
    written: list[Path] = []
    if image is not None:
        written.append(_save(Image.fromarray(image), out_dir / f"{stem}_rec.png"))
    if segmentation is not None:
        written.append(_save(segmentation_image(segmentation), out_dir / f"{stem}_seg.png"))
        if image is not None:
            overlay = segmentation_overlay(image, segmentation)
            written.append(_save(overlay, out_dir / f"{stem}_seg_overlay.png"))
    if landmarks_px is not None and image is not None:
        written.append(_save(landmark_overlay(image, landmarks_px), out_dir / f"{stem}_land.png"))
    payload = dict(record)
    if attribute_probabilities is not None:
        payload["attributes"] = {
            name: float(p) for name, p in zip(ATTRIBUTE_NAMES, attribute_probabilities, strict=True)
        }
    if landmarks_px is not None:
        payload["landmarks_px"] = [[float(x), float(y)] for x, y in landmarks_px]
    json_path = out_dir / f"{stem}.json"
    try:
        json_path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise SessionError(f"cannot write {json_path}: {exc}") from exc
    written.append(json_path)
    return written


def write_attributes_csv(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    """One line per vector: stem, source, vector index, then the 40 probabilities by name."""
    fields = ["stem", "source", "vector_index", *ATTRIBUTE_NAMES]
    try:
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
            writer.writeheader()
            for row in rows:
                writer.writerow(row)
    except OSError as exc:
        raise SessionError(f"cannot write {path}: {exc}") from exc
    return path

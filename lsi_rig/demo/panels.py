"""Pictures and tables of an LSI demo: one panel strip per face and an attributes table.

A strip is ``scene | reconstruction | segmentation overlay | landmarks`` at 256×256 each, with a
caption line of that face's scores; decoded landmarks are green dots, the truth red crosses.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from lsi_rig.models.api import DecodeResult
from lsi_rig.models.outputs import landmark_overlay, segmentation_overlay

TILE_PX = 256
GAP_PX = 6
LABEL_PX = 16
TRUTH_COLOUR = (255, 64, 64)
TITLES = ("scene shown", "reconstruction", "segmentation", "landmarks: decoded, + truth")


def panel_strip(
    path: Path,
    scene: np.ndarray,
    result: DecodeResult,
    *,
    truth_landmarks_px: np.ndarray | None,
    caption: str,
) -> Path:
    """Write one face's strip (batch index 0 of ``result``) as a PNG; returns its path."""
    recon = _tile(result.image[0]) if result.image is not None else np.zeros_like(_tile(scene))
    tiles = [_tile(scene), recon]
    if result.segmentation is not None:
        tiles.append(np.asarray(segmentation_overlay(recon, result.segmentation[0])))
    if result.landmarks_px is not None:
        marked = landmark_overlay(recon, result.landmarks_px[0])
        if truth_landmarks_px is not None:
            draw = ImageDraw.Draw(marked)
            for x, y in np.asarray(truth_landmarks_px, dtype=float).tolist():
                draw.line((x - 2, y, x + 2, y), fill=TRUTH_COLOUR)
                draw.line((x, y - 2, x, y + 2), fill=TRUTH_COLOUR)
        tiles.append(np.asarray(marked))
    width = len(tiles) * TILE_PX + (len(tiles) - 1) * GAP_PX
    canvas = Image.new("RGB", (width, LABEL_PX + TILE_PX + LABEL_PX), (24, 24, 24))
    draw = ImageDraw.Draw(canvas)
    for i, tile in enumerate(tiles):
        x0 = i * (TILE_PX + GAP_PX)
        canvas.paste(Image.fromarray(tile), (x0, LABEL_PX))
        draw.text((x0 + 3, 2), TITLES[i], fill=(230, 230, 230))
    draw.text((3, LABEL_PX + TILE_PX + 2), caption, fill=(230, 230, 230))
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(path, format="PNG")
    return path


def _tile(image: np.ndarray) -> np.ndarray:
    """uint8 RGB at TILE_PX × TILE_PX (nearest neighbour for other sizes)."""
    image = np.asarray(image, dtype=np.uint8)
    if image.shape[:2] == (TILE_PX, TILE_PX):
        return image
    resized = Image.fromarray(image).resize((TILE_PX, TILE_PX), Image.Resampling.NEAREST)
    return np.asarray(resized)


def write_attributes_table(
    path: Path,
    scene_ids: Sequence[str],
    names: Sequence[str],
    probabilities: np.ndarray,
    truth: np.ndarray,
) -> Path:
    """Long-format CSV: one row per (face, attribute) with the probability, the decision
    (sigmoid > 0.5) and the ground truth (1/0; empty where the renderer does not set it)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["scene_id", "attribute", "probability", "predicted", "truth", "correct"])
        for i, scene_id in enumerate(scene_ids):
            for j, name in enumerate(names):
                p = float(probabilities[i, j])
                t = int(truth[i, j])
                predicted = int(p > 0.5)
                writer.writerow(
                    [
                        scene_id,
                        name,
                        f"{p:.4f}",
                        predicted,
                        "" if t < 0 else t,
                        "" if t < 0 else int(predicted == t),
                    ]
                )
    return path

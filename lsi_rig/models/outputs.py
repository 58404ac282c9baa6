"""Pictures of a decode result: the parsing map, its overlay, and the landmarks drawn.

Arrays in, PIL images out; writing them (names, JSON, CSV) belongs to the decode service
(``lsi_rig.decode.outputs``). The parsing map is an indexed image (mode 'P', pixel value = class
index 0..18) so the exact class map survives a PNG round trip and any viewer shows colours.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from lsi_rig.core.labels import SEGMENTATION_PALETTE

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

"""Side-by-side PNG of what the detector saw and what was reconstructed, for quick looks and
reports (not for analysis: values are clipped to 8 bits)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

_GAP_PX = 8
_LABEL_PX = 16


def _to_uint8(image: np.ndarray, low: float, high: float) -> np.ndarray:
    scaled = (np.asarray(image, dtype=np.float64) - low) / (high - low)
    scaled = np.nan_to_num(scaled, nan=0.0)
    return np.round(np.clip(scaled, 0.0, 1.0) * 255.0).astype(np.uint8)


def _upscale(image: np.ndarray, height_px: int) -> np.ndarray:
    """Nearest-neighbour resize to ``height_px`` rows, width keeping the aspect ratio."""
    h, w = image.shape
    width_px = max(1, round(w * height_px / h))
    rows = (np.arange(height_px) * h) // height_px
    cols = (np.arange(width_px) * w) // width_px
    return image[rows[:, None], cols[None, :]]


def side_by_side_png(
    path: str | Path,
    left: np.ndarray,
    right: np.ndarray,
    *,
    labels: Sequence[str] | None = ("detector view", "reconstruction"),
    scale_to: int = 256,
) -> Path:
    """Write ``left | gap | right`` as an 8-bit greyscale PNG and return its path.

    Both images share the grey scale of ``left`` (its finite min/max), so a reconstruction that
    is too bright or too dark looks it. Each is upscaled (nearest neighbour, blocks stay
    visible) to ``scale_to`` rows; ``labels`` go in a strip above.
    """
    from PIL import Image, ImageDraw

    left = np.asarray(left, dtype=np.float64)
    right = np.asarray(right, dtype=np.float64)
    if left.ndim != 2 or right.ndim != 2:
        raise ValueError(f"images must be 2-D, got {left.shape} and {right.shape}")
    finite = left[np.isfinite(left)]
    low = float(finite.min()) if finite.size else 0.0
    high = float(finite.max()) if finite.size else 1.0
    if high <= low:
        high = low + 1.0
    tiles = [_upscale(_to_uint8(img, low, high), scale_to) for img in (left, right)]
    top = _LABEL_PX if labels else 0
    width = tiles[0].shape[1] + _GAP_PX + tiles[1].shape[1]
    canvas = np.zeros((top + scale_to, width), dtype=np.uint8)
    canvas[top:, : tiles[0].shape[1]] = tiles[0]
    canvas[top:, tiles[0].shape[1] + _GAP_PX :] = tiles[1]
    picture = Image.fromarray(canvas)
    if labels:
        draw = ImageDraw.Draw(picture)
        x_starts = (0, tiles[0].shape[1] + _GAP_PX)
        for x0, text in zip(x_starts, labels, strict=False):
            draw.text((x0 + 2, 2), str(text), fill=255)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    picture.save(out, format="PNG")
    return out

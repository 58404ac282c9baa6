"""Deterministic demo scenes drawn at run time: cartoon faces and optical test targets.

Why generated: the rig must demo and test without shipping anyone's photographs. Faces are
what the LSI decoder was trained on, so a cartoon face with exact ground truth (the parametric
renderer in ``lsi_rig.scenes.faces``: attributes, parsing map, landmarks) exercises the whole
chain and lets ``lsi-rig evaluate`` score a decoder; the targets probe resolution (bars,
Siemens star), registration (checkerboard, dot grid), linearity (grey ramp) and colour response
(colour bars) of the single-pixel camera.

Everything is pure numpy on a pixel grid with anti-aliased edges, so a scene is bit-identical
for the same (id, size, seed) on every machine.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lsi_rig.scenes.faces import FaceRender, face_render
from lsi_rig.scenes.scene import Scene

FloatImage = np.ndarray  # float64 [H, W, 3] in [0, 1]

DEFAULT_FACES = 6


def _checkerboard(size: int) -> FloatImage:
    cells = (np.arange(size) * 8) // size
    board = ((cells[:, None] + cells[None, :]) % 2).astype(np.float64)
    return np.repeat(board[..., None], 3, axis=2)


def _bars(size: int) -> FloatImage:
    """Resolution chart: groups of three bars, period halving band by band from left to
    right; vertical bars in the top half, horizontal bars in the bottom half."""
    img = np.full((size, size), 0.5)
    half, margin = size // 2, max(size // 64, 1)
    periods = [p for p in (32, 16, 8, 4, 2) if 3 * p <= size // 5]
    band = size // len(periods)
    for k, period in enumerate(periods):
        lo = k * band
        offset = np.arange(3 * period)
        stripe = (offset // (period // 2) % 2 == 0).astype(np.float64)
        start = lo + (band - 3 * period) // 2
        img[margin : half - margin, start : start + 3 * period] = stripe[None, :]
        top = half + margin + (half - 2 * margin - 3 * period) // 2
        img[top : top + 3 * period, lo + margin : lo + band - margin] = stripe[:, None]
    return np.repeat(img[..., None], 3, axis=2)


def _siemens_star(size: int, spokes: int = 36) -> FloatImage:
    x, y = _grid(size)
    theta, r = np.arctan2(y, x), np.hypot(x, y)
    star = (np.sin(spokes / 2 * theta) > 0).astype(np.float64)
    img = np.where(r < 0.48, star, 0.5)
    return np.repeat(img[..., None], 3, axis=2)


def _grey_ramp(size: int) -> FloatImage:
    """Top half: continuous ramp 0…1; bottom half: 16 equal steps (linearity check)."""
    ramp = (np.arange(size) + 0.5) / size
    steps = np.floor(ramp * 16) / 15
    img = np.empty((size, size))
    img[: size // 2] = ramp
    img[size // 2 :] = steps
    return np.repeat(img[..., None], 3, axis=2)


def _colour_bars(size: int) -> FloatImage:
    colours = (
        np.array(
            [
                [1, 1, 1],
                [1, 1, 0],
                [0, 1, 1],
                [0, 1, 0],
                [1, 0, 1],
                [1, 0, 0],
                [0, 0, 1],
                [0, 0, 0],
            ],
            dtype=np.float64,
        )
        * 0.75
    )
    index = (np.arange(size) * len(colours)) // size
    return np.broadcast_to(colours[index][None, :, :], (size, size, 3)).copy()


def _dot_grid(size: int, pitch: int = 8) -> FloatImage:
    x, y = _grid(size)
    px = 1.0 / size
    step = 1.0 / pitch
    dx = (x + 0.5) % step - step / 2
    dy = (y + 0.5) % step - step / 2
    dots = np.clip(0.5 - (np.hypot(dx, dy) - step * 0.2) / px, 0, 1)
    return np.repeat(dots[..., None], 3, axis=2)


TARGETS: dict[str, Callable[[int], FloatImage]] = {
    "target_checkerboard": _checkerboard,
    "target_bars": _bars,
    "target_siemens_star": _siemens_star,
    "target_grey_ramp": _grey_ramp,
    "target_colour_bars": _colour_bars,
    "target_dot_grid": _dot_grid,
}


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates in units of the image side, origin at the centre, y down."""
    c = (np.arange(size) + 0.5) / size - 0.5
    return np.meshgrid(c, c, indexing="xy")


def _to_uint8(img: FloatImage) -> np.ndarray:
    return np.round(np.clip(img, 0.0, 1.0) * 255.0).astype(np.uint8)


def face_scene_id(index: int) -> str:
    return f"face_{index:03d}"


def face_scene(index: int, size: int = 256, seed: int = 0) -> Scene:
    """Procedural face number ``index`` of family ``seed`` (``lsi_rig.scenes.faces``); its
    ground truth is ``face_render(seed, index, size)``."""
    return Scene(face_scene_id(index), face_render(seed, index, size).image)


def face_scenes_with_truth(count: int, *, seed: int = 0, start: int = 0,
                           size: int = 256) -> list[tuple[Scene, FaceRender]]:  # fmt: skip
    """Faces ``start … start+count−1`` of family ``seed`` with their ground truth."""
    out = []
    for index in range(start, start + count):
        render = face_render(seed, index, size)
        out.append((Scene(face_scene_id(index), render.image), render))
    return out


def demo_scenes(count: int | None = None, size: int = 256, seed: int = 0) -> list[Scene]:
    """Demo scenes: faces face_000…face_005, then the six targets, then further faces.

    ``count=None`` gives those 12; a smaller count the first ``count``; a larger one adds
    face_006, face_007, … Same (count, size, seed) → bit-identical images.
    """
    if size < 16:
        raise ValueError(f"demo scenes need size >= 16 pixels, got {size}")
    total = DEFAULT_FACES + len(TARGETS) if count is None else count
    if total < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    scenes: list[Scene] = []
    for k in range(total):
        if k < DEFAULT_FACES:
            scenes.append(face_scene(k, size, seed))
        elif k < DEFAULT_FACES + len(TARGETS):
            name = list(TARGETS)[k - DEFAULT_FACES]
            scenes.append(Scene(name, _to_uint8(TARGETS[name](size))))
        else:
            scenes.append(face_scene(k - len(TARGETS), size, seed))
    return scenes

"""Deterministic demo scenes drawn at run time: cartoon faces and optical test targets.

Why generated: the rig must demo and test without shipping anyone's photographs. Faces are
what the LSI decoder was trained on, so a crude but recognisable face (skin-tone head, hair,
eyes, brows, nose, mouth, soft Lambertian shading, gradient background) exercises the whole
chain; the targets probe resolution (bars, Siemens star), registration (checkerboard, dot grid),
linearity (grey ramp) and colour response (colour bars) of the single-pixel camera.

Everything is pure numpy on a pixel grid with anti-aliased edges, so a scene is bit-identical
for the same (id, size, seed) on every machine.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lsi_rig.scenes.scene import Scene

FloatImage = np.ndarray  # float64 [H, W, 3] in [0, 1]

DEFAULT_FACES = 6

_SKIN = np.array(
    [
        [0.96, 0.80, 0.69],
        [0.92, 0.72, 0.58],
        [0.80, 0.60, 0.45],
        [0.66, 0.46, 0.32],
        [0.48, 0.32, 0.22],
        [0.98, 0.86, 0.76],
    ]
)
_HAIR = np.array(
    [
        [0.08, 0.06, 0.05],
        [0.30, 0.18, 0.10],
        [0.75, 0.60, 0.32],
        [0.55, 0.22, 0.10],
        [0.62, 0.62, 0.62],
        [0.18, 0.12, 0.08],
    ]
)
_IRIS = np.array([[0.25, 0.15, 0.08], [0.20, 0.40, 0.65], [0.30, 0.45, 0.25], [0.10, 0.08, 0.06]])


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates in units of the image side, origin at the centre, y down."""
    c = (np.arange(size) + 0.5) / size - 0.5
    return np.meshgrid(c, c, indexing="xy")


def _ellipse(
    x: np.ndarray,
    y: np.ndarray,
    cx: float,
    cy: float,
    a: float,
    b: float,
    px: float,
    angle: float = 0.0,
) -> np.ndarray:
    """Anti-aliased coverage (0…1) of a rotated ellipse; ``px`` is one pixel in grid units."""
    ca, sa = np.cos(angle), np.sin(angle)
    dx, dy = x - cx, y - cy
    u, v = ca * dx + sa * dy, -sa * dx + ca * dy
    dist = (np.sqrt((u / a) ** 2 + (v / b) ** 2) - 1.0) * min(a, b)
    return np.clip(0.5 - dist / px, 0.0, 1.0)


def _paint(img: FloatImage, cover: np.ndarray, colour: np.ndarray | FloatImage) -> None:
    cover = cover[..., None]
    img *= 1.0 - cover
    img += cover * colour


def _face(size: int, rng: np.random.Generator) -> FloatImage:
    x0, y0 = _grid(size)
    px = 1.0 / size
    roll = rng.uniform(-0.2, 0.2)
    cx, cy = rng.uniform(-0.04, 0.04), rng.uniform(-0.01, 0.04)
    # head frame: rotate the grid about the head centre so every feature follows the pose
    cr, sr = np.cos(roll), np.sin(roll)
    x = cr * (x0 - cx) + sr * (y0 - cy)
    y = -sr * (x0 - cx) + cr * (y0 - cy)
    a, b = rng.uniform(0.19, 0.24), rng.uniform(0.26, 0.31)
    yaw = rng.uniform(-0.03, 0.03)  # features shift sideways when the head turns

    direction = rng.uniform(0, 2 * np.pi)
    t = (np.cos(direction) * x0 + np.sin(direction) * y0 + 0.71) / 1.42
    bg_a, bg_b = rng.uniform(0.2, 0.95, 3), rng.uniform(0.05, 0.8, 3)
    img = bg_a * (1 - t[..., None]) + bg_b * t[..., None]

    skin = _SKIN[rng.integers(len(_SKIN))] * rng.uniform(0.93, 1.05)
    hair = _HAIR[rng.integers(len(_HAIR))]
    cloth = rng.uniform(0.1, 0.9, 3)
    _paint(img, _ellipse(x, y, 0, b + 0.30, 0.42, 0.25, px), cloth)  # shoulders
    neck = np.clip(0.5 - (np.abs(x) - 0.55 * a) / px, 0, 1) * (y > 0) * (y < b + 0.12)
    _paint(img, neck, skin * 0.75)
    hair_len = rng.uniform(0.0, 0.25)
    _paint(img, _ellipse(x, y, 0, -0.03 + hair_len / 2, a + 0.04, b + hair_len / 2, px), hair)
    for side in (-1, 1):  # ears
        _paint(img, _ellipse(x, y, side * a * 0.98, 0.0, 0.035, 0.06, px), skin * 0.85)

    # head: Lambertian shading of an ellipsoid lit from a random upper direction
    r2 = np.clip((x / a) ** 2 + (y / b) ** 2, 0, 1)
    normal = np.stack([x / a, y / b, np.sqrt(1 - r2)], axis=-1)
    light = np.array([rng.uniform(-0.6, 0.6), rng.uniform(-0.7, -0.2), 1.0])
    light /= np.linalg.norm(light)
    shade = 0.55 + 0.45 * np.clip(normal @ light, 0, 1)
    _paint(img, _ellipse(x, y, 0, 0, a, b, px), skin * shade[..., None])
    fringe = _ellipse(x, y, 0, -b * 0.95, a * 1.02, b * rng.uniform(0.35, 0.55), px)
    _paint(img, fringe * _ellipse(x, y, 0, 0, a + 0.01, b + 0.01, px), hair)

    eye_y, eye_dx = -0.02 * b / 0.28, a * rng.uniform(0.38, 0.46)
    iris = _IRIS[rng.integers(len(_IRIS))]
    gaze = rng.uniform(-0.006, 0.006)
    for side in (-1, 1):
        ex = side * eye_dx + yaw
        _paint(img, _ellipse(x, y, ex, eye_y, 0.045, 0.022, px), np.array([0.97, 0.97, 0.95]))
        _paint(img, _ellipse(x, y, ex + gaze, eye_y, 0.018, 0.018, px), iris)
        _paint(img, _ellipse(x, y, ex + gaze, eye_y, 0.008, 0.008, px), np.zeros(3))
        brow_tilt = side * rng.uniform(-0.05, 0.2)
        _paint(img, _ellipse(x, y, ex, eye_y - 0.05, 0.05, 0.009, px, brow_tilt), hair * 0.8)
    nose = _ellipse(x, y, yaw * 1.4, 0.06, 0.022, 0.06, px)
    _paint(img, nose, skin * shade[..., None] * 0.82)
    for side in (-1, 1):
        _paint(img, _ellipse(x, y, yaw * 1.4 + side * 0.014, 0.115, 0.008, 0.005, px), skin * 0.4)
    mouth_y, mouth_w = 0.175, rng.uniform(0.05, 0.08)
    smile = rng.uniform(0.0, 1.0)
    lips = np.array([0.70, 0.25, 0.28]) * rng.uniform(0.8, 1.1)
    upper_cut = _ellipse(x, y, yaw, mouth_y - 0.02 * smile - 0.004, mouth_w * 1.05, 0.02, px)
    mouth = _ellipse(x, y, yaw, mouth_y, mouth_w, 0.018 + 0.008 * smile, px)
    _paint(img, mouth * (1 - upper_cut * smile), lips)
    return img


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


def _to_uint8(img: FloatImage) -> np.ndarray:
    return np.round(np.clip(img, 0.0, 1.0) * 255.0).astype(np.uint8)


def face_scene(index: int, size: int = 256, seed: int = 0) -> Scene:
    """Synthetic face number ``index``; shape, colours and pose depend on (seed, index)."""
    rng = np.random.default_rng([seed, index])
    return Scene(f"face_{index:03d}", _to_uint8(_face(size, rng)))


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

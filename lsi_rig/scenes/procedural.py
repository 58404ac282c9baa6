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


class _HeadCanvas:
    """An RGB float canvas plus a head-centred frame (rotated by the head's roll).

    Shapes are given in head coordinates (image-side units, y down) and rasterised only
    inside their bounding box, which keeps a 256² face at a few ms.
    """

    def __init__(self, img: FloatImage, centre: tuple[float, float], roll: float) -> None:
        self.img = img
        self.size = img.shape[0]
        self.px = 1.0 / self.size
        self.centre = centre
        self.cos, self.sin = float(np.cos(roll)), float(np.sin(roll))
        self.x0, self.y0 = _grid(self.size)

    def local(self, box: tuple[slice, slice]) -> tuple[np.ndarray, np.ndarray]:
        """Head coordinates of the pixels in ``box``."""
        dx, dy = self.x0[box] - self.centre[0], self.y0[box] - self.centre[1]
        return self.cos * dx + self.sin * dy, -self.sin * dx + self.cos * dy

    def box(self, cx: float, cy: float, radius: float) -> tuple[slice, slice]:
        """Pixel box around head point (cx, cy) holding a disc of ``radius``."""
        ix = self.centre[0] + self.cos * cx - self.sin * cy + 0.5
        iy = self.centre[1] + self.sin * cx + self.cos * cy + 0.5
        r = radius + 2 * self.px
        lo_x, hi_x = (
            max(0, min(self.size, int(np.floor(v * self.size)))) for v in (ix - r, ix + r + self.px)
        )
        lo_y, hi_y = (
            max(0, min(self.size, int(np.floor(v * self.size)))) for v in (iy - r, iy + r + self.px)
        )
        return slice(lo_y, hi_y), slice(lo_x, hi_x)

    def ellipse(
        self, cx: float, cy: float, a: float, b: float, angle: float = 0.0
    ) -> tuple[tuple[slice, slice], np.ndarray]:
        """Anti-aliased coverage (0…1) of a rotated ellipse, and the box it lives in."""
        box = self.box(cx, cy, max(a, b))
        x, y = self.local(box)
        ca, sa = np.cos(angle), np.sin(angle)
        u, v = ca * (x - cx) + sa * (y - cy), -sa * (x - cx) + ca * (y - cy)
        dist = (np.sqrt((u / a) ** 2 + (v / b) ** 2) - 1.0) * min(a, b)
        return box, np.clip(0.5 - dist / self.px, 0.0, 1.0)

    def paint(self, box: tuple[slice, slice], cover: np.ndarray, colour: np.ndarray) -> None:
        """Alpha-blend ``colour`` (RGB, or an RGB image the size of ``box``) over ``box``."""
        cover = cover[..., None]
        region = self.img[box]
        region *= 1.0 - cover
        region += cover * colour

    def fill(
        self, cx: float, cy: float, a: float, b: float, colour: np.ndarray, angle: float = 0.0
    ) -> None:
        box, cover = self.ellipse(cx, cy, a, b, angle)
        self.paint(box, cover, colour)


def _face(size: int, rng: np.random.Generator) -> FloatImage:
    x0, y0 = _grid(size)
    roll = rng.uniform(-0.2, 0.2)
    centre = (rng.uniform(-0.04, 0.04), rng.uniform(-0.01, 0.04))
    a, b = rng.uniform(0.19, 0.24), rng.uniform(0.26, 0.31)
    yaw = rng.uniform(-0.03, 0.03)  # features shift sideways when the head turns

    direction = rng.uniform(0, 2 * np.pi)
    t = ((np.cos(direction) * x0 + np.sin(direction) * y0 + 0.71) / 1.42)[..., None]
    bg_a, bg_b = rng.uniform(0.2, 0.95, 3), rng.uniform(0.05, 0.8, 3)
    head = _HeadCanvas(bg_a * (1 - t) + bg_b * t, centre, roll)

    skin = _SKIN[rng.integers(len(_SKIN))] * rng.uniform(0.93, 1.05)
    hair = _HAIR[rng.integers(len(_HAIR))]
    head.fill(0, b + 0.30, 0.42, 0.25, rng.uniform(0.1, 0.9, 3))  # shoulders
    hair_len = rng.uniform(0.0, 0.25)
    box, cover = head.ellipse(0, -0.03 + hair_len / 2, a + 0.04, b + hair_len / 2)
    _, y = head.local(box)
    head.paint(box, cover * np.clip((0.1 + hair_len - y) / 0.03, 0, 1), hair)
    box = head.box(0, b / 2 + 0.06, b / 2 + 0.1)
    x, y = head.local(box)
    neck = np.clip(0.5 - (np.abs(x) - 0.55 * a) / head.px, 0, 1) * (y > 0) * (y < b + 0.12)
    head.paint(box, neck, skin * 0.75)
    for side in (-1, 1):  # ears
        head.fill(side * a * 0.98, 0.0, 0.035, 0.06, skin * 0.85)

    # head: Lambertian shading of an ellipsoid lit from a random upper direction
    light = np.array([rng.uniform(-0.6, 0.6), rng.uniform(-0.7, -0.2), 1.0])
    light /= np.linalg.norm(light)
    box, cover = head.ellipse(0, 0, a, b)
    x, y = head.local(box)
    nz = np.sqrt(1 - np.clip((x / a) ** 2 + (y / b) ** 2, 0, 1))
    shade = 0.55 + 0.45 * np.clip(light[0] * x / a + light[1] * y / b + light[2] * nz, 0, 1)
    skin_shaded = skin * shade[..., None]
    head.paint(box, cover, skin_shaded)
    fringe_box, fringe = head.ellipse(0, -b * 0.95, a * 1.02, b * rng.uniform(0.35, 0.55))
    fx, fy = head.local(fringe_box)
    inside = np.clip(
        0.5 - (np.sqrt((fx / (a + 0.01)) ** 2 + (fy / (b + 0.01)) ** 2) - 1) * min(a, b) / head.px,
        0,
        1,
    )
    head.paint(fringe_box, fringe * inside, hair)

    eye_y, eye_dx = -0.02 * b / 0.28, a * rng.uniform(0.38, 0.46)
    iris = _IRIS[rng.integers(len(_IRIS))]
    gaze = rng.uniform(-0.006, 0.006)
    for side in (-1, 1):
        ex = side * eye_dx + yaw
        head.fill(ex, eye_y, 0.045, 0.022, np.array([0.97, 0.97, 0.95]))
        head.fill(ex + gaze, eye_y, 0.018, 0.018, iris)
        head.fill(ex + gaze, eye_y, 0.008, 0.008, np.zeros(3))
        brow_tilt = side * rng.uniform(-0.05, 0.2)
        head.fill(ex, eye_y - 0.05, 0.05, 0.009, hair * 0.8, brow_tilt)
    nose_box, nose = head.ellipse(yaw * 1.4, 0.06, 0.022, 0.06)
    nx, ny = head.local(nose_box)
    nz = np.sqrt(1 - np.clip((nx / a) ** 2 + (ny / b) ** 2, 0, 1))
    nose_shade = 0.55 + 0.45 * np.clip(light[0] * nx / a + light[1] * ny / b + light[2] * nz, 0, 1)
    head.paint(nose_box, nose, skin * nose_shade[..., None] * 0.82)
    for side in (-1, 1):
        head.fill(yaw * 1.4 + side * 0.014, 0.115, 0.008, 0.005, skin * 0.4)
    mouth_y, mouth_w = 0.175, rng.uniform(0.05, 0.08)
    smile = rng.uniform(0.0, 1.0)
    lips = np.array([0.70, 0.25, 0.28]) * rng.uniform(0.8, 1.1)
    box, mouth = head.ellipse(yaw, mouth_y, mouth_w, 0.018 + 0.008 * smile)
    mx, my = head.local(box)
    cut_y = mouth_y - 0.02 * smile - 0.004
    cut = np.clip(
        0.5
        - (np.sqrt(((mx - yaw) / (mouth_w * 1.05)) ** 2 + ((my - cut_y) / 0.02) ** 2) - 1)
        * 0.02
        / head.px,
        0,
        1,
    )
    head.paint(box, mouth * (1 - cut * smile), lips)
    return head.img


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

"""Eyes, brows, nose and mouth: each painted with its parsing class and returning its landmarks.

Landmarks are returned in head-plane coordinates, in iBUG-300W order within the part, and are
points of the very curves that bound the painted regions (lid curves, lip curves, brow centre
line, nose bridge and base), so a landmark sits on or inside its own class.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lsi_rig.scenes.faces.canvas import FaceCanvas, band_cover, edge, ellipse_cover
from lsi_rig.scenes.faces.params import FaceParams
from lsi_rig.scenes.faces.pose import HeadPose

# parsing classes (lsi_rig.core.labels.SEGMENTATION_CLASSES)
FACE, RB, LB, RE, LE, NOSE, IMOUTH, LLIP, ULIP = 2, 6, 7, 8, 9, 10, 11, 12, 13


@dataclass(frozen=True)
class Layout:
    """Head-plane anchor positions (before the pose) derived from the parameters."""

    s: float
    eye_y: float
    eye_dx: float
    eye_w: float
    brow_dy: float
    nose_tip_y: float
    mouth_y: float

    @classmethod
    def of(cls, p: FaceParams, a: float, b: float) -> Layout:
        s = p.scale
        eye_y = -0.1 * b
        nose_tip_y = eye_y + p.nose_length * s
        return cls(s, eye_y, 0.42 * a, 0.045 * s, -0.052 * s, nose_tip_y, nose_tip_y + 0.06 * s)


def eyes(
    cv: FaceCanvas, p: FaceParams, pose: HeadPose, lay: Layout, skin: np.ndarray
) -> np.ndarray:
    """Both eyes (image-left = subject's right 're' first): landmarks 36–47 [12, 2]."""
    s, h = lay.s, p.eye_opening * p.scale
    points = []
    for side, label in ((-1, RE), (1, LE)):
        x0 = side * lay.eye_dx
        cx, cy = pose.warp(x0, lay.eye_y)
        w = pose.squeeze(x0, lay.eye_y, lay.eye_w)
        box = cv.box(cx, cy, w * 1.6, 0.045 * s)
        x, y = cv.local(box)
        u, v = x - cx, y - cy

        def top(q: np.ndarray, h: float = h, w: float = w) -> np.ndarray:
            return -h * (1 - (q / w) ** 2)

        def bottom(q: np.ndarray, h: float = h, w: float = w) -> np.ndarray:
            return 0.75 * h * (1 - (q / w) ** 2)

        if p.heavy_makeup:  # eye shadow between lid and brow
            shadow = ellipse_cover(u, v, 0, -1.2 * h, w * 1.05, 0.6 * h + 0.008 * s, cv.px)
            cv.paint(box, shadow * 0.55, (0.45, 0.3, 0.5))
        if p.bags_under_eyes:
            bag = band_cover(
                u,
                v,
                w * 0.85,
                lambda q: bottom(q) + 0.003 * s,
                lambda q: bottom(q) + 0.009 * s,
                cv.px,
            )
            cv.paint(box, bag * 0.5, skin * 0.62)
        eye = band_cover(u, v, w, top, bottom, cv.px)
        cv.paint(box, eye, (0.95, 0.94, 0.92), label)
        gx = p.gaze * s
        iris_r = min(0.016 * s, 0.9 * w)
        cv.paint(box, eye * ellipse_cover(u, v, gx, 0, iris_r, iris_r, cv.px), p.iris_rgb)
        pupil_r = 0.4 * iris_r
        cv.paint(box, eye * ellipse_cover(u, v, gx, 0, pupil_r, pupil_r, cv.px), (0.02, 0.02, 0.02))
        lid = band_cover(u, v, w * 1.02, lambda q: top(q) - 0.0035 * s, top, cv.px)
        cv.paint(box, lid, (0.12, 0.08, 0.07))
        # corners where the opening is still a couple of pixels high, on its mid-line
        corner = 0.85 * w
        mid = (top(np.array(corner)) + bottom(np.array(corner))) / 2
        us = np.array([-corner, -w / 3, w / 3, corner, w / 3, -w / 3])
        vs = np.array([mid, top(us[1]), top(us[2]), mid, bottom(us[4]), bottom(us[5])])
        points.append(np.stack([cx + us, cy + vs], axis=1))
    return np.concatenate(points)


def brows(cv: FaceCanvas, p: FaceParams, pose: HeadPose, lay: Layout) -> np.ndarray:
    """Both brows, image-left ('rb', subject's right) first, each left to right: 17–26."""
    s = lay.s
    th = p.brow_thickness * s
    colour = np.asarray(p.hair_rgb) * 0.75 if p.hair_colour != 3 else np.asarray(p.hair_rgb) * 0.6
    points = []
    for side, label in ((-1, RB), (1, LB)):
        x0 = side * lay.eye_dx * 1.02
        y0 = lay.eye_y + lay.brow_dy
        cx, cy = pose.warp(x0, y0)
        w = pose.squeeze(x0, y0, 0.052 * s)
        arch = (0.004 + 0.012 * p.brow_arch) * s

        def centre(q: np.ndarray, w: float = w, arch: float = arch, side: int = side) -> np.ndarray:
            return (
                -arch * (1 - ((q + side * 0.25 * w) / (1.25 * w)) ** 2) - side * q / w * 0.002 * s
            )

        def half(q: np.ndarray, w: float = w, side: int = side) -> np.ndarray:
            inner = 1 - side * q / w  # thicker towards the nose
            return th / 2 * (0.55 + 0.3 * inner)

        box = cv.box(cx, cy, w * 1.2, 0.03 * s)
        x, y = cv.local(box)
        u, v = x - cx, y - cy
        cover = band_cover(
            u, v, w, lambda q: centre(q) - half(q), lambda q: centre(q) + half(q), cv.px
        )
        cv.paint(box, cover, colour, label)
        us = np.linspace(-0.85 * w, 0.85 * w, 5)
        points.append(np.stack([cx + us, cy + centre(us)], axis=1))
    return np.concatenate(points)


def nose(
    cv: FaceCanvas, p: FaceParams, pose: HeadPose, lay: Layout, shade: float, skin: np.ndarray
) -> np.ndarray:
    """Nose region (bridge to nostrils) and landmarks 27–35 [9, 2]."""
    s = lay.s
    top_x, top_y = pose.warp(0.0, lay.eye_y, 0.15)
    tip_x, tip_y = pose.warp(0.0, lay.nose_tip_y, 0.45)
    wb, wt = p.nose_width * s, 0.011 * s
    length = tip_y - top_y
    box = cv.box(
        (top_x + tip_x) / 2,
        (top_y + tip_y) / 2,
        wb * 1.6 + abs(tip_x - top_x),
        length / 2 + 0.02 * s,
    )
    x, y = cv.local(box)
    t = np.clip((y - top_y) / length, 0.0, 1.0)
    xc = top_x + (tip_x - top_x) * t
    hw = wt + (wb - wt) * t**2.2
    u = x - xc
    cover = (
        edge(hw - np.abs(u), cv.px) * edge(y - top_y, cv.px) * edge(tip_y + 0.012 * s - y, cv.px)
    )
    tone = skin * shade * (0.97 - 0.1 * np.clip(np.abs(u) / np.maximum(hw, 1e-6), 0, 1))[..., None]
    cv.paint(box, cover, tone, NOSE)
    for side in (-1, 1):
        nostril = ellipse_cover(
            x, y, tip_x + side * 0.5 * wb, tip_y + 0.004 * s, 0.22 * wb, 0.005 * s, cv.px
        )
        cv.paint(box, nostril, skin * 0.35)
    ts = np.array([0.0, 0.3, 0.6, 0.92])
    bridge = np.stack([top_x + (tip_x - top_x) * ts, top_y + length * ts], axis=1)
    base_u = np.linspace(-0.7, 0.7, 5) * wb
    base = np.stack([tip_x + base_u, np.full(5, tip_y - 0.002 * s)], axis=1)
    return np.concatenate([bridge, base])


def mouth(cv: FaceCanvas, p: FaceParams, pose: HeadPose, lay: Layout) -> tuple[np.ndarray, float]:
    """Lips and inner mouth: landmarks 48–67 [20, 2], and the lowest point of the lower lip."""
    s = lay.s
    cx, cy = pose.warp(0.0, lay.mouth_y, 0.15)
    w = pose.squeeze(0.0, lay.mouth_y, p.mouth_width * s)
    lip = p.lip_thickness * s
    gap = max(0.0, p.mouth_open - 0.3) / 0.7 * 0.022 * s
    lift = p.smile * 0.014 * s

    def base(q: np.ndarray) -> np.ndarray:
        return -lift * (q / w) ** 2

    def bell(q: np.ndarray) -> np.ndarray:
        return np.clip(1 - (q / w) ** 2, 0.0, 1.0)

    def upper_outer(q: np.ndarray) -> np.ndarray:
        bow = 1 - 0.3 * np.exp(-((q / (0.18 * w)) ** 2))
        return base(q) - gap / 2 * bell(q) - 0.9 * lip * bell(q) ** 0.7 * bow

    def upper_inner(q: np.ndarray) -> np.ndarray:
        return base(q) - gap / 2 * bell(q)

    def lower_inner(q: np.ndarray) -> np.ndarray:
        return base(q) + gap / 2 * bell(q)

    def lower_outer(q: np.ndarray) -> np.ndarray:
        return lower_inner(q) + 1.15 * lip * bell(q) ** 0.7

    box = cv.box(cx, cy, w * 1.1, 0.05 * s)
    x, y = cv.local(box)
    u, v = x - cx, y - cy
    lips = np.asarray(p.lip_rgb)
    cv.paint(box, band_cover(u, v, w, upper_outer, upper_inner, cv.px), lips * 0.92, ULIP)
    if gap > 0:
        inner = band_cover(u, v, w * 0.98, upper_inner, lower_inner, cv.px)
        cv.paint(box, inner, (0.25, 0.05, 0.06), IMOUTH)
        if p.smile >= 0.5:
            teeth = band_cover(
                u, v, w * 0.7, upper_inner, lambda q: upper_inner(q) + gap * 0.45, cv.px
            )
            cv.paint(box, teeth * inner, (0.93, 0.92, 0.86))
    cv.paint(box, band_cover(u, v, w, lower_inner, lower_outer, cv.px), lips, LLIP)
    third = np.array([-2, -1, 0, 1, 2]) * w / 3
    outer_top = np.stack([third, upper_outer(third)], axis=1)
    outer_bot = np.stack([third[::-1], lower_outer(third[::-1])], axis=1)
    inner_u = np.array([-1.0, 0.0, 1.0]) * w / 3
    corners = 0.9 * w
    outer = 0.93 * w  # where the lips are still a pixel or two thick

    def lips_mid(q: float) -> float:
        return float(upper_outer(np.array(q)) + lower_outer(np.array(q))) / 2

    pts = np.concatenate(
        [
            [[-outer, lips_mid(-outer)]],
            outer_top,
            [[outer, lips_mid(outer)]],
            outer_bot,
            [[-corners, base(np.array(-corners))]],
            np.stack([inner_u, upper_inner(inner_u)], axis=1),
            [[corners, base(np.array(corners))]],
            np.stack([inner_u[::-1], lower_inner(inner_u[::-1])], axis=1),
        ]
    ).astype(np.float64)
    pts[:, 0] += cx
    pts[:, 1] += cy
    return pts, float(cy + lower_outer(np.array(0.0)))

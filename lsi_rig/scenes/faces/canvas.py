"""A float RGB canvas with a parsing-label map, in a head-centred frame.

Shapes are given in *head-plane* coordinates (image-side units, origin at the head centre, y
down, before the head's roll) and rasterised only inside their bounding box, which keeps a 256²
face at a few milliseconds. Every paint call blends colour with anti-aliased coverage and, when
given a class, writes that class wherever the coverage reaches one half: the painter's order is
the occlusion order, so the label map is exactly what the picture shows.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Box = tuple[slice, slice]
Curve = Callable[[np.ndarray], np.ndarray]


class FaceCanvas:
    def __init__(self, background: np.ndarray, centre: tuple[float, float], roll: float) -> None:
        self.img = background
        self.size = background.shape[0]
        self.px = 1.0 / self.size
        self.label = np.zeros((self.size, self.size), dtype=np.uint8)
        self.centre = centre
        self.cos, self.sin = float(np.cos(roll)), float(np.sin(roll))
        c = ((np.arange(self.size) + 0.5) / self.size - 0.5).astype(np.float64)
        self._c = c

    def to_image_px(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Head-plane points -> image pixel coordinates [.., 2] (x = column; pixel centres at
        integers, so pixel (0, 0) spans [−0.5, 0.5))."""
        ix = self.centre[0] + self.cos * x - self.sin * y
        iy = self.centre[1] + self.sin * x + self.cos * y
        return np.stack([(ix + 0.5) * self.size - 0.5, (iy + 0.5) * self.size - 0.5], axis=-1)

    def box(self, cx: float, cy: float, rx: float, ry: float | None = None) -> Box:
        """Pixel box holding the head-plane rectangle (cx ± rx, cy ± ry) whatever the roll."""
        ry = rx if ry is None else ry
        ix = self.centre[0] + self.cos * cx - self.sin * cy + 0.5
        iy = self.centre[1] + self.sin * cx + self.cos * cy + 0.5
        ex = abs(self.cos) * rx + abs(self.sin) * ry + 2 * self.px
        ey = abs(self.sin) * rx + abs(self.cos) * ry + 2 * self.px
        n = self.size

        def span(lo: float, hi: float) -> slice:
            return slice(
                max(0, min(n, int(np.floor(lo * n)))), max(0, min(n, int(np.ceil(hi * n))))
            )

        return span(iy - ey, iy + ey), span(ix - ex, ix + ex)

    def local(self, box: Box) -> tuple[np.ndarray, np.ndarray]:
        """Head-plane coordinates of the pixels in ``box`` (2-D arrays)."""
        dx = self._c[box[1]][None, :] - self.centre[0]
        dy = self._c[box[0]][:, None] - self.centre[1]
        return self.cos * dx + self.sin * dy, -self.sin * dx + self.cos * dy

    def paint(
        self,
        box: Box,
        cover: np.ndarray,
        colour: np.ndarray | tuple[float, ...],
        label: int | None = None,
    ) -> None:
        """Alpha-blend ``colour`` (RGB, or an RGB image the size of ``box``) over ``box``."""
        if cover.size == 0:
            return
        region = self.img[box]
        c = cover[..., None].astype(np.float32)
        region += c * (np.asarray(colour, dtype=np.float32) - region)
        if label is not None:
            self.label[box][cover >= 0.5] = label


def edge(distance: np.ndarray, px: float) -> np.ndarray:
    """Coverage of a pixel whose centre lies ``distance`` inside an edge (negative: outside)."""
    return np.clip(0.5 + distance / px, 0.0, 1.0)


def ellipse_cover(
    x: np.ndarray,
    y: np.ndarray,
    cx: float,
    cy: float,
    a: float,
    b: float,
    px: float,
    angle: float = 0.0,
) -> np.ndarray:
    """Anti-aliased coverage of an ellipse (semi-axes a, b rotated by ``angle``)."""
    ca, sa = np.cos(angle), np.sin(angle)
    u, v = ca * (x - cx) + sa * (y - cy), -sa * (x - cx) + ca * (y - cy)
    dist = (1.0 - np.sqrt((u / a) ** 2 + (v / b) ** 2)) * min(a, b)
    return edge(dist, px)


def band_cover(
    u: np.ndarray, v: np.ndarray, half_width: float, top: Curve, bottom: Curve, px: float
) -> np.ndarray:
    """Coverage of {|u| < half_width, top(u) < v < bottom(u)} (feature-local coordinates)."""
    uc = np.clip(u, -half_width, half_width)
    t, b = top(uc), bottom(uc)
    return edge(v - t, px) * edge(b - v, px) * edge(half_width - np.abs(u), px)


def polar_cover(x: np.ndarray, y: np.ndarray, contour: np.ndarray, px: float) -> np.ndarray:
    """Coverage of a star-shaped region (around the origin) bounded by ``contour`` [K, 2]."""
    theta_k = np.arctan2(contour[:, 1], contour[:, 0])
    rho_k = np.hypot(contour[:, 0], contour[:, 1])
    order = np.argsort(theta_k)
    theta_k, rho_k = theta_k[order], rho_k[order]
    radius = np.interp(np.arctan2(y, x), theta_k, rho_k, period=2 * np.pi)
    return edge(radius - np.hypot(x, y), px)

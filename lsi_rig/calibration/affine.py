"""Scene ↔ mask-area registration as a 2-D affine map, in LSI image-grid pixels.

Coordinates. Both frames are measured in pixels of the official 256 × 256 LSI image grid,
x to the right and y down, origin at the top-left corner. *Scene* coordinates ``s`` address the
image put on the monitor (its full extent is 0…256 whatever its pixel count); *mask*
coordinates ``m`` address the mask area on the DMD (mask pixel ``(i, j)`` of a 256² set spans
``[j, j+1] × [i, i+1]``; a 32² mask pixel spans 8 × 8 grid pixels). The registration says
where on the mask area each scene point lands: ``m = M·s + t``.

Why an affine: the optics between the monitor and the DMD magnify, rotate and shift; an affine
holds those plus a small shear or anisotropy. Lens distortion would need a homography or more;
the fitted residuals tell whether the affine is enough.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

GRID = 256  #: the official LSI image grid (pixels per side)


@dataclass(frozen=True)
class Affine:
    """``m = matrix @ s + offset`` (scene → mask-area coordinates, grid pixels)."""

    matrix: np.ndarray  # [2, 2]
    offset: np.ndarray  # [2]

    @classmethod
    def identity(cls) -> Affine:
        return cls(np.eye(2), np.zeros(2))

    @classmethod
    def from_list(cls, values: list[list[float]]) -> Affine:
        """From the stored ``[[a, b, tx], [c, d, ty]]`` form."""
        arr = np.asarray(values, dtype=np.float64)
        if arr.shape != (2, 3) or not np.all(np.isfinite(arr)):
            raise ValueError(f"an affine is [[a, b, tx], [c, d, ty]], got {values!r}")
        return cls(arr[:, :2].copy(), arr[:, 2].copy())

    def to_list(self) -> list[list[float]]:
        return np.hstack([self.matrix, self.offset[:, None]]).tolist()

    def apply(self, points: np.ndarray) -> np.ndarray:
        """Map points ``[..., 2]`` (x, y)."""
        pts = np.asarray(points, dtype=np.float64)
        return pts @ self.matrix.T + self.offset

    def inverse(self) -> Affine:
        inv = np.linalg.inv(self.matrix)
        return Affine(inv, -inv @ self.offset)

    @property
    def scale(self) -> float:
        """Mean magnification (square root of the determinant)."""
        return float(math.sqrt(abs(np.linalg.det(self.matrix))))

    @property
    def rotation_deg(self) -> float:
        """Rotation of the scene's x axis on the mask area (positive: clockwise on screen,
        since y points down)."""
        return float(math.degrees(math.atan2(self.matrix[1, 0], self.matrix[0, 0])))

    def centre_shift(self) -> np.ndarray:
        """Where the scene centre lands, relative to the mask-area centre (grid pixels)."""
        centre = np.array([GRID / 2, GRID / 2])
        return self.apply(centre) - centre

    def max_distance(self, other: Affine, *, extent: float = GRID) -> float:
        """Largest distance between the two maps over the square ``[0, extent]²`` (at its
        corners: the difference of two affines is affine, so its norm peaks at a vertex)."""
        corners = np.array([[0, 0], [extent, 0], [0, extent], [extent, extent]], dtype=float)
        return float(np.max(np.linalg.norm(self.apply(corners) - other.apply(corners), axis=1)))

    def describe(self) -> str:
        dx, dy = self.centre_shift()
        return (
            f"scale {self.scale:.4f}, rotation {self.rotation_deg:+.3f}°, "
            f"centre shift ({dx:+.2f}, {dy:+.2f}) px"
        )


def fit_affine(scene_points: np.ndarray, mask_points: np.ndarray) -> tuple[Affine, np.ndarray]:
    """Least-squares affine from matched points ``[k, 2]``; returns it and the residuals
    ``[k, 2]`` (mask − fitted). Needs at least three points not on a line."""
    src = np.asarray(scene_points, dtype=np.float64)
    dst = np.asarray(mask_points, dtype=np.float64)
    if src.shape != dst.shape or src.ndim != 2 or src.shape[1] != 2 or src.shape[0] < 3:
        raise ValueError("fit_affine needs matching [k, 2] point arrays with k >= 3")
    design = np.hstack([src, np.ones((src.shape[0], 1))])
    coeffs, *_ = np.linalg.lstsq(design, dst, rcond=None)  # [3, 2]
    affine = Affine(coeffs[:2].T.copy(), coeffs[2].copy())
    return affine, dst - affine.apply(src)


def _clip(polygon: list[np.ndarray], a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
    """Sutherland–Hodgman: the part of ``polygon`` left of the directed edge a→b."""

    def side(p: np.ndarray) -> float:
        return float((b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]))

    out: list[np.ndarray] = []
    for i, cur in enumerate(polygon):
        prev = polygon[i - 1]
        s_cur, s_prev = side(cur), side(prev)
        if s_cur >= 0:
            if s_prev < 0:
                out.append(prev + (cur - prev) * (s_prev / (s_prev - s_cur)))
            out.append(cur)
        elif s_prev >= 0:
            out.append(prev + (cur - prev) * (s_prev / (s_prev - s_cur)))
    return out


def _area(polygon: list[np.ndarray]) -> float:
    if len(polygon) < 3:
        return 0.0
    pts = np.asarray(polygon)
    x, y = pts[:, 0], pts[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def covered_fraction(affine: Affine, extent: float = GRID) -> float:
    """Fraction of the mask area ``[0, extent]²`` that the whole monitor image (scene square
    ``[0, extent]²`` mapped by ``affine``) reaches: where it does not, no drawing can put the
    scene's light."""
    square = [
        np.array(p, dtype=float) for p in ((0, 0), (extent, 0), (extent, extent), (0, extent))
    ]
    quad = [affine.apply(p) for p in square]
    # orient the clip polygon counter-clockwise in the (x right, y down) frame's algebra
    signed = sum(float(quad[i - 1][0] * quad[i][1] - quad[i][0] * quad[i - 1][1]) for i in range(4))
    if signed < 0:
        quad = quad[::-1]
    clipped = square
    for i in range(4):
        clipped = _clip(clipped, quad[i], quad[(i + 1) % 4])
        if not clipped:
            return 0.0
    return _area(clipped) / extent**2

"""Where the parts of a face go: head-plane positions after yaw and pitch.

The head is an ellipsoid (half-width a, half-height b, depth ≈ a). A point on its surface at
(x, y) with depth z (1 at the front, 0 on the silhouette; more than 1 for the protruding nose)
moves, when the head turns by yaw ψ and nods by pitch φ, to x·cos ψ + 0.75·z·a·sin ψ and
y·cos φ + 0.8·z·b·sin φ: a small-angle orthographic projection that keeps the silhouette and
moves the features, which is what turns a cartoon head. Landmarks and shapes use the same map,
so the ground truth is exact for the picture drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class HeadPose:
    a: float  # half-width of the head (image-side units)
    b: float  # half-height
    yaw: float
    pitch: float

    def depth(self, x: float, y: float) -> float:
        """Front-surface depth of the ellipsoid at head-plane point (x, y), at least 0.2."""
        return float(np.sqrt(max(0.04, 1.0 - (x / self.a) ** 2 - (y / self.b) ** 2)))

    def warp(self, x: float, y: float, extra_depth: float = 0.0) -> tuple[float, float]:
        """Surface point (x, y) (+ protrusion in units of the depth) after yaw and pitch."""
        z = self.depth(x, y) + extra_depth
        return (
            x * np.cos(self.yaw) + 0.75 * z * self.a * np.sin(self.yaw),
            y * np.cos(self.pitch) + 0.8 * z * self.b * np.sin(self.pitch),
        )

    def squeeze(self, x: float, y: float, half_width: float) -> float:
        """Foreshortened half-width of a feature centred at (x, y)."""
        left = self.warp(x - half_width, y)[0]
        right = self.warp(x + half_width, y)[0]
        return max(abs(right - left) / 2, 0.25 * half_width)

    def outline(self, squareness: float, k: int = 96) -> np.ndarray:
        """Face contour [k, 2] (forehead half an ellipse, jaw a superellipse of exponent
        ``squareness``), the lower half warped with the chin's depth."""
        t = np.linspace(-np.pi, np.pi, k, endpoint=False)
        return np.stack(self.contour_points(t, squareness), axis=1)

    def contour_points(self, t: np.ndarray, squareness: float) -> tuple[np.ndarray, np.ndarray]:
        """Points of the contour at parameters ``t`` (x = a·cos t side, y = b·sin t, y down)."""
        c, s = np.cos(t), np.sin(t)
        lower = s > 0
        p = 2.0 / squareness
        x = np.where(lower, self.a * np.sign(c) * np.abs(c) ** p, self.a * c)
        y = np.where(lower, self.b * np.abs(s) ** p, self.b * s)
        depth = 0.6 * np.clip(s, 0.0, None)
        return (
            x * np.cos(self.yaw) + 0.75 * depth * self.a * np.sin(self.yaw),
            y * np.cos(self.pitch) + 0.8 * depth * self.b * np.sin(self.pitch),
        )

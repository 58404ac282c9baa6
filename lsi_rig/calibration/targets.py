"""The images the wizards show, all generated, documented and deterministic.

* Uniform frames (:func:`uniform`): dark/gain/monitor steps.
* The registration target (:func:`dot_target`): a square grid of Gaussian dots on black. A
  centrally symmetric blob keeps its centroid under any monotone intensity response (gamma,
  black level) and under area integration by mirrors, and an affine map sends the centroid of a
  blob to the image of its centre, so the dot centroids in a single-pixel reconstruction are
  unbiased estimates of where the dot centres land on the mask area.
* The response set (:func:`response_images`): the K known images whose official simulation the
  response step regresses the measured vectors on — uniform greys (offset and gain of every mask
  from its fill alone), colour ramps (channel balance), procedural faces (what the LSI decoder
  was trained on) and smooth colour textures (spatial structure at several scales).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from lsi_rig.calibration.affine import GRID
from lsi_rig.scenes.procedural import face_scene
from lsi_rig.scenes.scene import Scene

#: Seed of the response-step faces and textures (documented in docs/calibration.md).
RESPONSE_SEED = 7001


def uniform(level: tuple[int, int, int] | int, size: int = GRID) -> np.ndarray:
    """A uniform uint8 frame; ``level`` is one code for all channels or an (R, G, B) triple."""
    rgb = (level, level, level) if isinstance(level, int) else level
    return np.broadcast_to(np.asarray(rgb, dtype=np.uint8), (size, size, 3)).copy()


@dataclass(frozen=True)
class DotTarget:
    """Dot centres (scene grid pixels, x, y) and the dot width."""

    centres: np.ndarray  # [k, 2]
    sigma_px: float

    def linear_image(self, size: int = GRID) -> np.ndarray:
        """float64 [size, size, 3] in [0, 1], dots of peak 1 (grid coordinates scaled to
        ``size``)."""
        scale = size / GRID
        coords = (np.arange(size) + 0.5) / scale
        xx, yy = np.meshgrid(coords, coords)
        img = np.zeros((size, size))
        for cx, cy in self.centres:
            img = np.maximum(
                img, np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * self.sigma_px**2))
            )
        return np.repeat(img[..., None], 3, axis=2)


def dot_target(recon_px: float) -> DotTarget:
    """Dots of σ = one reconstruction pixel on a pitch of 6σ, kept 5σ + 12 grid pixels inside
    the edges: whole dots (no tail cut off by the mask-area edge, which would pull centroids
    inwards) even when the scene is shifted by 5 px or scaled by 0.95 on the mask area."""
    sigma = float(recon_px)
    pitch = 6 * sigma
    inset = 5 * sigma + 12.0
    count = int(np.floor((GRID - 2 * inset) / pitch)) + 1
    if count < 3:  # coarse reconstructions (16² masks): accept some tail for 2 × 2 or more dots
        inset = 3 * sigma + 12.0
        count = int(np.floor((GRID - 2 * inset) / pitch)) + 1
    span = (count - 1) * pitch
    axis = GRID / 2 - span / 2 + pitch * np.arange(count)
    xx, yy = np.meshgrid(axis, axis)
    return DotTarget(np.stack([xx.ravel(), yy.ravel()], axis=1), sigma)


def _texture(rng: np.random.Generator, sigma_px: float) -> np.ndarray:
    noise = rng.standard_normal((GRID, GRID, 3))
    smooth = ndimage.gaussian_filter(noise, sigma=(sigma_px, sigma_px, 0), mode="wrap")
    smooth -= smooth.min(axis=(0, 1))
    smooth /= smooth.max(axis=(0, 1))
    return smooth


def _to_uint8(img: np.ndarray) -> np.ndarray:
    return np.round(np.clip(img, 0.0, 1.0) * 255.0).astype(np.uint8)


def response_images(count: int = 10) -> list[Scene]:
    """The documented response set (first ``count`` of: black, grey 50 %, white, a red→blue
    horizontal ramp, a green vertical ramp, three faces, two smooth textures of σ 3 and 12 px,
    then more faces and textures alternating)."""
    rng = np.random.default_rng(RESPONSE_SEED)
    ramp = np.linspace(0.0, 1.0, GRID)
    h_ramp = np.zeros((GRID, GRID, 3))
    h_ramp[..., 0] = ramp[None, :]
    h_ramp[..., 2] = ramp[::-1][None, :]
    v_ramp = np.zeros((GRID, GRID, 3))
    v_ramp[..., 1] = ramp[:, None]
    v_ramp[..., 0] = 0.25
    scenes = [
        Scene("response-black", uniform(0)),
        Scene("response-grey50", uniform(128)),
        Scene("response-white", uniform(255)),
        Scene("response-ramp-rb", _to_uint8(h_ramp)),
        Scene("response-ramp-g", _to_uint8(v_ramp)),
    ]
    for k in range(3):
        face = face_scene(k, size=GRID, seed=RESPONSE_SEED)
        scenes.append(Scene(f"response-face{k}", np.asarray(face.image)))
    scenes.append(Scene("response-texture3", _to_uint8(_texture(rng, 3.0))))
    scenes.append(Scene("response-texture12", _to_uint8(_texture(rng, 12.0))))
    k = 3
    while len(scenes) < count:
        face = face_scene(k, size=GRID, seed=RESPONSE_SEED)
        scenes.append(Scene(f"response-face{k}", np.asarray(face.image)))
        scenes.append(Scene(f"response-texture{k}", _to_uint8(_texture(rng, 2.0 + k))))
        k += 1
    if count < 2:
        raise ValueError("the response step needs at least 2 images")
    return scenes[:count]

"""Simulated worlds with known imperfections, and the truths the calibration must recover."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import ndimage

from lsi_rig.calibration.affine import GRID, Affine
from lsi_rig.config import load_rig
from lsi_rig.config.schema import RigConfig
from lsi_rig.masks.maskset import MaskSet
from lsi_rig.world.geometry import mask_geometry

MASK_PX_UM = 21.6  # one 256² mask pixel on the default DMD placement (2 columns of 10.8 µm)


@dataclass(frozen=True)
class ImperfectWorld:
    name: str
    monitor: dict[str, Any] = field(default_factory=dict)
    optics: dict[str, Any] = field(default_factory=dict)
    photodiode: dict[str, Any] = field(default_factory=dict)
    offset_px: tuple[float, float] = (0.0, 0.0)

    def rig(self, base: str = "sim") -> RigConfig:
        config = load_rig(base)
        w = config.world
        assert w is not None
        optics = dict(self.optics)
        optics["offset_um"] = (self.offset_px[0] * MASK_PX_UM, self.offset_px[1] * MASK_PX_UM)
        world = w.model_copy(
            update={
                "monitor": w.monitor.model_copy(update=self.monitor),
                "optics": w.optics.model_copy(update=optics),
                "photodiode": w.photodiode.model_copy(update=self.photodiode),
            }
        )
        return config.model_copy(update={"world": world})


#: Separable optics (no rotation): fast, every acceptance imperfection but rotation.
MILD = ImperfectWorld(
    "mild",
    monitor={"gamma": 1.8, "black_level": 0.005},
    optics={"scale": 1.035, "vignetting": 0.08, "ambient_w": 3e-8},
    photodiode={"dark_offset_v": 0.004},
    offset_px=(3.5, -2.0),
)
#: Everything at once, near the ends of the acceptance ranges, rotated, unequal colours.
STRONG = ImperfectWorld(
    "strong",
    monitor={"gamma": 2.6, "black_level": 0.02, "colour_weights": (0.9, 1.0, 0.8)},
    optics={
        "scale": 1.05,
        "rotation_deg": -1.0,
        "vignetting": 0.15,
        "ambient_w": 5e-8,
        "off_state_leak": 0.002,
        "supersample": 2,  # rotated optics: 2×2 point samples per mirror (4× faster than 4×4)
    },
    photodiode={"dark_offset_v": -0.005},
    offset_px=(-3.0, 2.5),
)
#: Far misregistration (±5 px, 3°, scale 0.95): measurable, but the image cannot cover the
#: mask area, so the calibration must refuse to become current.
WIDE = ImperfectWorld(
    "wide",
    monitor={"gamma": 2.2, "black_level": 0.01},
    optics={
        "scale": 0.95,
        "rotation_deg": 3.0,
        "vignetting": 0.15,
        "ambient_w": 2e-8,
        "supersample": 2,
    },
    offset_px=(5.0, -5.0),
)


def noiseless(config: RigConfig) -> RigConfig:
    """The same world with every random process switched off (the physics' truth)."""
    w = config.world
    assert w is not None
    quiet = w.noise.model_copy(
        update={"shot": False, "amplifier": False, "daq": False, "quantisation": False}
    )
    return config.model_copy(update={"world": w.model_copy(update={"noise": quiet})})


def true_registration(config: RigConfig, mask_shape: tuple[int, int] = (256, 256)) -> Affine:
    """Scene → mask-area map of the world (docs/simulation.md, optics): magnification
    ``scale`` about the area centre, rotation, shift, and the diamond array's mean offset —
    odd mirror rows sit half a column to the right, so a mask pixel's footprint is on average
    a quarter column right of its nominal square."""
    w = config.world
    assert w is not None
    o = w.optics
    geometry = mask_geometry(w.dmd, mask_shape)
    px_um = geometry.width_cols * w.dmd.column_pitch_um / GRID
    theta = math.radians(o.rotation_deg)
    rot = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    m = o.scale * rot
    centre = np.array([GRID / 2, GRID / 2])
    diamond = 0.25 * w.dmd.column_pitch_um / px_um if o.diamond_geometry else 0.0
    shift = np.array(o.offset_um) / px_um - np.array([diamond, 0.0])
    return Affine(m, centre - m @ centre + shift)


def smooth_masks(n: int, shape: tuple[int, int] = (256, 256), seed: int = 3) -> MaskSet:
    """Binary masks with structure at the scale of a few pixels, like learned LSI masks."""
    rng = np.random.default_rng(seed)
    field_ = ndimage.gaussian_filter(rng.standard_normal((n, *shape)), sigma=(0, 5, 5))
    return MaskSet(field_ > 0, f"smooth{n}", f"test:smooth{n}:{seed}")


def random_masks(n: int, shape: tuple[int, int] = (256, 256), seed: int = 4) -> MaskSet:
    rng = np.random.default_rng(seed)
    return MaskSet(rng.random((n, *shape)) < 0.5, f"random{n}", f"test:random{n}:{seed}")

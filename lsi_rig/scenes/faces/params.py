"""The parameter vector of a procedural face, and how it is drawn at random.

Every field is something the renderer draws and the ground truth reads, so a face's CelebA
attributes, parsing map and landmarks follow from these numbers alone. Base rates roughly follow
CelebA's (a hat on ~8 % of faces, earrings on ~19 %, a smile on ~half), so attribute accuracies
measured on these faces can be read against the paper's (a model that always answers the prior
already scores ~80 %: evaluation reports list that baseline next to every accuracy).

Units: lengths are fractions of the image side; angles are radians; colours linear RGB in [0, 1]
(before the monitor, i.e. the 8-bit value / 255).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import IntEnum
from typing import Any

import numpy as np


class HairColour(IntEnum):
    BLACK = 0
    BROWN = 1
    BLOND = 2
    GRAY = 3
    AUBURN = 4  # none of CelebA's four hair-colour attributes


class HairLength(IntEnum):
    SHORT = 0  # cropped at the ears
    MEDIUM = 1  # to the jaw
    LONG = 2  # to the shoulders


class Beard(IntEnum):
    NONE = 0
    GOATEE = 1  # chin patch under the lower lip
    FULL = 2  # jaw, chin and cheeks below the mouth corners


HAIR_RGB = {
    HairColour.BLACK: (0.07, 0.06, 0.06),
    HairColour.BROWN: (0.36, 0.22, 0.12),
    HairColour.BLOND: (0.86, 0.72, 0.42),
    HairColour.GRAY: (0.66, 0.66, 0.64),
    HairColour.AUBURN: (0.56, 0.22, 0.10),
}


@dataclass(frozen=True)
class FaceParams:
    """One face. Ranges are those :func:`sample_face_params` draws from."""

    # pose and framing
    yaw: float  # −0.3…0.3, positive turns the face towards image right
    pitch: float  # −0.15…0.15, positive tilts the face down
    roll: float  # −0.2…0.2, in-plane rotation (positive: clockwise on screen)
    centre_x: float  # head centre offset from the image centre, −0.03…0.03
    centre_y: float  # −0.02…0.04
    scale: float  # 0.92…1.08, multiplies every length of the head
    # face shape
    face_width: float  # half-width of the head, 0.18…0.22 (× scale)
    face_length: float  # half-height, 0.25…0.29 (× scale)
    jaw_squareness: float  # 2.0 (oval) … 2.9 (square jaw)
    chubby: bool  # wider, rounder lower face
    double_chin: bool  # a fold under the chin
    male: bool
    # skin and make-up
    skin_rgb: tuple[float, float, float]
    pale_skin: bool
    rosy_cheeks: bool
    heavy_makeup: bool  # eye shadow (and usually lipstick)
    lipstick: bool
    lip_rgb: tuple[float, float, float]
    bags_under_eyes: bool
    # hair
    hair_colour: HairColour
    hair_rgb: tuple[float, float, float]
    hair_length: HairLength
    wavy_hair: bool
    bald: bool
    bangs: bool
    receding: bool
    # eyes and brows
    eye_opening: float  # half-height of the eye opening, 0.008 (narrow) … 0.017
    iris_rgb: tuple[float, float, float]
    gaze: float  # −0.006…0.006 sideways
    brow_thickness: float  # 0.008 … 0.018 (bushy ≥ 0.014)
    brow_arch: float  # 0 … 1 (arched ≥ 0.6)
    # nose and mouth
    nose_width: float  # half-width at the nostrils, 0.026…0.042 (big ≥ 0.036)
    nose_length: float  # 0.085…0.11
    mouth_width: float  # half-width, 0.05…0.075
    lip_thickness: float  # 0.011…0.02 (big lips ≥ 0.017)
    smile: float  # 0…1 (smiling ≥ 0.5: corners up, cheeks lifted)
    mouth_open: float  # 0…1 (slightly open ≥ 0.35: inner mouth shows)
    # facial hair (men only)
    beard: Beard
    mustache: bool
    sideburns: bool
    stubble: bool  # five o'clock shadow
    # accessories
    eyeglasses: bool
    glasses_rgb: tuple[float, float, float]
    hat: bool
    hat_rgb: tuple[float, float, float]
    earrings: bool
    necklace: bool
    necktie: bool
    cloth_rgb: tuple[float, float, float]
    # background and lighting
    background_a: tuple[float, float, float]
    background_b: tuple[float, float, float]
    background_angle: float
    light_x: float  # −0.6…0.6, light direction (towards the viewer is +z)
    light_y: float  # −0.7…−0.1 (from above)
    ambient: float  # 0.55…0.75, unlit fraction of the skin brightness
    exposure: float  # 0.9…1.05, overall brightness of the subject

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly copy (enums as names)."""
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            out[key] = value.name.lower() if isinstance(value, IntEnum) else value
        return out


_SKIN = np.array(
    [
        [0.98, 0.87, 0.79],  # pale
        [0.95, 0.80, 0.69],
        [0.90, 0.71, 0.57],
        [0.78, 0.58, 0.43],
        [0.63, 0.44, 0.31],
        [0.45, 0.30, 0.21],
    ]
)
_IRIS = np.array([[0.25, 0.15, 0.08], [0.20, 0.40, 0.65], [0.30, 0.45, 0.25], [0.10, 0.08, 0.06]])
_LIPSTICK = np.array([[0.78, 0.08, 0.16], [0.85, 0.30, 0.45], [0.50, 0.08, 0.20]])


def _rgb(values: np.ndarray) -> tuple[float, float, float]:
    v = np.clip(values, 0.0, 1.0)
    return float(v[0]), float(v[1]), float(v[2])


def sample_face_params(rng: np.random.Generator) -> FaceParams:
    """A random face; the same generator state gives the same face on every machine."""
    u = rng.uniform
    male = bool(rng.random() < 0.42)
    chubby = bool(rng.random() < 0.07)
    pale = bool(rng.random() < 0.06)
    skin = _SKIN[0] if pale else _SKIN[1 + rng.integers(len(_SKIN) - 1)]
    skin = skin * u(0.96, 1.03)
    colour = HairColour(rng.choice(5, p=[0.25, 0.21, 0.15, 0.05, 0.34]))
    bald = bool(male and rng.random() < 0.09)
    receding = bool(not bald and rng.random() < (0.14 if male else 0.03))
    length_p = [0.75, 0.2, 0.05] if male else [0.08, 0.3, 0.62]
    length = HairLength(rng.choice(3, p=length_p))
    hat = bool(rng.random() < 0.08)
    bangs = bool(not bald and not receding and rng.random() < 0.17)
    makeup = bool(not male and rng.random() < 0.62)
    lipstick = bool(not male and rng.random() < (0.92 if makeup else 0.35))
    natural = np.array([0.74, 0.42, 0.40]) * skin / skin.max() * u(0.85, 1.05)
    lips = _LIPSTICK[rng.integers(len(_LIPSTICK))] * u(0.9, 1.05) if lipstick else natural
    beard = Beard.NONE
    if male:
        beard = Beard(rng.choice(3, p=[0.75, 0.13, 0.12]))
    hair_rgb = np.array(HAIR_RGB[colour]) * u(0.9, 1.1)
    return FaceParams(
        yaw=u(-0.3, 0.3),
        pitch=u(-0.15, 0.15),
        roll=u(-0.2, 0.2),
        centre_x=u(-0.03, 0.03),
        centre_y=u(-0.02, 0.04),
        scale=u(0.92, 1.08),
        face_width=u(0.18, 0.2) + (0.025 if chubby else 0.0) + (0.006 if male else 0.0),
        face_length=u(0.25, 0.29),
        jaw_squareness=u(2.0, 2.9) if male else u(2.0, 2.4),
        chubby=chubby,
        double_chin=bool(rng.random() < (0.4 if chubby else 0.03)),
        male=male,
        skin_rgb=_rgb(skin),
        pale_skin=pale,
        rosy_cheeks=bool(rng.random() < (0.02 if male else 0.12)),
        heavy_makeup=makeup,
        lipstick=lipstick,
        lip_rgb=_rgb(lips),
        bags_under_eyes=bool(rng.random() < (0.3 if male else 0.13)),
        hair_colour=colour,
        hair_rgb=_rgb(hair_rgb),
        hair_length=length,
        wavy_hair=bool(length != HairLength.SHORT and rng.random() < 0.55),
        bald=bald,
        bangs=bangs,
        receding=receding,
        eye_opening=u(0.008, 0.011) if rng.random() < 0.12 else u(0.012, 0.017),
        iris_rgb=_rgb(_IRIS[rng.integers(len(_IRIS))]),
        gaze=u(-0.006, 0.006),
        brow_thickness=u(0.014, 0.018)
        if rng.random() < (0.25 if male else 0.06)
        else u(0.008, 0.012),
        brow_arch=u(0.6, 1.0) if rng.random() < (0.1 if male else 0.42) else u(0.0, 0.4),
        nose_width=u(0.036, 0.042) if rng.random() < (0.38 if male else 0.12) else u(0.026, 0.032),
        nose_length=u(0.085, 0.11),
        mouth_width=u(0.05, 0.075),
        lip_thickness=u(0.017, 0.02) if rng.random() < 0.24 else u(0.011, 0.015),
        smile=u(0.55, 1.0) if rng.random() < 0.48 else u(0.0, 0.4),
        mouth_open=u(0.45, 1.0) if rng.random() < 0.48 else u(0.0, 0.25),
        beard=beard,
        mustache=bool(male and rng.random() < (0.5 if beard != Beard.NONE else 0.04)),
        sideburns=bool(male and not bald and rng.random() < 0.14),
        stubble=bool(male and beard == Beard.NONE and rng.random() < 0.3),
        eyeglasses=bool(rng.random() < (0.13 if male else 0.07)),
        glasses_rgb=_rgb(rng.uniform(0.0, 0.5, 3)),
        hat=hat,
        hat_rgb=_rgb(rng.uniform(0.05, 0.95, 3)),
        earrings=bool(rng.random() < (0.03 if male else 0.32)),
        necklace=bool(rng.random() < (0.03 if male else 0.2)),
        necktie=bool(male and rng.random() < 0.17),
        cloth_rgb=_rgb(rng.uniform(0.05, 0.9, 3)),
        background_a=_rgb(rng.uniform(0.15, 0.95, 3)),
        background_b=_rgb(rng.uniform(0.05, 0.85, 3)),
        background_angle=u(0.0, 2 * np.pi),
        light_x=u(-0.6, 0.6),
        light_y=u(-0.7, -0.1),
        ambient=u(0.55, 0.75),
        exposure=u(0.9, 1.05),
    )

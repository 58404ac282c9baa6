"""CelebA attribute ground truth of a procedural face: what the renderer controls, exactly.

Attributes the renderer does not control (Attractive, Blurry, High_Cheekbones, Oval_Face,
Pointy_Nose, Young) are unknown and left out of every accuracy. Names are CelebA's
(``list_attr_celeba.txt`` columns, ``lsi_rig.core.labels.ATTRIBUTE_NAMES``); the truth is a
name → value mapping over the known ones.
"""

from __future__ import annotations

from lsi_rig.core.labels import ATTRIBUTE_NAMES
from lsi_rig.scenes.faces.params import Beard, FaceParams, HairColour, HairLength

UNKNOWN_ATTRIBUTES = frozenset(
    {"Attractive", "Blurry", "High_Cheekbones", "Oval_Face", "Pointy_Nose", "Young"}
)

# thresholds on continuous parameters, shared with the sampler's two-mode draws
NARROW_EYES_BELOW = 0.0115
BUSHY_BROWS_FROM = 0.013
ARCHED_BROWS_FROM = 0.5
BIG_NOSE_FROM = 0.034
BIG_LIPS_FROM = 0.016
SMILING_FROM = 0.5
MOUTH_OPEN_FROM = 0.35


def attribute_values(p: FaceParams) -> dict[str, bool]:
    """The known attributes of ``p`` by CelebA name."""
    hair = not p.bald
    return {
        "5_o_Clock_Shadow": p.stubble,
        "Arched_Eyebrows": p.brow_arch >= ARCHED_BROWS_FROM,
        "Bags_Under_Eyes": p.bags_under_eyes,
        "Bald": p.bald,
        "Bangs": p.bangs,
        "Big_Lips": p.lip_thickness >= BIG_LIPS_FROM,
        "Big_Nose": p.nose_width >= BIG_NOSE_FROM,
        "Black_Hair": hair and p.hair_colour == HairColour.BLACK,
        "Blond_Hair": hair and p.hair_colour == HairColour.BLOND,
        "Brown_Hair": hair and p.hair_colour == HairColour.BROWN,
        "Bushy_Eyebrows": p.brow_thickness >= BUSHY_BROWS_FROM,
        "Chubby": p.chubby,
        "Double_Chin": p.double_chin,
        "Eyeglasses": p.eyeglasses,
        "Goatee": p.beard == Beard.GOATEE,
        "Gray_Hair": hair and p.hair_colour == HairColour.GRAY,
        "Heavy_Makeup": p.heavy_makeup,
        "Male": p.male,
        "Mouth_Slightly_Open": p.mouth_open >= MOUTH_OPEN_FROM,
        "Mustache": p.mustache,
        "Narrow_Eyes": p.eye_opening < NARROW_EYES_BELOW,
        "No_Beard": p.beard == Beard.NONE,
        "Pale_Skin": p.pale_skin,
        "Receding_Hairline": p.receding,
        "Rosy_Cheeks": p.rosy_cheeks,
        "Sideburns": p.sideburns,
        "Smiling": p.smile >= SMILING_FROM,
        "Straight_Hair": hair and p.hair_length != HairLength.SHORT and not p.wavy_hair,
        "Wavy_Hair": hair and p.wavy_hair,
        "Wearing_Earrings": p.earrings,
        "Wearing_Hat": p.hat,
        "Wearing_Lipstick": p.lipstick,
        "Wearing_Necklace": p.necklace,
        "Wearing_Necktie": p.necktie,
    }


#: the attributes :func:`attribute_values` returns, in CelebA column order
KNOWN_ATTRIBUTES: tuple[str, ...] = tuple(n for n in ATTRIBUTE_NAMES if n not in UNKNOWN_ATTRIBUTES)

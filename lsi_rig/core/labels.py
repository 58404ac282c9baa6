"""Names and colours of what the downstream heads predict.

The attribute head was trained on CelebA's ``list_attr_celeba.txt`` columns in their standard
order, and the parsing head on the FaRL/pyfacer ``celebm`` labeller's 19 classes; the index of a
logit is the only link to its meaning, so these tables must never be reordered.
"""

from __future__ import annotations

ATTRIBUTE_NAMES: tuple[str, ...] = (
    "5_o_Clock_Shadow",
    "Arched_Eyebrows",
    "Attractive",
    "Bags_Under_Eyes",
    "Bald",
    "Bangs",
    "Big_Lips",
    "Big_Nose",
    "Black_Hair",
    "Blond_Hair",
    "Blurry",
    "Brown_Hair",
    "Bushy_Eyebrows",
    "Chubby",
    "Double_Chin",
    "Eyeglasses",
    "Goatee",
    "Gray_Hair",
    "Heavy_Makeup",
    "High_Cheekbones",
    "Male",
    "Mouth_Slightly_Open",
    "Mustache",
    "Narrow_Eyes",
    "No_Beard",
    "Oval_Face",
    "Pale_Skin",
    "Pointy_Nose",
    "Receding_Hairline",
    "Rosy_Cheeks",
    "Sideburns",
    "Smiling",
    "Straight_Hair",
    "Wavy_Hair",
    "Wearing_Earrings",
    "Wearing_Hat",
    "Wearing_Lipstick",
    "Wearing_Necklace",
    "Wearing_Necktie",
    "Young",
)

SEGMENTATION_CLASSES: tuple[str, ...] = (
    "background",
    "neck",
    "face",
    "cloth",
    "rr",  # right ear
    "lr",  # left ear
    "rb",  # right brow
    "lb",  # left brow
    "re",  # right eye
    "le",  # left eye
    "nose",
    "imouth",  # inner mouth
    "llip",  # lower lip
    "ulip",  # upper lip
    "hair",
    "eyeg",  # eyeglasses
    "hat",
    "earr",  # earring
    "neck_l",  # necklace
)

# One RGB colour per parsing class (index = class); background black so overlays leave it alone.
SEGMENTATION_PALETTE: tuple[tuple[int, int, int], ...] = (
    (0, 0, 0),
    (128, 64, 0),
    (255, 204, 153),
    (64, 64, 192),
    (255, 0, 128),
    (128, 0, 255),
    (0, 128, 64),
    (0, 192, 96),
    (0, 128, 255),
    (0, 64, 192),
    (255, 128, 0),
    (128, 0, 0),
    (255, 64, 64),
    (192, 0, 64),
    (96, 48, 16),
    (255, 255, 0),
    (0, 255, 255),
    (255, 0, 255),
    (128, 128, 255),
)

N_LANDMARKS = 68

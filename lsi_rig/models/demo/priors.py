"""CelebA attribute base rates: what the demo model answers for attributes it never saw.

Approximate fractions of positive labels in CelebA's ``list_attr_celeba.txt`` (202 599 images),
as commonly tabulated; the attribute head's bias for an attribute without ground truth in the
procedural faces is logit(prior) and its weights are zero, so its probability is the prior.
"""

from __future__ import annotations

CELEBA_PRIORS: dict[str, float] = {
    "5_o_Clock_Shadow": 0.111,
    "Arched_Eyebrows": 0.267,
    "Attractive": 0.513,
    "Bags_Under_Eyes": 0.205,
    "Bald": 0.022,
    "Bangs": 0.152,
    "Big_Lips": 0.241,
    "Big_Nose": 0.234,
    "Black_Hair": 0.239,
    "Blond_Hair": 0.148,
    "Blurry": 0.051,
    "Brown_Hair": 0.205,
    "Bushy_Eyebrows": 0.142,
    "Chubby": 0.058,
    "Double_Chin": 0.047,
    "Eyeglasses": 0.065,
    "Goatee": 0.063,
    "Gray_Hair": 0.042,
    "Heavy_Makeup": 0.387,
    "High_Cheekbones": 0.455,
    "Male": 0.417,
    "Mouth_Slightly_Open": 0.483,
    "Mustache": 0.042,
    "Narrow_Eyes": 0.115,
    "No_Beard": 0.835,
    "Oval_Face": 0.284,
    "Pale_Skin": 0.043,
    "Pointy_Nose": 0.277,
    "Receding_Hairline": 0.080,
    "Rosy_Cheeks": 0.066,
    "Sideburns": 0.057,
    "Smiling": 0.482,
    "Straight_Hair": 0.208,
    "Wavy_Hair": 0.320,
    "Wearing_Earrings": 0.189,
    "Wearing_Hat": 0.048,
    "Wearing_Lipstick": 0.472,
    "Wearing_Necklace": 0.123,
    "Wearing_Necktie": 0.073,
    "Young": 0.774,
}

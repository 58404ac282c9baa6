"""Procedural faces: landmarks sit in their parsing classes, attributes change the right pixels,
everything is deterministic."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from lsi_rig.core.labels import ATTRIBUTE_NAMES, SEGMENTATION_CLASSES
from lsi_rig.scenes.faces import (
    KNOWN_ATTRIBUTES,
    UNKNOWN_ATTRIBUTES,
    Beard,
    HairColour,
    HairLength,
    face_params,
    face_render,
    render_face,
)

CLS = {name: i for i, name in enumerate(SEGMENTATION_CLASSES)}


def _vector(values: dict[str, bool]) -> np.ndarray:
    return np.array([int(values[n]) if n in values else -1 for n in ATTRIBUTE_NAMES], np.int8)


def _classes_near(seg: np.ndarray, point: np.ndarray, radius: int) -> set[int]:
    x, y = (int(np.round(v)) for v in point)
    h, w = seg.shape
    patch = seg[
        max(0, y - radius) : min(h, y + radius + 1), max(0, x - radius) : min(w, x + radius + 1)
    ]
    return set(np.unique(patch).tolist())


# (landmark indices, classes one of which must be within `radius` px, radius)
GROUPS = [
    (range(0, 17), {"face", "hair"}, 3),  # sideburns may cover the top jaw points
    (range(17, 22), {"rb"}, 1),
    (range(22, 27), {"lb"}, 1),
    (range(27, 36), {"nose"}, 1),
    (range(36, 42), {"re"}, 1),
    (range(42, 48), {"le"}, 1),
    (range(49, 54), {"ulip"}, 1),
    (range(55, 60), {"llip"}, 1),
    ([48, 54, 60, 64], {"ulip", "llip", "imouth"}, 1),
    (range(61, 64), {"ulip"}, 1),
    (range(65, 68), {"llip"}, 1),
]


@pytest.mark.parametrize("index", range(40))
def test_landmarks_lie_in_their_classes(index: int) -> None:
    face = face_render(3, index)
    lm = face.landmarks_px
    assert lm.shape == (68, 2) and lm.dtype == np.float32
    assert np.all((lm > 0) & (lm < 255))
    for indices, names, radius in GROUPS:
        wanted = {CLS[n] for n in names}
        for i in indices:
            near = _classes_near(face.segmentation, lm[i], radius)
            assert near & wanted, (index, i, sorted(near))
    # iBUG orientation: point 0 (subject's right jaw) is on the image left, the chin lowest
    assert lm[0, 0] < lm[8, 0] < lm[16, 0] or abs(face.params.roll) > 0.15
    assert lm[36, 0] < lm[39, 0] < lm[42, 0] < lm[45, 0]
    assert lm[48, 0] < lm[51, 0] < lm[54, 0]
    assert lm[27, 1] < lm[30, 1] and lm[51, 1] < lm[57, 1]


def test_segmentation_uses_the_decoder_classes() -> None:
    seen: set[int] = set()
    for index in range(60):
        face = face_render(4, index)
        assert face.segmentation.dtype == np.uint8 and face.segmentation.shape == (256, 256)
        seen |= set(np.unique(face.segmentation).tolist())
    assert seen <= set(range(19))
    assert seen == set(range(19)), sorted(set(range(19)) - seen)  # every class is drawn


def _base():  # a plain frontal face without accessories
    p = face_params(0, 1)
    return replace(
        p,
        yaw=0.0,
        pitch=0.0,
        roll=0.0,
        eyeglasses=False,
        hat=False,
        earrings=False,
        necklace=False,
        necktie=False,
        beard=Beard.NONE,
        mustache=False,
        sideburns=False,
        stubble=False,
        bald=False,
        bangs=False,
        receding=False,
        smile=0.1,
        mouth_open=0.0,
        hair_colour=HairColour.BROWN,
        hair_rgb=(0.36, 0.22, 0.12),
        hair_length=HairLength.MEDIUM,
        male=False,
        heavy_makeup=False,
        lipstick=False,
        rosy_cheeks=False,
        bags_under_eyes=False,
        double_chin=False,
        chubby=False,
    )


def _rows_cols(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return int(ys.min()), int(ys.max()), int(xs.min()), int(xs.max())


@pytest.mark.parametrize(
    ("change", "attribute", "new_class", "region"),
    [
        ({"eyeglasses": True}, "Eyeglasses", "eyeg", "eyes"),
        ({"hat": True}, "Wearing_Hat", "hat", "top"),
        ({"earrings": True}, "Wearing_Earrings", "earr", "sides"),
        ({"necklace": True}, "Wearing_Necklace", "neck_l", "bottom"),
        ({"smile": 0.9}, "Smiling", None, "mouth"),
        ({"mouth_open": 0.9}, "Mouth_Slightly_Open", "imouth", "mouth"),
        ({"mustache": True, "male": True}, "Mustache", None, "mouth"),
        ({"beard": Beard.GOATEE, "male": True}, "Goatee", None, "lower"),
        ({"beard": Beard.FULL, "male": True}, "No_Beard", None, "lower"),
        ({"bangs": True}, "Bangs", None, "forehead"),
        ({"eye_opening": 0.009}, "Narrow_Eyes", None, "eyes"),
        ({"lipstick": True, "lip_rgb": (0.8, 0.1, 0.2)}, "Wearing_Lipstick", None, "mouth"),
    ],
)
def test_attributes_change_the_pixels_they_should(
    change: dict, attribute: str, new_class: str | None, region: str
) -> None:
    base = _base()
    before, after = render_face(base), render_face(replace(base, **change))
    k = ATTRIBUTE_NAMES.index(attribute)
    if attribute == "No_Beard":
        assert _vector(before.attributes)[k] == 1 and _vector(after.attributes)[k] == 0
    else:
        assert _vector(before.attributes)[k] == 0 and _vector(after.attributes)[k] == 1
    flipped = set(np.nonzero(_vector(before.attributes) != _vector(after.attributes))[0].tolist())
    flipped -= {ATTRIBUTE_NAMES.index("Male"), ATTRIBUTE_NAMES.index("No_Beard")}
    assert flipped <= {k} and (flipped or attribute == "No_Beard")
    diff = np.any(before.image != after.image, axis=2)
    assert diff.sum() > 20
    top, bottom, left, right = _rows_cols(diff)
    lm = before.landmarks_px
    if region == "eyes":  # within the band of the eyes and brows
        assert top >= lm[17:27, 1].min() - 20 and bottom <= lm[36:48, 1].max() + 20
    elif region == "mouth":
        assert top >= lm[33, 1] - 4 and bottom <= lm[57, 1] + 10
        assert left >= lm[48, 0] - 12 and right <= lm[54, 0] + 12
    elif region == "top":
        assert bottom < lm[17:27, 1].min()
    elif region == "forehead":
        assert bottom < lm[17:27, 1].min() and top > lm[17:27, 1].min() - 80
    elif region == "bottom":
        assert top > lm[8, 1] - 10
    elif region == "lower":
        assert top > lm[57, 1] - (40 if attribute == "No_Beard" else 0)
    elif region == "sides":
        assert right < lm[4, 0] or left > lm[12, 0] or (right - left) > lm[16, 0] - lm[0, 0]
    if new_class is not None:
        c = CLS[new_class]
        assert not np.any(before.segmentation == c) and np.any(after.segmentation == c)


def test_hair_colour_and_baldness_change_the_hair() -> None:
    base = _base()
    brown = render_face(base)
    hair = brown.segmentation == CLS["hair"]
    assert hair.sum() > 1000
    blond = render_face(replace(base, hair_colour=HairColour.BLOND, hair_rgb=(0.86, 0.72, 0.42)))
    assert blond.image[hair].astype(float).mean() > brown.image[hair].astype(float).mean() + 60
    changed = np.any(blond.image != brown.image, axis=2)
    brows = np.isin(brown.segmentation, (CLS["rb"], CLS["lb"]))
    near = np.zeros_like(hair)
    for dy in (-1, 0, 1):  # anti-aliased edges next to the hair and brows
        for dx in (-1, 0, 1):
            near |= np.roll(np.roll(hair | brows, dy, axis=0), dx, axis=1)
    assert changed.sum() > 1000 and not np.any(changed & ~near)
    assert blond.attributes["Blond_Hair"]
    bald = render_face(replace(base, bald=True))
    assert (bald.segmentation == CLS["hair"]).sum() == 0
    assert bald.attributes["Bald"]
    assert not bald.attributes["Brown_Hair"]


def test_pose_moves_landmarks_and_ground_truth_is_known_or_minus_one() -> None:
    base = _base()
    left, right = render_face(replace(base, yaw=-0.25)), render_face(replace(base, yaw=0.25))
    assert right.landmarks_px[30, 0] > left.landmarks_px[30, 0] + 10  # nose tip follows the turn
    rolled = render_face(replace(base, roll=0.2))
    eyes = rolled.landmarks_px
    assert eyes[45, 1] > eyes[36, 1] + 5  # clockwise roll lowers the image-right eye
    truth = render_face(base).attributes
    assert tuple(truth) == KNOWN_ATTRIBUTES and len(KNOWN_ATTRIBUTES) == 34
    assert [n for n in ATTRIBUTE_NAMES if n in truth] == list(KNOWN_ATTRIBUTES)  # CelebA order
    assert set(ATTRIBUTE_NAMES) - set(KNOWN_ATTRIBUTES) == UNKNOWN_ATTRIBUTES


def test_deterministic_per_seed_and_index() -> None:
    a, b = face_render(9, 4), face_render(9, 4)
    assert np.array_equal(a.image, b.image) and np.array_equal(a.segmentation, b.segmentation)
    assert np.array_equal(a.landmarks_px, b.landmarks_px) and a.params == b.params
    c = face_render(9, 5)
    assert not np.array_equal(a.image, c.image)
    small = face_render(9, 4, size=64)
    assert small.image.shape == (64, 64, 3)
    assert np.allclose(small.landmarks_px, (a.landmarks_px + 0.5) / 4 - 0.5, atol=1e-3)
    assert a.params.as_dict()["hair_colour"] == a.params.hair_colour.name.lower()


def test_attribute_base_rates_resemble_celeba() -> None:
    truth = [face_render(1, i, size=32).attributes for i in range(400)]
    rate = {n: float(np.mean([t[n] for t in truth])) for n in KNOWN_ATTRIBUTES}
    assert 0.3 < rate["Male"] < 0.55 and 0.35 < rate["Smiling"] < 0.6
    assert rate["Wearing_Hat"] < 0.15 and rate["Eyeglasses"] < 0.2
    assert all(0.0 < r < 1.0 for r in rate.values()), rate

"""Procedural faces with exact ground truth: CelebA attributes, 19-class parsing, 68 landmarks.

``face_render(seed, index)`` is the one entry point most code needs; ``sample_face_params`` and
``render_face`` split it for code that edits a face's parameters (tests, the demo).
"""

from __future__ import annotations

import numpy as np

from lsi_rig.scenes.faces.params import (
    Beard,
    FaceParams,
    HairColour,
    HairLength,
    sample_face_params,
)
from lsi_rig.scenes.faces.render import FaceRender, render_face
from lsi_rig.scenes.faces.truth import KNOWN_ATTRIBUTES, UNKNOWN_ATTRIBUTES, attribute_values


def face_params(seed: int, index: int) -> FaceParams:
    """Parameters of face ``index`` of family ``seed`` (``default_rng([seed, index])``)."""
    return sample_face_params(np.random.default_rng([seed, index]))


def face_render(seed: int, index: int, size: int = 256) -> FaceRender:
    """Face ``index`` of family ``seed`` with its ground truth."""
    return render_face(face_params(seed, index), size)


__all__ = [
    "KNOWN_ATTRIBUTES",
    "UNKNOWN_ATTRIBUTES",
    "Beard",
    "FaceParams",
    "FaceRender",
    "HairColour",
    "HairLength",
    "attribute_values",
    "face_params",
    "face_render",
    "render_face",
    "sample_face_params",
]

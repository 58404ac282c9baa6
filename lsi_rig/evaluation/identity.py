"""Dlib recognition rate (optional ``identity`` extra: ``dlib-bin`` + ``face_recognition_models``).

The official script (``scripts/face_metrics_classification.py``) runs DeepFace ``verify`` with
model "Dlib": the dlib face-recognition ResNet's 128-d descriptors, cosine distance, verified
when the distance is ≤ 0.07; rate = verified pairs / pairs where a face was detected in both
images. DeepFace detects with OpenCV's Haar cascade; here dlib's own HOG frontal detector and
its 5-point aligner (both shipped by ``face_recognition_models``/dlib) find the face, so rates
are comparable in definition, not bit-for-bit with DeepFace.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lsi_rig.core.errors import ConfigError

DLIB_COSINE_THRESHOLD = 0.07  # deepface/config/threshold.py, model "Dlib", metric cosine


def identity_available() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("dlib", "face_recognition_models"))


def model_file(name: str) -> str:
    """Path of a model shipped by ``face_recognition_models``, found without importing it (its
    ``__init__`` needs ``pkg_resources``, which current setuptools no longer ships)."""
    spec = importlib.util.find_spec("face_recognition_models")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in locations:
        path = Path(folder) / "models" / name
        if path.is_file():
            return str(path)
    raise ConfigError(
        f"face_recognition_models has no models/{name}; reinstall the 'identity' extra"
    )


@dataclass(frozen=True)
class RecognitionRate:
    verified: int
    detected: int  # pairs with a face found in both images
    pairs: int

    @property
    def rate(self) -> float:
        return self.verified / self.detected if self.detected else float("nan")


def cosine_distance(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(1.0 - a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


class DlibIdentity:
    """Face descriptors with dlib (lazy import; ConfigError naming the extra when missing)."""

    def __init__(self) -> None:
        if not identity_available():
            raise ConfigError(
                "the Dlib recognition rate needs the 'identity' extra: "
                "pip install 'lsi-rig[identity]'"
            )
        import dlib

        self._dlib: Any = dlib
        self.detector = dlib.get_frontal_face_detector()
        self.aligner = dlib.shape_predictor(model_file("shape_predictor_5_face_landmarks.dat"))
        self.net = dlib.face_recognition_model_v1(
            model_file("dlib_face_recognition_resnet_model_v1.dat")
        )
        self._truth_cache: dict[bytes, np.ndarray | None] = {}

    def descriptor(self, image: np.ndarray) -> np.ndarray | None:
        """128-d descriptor of the largest face in a uint8 RGB image, None if none is found."""
        img = np.ascontiguousarray(image, dtype=np.uint8)
        faces = list(self.detector(img, 1))
        if not faces:
            return None
        face = max(faces, key=lambda r: r.width() * r.height())
        shape = self.aligner(img, face)
        return np.asarray(self.net.compute_face_descriptor(img, shape), dtype=np.float64)

    def recognition_rate(self, pairs: Iterable[tuple[np.ndarray, np.ndarray]]) -> RecognitionRate:
        verified = detected = total = 0
        for truth, pred in pairs:
            total += 1
            key = hashlib.sha256(np.ascontiguousarray(truth).tobytes()).digest()
            if key not in self._truth_cache:  # the same scenes are scored at every count
                self._truth_cache[key] = self.descriptor(truth)
            a, b = self._truth_cache[key], self.descriptor(pred)
            if a is None or b is None:
                continue
            detected += 1
            verified += cosine_distance(a, b) <= DLIB_COSINE_THRESHOLD
        return RecognitionRate(verified, detected, total)

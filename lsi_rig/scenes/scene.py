"""Scenes: the images shown on the monitor, with provenance."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from lsi_rig.core.errors import SceneError


def image_sha256(image: np.ndarray) -> str:
    """Hash of the decoded pixels (uint8 RGB, shape included), not of the file bytes, so the
    same picture saved as PNG or generated in memory hashes identically."""
    h, w, c = image.shape
    digest = hashlib.sha256(f"lsi-rig/image/v1\0{h}x{w}x{c}\0".encode())
    digest.update(np.ascontiguousarray(image, dtype=np.uint8).tobytes())
    return digest.hexdigest()


@dataclass(frozen=True, eq=False)
class Scene:
    """One image to capture. ``scene_id`` is the file stem (e.g. a CelebA-HQ stem) or the
    name of a generated demo scene; ``path`` is empty for generated scenes."""

    scene_id: str
    image: np.ndarray  # uint8 [H, W, 3]
    path: str = ""

    def __post_init__(self) -> None:
        img = np.asarray(self.image)
        if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
            raise SceneError(
                f"scene {self.scene_id!r}: image must be uint8 [H, W, 3], got {img.dtype} "
                f"{img.shape}"
            )
        img = np.ascontiguousarray(img)
        img.setflags(write=False)
        object.__setattr__(self, "image", img)

    @property
    def sha256(self) -> str:
        return image_sha256(self.image)

    @property
    def info(self) -> SceneInfo:
        h, w, _ = self.image.shape
        return SceneInfo(self.scene_id, self.path, self.sha256, h, w)


@dataclass(frozen=True)
class SceneInfo:
    """What a session file stores about a scene (the pixels stay in their files)."""

    scene_id: str
    path: str
    sha256: str
    height: int
    width: int

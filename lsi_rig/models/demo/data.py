"""The training set: procedural faces rendered once, kept as what training needs.

Per face: the 8×8 block sums of the 256² scene under a linear and a gamma-2.2 display (the
measurement, see ``physics``), the 64×64 RGB target (area-averaged), the 64×64 parsing map
(centre pixel of each 4×4 cell), the 68 landmarks in 256-px coordinates and the 40 attribute
labels (−1 where the renderer does not control the attribute). Faces are drawn from a seed
family of their own (:data:`TRAINING_FAMILY` + seed), never the families used for demo scenes or
evaluation. Rendering runs in worker processes (deterministic: each face has its own seed).
"""

from __future__ import annotations

import logging
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

import numpy as np

from lsi_rig.core.labels import ATTRIBUTE_NAMES
from lsi_rig.models.demo.physics import DISPLAY_GAMMA, block_sums

log = logging.getLogger(__name__)

#: training faces are ``face_render(TRAINING_FAMILY + seed, i)``; evaluation uses other families
TRAINING_FAMILY = 7_000_000
OUT = 64


@dataclass
class FaceSet:
    blocks_linear: np.ndarray  # float32 [N, 1024]
    blocks_gamma: np.ndarray  # float32 [N, 1024]
    images: np.ndarray  # uint8 [N, 3, 64, 64]
    segmentation: np.ndarray  # uint8 [N, 64, 64]
    landmarks_px: np.ndarray  # float32 [N, 68, 2] (256-px coordinates)
    attributes: np.ndarray  # int8 [N, 40], −1 unknown

    def __len__(self) -> int:
        return int(self.images.shape[0])


def attribute_vector(values: dict[str, bool]) -> np.ndarray:
    """Name → value mapping → int8 [40] in CelebA order, −1 where unknown."""
    return np.array([int(values[n]) if n in values else -1 for n in ATTRIBUTE_NAMES], np.int8)


def _render_chunk(args: tuple[int, int, int]) -> tuple[np.ndarray, ...]:
    from lsi_rig.scenes.faces import face_render

    family, start, count = args
    lin = np.empty((count, 1024), np.float32)
    gam = np.empty((count, 1024), np.float32)
    img = np.empty((count, 3, OUT, OUT), np.uint8)
    seg = np.empty((count, OUT, OUT), np.uint8)
    lm = np.empty((count, 68, 2), np.float32)
    att = np.empty((count, 40), np.int8)
    for k in range(count):
        face = face_render(family, start + k)
        lin[k] = block_sums(face.image)
        gam[k] = block_sums(face.image, DISPLAY_GAMMA)
        small = face.image.reshape(OUT, 4, OUT, 4, 3).astype(np.float32).mean(axis=(1, 3))
        img[k] = np.round(small).astype(np.uint8).transpose(2, 0, 1)
        seg[k] = face.segmentation[2::4, 2::4]
        lm[k] = face.landmarks_px
        att[k] = attribute_vector(face.attributes)
    return lin, gam, img, seg, lm, att


def build_face_set(count: int, *, seed: int, start: int = 0, workers: int = 2) -> FaceSet:
    """Render faces ``start … start+count−1`` of the training family of ``seed``."""
    family = TRAINING_FAMILY + seed
    chunk = 200
    jobs = [(family, s, min(chunk, start + count - s)) for s in range(start, start + count, chunk)]
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            parts = list(pool.map(_render_chunk, jobs))
    else:
        parts = [_render_chunk(j) for j in jobs]
    arrays = [np.concatenate([p[i] for p in parts]) for i in range(6)]
    log.info("rendered %d training faces (family %d)", count, family)
    return FaceSet(*arrays)

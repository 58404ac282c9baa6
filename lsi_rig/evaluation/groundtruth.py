"""What the decoded outputs are scored against: procedural faces or real images with labels.

``procedural:K`` (or ``procedural:K:FAMILY``) gives faces 0…K−1 of a seed family (default 0, the
demo-scene family; the demo model trains on ``TRAINING_FAMILY + seed``, never on these) with every
ground truth. A folder of real images gives the images; attributes come from a CelebA
``list_attr_celeba.txt`` matched by file stem; parsing and landmarks then have no ground truth
(the official protocol runs FaRL on the ground-truth image, which needs weights this machine
cannot download) and are left out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lsi_rig.core.errors import ConfigError
from lsi_rig.core.labels import ATTRIBUTE_NAMES
from lsi_rig.scenes import Scene

MAX_PROCEDURAL = 100_000


@dataclass(frozen=True)
class TruthItem:
    scene: Scene
    attributes: np.ndarray | None = None  # int8 [40]: 1, 0, −1 unknown
    segmentation: np.ndarray | None = None  # uint8 [256, 256]
    landmarks_px: np.ndarray | None = None  # float32 [68, 2]


def attribute_vector(values: dict[str, bool]) -> np.ndarray:
    return np.array([int(values[n]) if n in values else -1 for n in ATTRIBUTE_NAMES], np.int8)


def parse_procedural(spec: str) -> tuple[int, int]:
    """``procedural:K[:FAMILY]`` → (K, family)."""
    parts = spec.split(":")
    try:
        if parts[0] != "procedural" or len(parts) not in (2, 3):
            raise ValueError
        count = int(parts[1])
        family = int(parts[2]) if len(parts) == 3 else 0
    except ValueError:
        raise ConfigError(
            f"--images {spec!r}: expected procedural:K or procedural:K:FAMILY "
            "(K faces of seed family FAMILY, default 0)"
        ) from None
    if not 1 <= count <= MAX_PROCEDURAL:
        raise ConfigError(f"--images {spec!r}: K must be 1…{MAX_PROCEDURAL}")
    return count, family


def procedural_truth(count: int, family: int = 0) -> list[TruthItem]:
    from lsi_rig.scenes.procedural import face_scenes_with_truth

    return [
        TruthItem(scene, attribute_vector(face.attributes), face.segmentation, face.landmarks_px)
        for scene, face in face_scenes_with_truth(count, seed=family)
    ]


def read_celeba_attributes(path: Path) -> dict[str, np.ndarray]:
    """``list_attr_celeba.txt`` (count line, 40 names, then ``file ±1 × 40``) → stem → int8 [40]
    with 1 present and 0 absent, in ``ATTRIBUTE_NAMES`` order whatever the file's column order."""
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"labels {path}: unreadable ({exc})") from None
    if len(lines) < 2:
        raise ConfigError(f"labels {path}: expected a count line and a header of 40 names")
    header = lines[1].split()
    if sorted(header) != sorted(ATTRIBUTE_NAMES):
        missing = sorted(set(ATTRIBUTE_NAMES) - set(header))
        raise ConfigError(
            f"labels {path}: line 2 must name the 40 CelebA attributes (missing {missing[:3]}…)"
            if missing
            else f"labels {path}: line 2 has unexpected names"
        )
    order = [header.index(n) for n in ATTRIBUTE_NAMES]
    table: dict[str, np.ndarray] = {}
    for number, line in enumerate(lines[2:], start=3):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 41 or any(v not in ("1", "-1") for v in fields[1:]):
            raise ConfigError(f"labels {path}:{number}: expected a file name and 40 values of ±1")
        values = np.array([int(fields[1 + k]) for k in order], np.int8)
        table[Path(fields[0]).stem] = ((values + 1) // 2).astype(np.int8)
    return table


def image_truth(scenes: Sequence[Scene], labels: Path | None) -> list[TruthItem]:
    """Real images; attributes by file stem when a label file is given (stems it lacks: none)."""
    table = read_celeba_attributes(labels) if labels is not None else {}
    if labels is not None and not any(s.scene_id in table for s in scenes):
        raise ConfigError(
            f"labels {labels}: none of the {len(scenes)} image stems is listed "
            "(images must keep their CelebA names)"
        )
    return [TruthItem(s, table.get(s.scene_id)) for s in scenes]


_FACE_ID = re.compile(r"^face_(\d+)$")


def procedural_face_truth(scene_id: str, image: np.ndarray, family: int = 0) -> TruthItem | None:
    """The ground truth of a procedural demo face recognised by its id *and* its pixels (the
    renderer is deterministic, so a face shown again is checked, not trusted by name)."""
    match = _FACE_ID.match(scene_id)
    h, w = image.shape[:2]
    if match is None or h != w:
        return None
    from lsi_rig.scenes.faces import face_render

    render = face_render(family, int(match.group(1)), h)
    if not np.array_equal(render.image, image):
        return None
    return TruthItem(
        Scene(scene_id, image),
        attribute_vector(dict(render.attributes)),
        render.segmentation,
        render.landmarks_px,
    )

"""Review mode: one session file, finished, interrupted or still being written (Qt-free).

Records are read through the storage reader (SWMR, so a file another process is writing can be
followed with :meth:`ReviewSession.refresh`). The scene a record measured is shown when its
pixels can be found and verified by their content hash: the image file named in the session,
or — for procedurally generated demo scenes, which have no file — the same demo scene made
again.
"""

from __future__ import annotations

import logging
from functools import cached_property
from pathlib import Path

import numpy as np

from lsi_rig.core.errors import LsiRigError
from lsi_rig.core.records import MeasurementRecord
from lsi_rig.decode.units import world_of
from lsi_rig.masks.maskset import MaskSet
from lsi_rig.scenes.scene import SceneInfo
from lsi_rig.storage import RunStatus, SessionReader, open_session
from lsi_rig.world.config import WorldConfig

log = logging.getLogger(__name__)

MAX_DEMO_SCENES = 64


class ReviewSession:
    def __init__(self, path: Path) -> None:
        self.path = Path(path).absolute()
        self.reader: SessionReader = open_session(self.path)
        self._scene_cache: dict[int, np.ndarray | None] = {}
        self._demo_by_hash: dict[str, np.ndarray] | None = None

    @property
    def n_records(self) -> int:
        return int(self.reader.n_records)

    @property
    def status(self) -> RunStatus:
        return self.reader.status

    def refresh(self) -> int:
        """Records committed so far (grows while another process writes the file)."""
        return self.reader.refresh()

    def record(self, index: int) -> MeasurementRecord:
        return self.reader.record(index)

    @cached_property
    def masks(self) -> MaskSet:
        return self.reader.masks()

    @cached_property
    def world(self) -> WorldConfig | None:
        """The simulated world the session was captured in (None: a real rig)."""
        return world_of(self.reader.rig_config_yaml)

    @cached_property
    def scenes(self) -> list[SceneInfo]:
        return self.reader.scenes()

    def scene_info(self, scene_index: int) -> SceneInfo | None:
        return self.scenes[scene_index] if 0 <= scene_index < len(self.scenes) else None

    def scene_image(self, scene_index: int) -> np.ndarray | None:
        """The scene's pixels, verified by hash, or None when they cannot be found."""
        if scene_index not in self._scene_cache:
            info = self.scene_info(scene_index)
            self._scene_cache[scene_index] = None if info is None else self._find(info)
        return self._scene_cache[scene_index]

    def _find(self, info: SceneInfo) -> np.ndarray | None:
        if info.path:
            return _from_file(info)
        return self._demo_scenes().get(info.sha256)

    def _demo_scenes(self) -> dict[str, np.ndarray]:
        if self._demo_by_hash is None:
            from lsi_rig.scenes.procedural import demo_scenes

            generated = [s for s in self.scenes if not s.path]
            count = min(len(self.scenes), MAX_DEMO_SCENES) if generated else 0
            size = generated[0].height if generated else 256
            self._demo_by_hash = (
                {s.sha256: s.image for s in demo_scenes(count, size=size)} if count else {}
            )
        return self._demo_by_hash

    def summary_line(self) -> str:
        return (
            f"{self.path.name}: {self.status.value}, {self.n_records} records, "
            f"masks {self.masks.name} (n={self.masks.n}), {len(self.scenes)} scenes"
        )

    def close(self) -> None:
        self.reader.close()


def _from_file(info: SceneInfo) -> np.ndarray | None:
    from lsi_rig.scenes.loading import load_scene_file

    path = Path(info.path)
    if not path.is_file():
        return None
    size = info.height if info.height == info.width else None
    try:
        scene = load_scene_file(path, size=size)
    except LsiRigError as exc:
        log.info("scene %s not shown: %s", info.scene_id, exc)
        return None
    if scene.sha256 != info.sha256:
        log.info("scene file %s changed since it was captured: not shown", path)
        return None
    return np.asarray(scene.image)

"""Scene sources: the table of scenes up front, pixels one scene at a time.

A batch of 30 000 CelebA-HQ images never has to sit in memory: ids, paths and content hashes are
known before the first record (they go into the session file), and each image is decoded again
just before it is shown, and checked against its hash.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from lsi_rig.core.errors import SceneError
from lsi_rig.scenes.scene import Scene, SceneInfo


class SceneSource(Protocol):
    """Ordered scenes: their table up front, pixels on demand."""

    @property
    def infos(self) -> Sequence[SceneInfo]: ...

    def load(self, index: int) -> Scene: ...


class InMemoryScenes:
    """Scenes already decoded (demo scenes, notebooks)."""

    def __init__(self, scenes: Sequence[Scene]) -> None:
        if not scenes:
            raise SceneError("no scenes to capture")
        self._scenes = list(scenes)
        self._infos = [s.info for s in self._scenes]

    @property
    def infos(self) -> Sequence[SceneInfo]:
        return self._infos

    def load(self, index: int) -> Scene:
        return self._scenes[index]


class LazyScenes:
    """Scenes whose table was computed up front; pixels re-loaded (and re-verified) on demand."""

    def __init__(self, infos: Sequence[SceneInfo], loader: Callable[[SceneInfo], Scene]) -> None:
        if not infos:
            raise SceneError("no scenes to capture")
        self._infos = list(infos)
        self._loader = loader

    @property
    def infos(self) -> Sequence[SceneInfo]:
        return self._infos

    def load(self, index: int) -> Scene:
        info = self._infos[index]
        scene = self._loader(info)
        if scene.sha256 != info.sha256:
            raise SceneError(
                f"scene file {info.path} changed since the capture started (content hash differs); "
                "do not modify images during a capture"
            )
        return scene


def file_scene_source(inputs: Sequence[str | Path], *, size: int | None = 256) -> LazyScenes:
    """Scenes from image files and folders: every file is checked and hashed before capture."""
    from lsi_rig.scenes.loading import (
        check_size,
        iter_scene_paths,
        load_scene_file,
        validate_scene_paths,
    )

    check_size(size)
    paths = list(iter_scene_paths(inputs))
    validate_scene_paths(paths)
    infos: list[SceneInfo] = []
    seen: dict[str, Path] = {}
    for path in paths:
        scene = load_scene_file(path, size=size)
        if scene.scene_id in seen:
            raise SceneError(
                f"scene id {scene.scene_id!r} is used by both {seen[scene.scene_id]} and {path}; "
                "rename one (scene ids are file stems)"
            )
        seen[scene.scene_id] = Path(path)
        infos.append(scene.info)

    def load(info: SceneInfo) -> Scene:
        return load_scene_file(info.path, size=size, warn=False)

    return LazyScenes(infos, load)
